/* Round robin, the baseline policy: one FIFO run queue, a fixed time slice, priorities ignored. Fair
 * in turns (not in CPU time: a thread that blocks early gives up the rest of its slice), O(1)
 * everywhere, and never preempts on a wake-up. */
#include "internal.h"

#define RR_SLICE_TICKS 10

static struct qlink queue; /* runnable threads by rq_link; scheduler lock */

static void rr_init(void)
{
    qlist_init(&queue);
}

static void rr_thread_init(struct thread *t)
{
    t->pol.rr.slice = RR_SLICE_TICKS;
}

static void rr_enqueue(struct thread *t, enum sched_enqueue why)
{
    (void)why;
    qlist_push_back(&queue, &t->rq_link);
}

static void rr_dequeue(struct thread *t)
{
    qlist_remove(&t->rq_link);
}

static struct thread *rr_pick_next(void)
{
    struct qlink *l = qlist_pop_front(&queue);
    if (!l)
        return NULL;
    struct thread *t = qlist_entry(l, struct thread, rq_link);
    t->pol.rr.slice = RR_SLICE_TICKS;
    return t;
}

static bool rr_tick(struct thread *cur)
{
    if (--cur->pol.rr.slice > 0)
        return false;
    cur->pol.rr.slice = RR_SLICE_TICKS;
    return !qlist_empty(&queue); /* alone, it just starts another slice */
}

static void rr_yield(struct thread *cur)
{
    qlist_push_back(&queue, &cur->rq_link);
}

static void rr_priority_changed(struct thread *t)
{
    (void)t;
}

static bool rr_should_preempt(struct thread *cur)
{
    (void)cur;
    return false;
}

const struct sched_policy sched_rr = {
    .name = "rr",
    .init = rr_init,
    .thread_init = rr_thread_init,
    .enqueue = rr_enqueue,
    .dequeue = rr_dequeue,
    .pick_next = rr_pick_next,
    .tick = rr_tick,
    .yield = rr_yield,
    .priority_changed = rr_priority_changed,
    .should_preempt = rr_should_preempt,
};
