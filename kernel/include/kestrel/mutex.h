/* Sleeping mutexes with priority donation: a thread blocked on a mutex lends its priority to the
 * owner, and on down the chain of owners the owner is itself waiting for (nested and chained
 * donation), so a low-priority holder cannot keep a high-priority waiter off the CPU indefinitely.
 * Unlock hands the mutex straight to the most important waiter. Thread context only. */
#pragma once
#include <kestrel/waitqueue.h>

struct mutex {
    struct thread *owner;     /* NULL when free */
    struct waitqueue waiters; /* in priority order */
    struct qlink held_link;   /* in the owner's held_mutexes */
    const char *name;
    int rank; /* lock order: 0 unchecked, else only taken above held ranks */
};
/* All fields are protected by the scheduler lock. */

#define MUTEX_INIT(m, n)                                                                                     \
    {                                                                                                        \
        NULL, WAITQUEUE_INIT((m).waiters, n), QLIST_INIT((m).held_link), (n), 0                              \
    }

void mutex_init(struct mutex *m, const char *name);
/* A ranked mutex may only be taken while every ranked mutex the thread holds has a lower rank;
 * debug builds panic otherwise, naming both (docs/locking.md lists the ranks). */
void mutex_init_ranked(struct mutex *m, const char *name, int rank);
void mutex_lock(struct mutex *m);
/* Takes the mutex if it is free; returns whether it did. Never sleeps. */
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held_by_current(const struct mutex *m);
