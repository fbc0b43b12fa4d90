/* Threads of a process (a thread group, as Linux calls it): clone's thread form, the end of one
 * thread (exit) or of all of them (exit_group, a fatal signal), and the ending of the other threads
 * that execve requires. docs/processes.md, "Threads", explains the rules. */
#include "internal.h"
#include <kestrel/futex.h>
#include <kestrel/panic.h>
#include <kestrel/sched.h>
#include <kestrel/uaccess.h>

long thread_clone(uint64_t flags, uint64_t newsp, uint64_t parent_tid, uint64_t child_tid, uint64_t tls)
{
    struct thread *t = thread_current();
    struct process *p = t->user.proc;
    int tid = process_tid_alloc();
    if (tid < 0)
        return tid;
    if ((flags & CLONE_PARENT_SETTID) && copy_to_user((void *)parent_tid, &tid, sizeof(tid))) {
        process_tid_free(tid);
        return -EFAULT;
    }
    struct trap_frame frame = *t->user.frame;
    frame.rax = 0; /* the new thread's return value */
    if (newsp)
        frame.rsp = newsp;
    /* The live registers are the caller's FPU state (see process_clone). */
    struct fpu_state fpu;
    fpu_save(&fpu);
    struct user_thread_init init = {
        .frame = &frame,
        .fpu = &fpu,
        .fs_base = flags & CLONE_SETTLS ? tls : t->user.fs_base,
        .gs_base = t->user.gs_base,
        .set_child_tid = flags & CLONE_CHILD_SETTID ? child_tid : 0,
        .clear_child_tid = flags & CLONE_CHILD_CLEARTID ? child_tid : 0,
        .tid = tid,
        .clear_altstack = true, /* two threads on one signal stack would overwrite each other's frames */
    };
    int err = user_thread_start(p, &init);
    if (err) {
        process_tid_free(tid);
        return err;
    }
    return tid;
}

bool process_thread_doomed(const struct process *p, const struct thread *t)
{
    if (!p)
        return false;
    const struct thread *survivor = __atomic_load_n(&p->exec_thread, __ATOMIC_RELAXED);
    return __atomic_load_n(&p->group_exit, __ATOMIC_RELAXED) || (survivor && survivor != t);
}

uint64_t process_cpu_ns(struct process *p)
{
    uint64_t flags = spin_lock_irqsave(&p->lock);
    uint64_t ns = p->utime_ns + p->stime_ns;
    qlist_for_each(l, &p->threads)
    {
        struct thread *t = qlist_entry(l, struct thread, user.group_link);
        ns += sched_thread_stats(t).run_ns;
    }
    spin_unlock_irqrestore(&p->lock, flags);
    return ns;
}

/* Ends the interruptible sleeps of p's threads other than the caller, so they see that they are
 * doomed; the others find out at their next return towards user mode. p->lock held. */
static void kick_other_threads_locked(struct process *p)
{
    struct thread *self = thread_current();
    uint64_t sfl = sched_lock_irqsave();
    qlist_for_each(l, &p->threads)
    {
        struct thread *t = qlist_entry(l, struct thread, user.group_link);
        if (t != self)
            sched_interrupt_locked(t);
    }
    sched_unlock_irqrestore(sfl);
}

void process_thread_release_futexes(struct thread *t, struct process *p)
{
    uint64_t robust = t->user.robust_list, addr = t->user.clear_child_tid;
    t->user.robust_list = t->user.robust_len = 0;
    t->user.clear_child_tid = 0;
    if (!p->mm)
        return;
    /* First the robust mutexes it holds (their next owner gets EOWNERDEAD), as Linux orders it. */
    if (robust)
        futex_exit_robust_list(p->mm, robust, t->user.tid);
    int zero = 0;
    if (addr && copy_to_user((void *)addr, &zero, sizeof(zero)) == 0)
        futex_wake(p->mm, addr, true, 1, FUTEX_BITSET_ANY); /* a shared wake, as Linux's */
}

/* Takes t out of p; true when it was the last thread. A thread that is not the last stops being p's
 * in the same interrupts-off region as the count drops: from then on p may be ended and freed by
 * its last thread, and a switch back to t must not load it. */
static bool leave_group(struct process *p, struct thread *t, int status)
{
    uint64_t flags = spin_lock_irqsave(&p->lock);
    qlist_remove(&t->user.group_link);
    p->utime_ns += sched_thread_stats(t).run_ns;
    bool last = --p->nthreads == 0;
    if (last && !p->group_exit)
        p->exit_status = status; /* exit(2) of the last thread: its code is the process's */
    if (!last)
        t->user.proc = NULL;
    /* Woken under the lock: once it sees the count at 1 the execve may go on, end the process and
     * free p, which must not happen before this wake-up touched p->thread_wait. */
    if (p->nthreads == 1 && p->exec_thread)
        wq_wake_all(&p->thread_wait);
    spin_unlock_irqrestore(&p->lock, flags);
    return last;
}

__noreturn void process_thread_exit(int status)
{
    struct thread *t = thread_current();
    struct process *p = t->user.proc;
    if (!p)
        panic("process_thread_exit from kernel thread %s", t->name);
    thread_exit_begin(); /* its process may be reaped before its stack is free: sysinfo waits */
    process_thread_release_futexes(t, p);
    int tid = t->user.tid, pid = p->pid;
    if (leave_group(p, t, status))
        process_end(p, t);
    /* The first thread's tid is the pid, which stays the process's until it is reaped. */
    if (tid != pid)
        process_tid_free(tid);
    thread_exit(0);
}

__noreturn void process_exit(int status)
{
    struct thread *t = thread_current();
    struct process *p = t->user.proc;
    if (!p)
        panic("process_exit from kernel thread %s", t->name);
    uint64_t flags = spin_lock_irqsave(&p->lock);
    /* The first exit_group or fatal signal decides the status; later ones only end their thread. */
    if (!p->group_exit) {
        p->group_exit = true;
        p->exit_status = status;
    }
    kick_other_threads_locked(p);
    spin_unlock_irqrestore(&p->lock, flags);
    process_thread_exit(status);
}

int process_exec_kill_threads(void)
{
    struct thread *t = thread_current();
    struct process *p = t->user.proc;
    uint64_t flags = spin_lock_irqsave(&p->lock);
    if (p->group_exit || p->exec_thread) {
        spin_unlock_irqrestore(&p->lock, flags);
        return -EINTR; /* this thread is doomed too: it ends on its way out */
    }
    p->exec_thread = t;
    kick_other_threads_locked(p);
    spin_unlock_irqrestore(&p->lock, flags);

    /* Uninterruptible: every other thread is doomed and on its way out, so this ends. */
    wait_event(&p->thread_wait, p->nthreads == 1);

    flags = spin_lock_irqsave(&p->lock);
    p->exec_thread = NULL;
    bool doomed = p->group_exit; /* a fatal signal or exit_group came meanwhile */
    spin_unlock_irqrestore(&p->lock, flags);
    if (doomed)
        return -EINTR;
    /* As on Linux, the thread that execs takes over the process's id as its thread id. */
    int old = t->user.tid;
    if (old != p->pid) {
        t->user.tid = p->pid;
        process_tid_free(old);
    }
    return 0;
}
