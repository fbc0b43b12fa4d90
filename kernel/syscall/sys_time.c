/* Time system calls: clock_gettime, clock_getres, gettimeofday, time, nanosleep, clock_nanosleep, times
 * and getrusage. Monotonic clocks come from the TSC (time_ns), real time from the RTC's boot time plus
 * that; sleeps are rounded up to the 1 kHz tick. */
#include "../proc/internal.h"
#include <kestrel/clock.h>
#include <kestrel/sched.h>
#include <kestrel/signal.h>
#include <kestrel/string.h>
#include <kestrel/syscall.h>
#include <kestrel/uaccess.h>

#define CLOCK_REALTIME           0
#define CLOCK_MONOTONIC          1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID  3
#define CLOCK_MONOTONIC_RAW      4
#define CLOCK_REALTIME_COARSE    5
#define CLOCK_MONOTONIC_COARSE   6
#define CLOCK_BOOTTIME           7
#define TIMER_ABSTIME            1
#define USER_HZ                  100 /* the unit of times(2) and clock_t */

struct timespec_k {
    int64_t sec, nsec;
};

struct timeval_k {
    int64_t sec, usec;
};

static struct timespec_k ns_to_timespec(uint64_t ns)
{
    return (struct timespec_k){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC)};
}

/* CPU time of the calling thread (its process's: process_cpu_ns). */
static uint64_t thread_cpu_ns(void)
{
    return sched_thread_stats(thread_current()).run_ns;
}

/* The clock's value in ns; -EINVAL for a clock Kestrel does not have. */
static int clock_read(int clk, uint64_t *ns)
{
    switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        *ns = clock_realtime_ns();
        return 0;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME: /* the machine never suspends */
        *ns = time_ns();
        return 0;
    case CLOCK_PROCESS_CPUTIME_ID:
        *ns = process_cpu_ns(current_process());
        return 0;
    case CLOCK_THREAD_CPUTIME_ID:
        *ns = thread_cpu_ns();
        return 0;
    default:
        return -EINVAL;
    }
}

SYSCALL_DEFINE2(clock_gettime, int, clk, struct timespec_k *, uts)
{
    uint64_t ns;
    int err = clock_read(clk, &ns);
    if (err)
        return err;
    struct timespec_k ts = ns_to_timespec(ns);
    return copy_to_user(uts, &ts, sizeof(ts));
}

SYSCALL_DEFINE2(clock_getres, int, clk, struct timespec_k *, uts)
{
    uint64_t ns;
    int err = clock_read(clk, &ns);
    if (err)
        return err;
    bool coarse = clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE;
    struct timespec_k res = {0, coarse ? (int64_t)(NSEC_PER_SEC / TICK_HZ) : 1};
    return uts ? copy_to_user(uts, &res, sizeof(res)) : 0;
}

SYSCALL_DEFINE2(gettimeofday, struct timeval_k *, utv, void *, utz)
{
    uint64_t ns = clock_realtime_ns();
    struct timeval_k tv = {(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC / 1000)};
    if (utv && copy_to_user(utv, &tv, sizeof(tv)))
        return -EFAULT;
    int32_t tz[2] = {0, 0}; /* minutes west of Greenwich, DST type: UTC */
    if (utz && copy_to_user(utz, tz, sizeof(tz)))
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE1(time, int64_t *, tloc)
{
    int64_t now = (int64_t)(clock_realtime_ns() / NSEC_PER_SEC);
    if (tloc && copy_to_user(tloc, &now, sizeof(now)))
        return -EFAULT;
    return now;
}

static int get_timespec(const struct timespec_k *uts, struct timespec_k *ts)
{
    if (copy_from_user(ts, uts, sizeof(*ts)))
        return -EFAULT;
    if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    return 0;
}

static uint64_t timespec_ns(const struct timespec_k *ts)
{
    /* Saturate: a sleep of centuries is as good as forever. */
    if ((uint64_t)ts->sec >= UINT64_MAX / NSEC_PER_SEC - 1)
        return UINT64_MAX / 2;
    return (uint64_t)ts->sec * NSEC_PER_SEC + (uint64_t)ts->nsec;
}

/* Sleeps until time_ns() reaches deadline, in whole ticks (at least one: the tick is the timer's
 * resolution, and rounding down would wake early). A signal to handle (SIGKILL included) ends the
 * sleep early: -ERESTARTNOHAND, with what was left in *left, so a handler sees EINTR and a stop and
 * continue restarts the call. (A restarted relative sleep starts its full length again: Linux's
 * restart_block would carry the remainder; Kestrel has none yet.) */
static long sleep_until(uint64_t deadline, uint64_t *left)
{
    struct waitqueue wq; /* nobody wakes it: the timeout or a signal ends each wait */
    waitqueue_init(&wq, "nanosleep");
    for (;;) {
        uint64_t now = time_ns();
        if (now >= deadline)
            return 0;
        uint64_t tick_ns = NSEC_PER_SEC / TICK_HZ;
        long ticks = (long)((deadline - now + tick_ns - 1) / tick_ns);
        if (wait_event_interruptible_timeout(&wq, false, ticks) == -ERESTARTSYS) {
            now = time_ns();
            *left = deadline > now ? deadline - now : 0;
            return -ERESTARTNOHAND;
        }
    }
}

/* Reports the unslept time of an interrupted relative sleep, as nanosleep(2) does. */
static long finish_sleep(long rc, uint64_t left, struct timespec_k *urem)
{
    if (rc == -ERESTARTNOHAND && urem) {
        struct timespec_k rem = {(int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC)};
        if (copy_to_user(urem, &rem, sizeof(rem)))
            return -EFAULT;
    }
    return rc;
}

SYSCALL_DEFINE2(nanosleep, const struct timespec_k *, ureq, struct timespec_k *, urem)
{
    struct timespec_k req;
    int err = get_timespec(ureq, &req);
    if (err)
        return err;
    uint64_t left = 0;
    long rc = sleep_until(time_ns() + timespec_ns(&req), &left); /* before left is read */
    return finish_sleep(rc, left, urem);
}

SYSCALL_DEFINE4(clock_nanosleep, int, clk, int, flags, const struct timespec_k *, ureq, struct timespec_k *,
                urem)
{
    if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME)
        return clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID ? -ENOTSUP : -EINVAL;
    struct timespec_k req;
    int err = get_timespec(ureq, &req);
    if (err)
        return err;
    uint64_t ns = timespec_ns(&req), left = 0;
    if (flags & TIMER_ABSTIME) {
        uint64_t now = clk == CLOCK_REALTIME ? clock_realtime_ns() : time_ns();
        ns = ns > now ? ns - now : 0;
        /* An absolute sleep restarts exactly and reports no remainder. */
        return sleep_until(time_ns() + ns, &left);
    }
    long rc = sleep_until(time_ns() + ns, &left); /* before left is read */
    return finish_sleep(rc, left, urem);
}

struct tms_k {
    int64_t utime, stime, cutime, cstime;
};

static int64_t ns_to_clock_t(uint64_t ns)
{
    return (int64_t)(ns / (NSEC_PER_SEC / USER_HZ));
}

SYSCALL_DEFINE1(times, struct tms_k *, ubuf)
{
    struct process *p = current_process();
    /* Kestrel does not split user and system time: all of it counts as user time. */
    struct tms_k t = {ns_to_clock_t(process_cpu_ns(current_process())), 0,
                      ns_to_clock_t(p->cutime_ns + p->cstime_ns), 0};
    if (ubuf && copy_to_user(ubuf, &t, sizeof(t)))
        return -EFAULT;
    return ns_to_clock_t(time_ns());
}

#define RUSAGE_SELF     0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD   1

SYSCALL_DEFINE2(getrusage, int, who, void *, uru)
{
    struct process *p = current_process();
    switch (who) {
    case RUSAGE_SELF:
        return proc_put_rusage(uru, process_cpu_ns(current_process()), 0);
    case RUSAGE_CHILDREN:
        return proc_put_rusage(uru, p->cutime_ns, p->cstime_ns);
    case RUSAGE_THREAD:
        return proc_put_rusage(uru, thread_cpu_ns(), 0);
    default:
        return -EINVAL;
    }
}
