/* KTAP tests of each policy's defining behaviour, each run under its policy (switched on for the
 * test): round robin takes turns; MLFQ keeps interactive threads on top while CPU-bound ones sink, and
 * its boost ends starvation; the fair policy splits the CPU equally at equal nice and by weight
 * otherwise, measured with the scheduler's own run-time accounting. */
#include "sched_test.h"
#include <kestrel/printk.h>
#include <kestrel/semaphore.h>
#include <uapi/errno.h>

static volatile bool stop;

static int hog(void *arg)
{
    (void)arg;
    spin_until(&stop);
    return 0;
}

/* Runs n hogs (with the given nice values) for window ticks after a warm-up and stores the run time
 * each got during the window. */
static bool measure_hogs(int n, const int *nice, uint64_t window, uint64_t *ran)
{
    struct thread *th[8];
    uint64_t start[8];
    stop = false;
    for (int i = 0; i < n; i++) {
        th[i] = thread_create("hog", hog, NULL, PRIO_DEFAULT);
        if (!th[i])
            return false;
        thread_set_nice(th[i], nice ? nice[i] : 0);
    }
    thread_sleep(30);
    for (int i = 0; i < n; i++)
        start[i] = sched_thread_stats(th[i]).run_ns;
    thread_sleep(window);
    for (int i = 0; i < n; i++)
        ran[i] = sched_thread_stats(th[i]).run_ns - start[i];
    stop = true;
    for (int i = 0; i < n; i++)
        thread_join(th[i]);
    return true;
}

static void rr_takes_turns(struct ktest *t)
{
    const char *old = policy_use("rr");
    uint64_t ran[3];
    KTEST_ASSERT(t, measure_hogs(3, NULL, 300, ran));
    uint64_t total = ran[0] + ran[1] + ran[2];
    for (int i = 0; i < 3; i++)
        KTEST_EXPECT(t, ran[i] * 5 >= total); /* a third each, give or take slices and TCG jitter */
    policy_restore(old);
}

static void cfs_equal_nice_equal_shares(struct ktest *t)
{
    const char *old = policy_use("cfs");
    enum { N = 3 };
    uint64_t ran[N], total = 0;
    /* Two seconds: long enough that TCG's jitter (a slice stretched by the host) stays inside 5%. */
    KTEST_ASSERT(t, measure_hogs(N, NULL, 2 * TICK_HZ, ran));
    for (int i = 0; i < N; i++)
        total += ran[i];
    uint64_t mean = total / N;
    console_print("    # run time of each over the window: %llu %llu %llu us (%llu us stolen since boot)\n",
                  (unsigned long long)ran[0] / 1000, (unsigned long long)ran[1] / 1000,
                  (unsigned long long)ran[2] / 1000, (unsigned long long)sched_stolen_ns() / 1000);
    for (int i = 0; i < N; i++) {
        uint64_t diff = ran[i] > mean ? ran[i] - mean : mean - ran[i];
        KTEST_EXPECT(t, diff * 20 <= mean); /* within 5% */
    }
    KTEST_EXPECT(t, total >= 15 * NSEC_PER_SEC / 10); /* main slept: the hogs had nearly all of it */
    policy_restore(old);
}

static void cfs_nice_weighted_shares(struct ktest *t)
{
    const char *old = policy_use("cfs");
    static const int nice[] = {-2, 0, 3}; /* weights 1600, 1024, 524: about 51%, 33% and 17% */
    uint64_t ran[3];
    KTEST_ASSERT(t, measure_hogs(3, nice, 2 * TICK_HZ, ran));
    console_print("    # run time by nice -2/0/3: %llu %llu %llu us\n", (unsigned long long)ran[0] / 1000,
                  (unsigned long long)ran[1] / 1000, (unsigned long long)ran[2] / 1000);
    /* Each pair's run-time ratio within 15% of its weight ratio. */
    for (int i = 0; i < 3; i++) {
        for (int j = i + 1; j < 3; j++) {
            uint64_t want = cfs_weight(nice[i]) * 1000 / cfs_weight(nice[j]);
            uint64_t got = ran[i] * 1000 / (ran[j] ? ran[j] : 1);
            KTEST_EXPECT(t, got * 100 >= want * 85 && got * 100 <= want * 115);
        }
    }
    policy_restore(old);
}

static volatile int interactive_max_level;
static volatile uint64_t interactive_rounds;

static int interactive(void *arg)
{
    (void)arg;
    for (int i = 0; i < 40; i++) {
        thread_sleep(2);
        int level = mlfq_thread_level(thread_current());
        if (level > interactive_max_level)
            interactive_max_level = level;
        for (volatile int k = 0; k < 1000; k++)
            ;
        interactive_rounds++;
    }
    return 0;
}

static void mlfq_interactive_stays_up_cpu_bound_sinks(struct ktest *t)
{
    const char *old = policy_use("mlfq");
    struct thread *hogs[2];
    stop = false;
    interactive_max_level = 0;
    interactive_rounds = 0;
    for (int i = 0; i < 2; i++)
        hogs[i] = thread_create("hog", hog, NULL, PRIO_DEFAULT);
    struct thread *it = thread_create("interactive", interactive, NULL, PRIO_DEFAULT);
    KTEST_ASSERT(t, hogs[0] && hogs[1] && it);
    int hog_max[2] = {0, 0};
    while (interactive_rounds < 40) {
        thread_sleep(3);
        for (int i = 0; i < 2; i++)
            hog_max[i] = MAX(hog_max[i], mlfq_thread_level(hogs[i]));
    }
    struct thread_stats s = sched_thread_stats(it);
    stop = true;
    thread_join(it);
    for (int i = 0; i < 2; i++)
        thread_join(hogs[i]);
    KTEST_EXPECT_EQ(t, interactive_max_level, 0);
    KTEST_EXPECT_EQ(t, hog_max[0], mlfq_levels() - 1);
    KTEST_EXPECT_EQ(t, hog_max[1], mlfq_levels() - 1);
    /* On top, it preempts the sunk hogs as soon as it wakes. */
    KTEST_EXPECT(t, s.wakeups >= 40);
    KTEST_EXPECT(t, s.wakeup_latency_ns / s.wakeups < 2 * NSEC_PER_MSEC);
    policy_restore(old);
}

/* Gamers pass a token around a ring: each does a few microseconds of work and blocks waiting for the
 * token again, so none ever uses up a quantum and they all stay on top - yet one of them always has
 * the token, so together they keep the CPU busy. */
enum { GAMERS = 3 };
static struct semaphore tokens[GAMERS];

static int gamer(void *arg)
{
    int i = (int)(intptr_t)arg;
    for (;;) {
        sema_down(&tokens[i]);
        for (volatile int k = 0; k < 200; k++)
            ;
        sema_up(&tokens[(i + 1) % GAMERS]);
        if (stop)
            return 0;
    }
}

static volatile uint64_t victim_last, victim_max_gap;

static int victim(void *arg)
{
    (void)arg;
    while (!stop) {
        uint64_t now = sched_ticks();
        if (victim_last && now - victim_last > victim_max_gap)
            victim_max_gap = now - victim_last;
        victim_last = now;
    }
    return 0;
}

/* Runs the victim (sunk to the bottom first) against the gamers for window ticks; returns the
 * victim's longest wait for the CPU during the window. */
static uint64_t victim_longest_wait(uint64_t window)
{
    struct thread *g[GAMERS];
    stop = false;
    victim_last = 0;
    struct thread *v = thread_create("victim", victim, NULL, PRIO_DEFAULT);
    thread_sleep(40); /* alone, it uses up its quanta and sinks */
    for (int i = 0; i < GAMERS; i++) {
        sema_init(&tokens[i], "token", i == 0);
        g[i] = thread_create("gamer", gamer, (void *)(intptr_t)i, PRIO_DEFAULT);
    }
    thread_sleep(10);
    victim_max_gap = 0;
    thread_sleep(window);
    uint64_t gap = MAX(victim_max_gap, sched_ticks() - victim_last); /* it may not have run at all */
    stop = true;
    for (int i = 0; i < GAMERS; i++)
        sema_up(&tokens[i]); /* whoever waits for the token sees stop */
    for (int i = 0; i < GAMERS; i++)
        thread_join(g[i]);
    thread_join(v);
    return gap;
}

static void mlfq_boost_prevents_starvation(struct ktest *t)
{
    const char *old = policy_use("mlfq");
    unsigned period = mlfq_boost_period();
    /* Without boosts, the gamers keep the sunk victim off the CPU for (nearly) the whole window... */
    mlfq_set_boost_period(1000000);
    uint64_t starved = victim_longest_wait(300);
    /* ...with them, it runs at least once per boost period. */
    mlfq_set_boost_period(period);
    uint64_t boosts = mlfq_boosts();
    uint64_t boosted = victim_longest_wait(400);
    console_print("    # victim's longest wait: %llu ticks without boosts, %llu with\n",
                  (unsigned long long)starved, (unsigned long long)boosted);
    KTEST_EXPECT(t, starved >= 250);
    KTEST_EXPECT(t, boosted <= period + 30);
    KTEST_EXPECT(t, mlfq_boosts() - boosts >= 3);
    policy_restore(old);
}

static void policy_switch_keeps_threads_running(struct ktest *t)
{
    static const char *const names[] = {"rr", "prio", "mlfq", "cfs"};
    const char *old = sched_policy()->name;
    KTEST_EXPECT_EQ(t, sched_set_policy("nonesuch"), -EINVAL);
    uint64_t ran[2];
    struct thread *th[2];
    stop = false;
    for (int i = 0; i < 2; i++)
        th[i] = thread_create("hog", hog, NULL, PRIO_DEFAULT);
    for (int round = 0; round < 2; round++) {
        for (size_t p = 0; p < ARRAY_SIZE(names); p++) {
            KTEST_EXPECT_EQ(t, sched_set_policy(names[p]), 0);
            KTEST_EXPECT(t, strcmp(sched_policy()->name, names[p]) == 0);
            for (int i = 0; i < 2; i++)
                ran[i] = sched_thread_stats(th[i]).run_ns;
            thread_sleep(15);
            for (int i = 0; i < 2; i++)
                KTEST_EXPECT(t, sched_thread_stats(th[i]).run_ns > ran[i]);
        }
    }
    stop = true;
    for (int i = 0; i < 2; i++)
        thread_join(th[i]);
    policy_restore(old);
    KTEST_EXPECT(t, strcmp(sched_policy()->name, old) == 0);
}

KTEST_SUITE(sched_policy, KTEST_CASE(rr_takes_turns), KTEST_CASE(cfs_equal_nice_equal_shares),
            KTEST_CASE(cfs_nice_weighted_shares), KTEST_CASE(mlfq_interactive_stays_up_cpu_bound_sinks),
            KTEST_CASE(mlfq_boost_prevents_starvation), KTEST_CASE(policy_switch_keeps_threads_running));
