/* KTAP tests of threads under the boot policy: create, join and detach without leaking pages, guard
 * pages below every stack, preemption of a thread that never yields, the per-thread counters and the
 * trace ring. */
#include "sched_test.h"
#include <arch/extable.h>
#include <kestrel/page.h>
#include <kestrel/spinlock.h>
#include <uapi/errno.h>

static int return_arg(void *arg)
{
    return (int)(intptr_t)arg;
}

static void thread_join_returns_exit_code(struct ktest *t)
{
    struct thread *th = thread_create("ret", return_arg, (void *)42, PRIO_DEFAULT);
    KTEST_ASSERT(t, th != NULL);
    KTEST_EXPECT_EQ(t, thread_join(th), 42);
}

static void thread_many_create_join_no_leak(struct ktest *t)
{
    enum { N = 64 };
    static struct thread *th[N];
    thread_reap_detached();
    size_t before = pmm_free_pages();
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            th[i] = thread_create("many", return_arg, (void *)(intptr_t)(i * 3 + round), PRIO_DEFAULT);
            KTEST_ASSERT(t, th[i] != NULL);
        }
        for (int i = N; i-- > 0;)
            KTEST_EXPECT_EQ(t, thread_join(th[i]), i * 3 + round);
    }
    /* Page tables made for the stack area stay; the stacks themselves must all come back. */
    KTEST_EXPECT(t, pmm_free_pages() + 8 >= before);
}

static volatile int detached_ran;

static int detached_main(void *arg)
{
    (void)arg;
    __atomic_fetch_add(&detached_ran, 1, __ATOMIC_RELAXED);
    return 0;
}

static void thread_detached_are_reaped(struct ktest *t)
{
    thread_reap_detached();
    size_t before = pmm_free_pages();
    detached_ran = 0;
    for (int i = 0; i < 20; i++) {
        struct thread *th = thread_create("detached", detached_main, NULL, PRIO_DEFAULT);
        KTEST_ASSERT(t, th != NULL);
        thread_detach(th);
    }
    for (int i = 0; i < 200 && detached_ran < 20; i++)
        thread_sleep(1);
    KTEST_EXPECT_EQ(t, detached_ran, 20);
    thread_sleep(2); /* let the last ones finish their exit */
    thread_reap_detached();
    KTEST_EXPECT(t, pmm_free_pages() + 8 >= before);
}

static volatile uint64_t guard_probe_result;

static int probe_own_guard(void *arg)
{
    (void)arg;
    struct thread *self = thread_current();
    uint64_t v;
    /* The byte just below the stack and the whole guard region are unmapped... */
    int below = probe_read_u64((const void *)((uintptr_t)self->stack_base - 8), &v);
    int guard = probe_read_u64((const void *)kstack_guard_addr(self->stack_base), &v);
    /* ...and the lowest stack word is mapped and writable. */
    int bottom = probe_write_u64(self->stack_base, 0x5a5a);
    guard_probe_result = (below == -EFAULT) + (guard == -EFAULT) * 2 + (bottom == 0) * 4;
    return 0;
}

static void thread_stack_has_guard_page(struct ktest *t)
{
    struct thread *th = thread_create("guard", probe_own_guard, NULL, PRIO_DEFAULT);
    KTEST_ASSERT(t, th != NULL);
    thread_join(th);
    KTEST_EXPECT_EQ(t, guard_probe_result, 7);
}

static volatile bool spinner_stop;
static volatile uint64_t spinner_loops;

static int spinner(void *arg)
{
    (void)arg;
    while (!spinner_stop)
        spinner_loops++;
    return 0;
}

static void thread_spinner_is_preempted(struct ktest *t)
{
    /* The spinner never yields: main only gets back after sleeping because the timer preempts. */
    spinner_stop = false;
    spinner_loops = 0;
    struct thread *th = thread_create("spinner", spinner, NULL, PRIO_DEFAULT);
    KTEST_ASSERT(t, th != NULL);
    uint64_t start = sched_ticks();
    thread_sleep(20);
    uint64_t loops = spinner_loops;
    spinner_stop = true;
    struct thread_stats s = sched_thread_stats(th);
    thread_join(th);
    KTEST_EXPECT(t, sched_ticks() - start >= 20);
    KTEST_EXPECT(t, loops > 0);
    KTEST_EXPECT(t, s.involuntary >= 1);
}

static int napper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++)
        thread_sleep(1);
    return 0;
}

static void thread_stats_and_trace(struct ktest *t)
{
    struct thread *th = thread_create("napper", napper, NULL, PRIO_DEFAULT);
    KTEST_ASSERT(t, th != NULL);
    int tid = th->tid;
    thread_sleep(20);
    struct thread_stats s = sched_thread_stats(th);
    /* Its events are still in the ring: ask before join frees the thread. */
    static struct sched_event ev[1024];
    size_t n = sched_trace_read(ev, ARRAY_SIZE(ev));
    thread_join(th);
    KTEST_EXPECT(t, s.switches >= 5);
    KTEST_EXPECT(t, s.wakeups >= 5);
    KTEST_EXPECT(t, s.voluntary >= 5);
    KTEST_EXPECT(t, s.run_ns > 0);
    KTEST_EXPECT(t, s.wakeup_latency_max_ns >= s.wakeup_latency_ns / (s.wakeups ? s.wakeups : 1));
    int switches_in = 0, wakeups = 0, blocks = 0;
    uint64_t last_ns = 0;
    bool ordered = true;
    for (size_t i = 0; i < n; i++) {
        ordered &= ev[i].ns >= last_ns;
        last_ns = ev[i].ns;
        switches_in += ev[i].type == EV_SWITCH && ev[i].tid == tid;
        wakeups += ev[i].type == EV_WAKEUP && ev[i].tid == tid;
        blocks += ev[i].type == EV_BLOCK && ev[i].tid == tid;
    }
    KTEST_EXPECT(t, ordered);
    KTEST_EXPECT(t, switches_in >= 5);
    KTEST_EXPECT(t, wakeups >= 5);
    KTEST_EXPECT(t, blocks >= 5);
}

static void thread_priority_get_set(struct ktest *t)
{
    struct thread *self = thread_current();
    int old = thread_get_priority(self);
    thread_set_priority(self, PRIO_DEFAULT + 5);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_DEFAULT + 5);
    thread_set_priority(self, PRIO_MAX + 100);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), PRIO_MAX);
    thread_set_priority(self, old);
    KTEST_EXPECT_EQ(t, thread_get_priority(self), old);
}

static bool contains(const char *s, const char *sub)
{
    size_t n = strlen(sub);
    for (; *s; s++)
        if (strncmp(s, sub, n) == 0)
            return true;
    return false;
}

static void might_sleep_names_the_reason(struct ktest *t)
{
    char why[160];
    KTEST_EXPECT(t, !sched_sleep_forbidden(why, sizeof(why)));
    static struct spinlock lock = SPINLOCK_INIT("test_spin");
    uint64_t f = spin_lock_irqsave(&lock);
    bool held = sched_sleep_forbidden(why, sizeof(why));
    spin_unlock_irqrestore(&lock, f);
    KTEST_EXPECT(t, held);
    KTEST_EXPECT(t, contains(why, "test_spin"));
    KTEST_EXPECT(t, contains(why, "might_sleep_names_the_reason")); /* where it was taken */
    f = irq_save();
    bool irqs_off = sched_sleep_forbidden(why, sizeof(why));
    irq_restore(f);
    KTEST_EXPECT(t, irqs_off);
    KTEST_EXPECT(t, contains(why, "interrupts off"));
}

KTEST_SUITE(sched_thread, KTEST_CASE(thread_join_returns_exit_code),
            KTEST_CASE(thread_many_create_join_no_leak), KTEST_CASE(thread_detached_are_reaped),
            KTEST_CASE(thread_stack_has_guard_page), KTEST_CASE(thread_spinner_is_preempted),
            KTEST_CASE(thread_stats_and_trace), KTEST_CASE(thread_priority_get_set),
            KTEST_CASE(might_sleep_names_the_reason));
