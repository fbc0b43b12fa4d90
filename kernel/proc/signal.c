/* Signals: dispositions, pending sets, sending and waking, job-control stops, and delivery on the
 * way back to user mode (default actions, handler frames, restarting interrupted system calls).
 *
 * One lock, signal_lock, protects every process's struct sighand (dispositions, records, stop and
 * timer state), the pending sets (thread and process) and the masks; a thread reads its own mask
 * and pending bits without it (signal_pending_current). It disables interrupts because the terminal
 * sends signals from its interrupt handler. Order: process_tree_lock (which keeps the target
 * process from being freed and guards the parent link), then signal_lock, then the scheduler lock.
 * Never held across a user copy. A process's thread list is walked under signal_lock alone: it only
 * changes with interrupts off, which on one CPU is enough (SMP will need the process lock). */
#include <arch/syscall.h>
#include <kestrel/kmalloc.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>
#include <kestrel/process.h>
#include <kestrel/sched.h>
#include <kestrel/signal.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include "signal_internal.h"

struct spinlock signal_lock = SPINLOCK_INIT("signal");
/* Threads of stopped processes sleep here until SIGCONT or SIGKILL (few, and rarely). */
static struct waitqueue stop_wq = WAITQUEUE_INIT(stop_wq, "sigstop");
/* pause() and sigsuspend() sleep here; only signals wake them. */
static struct waitqueue pause_wq = WAITQUEUE_INIT(pause_wq, "pause");

enum sig_default sig_default_action(int sig)
{
    switch (sig) {
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS:
        return SIGDFL_CORE;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        return SIGDFL_STOP;
    case SIGCONT:
        return SIGDFL_CONT;
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
        return SIGDFL_IGNORE;
    default:
        return SIGDFL_TERM;
    }
}

int sig_kill_status(int sig)
{
    return sig | (sig_default_action(sig) == SIGDFL_CORE ? 0x80 : 0);
}

/* ---- Life cycle ---- */

struct sighand *sighand_create(struct process *owner)
{
    struct sighand *sh = kzalloc(sizeof(*sh));
    if (!sh)
        return NULL;
    sh->refcount = 1;
    sh->owner = owner;
    qlist_init(&sh->itimer_link);
    return sh;
}

int signal_fork(struct process *child, struct process *parent, uint64_t clone_flags)
{
    (void)clone_flags;
    struct sighand *sh = sighand_create(child);
    if (!sh)
        return -ENOMEM;
    child->shared_pending = 0;
    if (parent && parent->sighand) {
        uint64_t fl = spin_lock_irqsave(&signal_lock);
        memcpy(sh->action, parent->sighand->action, sizeof(sh->action));
        spin_unlock_irqrestore(&signal_lock, fl);
    }
    child->sighand = sh;
    return 0;
}

int signal_prepare(struct process *p)
{
    if (p->sighand)
        return 0;
    /* The first process is not forked: it gets its signal state at its first exec or signal call. */
    struct sighand *sh = sighand_create(p);
    if (!sh)
        return -ENOMEM;
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    if (!p->sighand) {
        p->sighand = sh;
        sh = NULL;
    }
    spin_unlock_irqrestore(&signal_lock, fl);
    kfree(sh);
    return 0;
}

void signal_thread_init(struct thread *t, const struct thread *creator)
{
    struct thread_user *u = &t->user;
    u->pending = 0;
    u->restore_sigmask = false;
    u->saved_sigmask = 0;
    u->sigmask = creator ? creator->user.sigmask : 0;
    u->altstack_sp = creator ? creator->user.altstack_sp : 0;
    u->altstack_size = creator ? creator->user.altstack_size : 0;
    u->altstack_flags = creator ? creator->user.altstack_flags : 0;
}

void signal_exec(struct process *p)
{
    struct thread *t = thread_current();
    if (signal_prepare(p) < 0)
        return; /* no memory: signals to p are dropped until a later call manages */
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    for (int i = 0; i < NSIG; i++) {
        struct k_sigaction *ka = &p->sighand->action[i];
        if (ka->handler != SIG_IGN)
            ka->handler = SIG_DFL;
        ka->flags = 0;
        ka->restorer = 0;
        ka->mask = 0;
    }
    spin_unlock_irqrestore(&signal_lock, fl);
    t->user.altstack_sp = 0;
    t->user.altstack_size = 0;
    t->user.altstack_flags = 0;
}

void signal_exit(struct process *p)
{
    struct sighand *sh = p->sighand;
    if (!sh)
        return;
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    itimer_cancel_locked(sh);
    p->sighand = NULL;
    p->shared_pending = 0;
    spin_unlock_irqrestore(&signal_lock, fl);
    if (__atomic_sub_fetch(&sh->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        kfree(sh);
}

/* ---- Sending ---- */

static bool sig_handler_ignores(const struct sighand *sh, int sig)
{
    uint64_t h = sh->action[sig - 1].handler;
    return h == SIG_IGN || (h == SIG_DFL && sig_default_action(sig) == SIGDFL_IGNORE);
}

bool signal_current_ignores_or_blocks(int sig)
{
    struct thread *t = thread_current();
    struct process *p = t->user.proc;
    if (!p || !p->sighand || !sig_valid(sig))
        return false;
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    bool r = (t->user.sigmask & sigmask_of(sig)) || p->sighand->action[sig - 1].handler == SIG_IGN;
    spin_unlock_irqrestore(&signal_lock, fl);
    return r;
}

/* The thread that stands for p in disposition checks: its first one. */
static struct thread *main_thread(struct process *p)
{
    if (qlist_empty(&p->threads))
        return NULL;
    return qlist_entry(p->threads.next, struct thread, user.group_link);
}

/* Whether sending sig would have no effect at all. A blocked signal is kept even if ignored: the
 * disposition may change before it is unblocked. init (pid 1) only gets the signals it has a
 * handler for, even SIGKILL, as on Linux: its death would take the system down. */
static bool sig_discard_locked(struct process *p, struct thread *t, int sig, bool forced)
{
    if (p->pid == 1 && !forced && p->sighand->action[sig - 1].handler == SIG_DFL &&
        sig_default_action(sig) != SIGDFL_CONT)
        return true;
    if (sigmask_of(sig) & SIG_UNCATCHABLE)
        return false;
    if (!t)
        t = main_thread(p);
    if (t && (t->user.sigmask & sigmask_of(sig)))
        return false;
    return sig_handler_ignores(p->sighand, sig);
}

/* Ends interruptible sleeps of the threads that should notice sig: the target thread, or for a
 * process-directed signal the first thread that does not block it - every such thread when the
 * signal stops or ends the whole process. */
static void kick_threads_locked(struct process *p, struct thread *target, int sig)
{
    uint64_t bit = sigmask_of(sig);
    const struct k_sigaction *ka = &p->sighand->action[sig - 1];
    enum sig_default d = sig_default_action(sig);
    bool everyone = ka->handler == SIG_DFL && d != SIGDFL_IGNORE && d != SIGDFL_CONT;
    uint64_t sfl = sched_lock_irqsave();
    qlist_for_each(l, &p->threads)
    {
        struct thread *t = qlist_entry(l, struct thread, user.group_link);
        if ((target && t != target) || (t->user.sigmask & bit))
            continue;
        sched_interrupt_locked(t);
        if (!everyone)
            break;
    }
    sched_unlock_irqrestore(sfl);
}

/* The side effects that happen when a signal is generated, not when it is delivered (POSIX): a stop
 * signal cancels a pending SIGCONT, SIGCONT cancels pending stops and resumes a stopped process,
 * SIGKILL resumes it so it can die. Returns true when the process was resumed from a stop. */
static bool generate_effects_locked(struct process *p, int sig)
{
    if (sigmask_of(sig) & SIG_STOP_MASK) {
        p->shared_pending &= ~sigmask_of(SIGCONT);
        qlist_for_each(l, &p->threads) qlist_entry(l, struct thread, user.group_link)->user.pending &=
            ~sigmask_of(SIGCONT);
        return false;
    }
    if (sig != SIGCONT && sig != SIGKILL)
        return false;
    if (sig == SIGCONT) {
        p->shared_pending &= ~SIG_STOP_MASK;
        qlist_for_each(l, &p->threads) qlist_entry(l, struct thread, user.group_link)->user.pending &=
            ~SIG_STOP_MASK;
    }
    if (!p->sighand->group_stopped)
        return false;
    p->sighand->group_stopped = false;
    wq_wake_all(&stop_wq);
    return sig == SIGCONT;
}

static void record_locked(struct sighand *sh, int sig, const struct sig_record *info)
{
    if (info)
        sh->info[sig - 1] = *info;
    else
        sh->info[sig - 1] = (struct sig_record){.code = SI_KERNEL};
}

/* Makes sig pending on p (t NULL) or on thread t of p; forced: a fault, which even init cannot
 * ignore. Signal lock held. Returns true when a stopped
 * process was continued (the parent must hear of it, outside the lock). */
static bool send_locked(struct process *p, struct thread *t, int sig, const struct sig_record *info,
                        bool forced)
{
    if (!p->sighand || p->sighand->exiting || p->state != PROCESS_ALIVE)
        return false;
    bool continued = generate_effects_locked(p, sig);
    if (sig_discard_locked(p, t, sig, forced))
        return continued;
    record_locked(p->sighand, sig, info);
    if (t)
        t->user.pending |= sigmask_of(sig);
    else
        p->shared_pending |= sigmask_of(sig);
    kick_threads_locked(p, t, sig);
    return continued;
}

int signal_send_tree_locked(struct process *p, struct thread *t, int sig, const struct sig_record *info)
{
    if (sig == 0)
        return 0;
    if (!sig_valid(sig))
        return -EINVAL;
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    bool continued = send_locked(p, t, sig, info, false);
    spin_unlock_irqrestore(&signal_lock, fl);
    if (continued)
        signal_notify_parent_tree_locked(p, CLD_CONTINUED, SIGCONT);
    return 0;
}

static int send_common(struct process *p, struct thread *t, int sig, const struct sig_record *info)
{
    uint64_t fl = spin_lock_irqsave(&process_tree_lock);
    int rc = signal_send_tree_locked(p, t, sig, info);
    spin_unlock_irqrestore(&process_tree_lock, fl);
    return rc;
}

int signal_send_process(struct process *p, int sig, const struct sig_record *info)
{
    return send_common(p, NULL, sig, info);
}

int signal_send_thread(struct thread *t, int sig, const struct sig_record *info)
{
    if (!t->user.proc)
        return -EINVAL;
    return send_common(t->user.proc, t, sig, info);
}

void signal_send_current(int sig)
{
    struct thread *t = thread_current();
    struct process *p = t->user.proc;
    if (!p)
        return;
    struct sig_record rec = {.code = SI_USER, .pid = p->pid, .uid = p->cred.uid};
    signal_send_thread(t, sig, &rec);
}

void signal_force_fault(int sig, int code, uint64_t addr)
{
    struct thread *t = thread_current();
    struct process *p = t->user.proc;
    if (!p || !sig_valid(sig))
        panic("signal_force_fault(%d) outside a user thread", sig);
    struct sig_record rec = {.code = code, .addr = addr};
    uint64_t tfl = spin_lock_irqsave(&process_tree_lock);
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    /* A fault the program blocks or ignores would only repeat forever: Linux resets the disposition
     * and unblocks it, so it kills the process. */
    struct k_sigaction *ka = &p->sighand->action[sig - 1];
    if ((t->user.sigmask & sigmask_of(sig)) || ka->handler == SIG_IGN) {
        ka->handler = SIG_DFL;
        t->user.sigmask &= ~sigmask_of(sig);
    }
    send_locked(p, t, sig, &rec, true); /* not a SIGCONT: no parent to tell */
    spin_unlock_irqrestore(&signal_lock, fl);
    spin_unlock_irqrestore(&process_tree_lock, tfl);
}

/* ---- Receiving ---- */

bool signal_pending_current(void)
{
    struct thread *t = thread_current();
    struct process *p = t ? t->user.proc : NULL;
    if (!p || !p->sighand)
        return false;
    uint64_t pend = __atomic_load_n(&t->user.pending, __ATOMIC_RELAXED) |
                    __atomic_load_n(&p->shared_pending, __ATOMIC_RELAXED);
    if (pend & ~t->user.sigmask)
        return true;
    /* A thread that must end (exit_group, execve in another thread) leaves its sleeps like one with
     * a fatal signal. */
    return p->sighand->group_stopped || p->sighand->exiting || process_thread_doomed(p, t);
}

long signal_wait_for_any(void)
{
    wait_event_interruptible(&pause_wq, false);
    return -ERESTARTNOHAND;
}

/* Takes the signal to deliver next: faults first, then the thread's own, then the process's, lowest
 * number first within each. Signal lock held; returns 0 when none. */
static int dequeue_locked(struct thread *t, struct process *p, struct sig_record *rec)
{
    uint64_t allowed = ~t->user.sigmask;
    uint64_t *sets[2] = {&t->user.pending, &p->shared_pending};
    for (int i = 0; i < 2; i++) {
        uint64_t pend = *sets[i] & allowed;
        if (!pend)
            continue;
        if (pend & SIG_SYNC_MASK)
            pend &= SIG_SYNC_MASK;
        int sig = __builtin_ctzll(pend) + 1;
        *sets[i] &= ~sigmask_of(sig);
        *rec = p->sighand->info[sig - 1];
        return sig;
    }
    return 0;
}

/* Parks the current thread while its process is stopped; returns true when it slept. */
static bool stop_if_stopped(struct process *p)
{
    struct sighand *sh = p->sighand;
    if (!__atomic_load_n(&sh->group_stopped, __ATOMIC_ACQUIRE))
        return false;
    wait_event(&stop_wq, !sh->group_stopped);
    return true;
}

/* A stop signal's default action: the whole process stops; the parent hears of it. */
static void group_stop(struct process *p, int sig)
{
    uint64_t tfl = spin_lock_irqsave(&process_tree_lock);
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    /* A SIGKILL generated since this stop signal was dequeued wins (a SIGCONT would have removed
     * the stop signal before it was dequeued, or comes later and resumes). */
    bool stop = !((p->shared_pending | thread_current()->user.pending) & sigmask_of(SIGKILL));
    if (stop) {
        p->sighand->group_stopped = true;
        kick_threads_locked(p, NULL, SIGSTOP);
    }
    spin_unlock_irqrestore(&signal_lock, fl);
    if (stop)
        signal_notify_parent_tree_locked(p, CLD_STOPPED, sig);
    spin_unlock_irqrestore(&process_tree_lock, tfl);
}

/* An interrupted system call (rax holds -ERESTART*): turns it into -EINTR, or rewinds rip over the
 * 2-byte SYSCALL instruction with the call number back in rax so it runs again. ka is the handler
 * about to run, or NULL when none does. */
static void resolve_restart(struct trap_frame *f, const struct k_sigaction *ka)
{
    if (f->vector != VEC_SYSCALL || f->error == SYSCALL_NR_NONE)
        return;
    long rc = (long)f->rax;
    bool restart;
    switch (rc) {
    case -ERESTARTNOINTR:
        restart = true;
        break;
    case -ERESTARTSYS:
        restart = !ka || (ka->flags & SA_RESTART);
        break;
    case -ERESTARTNOHAND:
        restart = !ka;
        break;
    default:
        return;
    }
    if (restart) {
        f->rax = f->error;
        f->rip -= 2;
    } else {
        f->rax = (uint64_t)-EINTR;
    }
    f->error = SYSCALL_NR_NONE; /* resolved: a nested handler in the same return must not redo it */
}

/* Runs the handler: builds its frame, then blocks sa_mask (and sig itself unless SA_NODEFER) while it
 * runs. A frame that cannot be written kills the process with SIGSEGV, as on Linux. */
static void run_handler(struct trap_frame *f, int sig, const struct k_sigaction *ka,
                        const struct sig_record *rec)
{
    struct thread *t = thread_current();
    resolve_restart(f, ka);
    ksiginfo_t info;
    signal_fill_siginfo(&info, sig, rec);
    ksigset_t oldmask = t->user.restore_sigmask ? t->user.saved_sigmask : t->user.sigmask;
    if (signal_frame_setup(f, sig, ka, &info, oldmask) < 0) {
        pr_info("signal: pid %d: cannot write the frame for signal %d at rsp %#llx: SIGSEGV\n",
                t->user.proc->pid, sig, (unsigned long long)f->rsp);
        signal_die(SIGSEGV);
    }
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    t->user.restore_sigmask = false;
    ksigset_t add = ka->mask | ((ka->flags & SA_NODEFER) ? 0 : sigmask_of(sig));
    t->user.sigmask = (t->user.sigmask | add) & ~SIG_UNCATCHABLE;
    spin_unlock_irqrestore(&signal_lock, fl);
}

/* One pending signal: its action, or false when nothing is pending. */
static bool deliver_one(struct trap_frame *f, struct thread *t, struct process *p)
{
    struct sig_record rec;
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    int sig = dequeue_locked(t, p, &rec);
    if (!sig) {
        spin_unlock_irqrestore(&signal_lock, fl);
        return false;
    }
    struct k_sigaction *slot = &p->sighand->action[sig - 1];
    struct k_sigaction ka = *slot;
    if (ka.handler != SIG_DFL && ka.handler != SIG_IGN && (ka.flags & SA_RESETHAND)) {
        slot->handler = SIG_DFL;
        slot->flags &= ~SA_SIGINFO;
    }
    spin_unlock_irqrestore(&signal_lock, fl);

    if (ka.handler == SIG_IGN)
        return true;
    if (ka.handler != SIG_DFL) {
        run_handler(f, sig, &ka, &rec);
        return true;
    }
    switch (sig_default_action(sig)) {
    case SIGDFL_IGNORE:
    case SIGDFL_CONT:
        return true;
    case SIGDFL_STOP:
        group_stop(p, sig);
        return true;
    case SIGDFL_TERM:
    case SIGDFL_CORE:
        break;
    }
    signal_die(sig);
}

void signal_return_to_user(struct trap_frame *f)
{
    struct thread *t = thread_current();
    struct process *p = t->user.proc;
    if (!p || !p->sighand)
        return;
    /* The common case, nothing pending and no stop: no lock on the way out of every system call.
     * A signal sent after this look sets its pending bit and kicks the thread, so the next return
     * to user mode (at the latest the next tick's) delivers it, as when it comes a moment later. */
    uint64_t pend = __atomic_load_n(&t->user.pending, __ATOMIC_RELAXED) |
                    __atomic_load_n(&p->shared_pending, __ATOMIC_RELAXED);
    if (!(pend & ~t->user.sigmask) && !__atomic_load_n(&p->sighand->group_stopped, __ATOMIC_ACQUIRE) &&
        !t->user.restore_sigmask) {
        resolve_restart(f, NULL);
        return;
    }
    for (;;) {
        if (stop_if_stopped(p))
            continue;
        if (deliver_one(f, t, p))
            continue;
        /* Nothing (more) to deliver: a call no handler interrupted runs again transparently. */
        resolve_restart(f, NULL);
        if (!t->user.restore_sigmask)
            return;
        /* rt_sigsuspend's temporary mask ends here; signals it held back may now be deliverable. */
        t->user.restore_sigmask = false;
        t->user.sigmask = t->user.saved_sigmask;
        if (!signal_pending_current())
            return;
    }
}

__noreturn void signal_die(int sig)
{
    struct process *p = thread_current()->user.proc;
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    p->sighand->exiting = true;
    spin_unlock_irqrestore(&signal_lock, fl);
    process_exit_by_signal(sig);
}

void signal_fill_siginfo(ksiginfo_t *info, int sig, const struct sig_record *rec)
{
    memset(info, 0, sizeof(*info));
    info->si_signo = sig;
    info->si_code = rec->code;
    if (sigmask_of(sig) & SIG_SYNC_MASK && rec->code > 0) {
        info->u.fault.addr = rec->addr;
        return;
    }
    info->u.kill.pid = rec->pid;
    info->u.kill.uid = rec->uid;
    if (sig == SIGCHLD && rec->code > 0)
        info->u.chld.status = rec->status;
    else
        info->u.kill.value = rec->addr;
}

/* ---- The calls' kernel halves ---- */

void signal_set_mask(ksigset_t mask)
{
    struct thread *t = thread_current();
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    t->user.sigmask = mask & ~SIG_UNCATCHABLE;
    spin_unlock_irqrestore(&signal_lock, fl);
}

/* Drops pending instances of sig in every thread of p (its action became "ignore"). */
static void flush_pending_locked(struct process *p, int sig)
{
    p->shared_pending &= ~sigmask_of(sig);
    qlist_for_each(l, &p->threads) qlist_entry(l, struct thread, user.group_link)->user.pending &=
        ~sigmask_of(sig);
}

int signal_do_sigaction(int sig, const struct k_sigaction *act, struct k_sigaction *old)
{
    struct process *p = current_process();
    if (!sig_valid(sig) || (act && (sigmask_of(sig) & SIG_UNCATCHABLE)))
        return -EINVAL;
    int rc = signal_prepare(p);
    if (rc < 0)
        return rc;
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    struct k_sigaction *slot = &p->sighand->action[sig - 1];
    if (old)
        *old = *slot;
    if (act) {
        *slot = *act;
        slot->mask &= ~SIG_UNCATCHABLE;
        /* POSIX: setting a pending signal to be ignored discards it, blocked or not. */
        if (sig_handler_ignores(p->sighand, sig))
            flush_pending_locked(p, sig);
    }
    spin_unlock_irqrestore(&signal_lock, fl);
    return 0;
}

int signal_do_sigprocmask(int how, const ksigset_t *set, ksigset_t *old)
{
    struct thread *t = thread_current();
    if (old)
        *old = t->user.sigmask;
    if (!set)
        return 0;
    ksigset_t m = t->user.sigmask;
    switch (how) {
    case SIG_BLOCK:
        m |= *set;
        break;
    case SIG_UNBLOCK:
        m &= ~*set;
        break;
    case SIG_SETMASK:
        m = *set;
        break;
    default:
        return -EINVAL;
    }
    signal_set_mask(m);
    return 0;
}

ksigset_t signal_pending_set(void)
{
    struct thread *t = thread_current();
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    ksigset_t s = t->user.pending | t->user.proc->shared_pending;
    spin_unlock_irqrestore(&signal_lock, fl);
    return s;
}

int signal_dequeue_set(ksigset_t set, ksiginfo_t *info)
{
    struct thread *t = thread_current();
    struct process *p = t->user.proc;
    struct sig_record rec;
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    /* dequeue_locked takes what the mask allows: let it see exactly the set. */
    ksigset_t saved = t->user.sigmask;
    t->user.sigmask = ~set;
    int sig = dequeue_locked(t, p, &rec);
    t->user.sigmask = saved;
    spin_unlock_irqrestore(&signal_lock, fl);
    if (sig)
        signal_fill_siginfo(info, sig, &rec);
    return sig;
}

int signal_do_sigaltstack(const struct kstack *ss, struct kstack *old, uint64_t sp)
{
    struct thread_user *u = &thread_current()->user;
    if (old)
        *old = (struct kstack){.ss_sp = u->altstack_sp,
                               .ss_flags = signal_altstack_flags(sp) | (u->altstack_flags & SS_AUTODISARM),
                               .ss_size = u->altstack_size};
    if (!ss)
        return 0;
    if (signal_on_altstack(sp))
        return -EPERM;
    int mode = ss->ss_flags & ~(int)SS_AUTODISARM;
    if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
        return -EINVAL;
    if (mode == SS_DISABLE) {
        u->altstack_sp = 0;
        u->altstack_size = 0;
        u->altstack_flags = 0;
        return 0;
    }
    if (ss->ss_size < MINSIGSTKSZ)
        return -ENOMEM;
    u->altstack_sp = ss->ss_sp;
    u->altstack_size = ss->ss_size;
    u->altstack_flags = ss->ss_flags & (int)SS_AUTODISARM;
    return 0;
}
