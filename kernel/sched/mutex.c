/* Mutexes with priority donation (see mutex.h). Donation needs no bookkeeping of its own: a thread's
 * effective priority is recomputed from its base and the first waiter of each mutex it holds
 * (sched_update_priority_locked), which also covers releases and nested locks. */
#include "internal.h"
#include <kestrel/mutex.h>
#include <kestrel/panic.h>

void mutex_init_ranked(struct mutex *m, const char *name, int rank)
{
    m->owner = NULL;
    waitqueue_init(&m->waiters, name);
    qlist_init(&m->held_link);
    m->name = name;
    m->rank = rank;
}

void mutex_init(struct mutex *m, const char *name)
{
    mutex_init_ranked(m, name, 0);
}

static void take_locked(struct mutex *m, struct thread *t)
{
    m->owner = t;
    qlist_push_back(&t->held_mutexes, &m->held_link);
}

/* Ranked mutexes must be taken in increasing rank order; this catches an inversion the first time
 * it happens, not only on the unlucky interleaving that deadlocks. */
static void check_order(const struct mutex *m, const struct thread *c)
{
    if (!m->rank)
        return;
    qlist_for_each(l, &c->held_mutexes)
    {
        const struct mutex *h = qlist_entry(l, struct mutex, held_link);
        if (h->rank >= m->rank)
            panic("lock order: thread %s takes mutex %s (rank %d) while holding %s (rank %d)", c->name,
                  m->name, m->rank, h->name, h->rank);
    }
}

void mutex_lock(struct mutex *m)
{
    might_sleep();
    uint64_t flags = sched_lock_irqsave();
    struct thread *c = thread_current();
    if (m->owner == c)
        panic("mutex %s: thread %s locks it again", m->name, c->name);
    if (SCHED_DEBUG)
        check_order(m, c);
    if (!m->owner) {
        take_locked(m, c);
        sched_unlock_irqrestore(flags);
        return;
    }
    c->waiting_on = m;
    wait_prepare_locked(&m->waiters, WAIT_FOREVER);
    sched_update_priority_locked(m->owner); /* donate, down the chain of owners */
    sched_block_locked();
    /* mutex_release_locked handed the mutex over before waking us. */
    BUG_ON(m->owner != c);
    sched_unlock_irqrestore(flags);
}

bool mutex_trylock(struct mutex *m)
{
    uint64_t flags = sched_lock_irqsave();
    bool ok = !m->owner;
    if (ok)
        take_locked(m, thread_current());
    sched_unlock_irqrestore(flags);
    return ok;
}

void mutex_release_locked(struct mutex *m)
{
    struct thread *c = m->owner;
    qlist_remove(&m->held_link);
    m->owner = NULL;
    struct thread *w = wq_first_locked(&m->waiters);
    if (w) {
        /* Hand-off: the most important waiter owns it before it even runs, so nobody can barge in. */
        w->waiting_on = NULL;
        sched_wake_locked(w, 0);
        take_locked(m, w);
        sched_update_priority_locked(w); /* the remaining waiters now donate to the new owner */
    }
    sched_update_priority_locked(c); /* c keeps only what its other mutexes bring */
}

void mutex_unlock(struct mutex *m)
{
    uint64_t flags = sched_lock_irqsave();
    struct thread *c = thread_current();
    if (m->owner != c)
        panic("mutex %s: unlocked by thread %s, but owned by %s", m->name, c->name,
              m->owner ? m->owner->name : "nobody");
    mutex_release_locked(m);
    sched_unlock_irqrestore(flags);
}

bool mutex_held_by_current(const struct mutex *m)
{
    return m->owner == thread_current();
}
