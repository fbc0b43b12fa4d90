/* Processes: the unit that owns an address space, open files, credentials, a working directory and
 * signal dispositions, shared by its threads (a thread group, as Linux calls it). This header is the
 * contract between the process core (kernel/proc), user memory (kernel/mm/uvm), files
 * (kernel/fs/file table) and signals (kernel/proc/signal); each owns the part marked for it. */
#pragma once
#include <kestrel/spinlock.h>
#include <kestrel/types.h>
#include <kestrel/waitqueue.h>

struct mm;      /* user address space: kestrel/uvm.h */
struct files;   /* file-descriptor table: kestrel/file.h */
struct inode;   /* kestrel/fs.h */
struct sighand; /* signal dispositions: kestrel/signal.h */
struct thread;
struct trap_frame;

#define NGROUPS_MAX_KESTREL 32
#define COMM_LEN            16
#define RLIMIT_COUNT        16 /* RLIMIT_NLIMITS on Linux */

/* Credentials as Linux keeps them: real, effective, saved and filesystem ids. */
struct cred {
    uint32_t uid, euid, suid, fsuid;
    uint32_t gid, egid, sgid, fsgid;
    uint32_t ngroups;
    uint32_t groups[NGROUPS_MAX_KESTREL];
};

struct fs_context {
    struct inode *cwd;  /* counted reference */
    struct inode *root; /* counted reference (chroot) */
    uint32_t umask;
};

struct rlimit64 {
    uint64_t cur, max;
};

enum process_state {
    PROCESS_ALIVE,
    PROCESS_ZOMBIE, /* every thread has exited; waits for the parent's wait4/waitid */
};

struct process {
    int pid; /* = the thread-group id: the tid of its first thread */
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

    /* Threads of this process. */
    struct qlink threads; /* of struct thread, by user.group_link */
    int nthreads;

    struct cred cred;
    struct mm *mm;       /* owned by kernel/mm/uvm */
    struct files *files; /* owned by the file table */
    struct fs_context fs;
    struct sighand *sighand; /* owned by kernel/proc/signal */
    uint64_t shared_pending; /* signals sent to the process as a whole (bit n-1 for signal n) */
    struct rlimit64 rlimits[RLIMIT_COUNT];

    uint64_t start_ns;
    uint64_t utime_ns, stime_ns;   /* of its exited threads */
    uint64_t cutime_ns, cstime_ns; /* of its waited-for children */
    struct spinlock lock;          /* protects the fields above that change after creation */
};

/* Per-thread user-mode state, embedded in struct thread as `user` (kernel threads have proc NULL). */
struct thread_user {
    struct process *proc;
    struct qlink group_link;  /* in proc->threads */
    struct trap_frame *frame; /* user registers saved at kernel entry (top of the kernel stack) */
    uint64_t fs_base;         /* arch_prctl(ARCH_SET_FS): TLS pointer, restored on every switch */
    uint64_t clear_child_tid; /* set_tid_address: zeroed and futex-woken at exit */
    uint64_t robust_list, robust_len;
    uint64_t sigmask;       /* blocked signals */
    uint64_t pending;       /* signals sent to this thread */
    uint64_t saved_sigmask; /* rt_sigsuspend/ppoll restore it on return to user */
    bool restore_sigmask;
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;
};

/* The process the running thread belongs to, or NULL for a kernel thread. */
struct process *current_process(void);
/* Finds a live or zombie process by pid; NULL when none. Caller holds process_tree_lock. */
struct process *process_find(int pid);
