/* The signal system calls: copying arguments in and out and checking them; the work is in
 * kernel/proc/signal*.c. */
#include <arch/syscall.h>
#include <kestrel/process.h>
#include <kestrel/signal.h>
#include <kestrel/syscall.h>
#include <kestrel/thread.h>
#include <kestrel/time.h>
#include <kestrel/uaccess.h>

#define NSEC_PER_USEC 1000ull
#define NSEC_PER_TICK (NSEC_PER_SEC / TICK_HZ)

static struct trap_frame *my_frame(void)
{
    return user_frame_at(thread_current()->stack_top);
}

SYSCALL_DEFINE4(rt_sigaction, int, sig, const struct k_sigaction *, uact, struct k_sigaction *, uoact, size_t,
                sigsetsize)
{
    if (sigsetsize != sizeof(ksigset_t))
        return -EINVAL;
    struct k_sigaction act, old;
    if (uact && copy_from_user(&act, uact, sizeof(act)) < 0)
        return -EFAULT;
    int rc = signal_do_sigaction(sig, uact ? &act : NULL, uoact ? &old : NULL);
    if (rc < 0)
        return rc;
    if (uoact && copy_to_user(uoact, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE4(rt_sigprocmask, int, how, const ksigset_t *, uset, ksigset_t *, uoset, size_t, sigsetsize)
{
    if (sigsetsize != sizeof(ksigset_t))
        return -EINVAL;
    ksigset_t set, old;
    if (uset && copy_from_user(&set, uset, sizeof(set)) < 0)
        return -EFAULT;
    int rc = signal_do_sigprocmask(how, uset ? &set : NULL, &old);
    if (rc < 0)
        return rc;
    if (uoset && copy_to_user(uoset, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE2(rt_sigpending, ksigset_t *, uset, size_t, sigsetsize)
{
    /* Linux accepts a shorter set here (and copies that much), unlike the other calls. */
    if (sigsetsize > sizeof(ksigset_t))
        return -EINVAL;
    ksigset_t s = signal_pending_set() & thread_current()->user.sigmask;
    return copy_to_user(uset, &s, sigsetsize) < 0 ? -EFAULT : 0;
}

SYSCALL_DEFINE0(rt_sigreturn)
{
    struct trap_frame *f = my_frame();
    long rax = signal_frame_restore(f);
    if (rax == -EFAULT && f->error != SYSCALL_NR_NONE) {
        /* The frame was unreadable: nothing sane to return to (Linux does the same). */
        signal_force_fault(SIGSEGV, SI_KERNEL, 0);
        return 0;
    }
    return rax;
}

SYSCALL_DEFINE2(rt_sigsuspend, const ksigset_t *, umask, size_t, sigsetsize)
{
    if (sigsetsize != sizeof(ksigset_t))
        return -EINVAL;
    ksigset_t mask;
    if (copy_from_user(&mask, umask, sizeof(mask)) < 0)
        return -EFAULT;
    struct thread_user *u = &thread_current()->user;
    /* The old mask comes back on the way out to user mode (in the handler's frame, if one runs). */
    u->saved_sigmask = u->sigmask;
    u->restore_sigmask = true;
    signal_set_mask(mask);
    return signal_wait_for_any();
}

SYSCALL_DEFINE0(pause)
{
    return signal_wait_for_any();
}

/* A relative timespec in scheduler ticks, rounded up; -EINVAL when malformed. */
static long timespec_ticks(const struct sig_timespec *ts)
{
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    if ((uint64_t)ts->tv_sec > (uint64_t)INT64_MAX / TICK_HZ / 2)
        return WAIT_FOREVER;
    return (long)((uint64_t)ts->tv_sec * TICK_HZ +
                  ((uint64_t)ts->tv_nsec + NSEC_PER_TICK - 1) / NSEC_PER_TICK);
}

static struct waitqueue sigwait_wq = WAITQUEUE_INIT(sigwait_wq, "sigtimedwait");

SYSCALL_DEFINE4(rt_sigtimedwait, const ksigset_t *, uset, ksiginfo_t *, uinfo, const struct sig_timespec *,
                uts, size_t, sigsetsize)
{
    if (sigsetsize != sizeof(ksigset_t))
        return -EINVAL;
    ksigset_t set;
    struct sig_timespec ts;
    long ticks = WAIT_FOREVER;
    if (copy_from_user(&set, uset, sizeof(set)) < 0 || (uts && copy_from_user(&ts, uts, sizeof(ts)) < 0))
        return -EFAULT;
    if (uts && (ticks = timespec_ticks(&ts)) == -EINVAL)
        return -EINVAL;
    set &= ~SIG_UNCATCHABLE;
    ksiginfo_t info;
    int sig = signal_dequeue_set(set, &info);
    if (!sig && ticks != 0) {
        /* Unblock the set for the sleep so that one of them arriving wakes us. */
        struct thread_user *u = &thread_current()->user;
        ksigset_t saved = u->sigmask;
        signal_set_mask(saved & ~set);
        int rc = wait_event_interruptible_timeout(&sigwait_wq, false, ticks);
        signal_set_mask(saved);
        sig = signal_dequeue_set(set, &info);
        if (!sig)
            return rc == -ETIMEDOUT ? -EAGAIN : -EINTR;
    }
    if (!sig)
        return -EAGAIN;
    if (uinfo && copy_to_user(uinfo, &info, sizeof(info)) < 0)
        return -EFAULT;
    return sig;
}

SYSCALL_DEFINE2(sigaltstack, const struct kstack *, uss, struct kstack *, uoss)
{
    struct kstack ss, old;
    if (uss && copy_from_user(&ss, uss, sizeof(ss)) < 0)
        return -EFAULT;
    int rc = signal_do_sigaltstack(uss ? &ss : NULL, &old, my_frame()->rsp);
    if (rc < 0)
        return rc;
    if (uoss && copy_to_user(uoss, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE2(kill, int, pid, int, sig)
{
    return signal_kill(pid, sig);
}

SYSCALL_DEFINE2(tkill, int, tid, int, sig)
{
    return signal_tkill(-1, tid, sig);
}

SYSCALL_DEFINE3(tgkill, int, tgid, int, tid, int, sig)
{
    if (tgid <= 0)
        return -EINVAL;
    return signal_tkill(tgid, tid, sig);
}

static uint64_t timeval_ns(const struct sig_timeval *tv)
{
    return (uint64_t)tv->tv_sec * NSEC_PER_SEC + (uint64_t)tv->tv_usec * NSEC_PER_USEC;
}

static struct sig_timeval ns_timeval(uint64_t ns)
{
    /* A timer that is armed never reads as zero: round the microseconds up. */
    uint64_t us = (ns + NSEC_PER_USEC - 1) / NSEC_PER_USEC;
    return (struct sig_timeval){(int64_t)(us / 1000000), (int64_t)(us % 1000000)};
}

static bool timeval_ok(const struct sig_timeval *tv)
{
    return tv->tv_sec >= 0 && tv->tv_sec <= (int64_t)(UINT64_MAX / NSEC_PER_SEC / 4) && tv->tv_usec >= 0 &&
           tv->tv_usec < 1000000;
}

SYSCALL_DEFINE2(getitimer, int, which, struct sig_itimerval *, ucur)
{
    if (which != ITIMER_REAL)
        return -EINVAL; /* ITIMER_VIRTUAL and ITIMER_PROF are not implemented */
    uint64_t v, i;
    signal_itimer_get(current_process(), &v, &i);
    struct sig_itimerval cur = {ns_timeval(i), ns_timeval(v)};
    return copy_to_user(ucur, &cur, sizeof(cur)) < 0 ? -EFAULT : 0;
}

SYSCALL_DEFINE3(setitimer, int, which, const struct sig_itimerval *, unew, struct sig_itimerval *, uold)
{
    if (which != ITIMER_REAL)
        return -EINVAL; /* ITIMER_VIRTUAL and ITIMER_PROF are not implemented */
    struct sig_itimerval nv = {0};
    if (unew && copy_from_user(&nv, unew, sizeof(nv)) < 0)
        return -EFAULT;
    if (!timeval_ok(&nv.it_value) || !timeval_ok(&nv.it_interval))
        return -EINVAL;
    uint64_t ov, oi;
    int rc =
        signal_itimer_set(current_process(), timeval_ns(&nv.it_value), timeval_ns(&nv.it_interval), &ov, &oi);
    if (rc < 0)
        return rc;
    struct sig_itimerval old = {ns_timeval(oi), ns_timeval(ov)};
    if (uold && copy_to_user(uold, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE1(alarm, unsigned int, seconds)
{
    uint64_t ov, oi;
    signal_itimer_set(current_process(), (uint64_t)seconds * NSEC_PER_SEC, 0, &ov, &oi);
    /* Linux rounds the old remainder to the nearest second, and a pending alarm never reads 0. */
    uint64_t secs = (ov + NSEC_PER_SEC / 2) / NSEC_PER_SEC;
    if (ov && !secs)
        secs = 1;
    return (long)secs;
}
