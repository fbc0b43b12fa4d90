/* Counting semaphores. sema_up hands its unit directly to the most important waiter (priority
 * order, FIFO among equals), so a woken waiter never finds the count taken by someone who came later
 * and there is no need to recheck. Up may be called from interrupt handlers; down only from threads. */
#pragma once
#include <kestrel/waitqueue.h>

struct semaphore {
    unsigned count;           /* units available; only nonzero when nobody waits */
    struct waitqueue waiters; /* protected, with count, by the scheduler lock */
};

#define SEMAPHORE_INIT(s, n, c)                                                                              \
    {                                                                                                        \
        (c), WAITQUEUE_INIT((s).waiters, n)                                                                  \
    }

void sema_init(struct semaphore *s, const char *name, unsigned count);
void sema_down(struct semaphore *s);
/* Returns 0, or -ETIMEDOUT when no unit came within timeout ticks. */
int sema_down_timeout(struct semaphore *s, long timeout);
/* Takes a unit if one is available; never sleeps. */
bool sema_trydown(struct semaphore *s);
void sema_up(struct semaphore *s);
