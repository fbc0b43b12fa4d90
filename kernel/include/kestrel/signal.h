/* Signals inside the kernel: per-process dispositions and signal state, sending, interruptible
 * sleeps, delivery on the way back to user mode (handler frames or default actions) and the hooks the
 * process life cycle calls. docs/signals.md explains the design. */
#pragma once
#include <kestrel/waitqueue.h>
#include <uapi/signal.h>

struct process;
struct thread;
struct trap_frame;

/* Internal "restart me" results of a system call interrupted by a signal; user space never sees
 * them: the return-to-user path turns them into -EINTR or re-executes the call (see
 * signal_return_to_user). Interruptible sleeps give -ERESTARTSYS: pass it up unchanged. */
#define ERESTARTSYS    512 /* restart when the handler has SA_RESTART or no handler runs, else EINTR */
#define ERESTARTNOINTR 513 /* always restart */
#define ERESTARTNOHAND 514 /* restart only when no handler runs (pause, sigsuspend, nanosleep) */

/* Bit of signal sig in a ksigset_t. */
static inline ksigset_t sigmask_of(int sig)
{
    return (ksigset_t)1 << (sig - 1);
}

static inline bool sig_valid(int sig)
{
    return sig >= 1 && sig <= NSIG;
}

/* Signals that can be neither caught, blocked nor ignored. */
#define SIG_UNCATCHABLE (sigmask_of(SIGKILL) | sigmask_of(SIGSTOP))
#define SIG_STOP_MASK   (sigmask_of(SIGSTOP) | sigmask_of(SIGTSTP) | sigmask_of(SIGTTIN) | sigmask_of(SIGTTOU))
/* Faults the current instruction caused; delivered before any other pending signal. */
#define SIG_SYNC_MASK                                                                                        \
    (sigmask_of(SIGSEGV) | sigmask_of(SIGBUS) | sigmask_of(SIGILL) | sigmask_of(SIGTRAP) |                   \
     sigmask_of(SIGFPE) | sigmask_of(SIGSYS))

/* What SIG_DFL does with each signal. */
enum sig_default {
    SIGDFL_TERM,   /* the process ends, wait status = signal number */
    SIGDFL_CORE,   /* the same with the core flag (0x80); Kestrel writes no core file */
    SIGDFL_STOP,   /* every thread stops until SIGCONT */
    SIGDFL_CONT,   /* resumes a stopped process (happens when sent), otherwise ignored */
    SIGDFL_IGNORE, /* discarded */
};
enum sig_default sig_default_action(int sig);
/* The wait(2) status word of a process killed by sig (with 0x80 for core-dumping signals). */
int sig_kill_status(int sig);

/* What the kernel remembers about a pending signal, for the siginfo its handler gets. Signals do not
 * queue: one record per signal number, the latest sender wins (real-time signals included). */
struct sig_record {
    int32_t code; /* si_code */
    int32_t pid;  /* sender (SI_USER, SI_TKILL, SIGCHLD) */
    uint32_t uid;
    int32_t status; /* SIGCHLD: exit code or signal */
    uint64_t addr;  /* faults: si_addr; timers and sigqueue: the value */
};

/* A process's signal state: dispositions, the records of pending signals, job-control stop state
 * and the ITIMER_REAL timer. One per process (threads share it); fork copies it, exec resets the
 * handlers. All of it is protected by the signal lock (signal.c), except refcount (atomic). */
struct sighand {
    int refcount;
    struct k_sigaction action[NSIG]; /* action[sig - 1] */
    struct sig_record info[NSIG];    /* for pending signals */
    bool group_stopped;              /* stopped by a stop signal until SIGCONT or SIGKILL */
    bool exiting;                    /* a fatal signal is taking the process down */
    /* ITIMER_REAL, in time_ns() nanoseconds; expire_ns 0 = disarmed. */
    uint64_t itimer_expire_ns, itimer_interval_ns;
    struct qlink itimer_link; /* in the armed-timer list (signal_itimer.c) while armed */
    struct process *owner;
};

/* ---- Life cycle (called by the process core) ---- */

/* Dispositions all SIG_DFL; NULL when memory is short. */
struct sighand *sighand_create(struct process *owner);
/* Gives p its signal state if it has none yet (the first process, which is not forked). 0 or
 * -ENOMEM. Process context. */
int signal_prepare(struct process *p);
/* For fork and clone: child gets a copy of parent's dispositions (nothing pending, not stopped, no
 * timer). CLONE_SIGHAND without CLONE_THREAD, which would share dispositions between processes,
 * gets a copy too. Returns 0 or -ENOMEM. */
int signal_fork(struct process *child, struct process *parent, uint64_t clone_flags);
/* For a new thread: copies the creator's mask and alternate stack, nothing pending. */
void signal_thread_init(struct thread *t, const struct thread *creator);
/* After a successful exec: caught signals go back to SIG_DFL (ignored ones stay ignored), the
 * alternate stack is dropped; mask and pending signals are kept, as POSIX says. */
void signal_exec(struct process *p);
/* The process is dying (or a fork failed): disarms its timer and frees its signal state
 * (p->sighand becomes NULL; signals sent to it from then on are dropped). */
void signal_exit(struct process *p);
/* Child has become a zombie: sends child->exit_signal (normally SIGCHLD; none when 0) to its parent
 * with CLD_EXITED, CLD_KILLED or CLD_DUMPED from child->exit_status. Returns true when the parent
 * asked for no zombies (SIGCHLD set to SIG_IGN, or SA_NOCLDWAIT): the caller then reaps the child at
 * once. Call it with process_tree_lock held. */
bool signal_child_exited(struct process *parent, struct process *child);
/* ---- Sending ---- */

/* Makes sig pending for the process (any thread that does not block it takes it) and wakes a
 * thread to handle it. info may be NULL (si_code SI_KERNEL). sig 0 only checks. Callable from any
 * context, interrupt handlers included. Returns 0 or -EINVAL. No permission checks: kill(2) does
 * those. */
int signal_send_process(struct process *p, int sig, const struct sig_record *info);
/* The same for one thread (tkill, faults, SIGPIPE). */
int signal_send_thread(struct thread *t, int sig, const struct sig_record *info);
/* To every process in process group pgid (the terminal's ^C, ^Z, ^\): 0, or -ESRCH when the group
 * is empty. */
int signal_send_pgrp(int pgid, int sig);
/* To the calling thread (SIGPIPE from write, SIGXFSZ...). */
void signal_send_current(int sig);
/* A fault in user mode that cannot be handled (called by the page-fault and exception handlers):
 * sig is delivered to the current thread even if blocked or ignored (the disposition is reset to
 * SIG_DFL then, as Linux does) with si_code code and si_addr addr. */
void signal_force_fault(int sig, int code, uint64_t addr);

/* ---- Receiving ---- */

/* True when the current thread has a signal pending that it does not block (or a fatal one, or its
 * process is stopping): interruptible sleeps end and return -ERESTARTSYS. Lock-free, cheap, callable
 * with the scheduler lock held. */
bool signal_pending_current(void);
/* The work on every return to user mode (P's return_to_user_work calls it with the user frame):
 * stops while the process is stopped, takes pending signals, runs default actions (may not return),
 * builds handler frames, and resolves -ERESTART* results of an interrupted system call. */
void signal_return_to_user(struct trap_frame *f);

/* Sleeps until a signal arrives (pause, sigsuspend): always -ERESTARTNOHAND. */
long signal_wait_for_any(void);

/* ---- Frames (arch/x86_64/signal_frame.c) ---- */

/* Builds the rt_sigframe for sig on the user stack (or the alternate stack), saving f, the FPU
 * registers and oldmask, and points f at the handler. 0 or -EFAULT (the caller then kills the
 * process with SIGSEGV). */
int signal_frame_setup(struct trap_frame *f, int sig, const struct k_sigaction *ka, const ksiginfo_t *info,
                       ksigset_t oldmask);
/* rt_sigreturn: restores f, the FPU registers and the mask from the frame at f->rsp - 8 (the
 * handler's ret popped pretcode). Returns the restored rax or -EFAULT (then SIGSEGV). */
long signal_frame_restore(struct trap_frame *f);
/* Whether sp lies on the current thread's alternate stack; its sigaltstack flags for sp. */
bool signal_on_altstack(uint64_t sp);
int signal_altstack_flags(uint64_t sp);
/* The frame's error field (the call number for a system call) when there is no call to restart. */
#define SYSCALL_NR_NONE ((uint64_t)-1)

/* ---- Timers (signal_itimer.c) ---- */

/* Stops p's ITIMER_REAL (exit). Signal lock held. */
void itimer_cancel_locked(struct sighand *sh);

/* For the syscalls, the frame code and tests. */
/* Sets the current thread's mask (SIGKILL and SIGSTOP are never blocked). */
void signal_set_mask(ksigset_t mask);
/* sigaltstack(2) on kernel copies; sp is the user stack pointer at the call. 0, -EPERM (on it),
 * -EINVAL (bad flags), -ENOMEM (smaller than MINSIGSTKSZ). */
int signal_do_sigaltstack(const struct kstack *ss, struct kstack *old, uint64_t sp);
int signal_do_sigaction(int sig, const struct k_sigaction *act, struct k_sigaction *old);
int signal_do_sigprocmask(int how, const ksigset_t *set, ksigset_t *old);
/* kill(2): 0, -EINVAL, -ESRCH, -EPERM. */
int signal_kill(int pid, int sig);
/* tgkill (tgid > 0) and tkill (tgid -1). */
int signal_tkill(int tgid, int tid, int sig);
/* Whether the calling thread blocks sig or its process ignores it explicitly (SIG_IGN): the test
 * job control makes before stopping a background reader or writer with SIGTTIN or SIGTTOU. */
bool signal_current_ignores_or_blocks(int sig);
/* Pending signals of the calling thread and its process, blocked or not. */
ksigset_t signal_pending_set(void);
/* Takes a pending signal in set (even a blocked one) and fills info: its number, or 0 when none
 * (rt_sigtimedwait). */
int signal_dequeue_set(ksigset_t set, ksiginfo_t *info);
int signal_itimer_get(struct process *p, uint64_t *value_ns, uint64_t *interval_ns);
int signal_itimer_set(struct process *p, uint64_t value_ns, uint64_t interval_ns, uint64_t *old_value_ns,
                      uint64_t *old_interval_ns);
