/* Scheduler stress test: hundreds of threads hammer ranked mutexes (two at a time), a semaphore
 * guarding a pool, a condition-variable queue and a reader-writer lock, with yields and sleeps mixed
 * in, for a couple of seconds. It must end with no deadlock (everyone finishes in time), no lost
 * wake-up (every waiter gets out), exact counter totals and no leaked pages. Runs under the boot
 * policy, then under strict priority with mixed priorities. */
#include "sched_test.h"
#include <kestrel/condvar.h>
#include <kestrel/mutex.h>
#include <kestrel/page.h>
#include <kestrel/printk.h>
#include <kestrel/rwlock.h>
#include <kestrel/semaphore.h>

enum { WORKERS = 200, LOCKS = 8, POOL = 3, QUEUE = 16, ROLES = 5 };

static struct {
    uint64_t deadline;
    struct mutex locks[LOCKS];
    uint64_t counters[LOCKS]; /* counters[i] protected by locks[i] */
    uint64_t totals[WORKERS]; /* increments each worker made; its own slot only */

    struct semaphore pool;
    int in_pool, max_in_pool;

    struct mutex q_lock; /* protects the queue fields below */
    struct condvar q_not_full, q_not_empty;
    int q[QUEUE], q_head, q_count, producers_left;
    uint64_t produced_n, produced_sum, consumed_n, consumed_sum;

    struct rwlock rw;
    uint64_t rw_a, rw_b; /* written together by writers; readers must always see them equal */
    int rw_violations;

    int finished;
    struct waitqueue done_wq;
} st;

static uint32_t rng_next(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static bool running(void)
{
    return sched_ticks() < st.deadline;
}

static void two_locks_round(int id, uint32_t *seed)
{
    int a = (int)(rng_next(seed) % LOCKS), b = (int)(rng_next(seed) % LOCKS);
    if (a == b)
        b = (a + 1) % LOCKS;
    if (a > b) {
        int x = a;
        a = b;
        b = x;
    }
    mutex_lock(&st.locks[a]); /* ranked: always the lower rank first */
    mutex_lock(&st.locks[b]);
    uint64_t va = st.counters[a];
    if (rng_next(seed) % 8 == 0)
        thread_yield(); /* a lost update would show if the lock let anyone else in now */
    st.counters[a] = va + 1;
    st.counters[b]++;
    st.totals[id] += 2;
    mutex_unlock(&st.locks[b]);
    mutex_unlock(&st.locks[a]);
}

static void rw_round(uint32_t *seed)
{
    if (rng_next(seed) % 4 == 0) {
        write_lock(&st.rw);
        st.rw_a++;
        thread_yield();
        st.rw_b++;
        write_unlock(&st.rw);
    } else {
        read_lock(&st.rw);
        if (st.rw_a != st.rw_b)
            __atomic_fetch_add(&st.rw_violations, 1, __ATOMIC_RELAXED);
        read_unlock(&st.rw);
    }
}

static void pool_round(uint32_t *seed)
{
    sema_down(&st.pool);
    int n = __atomic_add_fetch(&st.in_pool, 1, __ATOMIC_RELAXED);
    int m = __atomic_load_n(&st.max_in_pool, __ATOMIC_RELAXED);
    while (n > m &&
           !__atomic_compare_exchange_n(&st.max_in_pool, &m, n, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    if (rng_next(seed) % 2)
        thread_yield();
    __atomic_sub_fetch(&st.in_pool, 1, __ATOMIC_RELAXED);
    sema_up(&st.pool);
}

static void produce_all(uint32_t *seed)
{
    for (int v = 1; running(); v++) {
        mutex_lock(&st.q_lock);
        while (st.q_count == QUEUE)
            cond_wait(&st.q_not_full, &st.q_lock);
        st.q[(st.q_head + st.q_count++) % QUEUE] = v;
        st.produced_n++;
        st.produced_sum += (uint64_t)v;
        cond_signal(&st.q_not_empty);
        mutex_unlock(&st.q_lock);
        if (rng_next(seed) % 16 == 0)
            thread_sleep(1);
    }
    mutex_lock(&st.q_lock);
    if (--st.producers_left == 0)
        cond_broadcast(&st.q_not_empty); /* consumers waiting on an empty queue: time to go */
    mutex_unlock(&st.q_lock);
}

static void consume_all(void)
{
    mutex_lock(&st.q_lock);
    for (;;) {
        while (st.q_count == 0 && st.producers_left > 0)
            cond_wait(&st.q_not_empty, &st.q_lock);
        if (st.q_count == 0)
            break;
        st.consumed_n++;
        st.consumed_sum += (uint64_t)st.q[st.q_head];
        st.q_head = (st.q_head + 1) % QUEUE;
        st.q_count--;
        cond_signal(&st.q_not_full);
    }
    mutex_unlock(&st.q_lock);
}

static int stress_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    uint32_t seed = (uint32_t)id * 2654435761u + 1;
    int role = id % ROLES;
    if (role == 3) {
        produce_all(&seed);
    } else if (role == 4) {
        consume_all();
    } else {
        for (int i = 0; running(); i++) {
            if (role == 2)
                pool_round(&seed);
            else
                two_locks_round(id, &seed);
            if (i % 4 == 0)
                rw_round(&seed);
            if (rng_next(&seed) % 32 == 0)
                thread_sleep(1 + rng_next(&seed) % 3);
        }
    }
    uint64_t f = sched_lock_irqsave();
    st.finished++;
    wq_wake_all_locked(&st.done_wq);
    sched_unlock_irqrestore(f);
    return 0;
}

static void stress_reset(uint64_t duration)
{
    memset(&st, 0, sizeof(st));
    for (int i = 0; i < LOCKS; i++)
        mutex_init_ranked(&st.locks[i], "stress", i + 1);
    sema_init(&st.pool, "pool", POOL);
    mutex_init(&st.q_lock, "queue");
    cond_init(&st.q_not_full, "not_full");
    cond_init(&st.q_not_empty, "not_empty");
    st.producers_left = WORKERS / ROLES;
    rwlock_init(&st.rw, "stress");
    waitqueue_init(&st.done_wq, "stress_done");
    st.deadline = sched_ticks() + duration;
}

static void stress_check(struct ktest *t)
{
    uint64_t sum = 0, total = 0;
    for (int i = 0; i < LOCKS; i++)
        sum += st.counters[i];
    for (int i = 0; i < WORKERS; i++)
        total += st.totals[i];
    console_print(
        "    # stress: %llu lock increments, %llu items through the queue, %llu rw writes, pool max %d\n",
        (unsigned long long)total, (unsigned long long)st.consumed_n, (unsigned long long)st.rw_a,
        st.max_in_pool);
    KTEST_EXPECT_EQ(t, sum, total);
    KTEST_EXPECT(t, total > 100); /* progress, whatever the host's load */
    KTEST_EXPECT(t, st.max_in_pool <= POOL && st.max_in_pool >= 1);
    for (int i = 0; i < POOL; i++)
        KTEST_EXPECT(t, sema_trydown(&st.pool)); /* every unit came back */
    KTEST_EXPECT(t, !sema_trydown(&st.pool));
    KTEST_EXPECT_EQ(t, st.consumed_n, st.produced_n);
    KTEST_EXPECT_EQ(t, st.consumed_sum, st.produced_sum);
    KTEST_EXPECT(t, st.produced_n > 100);
    KTEST_EXPECT_EQ(t, st.rw_violations, 0);
    KTEST_EXPECT(t, st.rw_a == st.rw_b && st.rw_a > 0);
}

/* Runs the stress for duration ticks with priorities PRIO_DEFAULT +- spread. */
static void stress_run(struct ktest *t, uint64_t duration, int spread)
{
    static struct thread *th[WORKERS];
    thread_reap_detached();
    size_t free_before = pmm_free_pages();
    stress_reset(duration);
    for (int i = 0; i < WORKERS; i++) {
        int prio = PRIO_DEFAULT + (spread ? i % (2 * spread + 1) - spread : 0);
        th[i] = thread_create("stress", stress_worker, (void *)(intptr_t)i, prio);
        KTEST_ASSERT(t, th[i] != NULL);
    }
    /* Generous: the workers stop at the deadline and only need to drain. */
    int r = wait_event_timeout(&st.done_wq, st.finished == WORKERS, (long)duration + 20 * TICK_HZ);
    if (r) {
        KTEST_EXPECT_EQ(t, st.finished, WORKERS);
        console_print("    # stress: %d of %d workers finished: deadlock or lost wake-up\n", st.finished,
                      WORKERS);
        sched_dump(32);
        return; /* the stuck threads cannot be joined */
    }
    for (int i = 0; i < WORKERS; i++)
        thread_join(th[i]);
    stress_check(t);
    KTEST_EXPECT(t, pmm_free_pages() + 16 >= free_before);
}

static void stress_locks_boot_policy(struct ktest *t)
{
    stress_run(t, 3 * TICK_HZ, 0);
}

static void stress_locks_strict_priority_mixed(struct ktest *t)
{
    const char *old = policy_use("prio");
    stress_run(t, TICK_HZ, 3);
    policy_restore(old);
}

KTEST_SUITE(sched_stress, KTEST_CASE(stress_locks_boot_policy),
            KTEST_CASE(stress_locks_strict_priority_mixed));
