/* Condition variables, used with a mutex (Mesa semantics). A woken waiter holds the mutex again on
 * return but must recheck its condition in a while loop: another thread may have run first, and
 * wait_timeout may return for the timeout alone. Signal wakes the most important waiter. */
#pragma once
#include <kestrel/mutex.h>

struct condvar {
    struct waitqueue waiters; /* protected by the scheduler lock */
};

#define CONDVAR_INIT(c, n)                                                                                   \
    {                                                                                                        \
        WAITQUEUE_INIT((c).waiters, n)                                                                       \
    }

void cond_init(struct condvar *c, const char *name);
/* Atomically releases m and sleeps; reacquires m before returning. The caller must hold m. */
void cond_wait(struct condvar *c, struct mutex *m);
/* As cond_wait, but gives up after timeout ticks: returns 0 when signalled, -ETIMEDOUT otherwise. */
int cond_wait_timeout(struct condvar *c, struct mutex *m, long timeout);
/* Wake one waiter / all waiters. The caller normally holds the mutex, which keeps the condition and
 * the wake-up consistent; the primitive itself does not require it. */
void cond_signal(struct condvar *c);
void cond_broadcast(struct condvar *c);
