/* Shared by the process core's files (kernel/proc), not part of the contract in kestrel/process.h. */
#pragma once
#include <arch/syscall.h>
#include <kestrel/process.h>
#include <uapi/signal.h>
#include <kestrel/thread.h>

#define PID_MAX 32768 /* pids run 1..PID_MAX-1, as Linux's default pid_max */

/* clone(2)'s flags (Linux's values). */
#define CSIGNAL              0x000000ffull
#define CLONE_VM             0x00000100ull
#define CLONE_FS             0x00000200ull
#define CLONE_FILES          0x00000400ull
#define CLONE_SIGHAND        0x00000800ull
#define CLONE_PIDFD          0x00001000ull
#define CLONE_PTRACE         0x00002000ull
#define CLONE_VFORK          0x00004000ull
#define CLONE_PARENT         0x00008000ull
#define CLONE_THREAD         0x00010000ull
#define CLONE_NEWNS          0x00020000ull
#define CLONE_SYSVSEM        0x00040000ull
#define CLONE_SETTLS         0x00080000ull
#define CLONE_PARENT_SETTID  0x00100000ull
#define CLONE_CHILD_CLEARTID 0x00200000ull
#define CLONE_DETACHED       0x00400000ull
#define CLONE_UNTRACED       0x00800000ull
#define CLONE_CHILD_SETTID   0x01000000ull

/* A new process with nothing attached: no pid, parent, memory or files yet; NULL when memory is
 * short. Its defaults: root credentials, umask 022, Linux's default resource limits. */
struct process *process_alloc(void);
/* Gives p a fresh pid, links it into the pid hash, process_list and parent's children (parent may be
 * NULL: the first process), inheriting the parent's process group and session. -EAGAIN when every
 * pid is taken. Takes process_tree_lock. */
int process_register(struct process *p, struct process *parent);
/* A thread id for a second or later thread of a process: a number from the pid space (Linux's tids
 * and pids are one space), used until process_tid_free. -EAGAIN when every number is taken. A
 * process's first thread has the pid as its tid and allocates nothing. */
int process_tid_alloc(void);
void process_tid_free(int tid);
/* Frees a zombie that has been collected (or a process that never ran): unlinks it everywhere,
 * releases its pids. Caller holds process_tree_lock. */
void process_free_locked(struct process *p);
/* Frees what process_alloc and a failed set-up attached (no pid yet). */
void process_discard(struct process *p);
/* Moves p to process group pgid and/or session sid, keeping the pid use counts right. Lock held. */
void process_set_pgid_locked(struct process *p, int pgid);
void process_set_sid_locked(struct process *p, int sid);
/* Whether a process group pgid exists in session sid. Lock held. */
bool pgrp_exists_in_session_locked(int pgid, int sid);

/* The init process (pid 1): orphans are given to it. NULL until one is started (KTAP boots). */
extern struct process *init_process;

/* How a new user thread starts (fork, clone): all copied by user_thread_start. */
struct user_thread_init {
    const struct trap_frame *frame; /* its registers */
    const struct fpu_state *fpu;    /* NULL: a clean state */
    uint64_t fs_base, gs_base;
    uint64_t set_child_tid;   /* a user address in p's memory that receives its tid first (0: none) */
    uint64_t clear_child_tid; /* zeroed and futex-woken at its exit (0: none) */
    int tid;                  /* its thread id; 0: the process's pid (a process's first thread) */
    bool clear_altstack;      /* no alternate signal stack (clone with CLONE_VM), else the creator's */
};
/* Starts a user thread for p: it attaches itself to p, loads init's registers, FPU state and bases,
 * then enters user mode. Counts it in p->nthreads at once. -ENOMEM when no thread can be created. */
int user_thread_start(struct process *p, const struct user_thread_init *init);

/* Starts p's first thread in the kernel: it attaches to p, runs setup(arg) - which must set up the
 * user frame, normally through process_execve - and enters user mode; a failing setup ends the
 * process with exit code -err. */
int user_thread_start_setup(struct process *p, int (*setup)(void *arg), void *arg);

/* execve with kernel copies of path, argv and envp (NULL-terminated): replaces the calling process's
 * image and rewrites its user frame. 0 (the frame now starts the new program) or a negative errno
 * (the old image is untouched unless the failure came after the point of no return, which only
 * -ENOMEM can, and then the process is killed). */
int process_execve(const char *path, char *const argv[], char *const envp[]);

/* execve(2) with user pointers: copies the path, argv and envp in, then process_execve. */
long proc_execve_user(const char *upath, const char *const *uargv, const char *const *uenvp);

/* fork, vfork and clone: returns the child's pid or a negative errno. */
long process_clone(uint64_t flags, uint64_t newsp, uint64_t parent_tid, uint64_t child_tid, uint64_t tls);
/* clone's thread form (CLONE_THREAD): a new thread in the caller's process; returns its tid or a
 * negative errno. flags are already checked by process_clone. */
long thread_clone(uint64_t flags, uint64_t newsp, uint64_t parent_tid, uint64_t child_tid, uint64_t tls);
/* The process's end once its last thread has left: releases what it holds, reparents its children,
 * becomes a zombie with p->exit_status and tells the parent; then the calling thread ends. */
__noreturn void process_end(struct process *p, struct thread *t);
/* What a thread leaving its address space (exit, execve) owes user space, while that memory is still
 * there: its robust futex list is walked (owned locks marked FUTEX_OWNER_DIED) and its clear_child_tid
 * word (CLONE_CHILD_CLEARTID, set_tid_address) zeroed and futex-woken - how pthread_join learns of
 * the exit. Bad addresses are ignored, as on Linux. Sleeps. */
void process_thread_release_futexes(struct thread *t, struct process *p);
/* execve in a thread of a multi-threaded process: makes every other thread end and waits until they
 * have; the caller then has the pid as its tid. 0, or -EINTR when the whole group is ending (a
 * racing exit_group, a fatal signal or another thread's execve won). */
int process_exec_kill_threads(void);

/* wait4 and waitid with user pointers (the system calls' whole work). */
long proc_wait4(int pid, int *ustatus, int options, void *urusage);
long proc_waitid(int idtype, int id, void *uinfo, int options, void *urusage);
/* Writes a struct rusage with these times (the other fields zero): 0 or -EFAULT. */
int proc_put_rusage(void *urusage, uint64_t utime_ns, uint64_t stime_ns);
/* Lets a vfork parent run again (the child exec'd or is exiting). */
void process_vfork_release(struct process *p);

/* The signal code's side of the life cycle (kestrel/signal.h), declared here weak so the process core
 * links and runs whether or not kernel/proc/signal*.c is in the tree: each call site checks. */
int signal_prepare(struct process *p) __attribute__((weak));
int signal_fork(struct process *child, struct process *parent, uint64_t clone_flags) __attribute__((weak));
void signal_exec(struct process *p) __attribute__((weak));
void signal_exit(struct process *p) __attribute__((weak));
bool signal_child_exited(struct process *parent, struct process *child) __attribute__((weak));
void signal_force_fault(int sig, int code, uint64_t addr) __attribute__((weak));
void signal_return_to_user(struct trap_frame *f) __attribute__((weak));
