/* Strict priority: the highest-priority runnable thread always runs, round robin among equals. A
 * 64-bit mask of non-empty levels makes every operation O(1). Low priorities can starve; that is the
 * contract (and why mutexes donate priority). */
#include "internal.h"

#define PRIO_SLICE_TICKS 4

static struct qlink queues[PRIO_LEVELS]; /* scheduler lock */
static uint64_t nonempty;                /* bit p set when queues[p] has threads */

static int top_level(void)
{
    return nonempty ? 63 - __builtin_clzll(nonempty) : -1;
}

static void prio_init(void)
{
    for (int i = 0; i < PRIO_LEVELS; i++)
        qlist_init(&queues[i]);
    nonempty = 0;
}

static void prio_thread_init(struct thread *t)
{
    t->pol.prio.slice = PRIO_SLICE_TICKS;
}

static void push(struct thread *t, bool front)
{
    int p = t->priority;
    t->pol.prio.queued_at = p;
    if (front)
        qlist_push_front(&queues[p], &t->rq_link);
    else
        qlist_push_back(&queues[p], &t->rq_link);
    nonempty |= 1ull << p;
}

static void prio_enqueue(struct thread *t, enum sched_enqueue why)
{
    /* A thread preempted by a more important one resumes first among its equals, with what was left
     * of its slice; everyone else queues at the back with a fresh one. */
    bool resume = why == ENQ_PREEMPTED && t->pol.prio.slice > 0;
    if (!resume)
        t->pol.prio.slice = PRIO_SLICE_TICKS;
    push(t, resume);
}

static void prio_dequeue(struct thread *t)
{
    int level = t->pol.prio.queued_at;
    qlist_remove(&t->rq_link);
    if (qlist_empty(&queues[level]))
        nonempty &= ~(1ull << level);
}

static struct thread *prio_pick_next(void)
{
    int level = top_level();
    if (level < 0)
        return NULL;
    struct thread *t = qlist_entry(queues[level].next, struct thread, rq_link);
    prio_dequeue(t);
    return t;
}

static bool prio_tick(struct thread *cur)
{
    if (cur->pol.prio.slice > 0)
        cur->pol.prio.slice--;
    /* Round robin only among equals: the end of a slice never hands the CPU to a lower priority. */
    return cur->pol.prio.slice == 0 && top_level() >= cur->priority;
}

static void prio_yield(struct thread *cur)
{
    cur->pol.prio.slice = PRIO_SLICE_TICKS;
    push(cur, false);
}

static void prio_priority_changed(struct thread *t)
{
    if (t->state != THREAD_READY || t == sched_idle_thread)
        return;
    prio_dequeue(t);
    push(t, false);
}

static bool prio_should_preempt(struct thread *cur)
{
    return top_level() > cur->priority;
}

const struct sched_policy sched_prio = {
    .name = "prio",
    .init = prio_init,
    .thread_init = prio_thread_init,
    .enqueue = prio_enqueue,
    .dequeue = prio_dequeue,
    .pick_next = prio_pick_next,
    .tick = prio_tick,
    .yield = prio_yield,
    .priority_changed = prio_priority_changed,
    .should_preempt = prio_should_preempt,
};
