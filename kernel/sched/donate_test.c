/* KTAP tests of strict priority scheduling and priority donation (single, multiple, nested, chained,
 * through a semaphore, and with the base lowered meanwhile), in the spirit of Pintos's priority tests.
 * Each runs under the "prio" policy, switched on for the test and back off afterwards. Thread
 * creation is the synchronization: a thread more important than main runs at once, until it blocks. */
#include "sched_test.h"
#include <kestrel/condvar.h>
#include <kestrel/mutex.h>
#include <kestrel/semaphore.h>

static struct order_log olog;

struct lock_job {
    struct mutex *first, *second; /* second may be NULL */
    int id;
};

/* Takes first (and second), logs id, releases in reverse order, logs id + 100. */
static int lock_job_main(void *arg)
{
    struct lock_job *j = arg;
    mutex_lock(j->first);
    if (j->second)
        mutex_lock(j->second);
    order_log_add(&olog, j->id);
    if (j->second)
        mutex_unlock(j->second);
    mutex_unlock(j->first);
    order_log_add(&olog, j->id + 100);
    return 0;
}

static int log_prio_main(void *arg)
{
    order_log_add(&olog, thread_get_priority(thread_current()));
    (void)arg;
    return 0;
}

static void prio_runs_highest_first(struct ktest *t)
{
    const char *old = policy_use("prio");
    struct thread *self = thread_current();
    static const int prios[] = {20, 25, 10, 28, 15};
    struct thread *th[5];
    olog.n = 0;
    for (int i = 0; i < 5; i++)
        th[i] = thread_create("prio", log_prio_main, NULL, prios[i]);
    KTEST_EXPECT_EQ(t, olog.n, 0); /* all below main: none ran yet */
    thread_set_priority(self, PRIO_MIN);
    thread_set_priority(self, PRIO_DEFAULT);
    static const int want[] = {28, 25, 20, 15, 10};
    expect_order(t, &olog, want, 5);
    for (int i = 0; i < 5; i++)
        thread_join(th[i]);
    policy_restore(old);
}

static void prio_higher_preempts_at_once(struct ktest *t)
{
    const char *old = policy_use("prio");
    olog.n = 0;
    struct thread *th = thread_create("high", log_prio_main, NULL, PRIO_DEFAULT + 10);
    KTEST_EXPECT_EQ(t, olog.n, 1); /* ran to completion inside thread_create */
    order_log_add(&olog, 0);
    thread_join(th);
    static const int want[] = {PRIO_DEFAULT + 10, 0};
    expect_order(t, &olog, want, 2);
    policy_restore(old);
}

static void donate_single(struct ktest *t)
{
    const char *old = policy_use("prio");
    struct thread *self = thread_current();
    static struct mutex m = MUTEX_INIT(m, "donate_single");
    struct lock_job a = {&m, NULL, 1}, b = {&m, NULL, 2};
    olog.n = 0;
    mutex_lock(&m);
    struct thread *ta = thread_create("a", lock_job_main, &a, PRIO_DEFAULT + 1);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT + 1);
    struct thread *tb = thread_create("b", lock_job_main, &b, PRIO_DEFAULT + 2);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT + 2);
    mutex_unlock(&m);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT);
    order_log_add(&olog, 0);
    static const int want[] = {2, 102, 1, 101, 0};
    expect_order(t, &olog, want, 5);
    thread_join(ta);
    thread_join(tb);
    policy_restore(old);
}

static void donate_multiple(struct ktest *t)
{
    const char *old = policy_use("prio");
    struct thread *self = thread_current();
    static struct mutex m1 = MUTEX_INIT(m1, "multi1"), m2 = MUTEX_INIT(m2, "multi2");
    struct lock_job a = {&m1, NULL, 1}, b = {&m2, NULL, 2};
    olog.n = 0;
    mutex_lock(&m1);
    mutex_lock(&m2);
    struct thread *ta = thread_create("a", lock_job_main, &a, PRIO_DEFAULT + 1);
    struct thread *tb = thread_create("b", lock_job_main, &b, PRIO_DEFAULT + 2);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT + 2);
    mutex_unlock(&m2);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT + 1); /* a still donates */
    mutex_unlock(&m1);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT);
    static const int want[] = {2, 102, 1, 101};
    expect_order(t, &olog, want, 4);
    thread_join(ta);
    thread_join(tb);
    policy_restore(old);
}

static void donate_nested(struct ktest *t)
{
    const char *old = policy_use("prio");
    struct thread *self = thread_current();
    static struct mutex m1 = MUTEX_INIT(m1, "nest1"), m2 = MUTEX_INIT(m2, "nest2");
    /* mid holds m2 and waits for m1 (held by main); high waits for m2. */
    struct lock_job mid = {&m2, &m1, 1}, high = {&m2, NULL, 2};
    olog.n = 0;
    mutex_lock(&m1);
    struct thread *tm = thread_create("mid", lock_job_main, &mid, PRIO_DEFAULT + 1);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT + 1);
    struct thread *th = thread_create("high", lock_job_main, &high, PRIO_DEFAULT + 2);
    KTEST_EXPECT_EQ(t, thread_get_priority(tm), PRIO_DEFAULT + 2);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT + 2); /* through mid */
    mutex_unlock(&m1);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT);
    /* mid gets m1 at high's priority, releases m2 to high, which runs to its end before mid goes on. */
    static const int want[] = {1, 2, 102, 101};
    expect_order(t, &olog, want, 4);
    thread_join(tm);
    thread_join(th);
    policy_restore(old);
}

static void donate_chain(struct ktest *t)
{
    enum { N = 7 };
    const char *old = policy_use("prio");
    struct thread *self = thread_current();
    static struct mutex locks[N];
    static struct lock_job jobs[N];
    struct thread *th[N];
    olog.n = 0;
    for (int i = 0; i < N; i++)
        mutex_init(&locks[i], "chain");
    mutex_lock(&locks[0]);
    /* Thread i holds lock i and waits for lock i-1: a chain of six owners ending at main. */
    for (int i = 1; i < N; i++) {
        jobs[i] = (struct lock_job){&locks[i], &locks[i - 1], i};
        th[i] = thread_create("chain", lock_job_main, &jobs[i], PRIO_DEFAULT + i);
        KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT + i);
    }
    KTEST_EXPECT_EQ(t, thread_get_priority(th[1]), PRIO_DEFAULT + N - 1);
    mutex_unlock(&locks[0]);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT);
    static const int want[] = {1, 2, 3, 4, 5, 6, 106, 105, 104, 103, 102, 101};
    expect_order(t, &olog, want, 12);
    for (int i = 1; i < N; i++)
        thread_join(th[i]);
    policy_restore(old);
}

static struct mutex sema_lock = MUTEX_INIT(sema_lock, "donate_sema");
static struct semaphore donate_sema = SEMAPHORE_INIT(donate_sema, "donate_sema", 0);

static int low_holds_lock_downs_sema(void *arg)
{
    (void)arg;
    mutex_lock(&sema_lock);
    sema_down(&donate_sema);
    order_log_add(&olog, 1);
    mutex_unlock(&sema_lock);
    order_log_add(&olog, 101);
    return 0;
}

static int med_downs_sema(void *arg)
{
    (void)arg;
    sema_down(&donate_sema);
    order_log_add(&olog, 2);
    return 0;
}

static int high_takes_lock(void *arg)
{
    (void)arg;
    mutex_lock(&sema_lock);
    order_log_add(&olog, 3);
    mutex_unlock(&sema_lock);
    return 0;
}

static void donate_through_semaphore(struct ktest *t)
{
    const char *old = policy_use("prio");
    olog.n = 0;
    struct thread *l = thread_create("low", low_holds_lock_downs_sema, NULL, PRIO_DEFAULT + 1);
    struct thread *m = thread_create("med", med_downs_sema, NULL, PRIO_DEFAULT + 3);
    struct thread *h = thread_create("high", high_takes_lock, NULL, PRIO_DEFAULT + 5);
    /* high's donation lifts low above med among the semaphore's waiters. */
    KTEST_EXPECT_EQ(t, thread_get_priority(l), PRIO_DEFAULT + 5);
    sema_up(&donate_sema);
    sema_up(&donate_sema);
    static const int want[] = {1, 3, 101, 2};
    expect_order(t, &olog, want, 4);
    thread_join(l);
    thread_join(m);
    thread_join(h);
    policy_restore(old);
}

static void donate_survives_lowered_base(struct ktest *t)
{
    const char *old = policy_use("prio");
    struct thread *self = thread_current();
    static struct mutex m = MUTEX_INIT(m, "lower");
    struct lock_job a = {&m, NULL, 1};
    olog.n = 0;
    mutex_lock(&m);
    struct thread *ta = thread_create("a", lock_job_main, &a, PRIO_DEFAULT + 10);
    thread_set_priority(self, PRIO_DEFAULT - 10);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT + 10);
    mutex_unlock(&m);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT - 10);
    thread_set_priority(self, PRIO_DEFAULT);
    static const int want[] = {1, 101};
    expect_order(t, &olog, want, 2);
    thread_join(ta);
    policy_restore(old);
}

static struct semaphore order_sema = SEMAPHORE_INIT(order_sema, "order", 0);
static struct mutex cv_lock = MUTEX_INIT(cv_lock, "cv_order");
static struct condvar order_cv = CONDVAR_INIT(order_cv, "order");

static int sema_waiter(void *arg)
{
    (void)arg;
    sema_down(&order_sema);
    order_log_add(&olog, thread_get_priority(thread_current()));
    return 0;
}

static int cond_waiter(void *arg)
{
    (void)arg;
    mutex_lock(&cv_lock);
    cond_wait(&order_cv, &cv_lock);
    order_log_add(&olog, thread_get_priority(thread_current()));
    mutex_unlock(&cv_lock);
    return 0;
}

static const int waiter_prios[] = {PRIO_DEFAULT + 4,  PRIO_DEFAULT + 9, PRIO_DEFAULT + 2,
                                   PRIO_DEFAULT + 12, PRIO_DEFAULT + 7, PRIO_DEFAULT + 1};
static const int waiter_order[] = {PRIO_DEFAULT + 12, PRIO_DEFAULT + 9, PRIO_DEFAULT + 7,
                                   PRIO_DEFAULT + 4,  PRIO_DEFAULT + 2, PRIO_DEFAULT + 1};

static void sema_wakes_by_priority(struct ktest *t)
{
    const char *old = policy_use("prio");
    struct thread *th[6];
    olog.n = 0;
    for (int i = 0; i < 6; i++)
        th[i] = thread_create("semaw", sema_waiter, NULL, waiter_prios[i]);
    for (int i = 0; i < 6; i++)
        sema_up(&order_sema);
    expect_order(t, &olog, waiter_order, 6);
    for (int i = 0; i < 6; i++)
        thread_join(th[i]);
    policy_restore(old);
}

static void condvar_signals_by_priority(struct ktest *t)
{
    const char *old = policy_use("prio");
    struct thread *th[6];
    olog.n = 0;
    for (int i = 0; i < 6; i++)
        th[i] = thread_create("condw", cond_waiter, NULL, waiter_prios[i]);
    for (int i = 0; i < 6; i++) {
        mutex_lock(&cv_lock);
        cond_signal(&order_cv);
        mutex_unlock(&cv_lock);
    }
    expect_order(t, &olog, waiter_order, 6);
    for (int i = 0; i < 6; i++)
        thread_join(th[i]);
    policy_restore(old);
}

static int sleep_then_log(void *arg)
{
    thread_sleep_until((uint64_t)(uintptr_t)arg);
    order_log_add(&olog, thread_get_priority(thread_current()));
    return 0;
}

/* Starts four sleepers for the same tick; returns false when the tick passed before all four were
 * asleep (the host descheduled QEMU for that long), which would make the order meaningless. */
static bool run_same_alarm(uint64_t margin)
{
    static const int prios[] = {PRIO_DEFAULT + 3, PRIO_DEFAULT + 8, PRIO_DEFAULT + 1, PRIO_DEFAULT + 5};
    struct thread *th[4];
    olog.n = 0;
    uint64_t target = sched_ticks() + margin;
    /* Each sleeper outranks this thread, so it runs and falls asleep as soon as it is created. */
    for (int i = 0; i < 4; i++)
        th[i] = thread_create("alarmp", sleep_then_log, (void *)(uintptr_t)target, prios[i]);
    bool all_asleep_in_time = sched_ticks() < target;
    for (int i = 0; i < 4; i++)
        thread_join(th[i]);
    return all_asleep_in_time;
}

static void prio_same_alarm_wakes_by_priority(struct ktest *t)
{
    const char *old = policy_use("prio");
    bool valid = false;
    for (uint64_t margin = 50; !valid && margin <= 800; margin *= 2)
        valid = run_same_alarm(margin);
    KTEST_EXPECT(t, valid);
    static const int want[] = {PRIO_DEFAULT + 8, PRIO_DEFAULT + 5, PRIO_DEFAULT + 3, PRIO_DEFAULT + 1};
    expect_order(t, &olog, want, 4);
    policy_restore(old);
}

KTEST_SUITE(sched_priority, KTEST_CASE(prio_runs_highest_first), KTEST_CASE(prio_higher_preempts_at_once),
            KTEST_CASE(prio_same_alarm_wakes_by_priority), KTEST_CASE(donate_single),
            KTEST_CASE(donate_multiple), KTEST_CASE(donate_nested), KTEST_CASE(donate_chain),
            KTEST_CASE(donate_through_semaphore), KTEST_CASE(donate_survives_lowered_base),
            KTEST_CASE(sema_wakes_by_priority), KTEST_CASE(condvar_signals_by_priority));
