/* Wait queues and the sleep timer. A blocked thread can be on one wait queue and on the timer at the
 * same time (a wait with a timeout); whichever wakes it first takes it off both, under the scheduler
 * lock, so a wake-up and a timeout can never both happen. */
#include "internal.h"
#include <kestrel/panic.h>
#include <kestrel/signal.h>
#include <uapi/errno.h>

/* Blocked threads with a wake-up tick, soonest first (scheduler lock). A tree, not a list: inserting
 * a sleeper costs O(log n) and the tick handler only ever looks at the leftmost node. */
static struct rb_root sleepers = RB_ROOT_INIT;

void waitqueue_init(struct waitqueue *wq, const char *name)
{
    qlist_init(&wq->waiters);
    wq->name = name;
}

bool waitqueue_empty(const struct waitqueue *wq)
{
    return qlist_empty(&wq->waiters);
}

static struct thread *waiter(struct qlink *l)
{
    return qlist_entry(l, struct thread, wq_link);
}

static void wq_insert_locked(struct waitqueue *wq, struct thread *t)
{
    /* Walk back from the tail past lower priorities only: equal priorities stay FIFO, and when all
     * waiters share a priority (the usual case) this is O(1). */
    struct qlink *pos = &wq->waiters;
    while (pos->prev != &wq->waiters && waiter(pos->prev)->priority < t->priority)
        pos = pos->prev;
    qlist_insert_before(pos, &t->wq_link);
    t->wq = wq;
}

void wq_remove_locked(struct thread *t)
{
    if (!t->wq)
        return;
    qlist_remove(&t->wq_link);
    t->wq = NULL;
}

void wq_requeue_locked(struct thread *t)
{
    struct waitqueue *wq = t->wq;
    wq_remove_locked(t);
    wq_insert_locked(wq, t);
}

struct thread *wq_first_locked(const struct waitqueue *wq)
{
    return qlist_empty(&wq->waiters) ? NULL : waiter(wq->waiters.next);
}

void wait_prepare_locked(struct waitqueue *wq, long timeout)
{
    struct thread *c = thread_current();
    c->wake_result = 0;
    if (wq)
        wq_insert_locked(wq, c);
    if (timeout != WAIT_FOREVER)
        timer_arm_locked(c, sched_ticks() + (uint64_t)timeout);
    c->state = THREAD_BLOCKED;
}

int wq_wait_locked(struct waitqueue *wq, long timeout)
{
    if (timeout == 0)
        return -ETIMEDOUT;
    wait_prepare_locked(wq, timeout);
    sched_block_locked();
    return thread_current()->wake_result;
}

int wq_wait_interruptible_locked(struct waitqueue *wq, long timeout)
{
    /* Checked with the scheduler lock held: a sender makes the signal pending first and then takes
     * this lock to wake us, so it either is seen here or finds us asleep. */
    if (signal_pending_current())
        return -ERESTARTSYS;
    if (timeout == 0)
        return -ETIMEDOUT;
    struct thread *c = thread_current();
    wait_prepare_locked(wq, timeout);
    c->interruptible = true;
    sched_block_locked();
    c->interruptible = false;
    return c->wake_result;
}

void sched_interrupt_locked(struct thread *t)
{
    if (t->state == THREAD_BLOCKED && t->interruptible)
        sched_wake_locked(t, -ERESTARTSYS);
}

int wq_wake_one_locked(struct waitqueue *wq)
{
    struct thread *t = wq_first_locked(wq);
    if (!t)
        return 0;
    sched_wake_locked(t, 0);
    return 1;
}

int wq_wake_all_locked(struct waitqueue *wq)
{
    int n = 0;
    for (struct thread *t; (t = wq_first_locked(wq)); n++)
        sched_wake_locked(t, 0);
    return n;
}

int wq_wake_one(struct waitqueue *wq)
{
    uint64_t flags = sched_lock_irqsave();
    int n = wq_wake_one_locked(wq);
    sched_unlock_irqrestore(flags);
    return n;
}

int wq_wake_all(struct waitqueue *wq)
{
    uint64_t flags = sched_lock_irqsave();
    int n = wq_wake_all_locked(wq);
    sched_unlock_irqrestore(flags);
    return n;
}

static bool wakes_before(const struct rb_node *a, const struct rb_node *b)
{
    return rb_entry(a, struct thread, sleep_node)->wake_tick <
           rb_entry(b, struct thread, sleep_node)->wake_tick;
}

void timer_arm_locked(struct thread *t, uint64_t wake_tick)
{
    BUG_ON(t->on_timer);
    t->wake_tick = wake_tick;
    rb_insert(&sleepers, &t->sleep_node, wakes_before);
    t->on_timer = true;
}

void timer_cancel_locked(struct thread *t)
{
    if (!t->on_timer)
        return;
    rb_erase(&sleepers, &t->sleep_node);
    t->on_timer = false;
}

void timer_expire_locked(uint64_t now)
{
    struct rb_node *n;
    while ((n = rb_first(&sleepers)) && rb_entry(n, struct thread, sleep_node)->wake_tick <= now) {
        struct thread *t = rb_entry(n, struct thread, sleep_node);
        timer_cancel_locked(t);
        sched_wake_locked(t, -ETIMEDOUT);
    }
}
