/* futex(2): decoding the operation, the timeout and the addresses; the work is in kernel/proc/futex.c.
 * Supported: FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAIT_BITSET,
 * FUTEX_WAKE_BITSET, with FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME; the rest give ENOSYS. */
#include <kestrel/clock.h>
#include <kestrel/futex.h>
#include <kestrel/process.h>
#include <kestrel/signal.h>
#include <kestrel/syscall.h>
#include <kestrel/time.h>
#include <kestrel/uaccess.h>
#include <kestrel/vm.h>

#define FUTEX_WAIT           0
#define FUTEX_WAKE           1
#define FUTEX_REQUEUE        3
#define FUTEX_CMP_REQUEUE    4
#define FUTEX_WAIT_BITSET    9
#define FUTEX_WAKE_BITSET    10
#define FUTEX_PRIVATE_FLAG   128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK       (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))

#define NSEC_PER_TICK (NSEC_PER_SEC / TICK_HZ)

struct futex_timespec {
    int64_t tv_sec, tv_nsec;
};

/* The timeout in scheduler ticks: relative for FUTEX_WAIT, an absolute time on the chosen clock for
 * FUTEX_WAIT_BITSET. Rounded up, plus one tick because the first tick of a sleep may come at once:
 * a futex never times out early. WAIT_FOREVER without one. */
static long timeout_ticks(const struct futex_timespec *uts, int cmd, bool realtime, long *ticks)
{
    *ticks = WAIT_FOREVER;
    if (!uts)
        return 0;
    struct futex_timespec ts;
    if (copy_from_user(&ts, uts, sizeof(ts)) < 0)
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    if ((uint64_t)ts.tv_sec > UINT64_MAX / NSEC_PER_SEC / 2)
        return 0; /* centuries away: no timeout */
    uint64_t ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    if (cmd == FUTEX_WAIT_BITSET) {
        uint64_t now = realtime ? clock_realtime_ns() : time_ns();
        ns = ns > now ? ns - now : 0;
        if (!ns) {
            *ticks = 0;
            return 0;
        }
    }
    *ticks = (long)((ns + NSEC_PER_TICK - 1) / NSEC_PER_TICK) + 1;
    return 0;
}

static long do_wait(uint64_t uaddr, bool shared, uint32_t val, uint32_t bitset, long ticks)
{
    int err = futex_wait(current_process()->mm, uaddr, shared, val, bitset, ticks);
    /* Interrupted by a signal: without a timeout the wait restarts under SA_RESTART, as on Linux; with
     * one, a handler always makes it EINTR (Linux restarts it only when no handler runs). */
    if (err == -ERESTARTSYS && ticks != WAIT_FOREVER)
        return -ERESTARTNOHAND;
    return err;
}

static bool op_supported(int cmd)
{
    return cmd == FUTEX_WAIT || cmd == FUTEX_WAKE || cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE ||
           cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET;
}

/* Linux's key checks: a futex is an aligned word of the user half. */
static long check_word(uint64_t addr)
{
    if (addr % sizeof(uint32_t))
        return -EINVAL;
    return addr >= USER_SPACE_END ? -EFAULT : 0;
}

/* The requeues: the timeout argument carries the number of waiters to move. */
static long do_requeue(uint64_t addr, uint64_t addr2, bool shared, int nr_wake, uint64_t utime, bool cmp,
                       uint32_t cmpval)
{
    int nr_requeue = (int)utime;
    if (nr_wake < 0 || nr_requeue < 0)
        return -EINVAL;
    long err = check_word(addr2);
    if (err)
        return err;
    return futex_requeue(current_process()->mm, addr, addr2, shared, nr_wake, nr_requeue, cmp, cmpval);
}

SYSCALL_DEFINE6(futex, uint32_t *, uaddr, int, op, uint32_t, val, const struct futex_timespec *, utime,
                uint32_t *, uaddr2, uint32_t, val3)
{
    int cmd = op & FUTEX_CMD_MASK;
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    long ticks = WAIT_FOREVER;
    /* Linux's order: the timeout is read and checked first, then the operation. */
    if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) {
        long err = timeout_ticks(utime, cmd, realtime, &ticks);
        if (err)
            return err;
    }
    if (!op_supported(cmd) || (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET))
        return -ENOSYS;
    if ((cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET) && val3 == 0)
        return -EINVAL;
    uint64_t addr = (uint64_t)uaddr;
    long err = check_word(addr);
    if (err)
        return err;
    bool shared = !(op & FUTEX_PRIVATE_FLAG);
    switch (cmd) {
    case FUTEX_WAIT:
        return do_wait(addr, shared, val, FUTEX_BITSET_ANY, ticks);
    case FUTEX_WAIT_BITSET:
        return do_wait(addr, shared, val, val3, ticks);
    case FUTEX_WAKE:
        return futex_wake(current_process()->mm, addr, shared, (int)val, FUTEX_BITSET_ANY);
    case FUTEX_WAKE_BITSET:
        return futex_wake(current_process()->mm, addr, shared, (int)val, val3);
    default:
        return do_requeue(addr, (uint64_t)uaddr2, shared, (int)val, (uint64_t)utime, cmd == FUTEX_CMP_REQUEUE,
                          val3);
    }
}
