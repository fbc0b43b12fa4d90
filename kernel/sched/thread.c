/* Thread life cycle: creation, exit, join and detach, sleeping, the idle thread, and bringing the
 * scheduler up with the boot flow turned into the "main" thread. */
#include "internal.h"
#include <arch/boot.h>
#include <arch/cpu.h>
#include <arch/trap.h>
#include <kestrel/clock.h>
#include <kestrel/cmdline.h>
#include <kestrel/panic.h>
#include <kestrel/mutex.h>
#include <kestrel/printk.h>
#include <kestrel/string.h>

extern char boot_stack_top[];

/* The thread the boot code becomes; it runs on the boot stack, which has no guard page. */
static struct thread boot_thread;
static int next_tid;
/* Exited detached threads (by rq_link, which a zombie no longer needs), waiting for a thread to free
 * them: a thread cannot free the stack it is running on. Protected by the scheduler lock. */
static struct qlink dead_threads = QLIST_INIT(dead_threads);
/* Threads between thread_exit_begin and thread_exit (see thread.h). */
static int exiting_threads;
#define SETTLE_MAX_YIELDS 1000

static void thread_fields_init(struct thread *t, const char *name, int priority)
{
    memset(t, 0, sizeof(*t));
    t->magic = THREAD_MAGIC;
    t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
    strlcpy(t->name, name, sizeof(t->name));
    t->base_priority = t->priority = MAX(PRIO_MIN, MIN(PRIO_MAX, priority));
    qlist_init(&t->rq_link);
    qlist_init(&t->wq_link);
    qlist_init(&t->held_mutexes);
    qlist_init(&t->all_link);
    waitqueue_init(&t->joiners, "join");
    fpu_state_init(&t->fpu);
}

/* Every new thread starts here, on its own stack, with the scheduler lock still held. */
static void thread_entry(void *thread, void *unused)
{
    (void)unused;
    struct thread *t = thread;
    sched_thread_started();
    thread_exit(t->fn(t->arg));
}

static struct thread *thread_alloc(const char *name, int (*fn)(void *), void *arg, int priority)
{
    thread_reap_detached();
    void *stack = kstack_alloc();
    if (!stack)
        return NULL;
    /* The structure lives at the top of the thread's own stack region: one allocation holds all
     * that exit and join need, and the stack grows away from it, towards the guard pages. */
    uintptr_t top = (uintptr_t)stack + KSTACK_SIZE;
    struct thread *t = (struct thread *)ALIGN_DOWN(top - sizeof(struct thread), 64);
    thread_fields_init(t, name, priority);
    t->fn = fn;
    t->arg = arg;
    t->stack_base = stack;
    t->stack_top = ALIGN_DOWN((uintptr_t)t, 16);
    t->rsp = context_init_stack((void *)t->stack_top, thread_entry, t, NULL);
    return t;
}

static void thread_free(struct thread *t)
{
    t->magic = 0;
    kstack_free(t->stack_base);
}

struct thread *thread_create(const char *name, int (*fn)(void *), void *arg, int priority)
{
    struct thread *t = thread_alloc(name, fn, arg, priority);
    if (t)
        sched_start_thread(t);
    return t;
}

static void check_thread(const struct thread *t, const char *what)
{
    if (t->magic != THREAD_MAGIC)
        panic("%s: %p is not a live thread", what, (const void *)t);
}

__noreturn void thread_exit(int code)
{
    struct thread *c = thread_current();
    if (c == &boot_thread || c == sched_idle_thread)
        panic("thread_exit: thread %s may not exit", c->name);
    if (!qlist_empty(&c->held_mutexes))
        panic("thread_exit: thread %s exits holding mutex %s", c->name,
              qlist_entry(c->held_mutexes.next, struct mutex, held_link)->name);
    sched_lock_irqsave(); /* never released by this thread: the next one does */
    /* Holding the scheduler lock until its last switch, the thread is as good as freed for anyone
     * who takes the lock next (thread_reap_detached does). */
    if (c->exit_begun)
        __atomic_sub_fetch(&exiting_threads, 1, __ATOMIC_RELEASE);
    c->exit_code = code;
    wq_wake_all_locked(&c->joiners);
    if (c->detached)
        qlist_push_back(&dead_threads, &c->rq_link);
    sched_exit_locked();
}

int thread_join(struct thread *t)
{
    might_sleep();
    check_thread(t, "thread_join");
    if (t == thread_current() || t->detached)
        panic("thread_join: thread %s cannot be joined by %s", t->name, thread_current()->name);
    uint64_t flags = sched_lock_irqsave();
    while (t->state != THREAD_ZOMBIE)
        wq_wait_locked(&t->joiners, WAIT_FOREVER);
    /* One CPU: the exiting thread finished its last switch before we could take the lock. */
    int code = t->exit_code;
    sched_unregister_thread_locked(t);
    sched_unlock_irqrestore(flags);
    thread_free(t);
    return code;
}

void thread_detach(struct thread *t)
{
    check_thread(t, "thread_detach");
    uint64_t flags = sched_lock_irqsave();
    t->detached = true;
    if (t->state == THREAD_ZOMBIE)
        qlist_push_back(&dead_threads, &t->rq_link);
    sched_unlock_irqrestore(flags);
}

void thread_exit_begin(void)
{
    struct thread *c = thread_current();
    if (c->exit_begun)
        return;
    c->exit_begun = true;
    __atomic_add_fetch(&exiting_threads, 1, __ATOMIC_RELAXED);
}

void thread_settle_exiting(void)
{
    for (int i = 0; i < SETTLE_MAX_YIELDS && __atomic_load_n(&exiting_threads, __ATOMIC_ACQUIRE) > 0; i++)
        thread_yield();
}

void thread_reap_detached(void)
{
    for (;;) {
        uint64_t flags = sched_lock_irqsave();
        struct qlink *l = qlist_pop_front(&dead_threads);
        struct thread *t = l ? qlist_entry(l, struct thread, rq_link) : NULL;
        if (t)
            sched_unregister_thread_locked(t);
        sched_unlock_irqrestore(flags);
        if (!t)
            return;
        thread_free(t);
    }
}

void thread_sleep(uint64_t ticks)
{
    if (ticks == 0) {
        thread_yield();
        return;
    }
    might_sleep();
    uint64_t flags = sched_lock_irqsave();
    wait_prepare_locked(NULL, (long)ticks);
    sched_block_locked();
    sched_unlock_irqrestore(flags);
}

void thread_sleep_until(uint64_t tick)
{
    might_sleep();
    uint64_t flags = sched_lock_irqsave();
    /* The tick count is read under the lock, which keeps the tick interrupt out: no tick can slip in
     * between reading it and arming the timer, as it can around thread_sleep(tick - now). */
    uint64_t now = sched_ticks();
    if (tick > now) {
        wait_prepare_locked(NULL, (long)(tick - now));
        sched_block_locked();
    }
    sched_unlock_irqrestore(flags);
}

void thread_sleep_ms(uint64_t ms)
{
    thread_sleep((ms * TICK_HZ + 999) / 1000);
}

static int idle_main(void *unused)
{
    (void)unused;
    for (;;) {
        thread_reap_detached();
        cpu_cli();
        if (sched_nr_ready()) {
            cpu_sti();
            thread_yield();
            continue;
        }
        /* sti only takes effect after the next instruction, so no interrupt can slip in between the
         * check above and the hlt: a wake-up from an interrupt always ends the halt, and the
         * interrupt's exit path switches to the woken thread. */
        __asm__ volatile("sti; hlt" ::: "memory");
    }
    return 0;
}

static void tick_hook(struct trap_frame *f)
{
    sched_account_tick((f->cs & 3) == 3); /* interrupted ring 3: user time */
    sched_tick();
}

void sched_init(void)
{
    fpu_init();
    const char *name = cmdline_get("sched");
    if (sched_select_boot_policy(name) < 0)
        pr_warn("sched: unknown policy \"%s\", using %s\n", name, sched_policy()->name);
    thread_fields_init(&boot_thread, "main", PRIO_DEFAULT);
    boot_thread.stack_top = (uint64_t)boot_stack_top;
    struct thread *idle = thread_alloc("idle", idle_main, NULL, PRIO_MIN);
    if (!idle)
        panic("sched: no memory for the idle thread");
    sched_adopt_boot_thread(&boot_thread, idle);
    timer_set_tick_hook(tick_hook);
    pr_info("sched: policy %s, %u KiB stacks with guard pages, %d Hz tick\n", sched_policy()->name,
            (unsigned)(KSTACK_SIZE / 1024), TICK_HZ);
    /* From here on the timer preempts: interrupts were off since boot. */
    cpu_sti();
}
