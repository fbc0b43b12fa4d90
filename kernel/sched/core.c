/* The scheduler core: the scheduler lock, the one switch path every yield, block, preemption and exit
 * goes through, ticks, wake-ups, priority updates, policy selection and the checks that nobody sleeps
 * where sleeping is forbidden. The policy decides who runs next; this file decides when, and switches.
 *
 * One CPU for now: the scheduler lock is a spinlock with interrupts off, held across the switch
 * itself (the thread switched to releases it), which is also what an SMP run-queue lock will need. */
#include "internal.h"
#include <arch/context.h>
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <kestrel/backtrace.h>
#include <kestrel/format.h>
#include <kestrel/mutex.h>
#include <kestrel/panic.h>
#include <kestrel/process.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <kestrel/time.h>
#include <uapi/errno.h>

/* Protects everything the scheduler owns: see sched_lock_irqsave in sched.h. */
static struct spinlock sched_spin = SPINLOCK_INIT("sched");
/* The interrupt state the current holder of sched_spin will restore; kept per thread across
 * switches (switch_to saves and restores it), so the block path can tell whether its caller had
 * interrupts on. */
static uint64_t sched_spin_flags;

static const struct sched_policy *const policies[] = {&sched_rr, &sched_prio, &sched_mlfq, &sched_cfs};
static const struct sched_policy *policy = &sched_rr;

/* The running thread; NULL until sched_init. Per CPU once there is more than one. */
static struct thread *current;
struct thread *sched_idle_thread;
/* Set (lock held) when the running thread should give way; acted on when the lock is released with
 * interrupts on, or on the way out of an interrupt. */
static volatile bool need_resched;
static uint64_t ticks;
static unsigned nr_ready;
static struct qlink all_threads = QLIST_INIT(all_threads);
static bool sched_running; /* the debug checks start with the scheduler */

struct thread *thread_current(void)
{
    return current;
}

uint64_t sched_ticks(void)
{
    return __atomic_load_n(&ticks, __ATOMIC_RELAXED);
}

const struct sched_policy *sched_policy(void)
{
    return policy;
}

unsigned sched_nr_ready(void)
{
    return nr_ready;
}

uint64_t sched_lock_irqsave(void)
{
    uint64_t flags = spin_lock_irqsave(&sched_spin);
    sched_spin_flags = flags;
    return flags;
}

bool sched_lock_held(void)
{
    return spin_is_locked(&sched_spin) && sched_spin.owner == current;
}

static void preempt_locked(void);

void sched_unlock_irqrestore(uint64_t flags)
{
    spin_unlock_irqrestore(&sched_spin, flags);
    /* A wake-up or priority change made under the lock may want the CPU for another thread: switch
     * now that the caller's critical section is over. With interrupts still off (interrupt context,
     * or an outer irq-off region) it waits for the interrupt exit or a later unlock. */
    if (need_resched && (flags & RFLAGS_IF) && spin_held_count() == 0)
        sched_preempt_check(flags);
}

/* Charges the time since the last accounting point to the running thread. */
static void account_current(void)
{
    uint64_t now = time_ns();
    current->stats.run_ns += now - current->last_ns;
    current->last_ns = now;
}

static void rq_enqueue(struct thread *t, enum sched_enqueue why)
{
    t->state = THREAD_READY;
    t->last_ns = time_ns();
    policy->enqueue(t, why);
    nr_ready++;
}

/* Whether the running thread should give way to a runnable one now. */
static void check_preempt_locked(void)
{
    if (!current)
        return;
    if (current == sched_idle_thread) {
        if (nr_ready)
            need_resched = true;
        return;
    }
    account_current();
    if (policy->should_preempt(current))
        need_resched = true;
}

static void count_switch_in(struct thread *next, uint64_t now)
{
    next->stats.wait_ns += now - next->last_ns;
    if (next->woken_ns) {
        uint64_t lat = now - next->woken_ns;
        next->stats.wakeup_latency_ns += lat;
        next->stats.wakeup_latency_max_ns = MAX(next->stats.wakeup_latency_max_ns, lat);
        next->woken_ns = 0;
    }
    next->stats.switches++;
    next->last_ns = now;
}

/* The one switch path. current has already been put where it belongs: back in the run queue (yield,
 * preemption), on a wait queue or the timer (block), or nowhere (exit). Runs with the scheduler lock
 * held and interrupts off, and returns - possibly much later - in the same thread, lock held. */
static void switch_away(void)
{
    struct thread *prev = current;
    struct thread *next = policy->pick_next();
    if (next)
        nr_ready--;
    else
        next = sched_idle_thread;
    need_resched = false;
    if (next == prev) {
        prev->state = THREAD_RUNNING;
        return;
    }
    uint64_t now = time_ns();
    count_switch_in(next, now);
    sched_trace(EV_SWITCH, next, prev, prev->state);
    next->state = THREAD_RUNNING;
    current = next;
    sched_spin.owner = next; /* the lock passes to the next thread, which releases it */
    tss_set_kernel_stack(next->stack_top);
    process_switch_to(next); /* user-mode entry stack, FS/GS base and address space of next */
    fpu_save(&prev->fpu);
    fpu_restore(&next->fpu);
    uint64_t my_flags = sched_spin_flags;
    context_switch(&prev->rsp, next->rsp);
    sched_spin_flags = my_flags;
}

/* Puts the running thread back in the run queue and switches. */
static void preempt_locked(void)
{
    struct thread *c = current;
    account_current();
    c->stats.involuntary++;
    sched_trace(EV_PREEMPT, c, NULL, 0);
    if (c == sched_idle_thread)
        c->state = THREAD_READY; /* the idle thread is never queued: it runs when nothing else can */
    else
        rq_enqueue(c, ENQ_PREEMPTED);
    switch_away();
}

void sched_preempt_check(uint64_t interrupted_rflags)
{
    /* Code that ran with interrupts off (an outer handler, a spinlock holder) must not be switched
     * away from; everything else may be. */
    if (!need_resched || !(interrupted_rflags & RFLAGS_IF) || !current)
        return;
    uint64_t flags = sched_lock_irqsave();
    if (need_resched)
        preempt_locked();
    spin_unlock_irqrestore(&sched_spin, flags);
}

void thread_yield(void)
{
    uint64_t flags = sched_lock_irqsave();
    struct thread *c = current;
    account_current();
    c->stats.voluntary++;
    c->state = THREAD_READY;
    if (c != sched_idle_thread) {
        c->last_ns = time_ns();
        policy->yield(c);
        nr_ready++;
    }
    switch_away();
    sched_unlock_irqrestore(flags);
}

static void describe_spinlock(const struct spinlock *l, char *buf, size_t n)
{
    uint64_t off, size;
    const char *fn = ksym_lookup(l->owner_pc, &off, &size);
    ksnprintf(buf, n, "spinlock %s (taken at %s+%#llx)", l->name, fn ? fn : "?", (unsigned long long)off);
}

bool sched_sleep_forbidden(char *why, size_t n)
{
    if (spin_held_count()) {
        char lock[96];
        describe_spinlock(spin_last_held(), lock, sizeof(lock));
        ksnprintf(why, n, "thread %s holds %s", current->name, lock);
    } else if (!irqs_enabled()) {
        ksnprintf(why, n, "thread %s runs with interrupts off (or in an interrupt handler)", current->name);
    } else if (current == sched_idle_thread) {
        ksnprintf(why, n, "the idle thread must never block");
    } else {
        return false;
    }
    return true;
}

void sched_might_sleep(const char *what)
{
    char why[160];
    if (SCHED_DEBUG && sched_running && sched_sleep_forbidden(why, sizeof(why)))
        panic("%s may sleep, but %s", what, why);
}

/* The last line of defence, for paths that reach the block with the scheduler lock already held. */
static void check_can_block(const struct thread *c)
{
    if (c == sched_idle_thread || c->state != THREAD_BLOCKED)
        panic("sched: thread %s blocks in state %d", c->name, c->state);
    if (!(sched_spin_flags & RFLAGS_IF))
        panic("sched: thread %s blocks with interrupts off (or in an interrupt handler)", c->name);
    if (spin_held_count() != 1) {
        char lock[96];
        describe_spinlock(spin_last_held(), lock, sizeof(lock));
        panic("sched: thread %s blocks holding %s", c->name, lock);
    }
}

void sched_block_locked(void)
{
    struct thread *c = current;
    if (SCHED_DEBUG)
        check_can_block(c);
    account_current();
    c->stats.voluntary++;
    sched_trace(EV_BLOCK, c, NULL, 0);
    switch_away();
}

void sched_wake_locked(struct thread *t, int result)
{
    /* A timeout and a wake-up can race for the same sleeper; the first one wins. */
    if (t->state != THREAD_BLOCKED)
        return;
    wq_remove_locked(t);
    timer_cancel_locked(t);
    t->wake_result = result;
    t->woken_ns = time_ns();
    t->stats.wakeups++;
    sched_trace(EV_WAKEUP, t, current, result);
    rq_enqueue(t, ENQ_WAKEUP);
    check_preempt_locked();
}

__noreturn void sched_exit_locked(void)
{
    struct thread *c = current;
    account_current();
    c->stats.voluntary++;
    c->state = THREAD_ZOMBIE;
    sched_trace(EV_EXIT, c, NULL, c->exit_code);
    switch_away();
    panic("sched: zombie thread %s ran again", c->name);
}

#define TICK_NS  (NSEC_PER_SEC / TICK_HZ)
#define STALL_NS (4 * TICK_NS)
static uint64_t last_tick_ns;
static uint64_t stolen_ns;

/* Several tick periods without a tick mean this CPU did not run at all: a hypervisor (or, under TCG,
 * the host) stalled it. The thread that happened to be running is charged one period for the gap,
 * not all of it, so that one stall does not skew the fair policy's shares; the rest is counted as
 * stolen. (A thread keeping interrupts off that long would escape accounting the same way; the
 * stolen total in sched_dump shows either.) */
static void discount_stall(uint64_t now)
{
    uint64_t gap = now - last_tick_ns;
    last_tick_ns = now;
    if (gap <= STALL_NS || !current)
        return;
    uint64_t cut = now - TICK_NS;
    if (current->last_ns < cut) {
        stolen_ns += cut - current->last_ns;
        current->last_ns = cut;
    }
}

uint64_t sched_stolen_ns(void)
{
    return stolen_ns;
}

void sched_tick(void)
{
    uint64_t flags = sched_lock_irqsave();
    __atomic_store_n(&ticks, ticks + 1, __ATOMIC_RELAXED);
    discount_stall(time_ns());
    timer_expire_locked(ticks);
    if (current == sched_idle_thread) {
        if (nr_ready)
            need_resched = true;
    } else {
        account_current();
        if (policy->tick(current))
            need_resched = true;
    }
    sched_unlock_irqrestore(flags);
}

/* The highest priority among the waiters of the mutexes t holds, or t's base if higher. */
static int donated_priority(const struct thread *t)
{
    int p = t->base_priority;
    qlist_for_each(l, &t->held_mutexes)
    {
        const struct mutex *m = qlist_entry(l, struct mutex, held_link);
        const struct thread *w = wq_first_locked(&m->waiters);
        if (w && w->priority > p)
            p = w->priority;
    }
    return p;
}

/* Deep enough for any sane lock nesting; a longer chain is a deadlock cycle or a design problem. */
#define DONATION_DEPTH_MAX 16

void sched_update_priority_locked(struct thread *t)
{
    for (int depth = 0; t && depth < DONATION_DEPTH_MAX; depth++) {
        int p = donated_priority(t);
        if (p == t->priority)
            break;
        t->priority = p;
        if (t->wq)
            wq_requeue_locked(t); /* its place among the other waiters depends on it */
        if (t == current)
            account_current();
        policy->priority_changed(t);
        /* Blocked on a mutex: its owner inherits the change (chained donation). */
        t = t->waiting_on ? t->waiting_on->owner : NULL;
    }
    check_preempt_locked();
}

void thread_set_priority(struct thread *t, int priority)
{
    priority = MAX(PRIO_MIN, MIN(PRIO_MAX, priority));
    uint64_t flags = sched_lock_irqsave();
    t->base_priority = priority;
    sched_update_priority_locked(t);
    sched_unlock_irqrestore(flags);
}

int thread_get_priority(const struct thread *t)
{
    return t->priority;
}

void thread_set_nice(struct thread *t, int nice)
{
    uint64_t flags = sched_lock_irqsave();
    t->nice = MAX(NICE_MIN, MIN(NICE_MAX, nice));
    if (t == current)
        account_current();
    policy->priority_changed(t);
    check_preempt_locked();
    sched_unlock_irqrestore(flags);
}

static const struct sched_policy *find_policy(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
        if (strcmp(policies[i]->name, name) == 0)
            return policies[i];
    return NULL;
}

static bool in_run_queue(const struct thread *t)
{
    return t->state == THREAD_READY && t != sched_idle_thread;
}

int sched_set_policy(const char *name)
{
    const struct sched_policy *p = find_policy(name);
    if (!p)
        return -EINVAL;
    uint64_t flags = sched_lock_irqsave();
    if (current)
        account_current();
    /* Move every runnable thread over; the new policy judges them all afresh. */
    qlist_for_each(l, &all_threads)
    {
        struct thread *t = qlist_entry(l, struct thread, all_link);
        if (in_run_queue(t))
            policy->dequeue(t);
    }
    policy = p;
    policy->init();
    qlist_for_each(l, &all_threads)
    {
        struct thread *t = qlist_entry(l, struct thread, all_link);
        policy->thread_init(t);
        if (in_run_queue(t))
            policy->enqueue(t, ENQ_POLICY);
    }
    check_preempt_locked();
    sched_unlock_irqrestore(flags);
    return 0;
}

/* Used by sched_init before any thread exists: picks the policy from sched= (default rr). */
int sched_select_boot_policy(const char *name)
{
    const struct sched_policy *p = name ? find_policy(name) : &sched_rr;
    policy = p ? p : &sched_rr;
    policy->init();
    return p ? 0 : -EINVAL;
}

void sched_register_thread_locked(struct thread *t)
{
    qlist_push_back(&all_threads, &t->all_link);
    policy->thread_init(t);
}

void sched_unregister_thread_locked(struct thread *t)
{
    qlist_remove(&t->all_link);
}

void sched_start_thread(struct thread *t)
{
    uint64_t flags = sched_lock_irqsave();
    sched_register_thread_locked(t);
    rq_enqueue(t, ENQ_NEW);
    check_preempt_locked();
    sched_unlock_irqrestore(flags);
}

void sched_adopt_boot_thread(struct thread *boot, struct thread *idle)
{
    uint64_t flags = sched_lock_irqsave();
    boot->state = THREAD_RUNNING;
    boot->last_ns = time_ns();
    sched_register_thread_locked(boot);
    idle->state = THREAD_READY;
    sched_register_thread_locked(idle);
    sched_idle_thread = idle;
    current = boot;
    sched_spin.owner = boot; /* taken before there was a current thread */
    sched_running = true;
    sched_unlock_irqrestore(flags);
}

void sched_thread_started(void)
{
    /* The switch that started this thread left the lock held; interrupts come on with the release. */
    sched_unlock_irqrestore(RFLAGS_IF);
}

struct thread_stats sched_thread_stats(struct thread *t)
{
    uint64_t flags = sched_lock_irqsave();
    if (t == current)
        account_current();
    struct thread_stats s = t->stats;
    sched_unlock_irqrestore(flags);
    return s;
}

/* Calls fn on every thread, scheduler lock held (for dumps). */
void sched_for_each_thread_locked(void (*fn)(struct thread *t, void *ctx), void *ctx)
{
    qlist_for_each(l, &all_threads) fn(qlist_entry(l, struct thread, all_link), ctx);
}
