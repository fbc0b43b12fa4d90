/* Condition variables (see condvar.h). The waiter joins the queue and releases the mutex under one
 * hold of the scheduler lock, so a signal sent right after the release cannot be missed. */
#include "internal.h"
#include <kestrel/condvar.h>
#include <kestrel/panic.h>

void cond_init(struct condvar *c, const char *name)
{
    waitqueue_init(&c->waiters, name);
}

int cond_wait_timeout(struct condvar *c, struct mutex *m, long timeout)
{
    might_sleep();
    uint64_t flags = sched_lock_irqsave();
    struct thread *self = thread_current();
    if (m->owner != self)
        panic("condvar %s: wait by thread %s without holding mutex %s", c->waiters.name, self->name, m->name);
    wait_prepare_locked(&c->waiters, timeout); /* 0: gives up at the next tick */
    mutex_release_locked(m);
    sched_block_locked();
    int r = self->wake_result;
    sched_unlock_irqrestore(flags);
    mutex_lock(m);
    return r;
}

void cond_wait(struct condvar *c, struct mutex *m)
{
    cond_wait_timeout(c, m, WAIT_FOREVER);
}

void cond_signal(struct condvar *c)
{
    wq_wake_one(&c->waiters);
}

void cond_broadcast(struct condvar *c)
{
    wq_wake_all(&c->waiters);
}
