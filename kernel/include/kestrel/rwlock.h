/* Sleeping reader-writer locks: many readers or one writer. Writers are preferred: once a writer
 * waits, new readers queue behind it, so a stream of readers cannot starve writers. No priority
 * donation (readers are anonymous). Thread context only. */
#pragma once
#include <kestrel/waitqueue.h>

struct rwlock {
    int readers;           /* readers inside */
    struct thread *writer; /* the writer inside, or NULL */
    int writers_waiting;
    struct waitqueue read_wq, write_wq;
    const char *name;
};
/* All fields are protected by the scheduler lock. */

void rwlock_init(struct rwlock *l, const char *name);
void read_lock(struct rwlock *l);
void read_unlock(struct rwlock *l);
void write_lock(struct rwlock *l);
void write_unlock(struct rwlock *l);
