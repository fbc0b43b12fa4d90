/* KTAP tests of the sleeping locks under the boot policy: FIFO wake-up among equals, mutual
 * exclusion, condition-variable hand-shakes and broadcasts, timeouts, and reader-writer locks
 * (readers share, writers exclude, waiting writers hold back new readers). */
#include "sched_test.h"
#include <kestrel/condvar.h>
#include <kestrel/mutex.h>
#include <kestrel/rwlock.h>
#include <kestrel/semaphore.h>
#include <uapi/errno.h>

static struct order_log olog;

/* Sleeps until the log holds n entries (a few seconds at most). */
static bool wait_for_log(int n)
{
    for (int i = 0; i < 3000 && __atomic_load_n(&olog.n, __ATOMIC_RELAXED) < n; i++)
        thread_sleep(1);
    return olog.n >= n;
}

static unsigned waiters_on(struct waitqueue *wq)
{
    unsigned n = 0;
    uint64_t f = sched_lock_irqsave();
    qlist_for_each(l, &wq->waiters) n++;
    sched_unlock_irqrestore(f);
    return n;
}

static bool wait_for_waiters(struct waitqueue *wq, unsigned n)
{
    for (int i = 0; i < 3000 && waiters_on(wq) < n; i++)
        thread_sleep(1);
    return waiters_on(wq) >= n;
}

static struct semaphore fifo_sema = SEMAPHORE_INIT(fifo_sema, "fifo", 0);

static int fifo_waiter(void *arg)
{
    sema_down(&fifo_sema);
    order_log_add(&olog, (int)(intptr_t)arg);
    return 0;
}

static void sema_equal_priorities_wake_fifo(struct ktest *t)
{
    struct thread *th[5];
    olog.n = 0;
    for (int i = 0; i < 5; i++) {
        th[i] = thread_create("fifo", fifo_waiter, (void *)(intptr_t)i, PRIO_DEFAULT);
        KTEST_ASSERT(t, wait_for_waiters(&fifo_sema.waiters, (unsigned)i + 1));
    }
    for (int i = 0; i < 5; i++) {
        sema_up(&fifo_sema);
        KTEST_EXPECT(t, wait_for_log(i + 1));
    }
    static const int want[] = {0, 1, 2, 3, 4};
    expect_order(t, &olog, want, 5);
    for (int i = 0; i < 5; i++)
        thread_join(th[i]);
}

static struct mutex excl_lock = MUTEX_INIT(excl_lock, "excl");
static volatile int inside, max_inside;
static volatile uint64_t excl_counter;

static int exclusion_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        mutex_lock(&excl_lock);
        int now = ++inside;
        if (now > max_inside)
            max_inside = now;
        uint64_t v = excl_counter;
        if (i % 16 == 0)
            thread_yield(); /* widen the window a broken lock would let others into */
        excl_counter = v + 1;
        inside--;
        mutex_unlock(&excl_lock);
    }
    return 0;
}

static void mutex_excludes(struct ktest *t)
{
    struct thread *th[8];
    inside = max_inside = 0;
    excl_counter = 0;
    for (int i = 0; i < 8; i++)
        th[i] = thread_create("excl", exclusion_worker, NULL, PRIO_DEFAULT);
    for (int i = 0; i < 8; i++)
        thread_join(th[i]);
    KTEST_EXPECT_EQ(t, excl_counter, 8 * 200);
    KTEST_EXPECT_EQ(t, max_inside, 1);
    KTEST_EXPECT(t, !mutex_held_by_current(&excl_lock));
}

static int try_from_other(void *arg)
{
    return mutex_trylock(arg) ? 1 : 0;
}

static void mutex_trylock_semantics(struct ktest *t)
{
    static struct mutex m = MUTEX_INIT(m, "try");
    KTEST_EXPECT(t, mutex_trylock(&m));
    KTEST_EXPECT(t, mutex_held_by_current(&m));
    struct thread *th = thread_create("try", try_from_other, &m, PRIO_DEFAULT);
    KTEST_EXPECT_EQ(t, thread_join(th), 0);
    mutex_unlock(&m);
    KTEST_EXPECT(t, !mutex_held_by_current(&m));
}

/* A bounded buffer with two condition variables: the textbook hand-shake. */
enum { BUF = 4, PRODUCERS = 3, CONSUMERS = 3, ITEMS = 300 };
static struct {
    struct mutex lock;
    struct condvar not_full, not_empty;
    int items[BUF];
    int head, count;
    int produced_done;
    uint64_t consumed_sum, consumed_n;
} bb = {.lock = MUTEX_INIT(bb.lock, "bb"),
        .not_full = CONDVAR_INIT(bb.not_full, "bb_full"),
        .not_empty = CONDVAR_INIT(bb.not_empty, "bb_empty")};

static int producer(void *arg)
{
    int base = (int)(intptr_t)arg * ITEMS;
    for (int i = 1; i <= ITEMS; i++) {
        mutex_lock(&bb.lock);
        while (bb.count == BUF)
            cond_wait(&bb.not_full, &bb.lock);
        bb.items[(bb.head + bb.count++) % BUF] = base + i;
        cond_signal(&bb.not_empty);
        mutex_unlock(&bb.lock);
    }
    mutex_lock(&bb.lock);
    bb.produced_done++;
    cond_broadcast(&bb.not_empty);
    mutex_unlock(&bb.lock);
    return 0;
}

static int consumer(void *arg)
{
    (void)arg;
    mutex_lock(&bb.lock);
    for (;;) {
        while (bb.count == 0 && bb.produced_done < PRODUCERS)
            cond_wait(&bb.not_empty, &bb.lock);
        if (bb.count == 0)
            break;
        bb.consumed_sum += (uint64_t)bb.items[bb.head];
        bb.consumed_n++;
        bb.head = (bb.head + 1) % BUF;
        bb.count--;
        cond_signal(&bb.not_full);
    }
    mutex_unlock(&bb.lock);
    return 0;
}

static void condvar_bounded_buffer(struct ktest *t)
{
    struct thread *th[PRODUCERS + CONSUMERS];
    bb.head = bb.count = bb.produced_done = 0;
    bb.consumed_sum = bb.consumed_n = 0;
    for (int i = 0; i < CONSUMERS; i++)
        th[i] = thread_create("consumer", consumer, NULL, PRIO_DEFAULT);
    for (int i = 0; i < PRODUCERS; i++)
        th[CONSUMERS + i] = thread_create("producer", producer, (void *)(intptr_t)i, PRIO_DEFAULT);
    for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
        thread_join(th[i]);
    uint64_t n = PRODUCERS * ITEMS;
    KTEST_EXPECT_EQ(t, bb.consumed_n, n);
    KTEST_EXPECT_EQ(t, bb.consumed_sum, n * (n + 1) / 2);
}

static struct mutex gate_lock = MUTEX_INIT(gate_lock, "gate");
static struct condvar gate_cv = CONDVAR_INIT(gate_cv, "gate");
static volatile bool gate_open;
static volatile int through_gate;

static int gate_waiter(void *arg)
{
    (void)arg;
    mutex_lock(&gate_lock);
    while (!gate_open)
        cond_wait(&gate_cv, &gate_lock);
    through_gate++;
    mutex_unlock(&gate_lock);
    return 0;
}

static void condvar_broadcast_wakes_all(struct ktest *t)
{
    enum { N = 10 };
    struct thread *th[N];
    gate_open = false;
    through_gate = 0;
    for (int i = 0; i < N; i++)
        th[i] = thread_create("gate", gate_waiter, NULL, PRIO_DEFAULT);
    KTEST_EXPECT(t, wait_for_waiters(&gate_cv.waiters, N));
    KTEST_EXPECT_EQ(t, through_gate, 0);
    mutex_lock(&gate_lock);
    gate_open = true;
    cond_broadcast(&gate_cv);
    mutex_unlock(&gate_lock);
    for (int i = 0; i < N; i++)
        thread_join(th[i]);
    KTEST_EXPECT_EQ(t, through_gate, N);
}

static void condvar_wait_timeout(struct ktest *t)
{
    mutex_lock(&gate_lock);
    uint64_t t0 = sched_ticks();
    int r = cond_wait_timeout(&gate_cv, &gate_lock, 7);
    uint64_t dt = sched_ticks() - t0;
    KTEST_EXPECT_EQ(t, r, -ETIMEDOUT);
    KTEST_EXPECT(t, mutex_held_by_current(&gate_lock)); /* held again, even after a timeout */
    KTEST_EXPECT(t, dt >= 7 && dt <= 9);
    mutex_unlock(&gate_lock);
}

static struct rwlock rw;
static volatile int readers_in, max_readers_in, writers_in;
static volatile bool rw_overlap;

static int rw_reader(void *arg)
{
    (void)arg;
    read_lock(&rw);
    int n = __atomic_add_fetch(&readers_in, 1, __ATOMIC_RELAXED);
    if (n > max_readers_in)
        max_readers_in = n;
    rw_overlap |= writers_in != 0;
    thread_sleep(5); /* hold it long enough for the others to come in too */
    __atomic_sub_fetch(&readers_in, 1, __ATOMIC_RELAXED);
    read_unlock(&rw);
    return 0;
}

static int rw_writer(void *arg)
{
    (void)arg;
    write_lock(&rw);
    writers_in++;
    rw_overlap |= readers_in != 0 || writers_in != 1;
    thread_sleep(2);
    writers_in--;
    write_unlock(&rw);
    return 0;
}

static void rwlock_readers_share_writers_exclude(struct ktest *t)
{
    enum { N = 6 };
    struct thread *th[2 * N];
    rwlock_init(&rw, "test");
    readers_in = max_readers_in = writers_in = 0;
    rw_overlap = false;
    for (int i = 0; i < N; i++) {
        th[2 * i] = thread_create("reader", rw_reader, NULL, PRIO_DEFAULT);
        th[2 * i + 1] = thread_create("writer", rw_writer, NULL, PRIO_DEFAULT);
    }
    for (int i = 0; i < 2 * N; i++)
        thread_join(th[i]);
    KTEST_EXPECT(t, !rw_overlap);
    KTEST_EXPECT(t, max_readers_in >= 2);
}

static int logged_reader(void *arg)
{
    read_lock(&rw);
    order_log_add(&olog, (int)(intptr_t)arg);
    read_unlock(&rw);
    return 0;
}

static int logged_writer(void *arg)
{
    write_lock(&rw);
    order_log_add(&olog, (int)(intptr_t)arg);
    write_unlock(&rw);
    return 0;
}

static void rwlock_waiting_writer_blocks_new_readers(struct ktest *t)
{
    rwlock_init(&rw, "pref");
    olog.n = 0;
    read_lock(&rw); /* main reads */
    struct thread *w = thread_create("writer", logged_writer, (void *)1, PRIO_DEFAULT);
    KTEST_ASSERT(t, wait_for_waiters(&rw.write_wq, 1));
    struct thread *r = thread_create("reader", logged_reader, (void *)2, PRIO_DEFAULT);
    KTEST_ASSERT(t, wait_for_waiters(&rw.read_wq, 1)); /* queued behind the writer */
    KTEST_EXPECT_EQ(t, olog.n, 0);
    read_unlock(&rw);
    thread_join(w);
    thread_join(r);
    static const int want[] = {1, 2};
    expect_order(t, &olog, want, 2);
}

KTEST_SUITE(sched_sync, KTEST_CASE(sema_equal_priorities_wake_fifo), KTEST_CASE(mutex_excludes),
            KTEST_CASE(mutex_trylock_semantics), KTEST_CASE(condvar_bounded_buffer),
            KTEST_CASE(condvar_broadcast_wakes_all), KTEST_CASE(condvar_wait_timeout),
            KTEST_CASE(rwlock_readers_share_writers_exclude),
            KTEST_CASE(rwlock_waiting_writer_blocks_new_readers));
