/* Processes: the unit that owns an address space, open files, credentials, a working directory and
 * signal dispositions, shared by its threads (a thread group, as Linux calls it). This header is the
 * contract between the process core (kernel/proc), user memory (kernel/mm/uvm), files
 * (kernel/fs/file table) and signals (kernel/proc/signal); each owns the part marked for it. */
#pragma once
#include <kestrel/cred.h>
#include <kestrel/spinlock.h>
#include <kestrel/types.h>
#include <kestrel/waitqueue.h>

struct mm;      /* user address space: kestrel/uvm.h */
struct files;   /* file-descriptor table: kestrel/file.h */
struct file;    /* kestrel/vfs.h */
struct inode;   /* kestrel/fs.h */
struct sighand; /* signal dispositions: kestrel/signal.h */
struct thread;
struct trap_frame;

#define COMM_LEN     16
#define RLIMIT_COUNT 16 /* RLIMIT_NLIMITS on Linux */

struct fs_context {
    struct inode *cwd;  /* counted reference */
    struct inode *root; /* counted reference (chroot) */
    uint32_t umask;
};

struct vfork_completion {
    struct waitqueue wq;
    bool done;
};

struct rlimit64 {
    uint64_t cur, max;
};

/* I/O accounting, /proc/[pid]/io's fields (Linux's meanings): bytes the read-like and write-like
 * calls returned and how many such calls were made; bytes the process made the kernel fetch from a
 * disk, and bytes it wrote to files on a disk (counted when written into the cache, as Linux counts
 * them when pages are dirtied). Added to atomically: a process's threads share them. */
struct process_io {
    uint64_t rchar, wchar, syscr, syscw, read_bytes, write_bytes;
};
/* Account to the calling process (nothing for kernel threads): a read-like or write-like call that
 * returned bytes (a negative result counts the call only); and bytes fetched from a disk. */
void io_account_call(bool write, long result);
void io_account_disk_read(size_t bytes);
void io_account_file_write(size_t bytes);

enum process_state {
    PROCESS_ALIVE,
    PROCESS_ZOMBIE, /* every thread has exited; waits for the parent's wait4/waitid */
};

struct process {
    int pid; /* from the process core's pid allocator (1 is init); also the tid of its first thread */
    int pgid;
    int sid;
    enum process_state state;
    char comm[COMM_LEN];

    /* Family. Protected by process_tree_lock (kernel/proc). */
    struct process *parent;
    struct qlink children; /* of struct process, by sibling */
    struct qlink sibling;
    struct waitqueue child_wait; /* the parent sleeps here in wait4 */
    int exit_status;             /* wait(2) status word: (code << 8), or the signal number (| 0x80 core) */
    bool stopped_report;         /* a stop or continue the parent has not collected (WUNTRACED/WCONTINUED) */
    int stop_status;             /* with stopped_report: 0x7f | (sig << 8) for a stop, 0xffff for continue */
    int exit_signal;             /* sent to the parent at exit: SIGCHLD, or clone's CSIGNAL bits */
    uint32_t child_events;       /* bumped (with child_wait woken) whenever a child changes state */
    bool did_exec;               /* setpgid on a child that has exec'd fails with EACCES */
    struct qlink hash_link;      /* in the pid hash */
    struct qlink all_link;       /* in the list of every process (process_list) */

    /* vfork: the parent thread sleeps on a vfork_completion on its own stack until the child, which
     * points at it through vfork, execs or exits. Per vfork, not per parent process: two threads
     * may vfork at once. Under process_tree_lock. */
    struct vfork_completion *vfork;

    /* Threads of this process (docs/processes.md, "Threads"). nthreads counts every thread from its
     * creation (before it runs and links itself into threads) to its exit, so the last one out - who
     * turns the process into a zombie - cannot miss one still starting. Both under lock. */
    struct qlink threads; /* of struct thread, by user.group_link */
    int nthreads;
    /* Set once, under lock, by exit_group or a fatal signal: every thread ends at its next return
     * towards user mode (or interruptible sleep), and exit_status holds the group's status. */
    bool group_exit;
    /* execve in a multi-threaded process: every thread but this one ends; it sleeps on thread_wait
     * until nthreads is 1. Under lock. */
    struct thread *exec_thread;
    struct waitqueue thread_wait;

    struct cred cred;
    struct mm *mm;       /* owned by kernel/mm/uvm */
    struct files *files; /* owned by the file table */
    struct fs_context fs;
    struct file *exe;        /* what the last execve ran (a reference), for /proc/[pid]/exe; NULL before */
    struct sighand *sighand; /* owned by kernel/proc/signal */
    uint64_t shared_pending; /* signals sent to the process as a whole (bit n-1 for signal n) */
    struct rlimit64 rlimits[RLIMIT_COUNT];

    uint64_t start_ns;
    uint64_t utime_ns, stime_ns;   /* of its exited threads */
    uint64_t cutime_ns, cstime_ns; /* of its waited-for children */
    /* Timer ticks that found one of its threads running in user or kernel mode (the scheduler's
     * tick accounting, kernel/sched/loadavg.c): the ratio splits the CPU time into user and system
     * time for /proc, as Linux's tick sampling does. Changed atomically. */
    uint64_t user_ticks, system_ticks;
    struct process_io io;
    struct spinlock lock; /* protects the fields above that change after creation */
};

/* Per-thread user-mode state, embedded in struct thread as `user` (kernel threads have proc NULL). */
struct thread_user {
    struct process *proc;
    int tid;                  /* the user-visible thread id (gettid) */
    struct qlink group_link;  /* in proc->threads */
    struct trap_frame *frame; /* user registers saved at kernel entry (top of the kernel stack) */
    uint64_t fs_base;         /* arch_prctl(ARCH_SET_FS): TLS pointer, restored on every switch */
    uint64_t gs_base;         /* arch_prctl(ARCH_SET_GS), likewise */
    uint64_t clear_child_tid; /* set_tid_address: zeroed and futex-woken at exit */
    uint64_t robust_list, robust_len;
    uint64_t sigmask;       /* blocked signals */
    uint64_t pending;       /* signals sent to this thread */
    uint64_t saved_sigmask; /* rt_sigsuspend/ppoll restore it on return to user */
    bool restore_sigmask;
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;
};

/* The process tree lock: protects every process's family fields, state, exit and stop reports, pgid
 * and sid, the pid hash and process_list. A spinlock (interrupts off): hold it briefly, never while
 * sleeping or touching user memory. Taken after a process's own lock, never before. */
extern struct spinlock process_tree_lock;
/* Every process, live or zombie, by all_link; walk it with process_tree_lock held. */
extern struct qlink process_list;
#define process_for_each(p)                                                                                  \
    for (struct process *p = qlist_entry(process_list.next, struct process, all_link);                       \
         &p->all_link != &process_list; p = qlist_entry(p->all_link.next, struct process, all_link))

/* The pid handed out last (/proc/loadavg), and how many processes were created since boot. */
int process_last_pid(void);
uint64_t process_created_count(void);
/* The process the running thread belongs to, or NULL for a kernel thread. */
struct process *current_process(void);
/* For a walk over every address space that may sleep: the mm of the lowest-numbered process with
 * pid >= *pid that has one, with a reference (mm_put it), *pid moved past that process; NULL at the
 * end. A process created during the walk may be missed; one that exits keeps its mm alive here. */
struct mm *process_next_mm(int *pid);
/* Finds a live or zombie process by pid; NULL when none. Caller holds process_tree_lock. */
struct process *process_find(int pid);
/* Finds the thread with id tid in process tgid (-1: in any process); NULL when none. Caller holds
 * process_tree_lock. Tids are not hashed: a walk over every process's threads. */
struct thread *process_find_thread(int tgid, int tid);

/* Ends the calling process, every thread of it (exit_group): status is the wait(2) status word
 * ((code & 0xff) << 8 for exit, the signal number (| 0x80 for a core dump) for a fatal signal). The
 * other threads end at their next return to user mode; the last thread out closes the files, drops
 * the memory, gives the children to init, makes the process a zombie and wakes the parent. */
__noreturn void process_exit(int status);
/* Ends only the calling thread (exit(2)); when it is the last one, the process ends with status. */
__noreturn void process_thread_exit(int status);
/* CPU time of p in ns: its exited threads' and every live thread's (CLOCK_PROCESS_CPUTIME_ID). */
uint64_t process_cpu_ns(struct process *p);
/* Whether thread t of p must end instead of returning to user mode (exit_group, a fatal signal or an
 * execve in another thread). Lock-free: read by signal_pending_current and the return path. */
bool process_thread_doomed(const struct process *p, const struct thread *t);
/* The default action of a fatal signal: ends the process with that signal as its status, with the
 * core flag (0x80) for the signals whose default action dumps core. */
__noreturn void process_exit_by_signal(int signo);
/* A fault in user code (an exception, or an unresolvable page fault): delivers sig with si_code
 * and si_addr when signal delivery exists, and ends the process otherwise. May return (a handler
 * will run). */
void process_fault_signal(int sig, int code, uint64_t addr);
/* Tells the parent that child changed state (exit, stop, continue): bumps child_events and wakes
 * the parent's wait4. Caller holds process_tree_lock. */
void process_notify_parent_locked(struct process *child);

/* Runs just before every return to user mode (system calls, and interrupts and exceptions taken in
 * user mode), with interrupts on and f the thread's user frame: the place for work that must happen
 * before user code runs again - signal delivery (kernel/proc/signal) plugs in here. Returns with
 * interrupts off and f checked for ring 3 (a non-canonical rip ends the process with SIGSEGV). */
void return_to_user_work(struct trap_frame *f);

/* The scheduler calls this (lock held, interrupts off) just before switching to next: loads next's
 * kernel stack for the user-mode entries, its FS/GS bases and its address space. */
void process_switch_to(struct thread *next);

/* Boot: system-call MSRs and per-CPU data. */
void proc_init(void);
/* Boot: mounts a tmpfs root, unpacks the initramfs (the first boot module) into it and starts path
 * (or init= from the command line) as pid 1. Returns 0 or a negative errno (no module, exec failed). */
int proc_start_init(const char *path);
