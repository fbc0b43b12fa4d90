/* Counting semaphores (see semaphore.h): a unit released while someone waits goes straight to the
 * first waiter instead of into the count. */
#include "internal.h"
#include <kestrel/semaphore.h>

void sema_init(struct semaphore *s, const char *name, unsigned count)
{
    s->count = count;
    waitqueue_init(&s->waiters, name);
}

int sema_down_timeout(struct semaphore *s, long timeout)
{
    might_sleep();
    uint64_t flags = sched_lock_irqsave();
    int r = 0;
    if (s->count)
        s->count--;
    else
        r = wq_wait_locked(&s->waiters, timeout); /* 0: sema_up handed us its unit */
    sched_unlock_irqrestore(flags);
    return r;
}

void sema_down(struct semaphore *s)
{
    sema_down_timeout(s, WAIT_FOREVER);
}

bool sema_trydown(struct semaphore *s)
{
    uint64_t flags = sched_lock_irqsave();
    bool ok = s->count > 0;
    if (ok)
        s->count--;
    sched_unlock_irqrestore(flags);
    return ok;
}

void sema_up(struct semaphore *s)
{
    uint64_t flags = sched_lock_irqsave();
    if (!wq_wake_one_locked(&s->waiters))
        s->count++;
    sched_unlock_irqrestore(flags);
}
