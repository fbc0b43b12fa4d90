/* Reader-writer locks (see rwlock.h). Waiters recheck the state after every wake-up; the wake-ups
 * below are the ones that can change a waiter's answer: the last reader out wakes a writer, a
 * writer leaving wakes the next writer or, when none waits, every reader. */
#include "internal.h"
#include <kestrel/panic.h>
#include <kestrel/rwlock.h>

void rwlock_init(struct rwlock *l, const char *name)
{
    l->readers = 0;
    l->writer = NULL;
    l->writers_waiting = 0;
    waitqueue_init(&l->read_wq, name);
    waitqueue_init(&l->write_wq, name);
    l->name = name;
}

void read_lock(struct rwlock *l)
{
    might_sleep();
    uint64_t flags = sched_lock_irqsave();
    while (l->writer || l->writers_waiting)
        wq_wait_locked(&l->read_wq, WAIT_FOREVER);
    l->readers++;
    sched_unlock_irqrestore(flags);
}

void read_unlock(struct rwlock *l)
{
    uint64_t flags = sched_lock_irqsave();
    BUG_ON(l->readers <= 0);
    if (--l->readers == 0)
        wq_wake_one_locked(&l->write_wq);
    sched_unlock_irqrestore(flags);
}

void write_lock(struct rwlock *l)
{
    might_sleep();
    uint64_t flags = sched_lock_irqsave();
    struct thread *c = thread_current();
    if (l->writer == c)
        panic("rwlock %s: thread %s write-locks it again", l->name, c->name);
    l->writers_waiting++;
    while (l->writer || l->readers)
        wq_wait_locked(&l->write_wq, WAIT_FOREVER);
    l->writers_waiting--;
    l->writer = c;
    sched_unlock_irqrestore(flags);
}

void write_unlock(struct rwlock *l)
{
    uint64_t flags = sched_lock_irqsave();
    if (l->writer != thread_current())
        panic("rwlock %s: write-unlocked by a thread that does not hold it", l->name);
    l->writer = NULL;
    if (l->writers_waiting)
        wq_wake_one_locked(&l->write_wq);
    else
        wq_wake_all_locked(&l->read_wq);
    sched_unlock_irqrestore(flags);
}
