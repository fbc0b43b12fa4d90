/* KTAP tests of sleeping under the boot policy: tick accuracy, wake-up order of many sleepers (as
 * Pintos's alarm tests check it), simultaneous wake-ups, and timeouts on wait queues and semaphores. */
#include "sched_test.h"
#include <kestrel/semaphore.h>
#include <uapi/errno.h>

static void sleep_tick_accuracy(struct ktest *t)
{
    static const uint64_t lengths[] = {1, 2, 5, 13, 30};
    for (size_t i = 0; i < ARRAY_SIZE(lengths); i++) {
        uint64_t n = lengths[i];
        thread_sleep(1); /* start right after a tick, so the first tick of the sleep is a whole one */
        uint64_t t0 = sched_ticks(), ns0 = time_ns();
        thread_sleep(n);
        uint64_t dt = sched_ticks() - t0, dns = time_ns() - ns0;
        /* Wakes on the n-th tick (the one that makes dt == n); a busy CPU could add a little. */
        KTEST_EXPECT(t, dt >= n);
        KTEST_EXPECT(t, dt <= n + 2);
        KTEST_EXPECT(t, dns + NSEC_PER_MSEC >= n * (NSEC_PER_SEC / TICK_HZ));
    }
}

static void sleep_zero_returns_at_once(struct ktest *t)
{
    uint64_t t0 = sched_ticks();
    for (int i = 0; i < 100; i++)
        thread_sleep(0);
    KTEST_EXPECT(t, sched_ticks() - t0 <= 5);
}

/* Pintos's alarm-multiple, in spirit: sleeper i sleeps 10*(i+1) ticks per round; the product of
 * round and length must never decrease in wake-up order. */
enum { SLEEPERS = 5, ROUNDS = 4 };
static struct {
    uint64_t start;
    int n;
    int product[SLEEPERS * ROUNDS];
    int sleeper[SLEEPERS * ROUNDS];
} alarm_log;

static int alarm_sleeper(void *arg)
{
    int i = (int)(intptr_t)arg, len = 10 * (i + 1);
    for (int r = 1; r <= ROUNDS; r++) {
        /* Sleep to an absolute tick, so the schedule does not drift with wake-up latency. */
        uint64_t target = alarm_log.start + (uint64_t)(r * len);
        uint64_t now = sched_ticks();
        thread_sleep(target > now ? target - now : 0);
        uint64_t f = irq_save();
        alarm_log.product[alarm_log.n] = r * len;
        alarm_log.sleeper[alarm_log.n++] = i;
        irq_restore(f);
    }
    return 0;
}

static void sleep_wake_order(struct ktest *t)
{
    struct thread *th[SLEEPERS];
    alarm_log.n = 0;
    alarm_log.start = sched_ticks() + 5;
    for (int i = 0; i < SLEEPERS; i++) {
        th[i] = thread_create("alarm", alarm_sleeper, (void *)(intptr_t)i, PRIO_DEFAULT);
        KTEST_ASSERT(t, th[i] != NULL);
    }
    for (int i = 0; i < SLEEPERS; i++)
        thread_join(th[i]);
    KTEST_ASSERT_EQ(t, alarm_log.n, SLEEPERS * ROUNDS);
    for (int k = 1; k < alarm_log.n; k++)
        if (!KTEST_EXPECT(t, alarm_log.product[k] >= alarm_log.product[k - 1]))
            break;
}

static volatile uint64_t woke_at[8];

static int same_tick_sleeper(void *arg)
{
    int i = (int)(intptr_t)arg;
    uint64_t target = alarm_log.start, now = sched_ticks();
    thread_sleep(target > now ? target - now : 0);
    woke_at[i] = sched_ticks();
    return 0;
}

static void sleep_same_deadline_wake_together(struct ktest *t)
{
    struct thread *th[8];
    alarm_log.start = sched_ticks() + 10;
    for (int i = 0; i < 8; i++) {
        th[i] = thread_create("sametick", same_tick_sleeper, (void *)(intptr_t)i, PRIO_DEFAULT);
        KTEST_ASSERT(t, th[i] != NULL);
    }
    for (int i = 0; i < 8; i++)
        thread_join(th[i]);
    for (int i = 0; i < 8; i++) {
        KTEST_EXPECT(t, woke_at[i] >= alarm_log.start);
        KTEST_EXPECT(t, woke_at[i] <= alarm_log.start + 2);
    }
}

static struct waitqueue test_wq = WAITQUEUE_INIT(test_wq, "test");
static volatile bool test_flag;

static void wait_event_times_out(struct ktest *t)
{
    test_flag = false;
    uint64_t t0 = sched_ticks();
    int r = wait_event_timeout(&test_wq, test_flag, 15);
    uint64_t dt = sched_ticks() - t0;
    KTEST_EXPECT_EQ(t, r, -ETIMEDOUT);
    KTEST_EXPECT(t, dt >= 15 && dt <= 17);
}

static int set_flag_later(void *arg)
{
    thread_sleep((uint64_t)(uintptr_t)arg);
    test_flag = true;
    wq_wake_all(&test_wq);
    return 0;
}

static void wait_event_woken_before_timeout(struct ktest *t)
{
    test_flag = false;
    struct thread *th = thread_create("setter", set_flag_later, (void *)5, PRIO_DEFAULT);
    KTEST_ASSERT(t, th != NULL);
    uint64_t t0 = sched_ticks();
    int r = wait_event_timeout(&test_wq, test_flag, 200);
    uint64_t dt = sched_ticks() - t0;
    thread_join(th);
    KTEST_EXPECT_EQ(t, r, 0);
    KTEST_EXPECT(t, dt >= 4 && dt < 50);
}

static struct semaphore timed_sema = SEMAPHORE_INIT(timed_sema, "timed", 0);

static int up_later(void *arg)
{
    thread_sleep((uint64_t)(uintptr_t)arg);
    sema_up(&timed_sema);
    return 0;
}

static void sema_down_timeout_both_ways(struct ktest *t)
{
    uint64_t t0 = sched_ticks();
    KTEST_EXPECT_EQ(t, sema_down_timeout(&timed_sema, 10), -ETIMEDOUT);
    KTEST_EXPECT(t, sched_ticks() - t0 >= 10);
    KTEST_EXPECT_EQ(t, sema_down_timeout(&timed_sema, 0), -ETIMEDOUT);
    struct thread *th = thread_create("upper", up_later, (void *)3, PRIO_DEFAULT);
    KTEST_ASSERT(t, th != NULL);
    KTEST_EXPECT_EQ(t, sema_down_timeout(&timed_sema, 500), 0);
    thread_join(th);
    /* The unit went to the waiter, not into the count. */
    KTEST_EXPECT(t, !sema_trydown(&timed_sema));
}

KTEST_SUITE(sched_sleep, KTEST_CASE(sleep_tick_accuracy), KTEST_CASE(sleep_zero_returns_at_once),
            KTEST_CASE(sleep_wake_order), KTEST_CASE(sleep_same_deadline_wake_together),
            KTEST_CASE(wait_event_times_out), KTEST_CASE(wait_event_woken_before_timeout),
            KTEST_CASE(sema_down_timeout_both_ways));
