/* Multi-level feedback queue: the scheduler learns what each thread is from how it behaves. Threads
 * start in the top queue; one that uses up a whole quantum at its level is demoted (CPU-bound work
 * sinks), one that blocks before that keeps its level (interactive work stays on top). Queues are
 * served strictly top first, round robin inside, and lower queues get longer quanta. To keep the
 * bottom from starving and let threads that changed behaviour climb back, everything is boosted to
 * the top every MLFQ_BOOST_TICKS. Static priorities and donation are ignored. */
#include "internal.h"

#define MLFQ_LEVELS      4
#define MLFQ_BOOST_TICKS 100

static const int quantum[MLFQ_LEVELS] = {4, 8, 16, 32}; /* ticks */

/* Scheduler lock protects all of these. */
static struct qlink queues[MLFQ_LEVELS];
/* A boost moves whole queues to the top in O(levels) and bumps the epoch; a thread's level and
 * quantum use are only valid for the epoch it recorded, so no thread needs visiting. */
static uint64_t epoch;
static uint64_t next_boost;
static uint64_t boosts;
static unsigned boost_period = MLFQ_BOOST_TICKS;

static void refresh(struct thread *t)
{
    if (t->pol.mlfq.epoch == epoch)
        return;
    t->pol.mlfq.epoch = epoch;
    t->pol.mlfq.level = 0;
    t->pol.mlfq.used = 0;
}

static void maybe_boost(void)
{
    if (sched_ticks() < next_boost)
        return;
    for (int l = 1; l < MLFQ_LEVELS; l++)
        qlist_splice_back(&queues[0], &queues[l]);
    epoch++;
    boosts++;
    next_boost = sched_ticks() + boost_period;
}

static int top_level(void)
{
    for (int l = 0; l < MLFQ_LEVELS; l++)
        if (!qlist_empty(&queues[l]))
            return l;
    return MLFQ_LEVELS;
}

static void mlfq_init(void)
{
    for (int l = 0; l < MLFQ_LEVELS; l++)
        qlist_init(&queues[l]);
    epoch++;
    next_boost = sched_ticks() + boost_period;
}

static void mlfq_thread_init(struct thread *t)
{
    t->pol.mlfq.epoch = epoch;
    t->pol.mlfq.level = 0;
    t->pol.mlfq.used = 0;
}

static void mlfq_enqueue(struct thread *t, enum sched_enqueue why)
{
    refresh(t);
    if (why == ENQ_WAKEUP)
        t->pol.mlfq.used = 0; /* it blocked before its quantum ran out: it keeps its level */
    qlist_push_back(&queues[t->pol.mlfq.level], &t->rq_link);
}

static void mlfq_dequeue(struct thread *t)
{
    qlist_remove(&t->rq_link);
}

static struct thread *mlfq_pick_next(void)
{
    maybe_boost();
    int l = top_level();
    if (l == MLFQ_LEVELS)
        return NULL;
    struct thread *t = qlist_entry(qlist_pop_front(&queues[l]), struct thread, rq_link);
    refresh(t);
    return t;
}

static bool mlfq_tick(struct thread *cur)
{
    maybe_boost();
    refresh(cur);
    if (++cur->pol.mlfq.used >= quantum[cur->pol.mlfq.level]) {
        if (cur->pol.mlfq.level < MLFQ_LEVELS - 1)
            cur->pol.mlfq.level++;
        cur->pol.mlfq.used = 0;
        return top_level() <= cur->pol.mlfq.level;
    }
    return top_level() < cur->pol.mlfq.level;
}

static void mlfq_yield(struct thread *cur)
{
    /* Yielding keeps the quantum used so far: a thread cannot dodge demotion by yielding just
     * before its quantum ends. */
    refresh(cur);
    qlist_push_back(&queues[cur->pol.mlfq.level], &cur->rq_link);
}

static void mlfq_priority_changed(struct thread *t)
{
    (void)t;
}

static bool mlfq_should_preempt(struct thread *cur)
{
    refresh(cur);
    return top_level() < cur->pol.mlfq.level;
}

int mlfq_thread_level(const struct thread *t)
{
    return t->pol.mlfq.epoch == epoch ? t->pol.mlfq.level : 0;
}

int mlfq_levels(void)
{
    return MLFQ_LEVELS;
}

uint64_t mlfq_boosts(void)
{
    return boosts;
}

unsigned mlfq_boost_period(void)
{
    return boost_period;
}

void mlfq_set_boost_period(unsigned ticks)
{
    uint64_t flags = sched_lock_irqsave();
    boost_period = ticks;
    next_boost = sched_ticks() + ticks;
    sched_unlock_irqrestore(flags);
}

const struct sched_policy sched_mlfq = {
    .name = "mlfq",
    .init = mlfq_init,
    .thread_init = mlfq_thread_init,
    .enqueue = mlfq_enqueue,
    .dequeue = mlfq_dequeue,
    .pick_next = mlfq_pick_next,
    .tick = mlfq_tick,
    .yield = mlfq_yield,
    .priority_changed = mlfq_priority_changed,
    .should_preempt = mlfq_should_preempt,
};
