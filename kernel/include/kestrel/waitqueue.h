/* Wait queues: where threads sleep until another thread or an interrupt wakes them, optionally with a
 * timeout. Waiters are kept in effective-priority order (FIFO among equals), so every primitive built
 * on them (mutexes, semaphores, condition variables) wakes the most important waiter first.
 * Also the intrusive list (struct qlink) all the scheduler's queues use. */
#pragma once
#include <kestrel/types.h>
#include <uapi/errno.h>

/* A circular doubly linked list; a head is a qlink that is not inside an element. */
struct qlink {
    struct qlink *prev, *next;
};

#define QLIST_INIT(head)                                                                                     \
    {                                                                                                        \
        &(head), &(head)                                                                                     \
    }

static inline void qlist_init(struct qlink *head)
{
    head->prev = head->next = head;
}

static inline bool qlist_empty(const struct qlink *head)
{
    return head->next == head;
}

/* Links n in just before pos (at the tail when pos is the head). */
static inline void qlist_insert_before(struct qlink *pos, struct qlink *n)
{
    n->prev = pos->prev;
    n->next = pos;
    pos->prev->next = n;
    pos->prev = n;
}

static inline void qlist_push_back(struct qlink *head, struct qlink *n)
{
    qlist_insert_before(head, n);
}

static inline void qlist_push_front(struct qlink *head, struct qlink *n)
{
    qlist_insert_before(head->next, n);
}

/* Unlinks n and leaves it pointing at itself, so qlist_linked() tells whether it is on a list. */
static inline void qlist_remove(struct qlink *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

static inline bool qlist_linked(const struct qlink *n)
{
    return n->next != n;
}

static inline struct qlink *qlist_pop_front(struct qlink *head)
{
    if (qlist_empty(head))
        return NULL;
    struct qlink *n = head->next;
    qlist_remove(n);
    return n;
}

/* Moves every element of from to the tail of to, in order; from ends up empty. O(1). */
static inline void qlist_splice_back(struct qlink *to, struct qlink *from)
{
    if (qlist_empty(from))
        return;
    from->next->prev = to->prev;
    to->prev->next = from->next;
    from->prev->next = to;
    to->prev = from->prev;
    qlist_init(from);
}

#define qlist_entry(ptr, type, member) container_of(ptr, type, member)
#define qlist_for_each(pos, head)      for (struct qlink *pos = (head)->next; pos != (head); pos = pos->next)

struct thread;

struct waitqueue {
    struct qlink waiters; /* threads, by wq_link; protected by the scheduler lock */
    const char *name;
};

#define WAITQUEUE_INIT(wq, n)                                                                                \
    {                                                                                                        \
        QLIST_INIT((wq).waiters), (n)                                                                        \
    }

/* Timeouts are in scheduler ticks (TICK_HZ per second). */
#define WAIT_FOREVER (-1l)

void waitqueue_init(struct waitqueue *wq, const char *name);
bool waitqueue_empty(const struct waitqueue *wq);

/* The waking side. Callable from any context, interrupt handlers included. Return how many threads
 * were woken. */
int wq_wake_one(struct waitqueue *wq);
int wq_wake_all(struct waitqueue *wq);

/* The sleeping side takes the scheduler lock itself, so it can test a condition and go to sleep with
 * no window in between for a wake-up to get lost (see wait_event_timeout). These run with the
 * scheduler lock held (sched_lock_irqsave in sched.h): */

/* Sleeps on wq until woken or timeout ticks pass; returns 0 when woken, -ETIMEDOUT on timeout. The
 * scheduler lock is dropped while asleep and held again on return. */
int wq_wait_locked(struct waitqueue *wq, long timeout);
int wq_wake_one_locked(struct waitqueue *wq);
int wq_wake_all_locked(struct waitqueue *wq);
/* The first (most important) waiter, or NULL. */
struct thread *wq_first_locked(const struct waitqueue *wq);

/* From sched.h, for the macro below. */
uint64_t sched_lock_irqsave(void);
void sched_unlock_irqrestore(uint64_t flags);
uint64_t sched_ticks(void);

/* The loop under both kinds of wait_event: sleeps with wait_locked until cond is true, rechecking it
 * after every wake-up, for at most timeout ticks in all. Evaluates to 0, -ETIMEDOUT, or the first
 * other negative value wait_locked returned (-ERESTARTSYS for interruptible sleeps). */
#define __wait_event_loop(wq, cond, timeout, wait_locked)                                                    \
    ({                                                                                                       \
        int __ret = 0;                                                                                       \
        long __left = (timeout);                                                                             \
        uint64_t __flags = sched_lock_irqsave();                                                             \
        uint64_t __start = sched_ticks();                                                                    \
        while (!(cond)) {                                                                                    \
            if (__left != WAIT_FOREVER) {                                                                    \
                long __used = (long)(sched_ticks() - __start);                                               \
                if (__used >= (timeout)) {                                                                   \
                    __ret = -ETIMEDOUT;                                                                      \
                    break;                                                                                   \
                }                                                                                            \
                __left = (timeout)-__used;                                                                   \
            }                                                                                                \
            int __r = wait_locked((wq), __left);                                                             \
            if (__r < 0 && __r != -ETIMEDOUT) {                                                              \
                __ret = __r;                                                                                 \
                break;                                                                                       \
            }                                                                                                \
        }                                                                                                    \
        sched_unlock_irqrestore(__flags);                                                                    \
        __ret;                                                                                               \
    })

/* An uninterruptible sleep ends only by a wake-up or the timeout; the loop rechecks both itself. */
static inline int wq_wait_uninterruptible_locked(struct waitqueue *wq, long timeout)
{
    wq_wait_locked(wq, timeout);
    return 0;
}

/* Sleeps until cond is true, rechecking it after every wake-up; evaluates to 0, or -ETIMEDOUT when
 * timeout ticks passed first. cond is evaluated with the scheduler lock held and interrupts off, so
 * it must be a cheap test of memory that wakers change before calling wq_wake_*. */
#define wait_event_timeout(wq, cond, timeout)                                                                \
    __wait_event_loop((wq), cond, (timeout), wq_wait_uninterruptible_locked)

#define wait_event(wq, cond) ((void)wait_event_timeout((wq), (cond), WAIT_FOREVER))

/* Interruptible sleeps, for system calls that block on behalf of user space (pipes, terminals,
 * wait4, pause...). Like wq_wait_locked, but a signal the sleeper must handle (see
 * signal_pending_current in kestrel/signal.h) ends the wait at once with -ERESTARTSYS, which the call
 * returns unchanged: the way back to user mode turns it into -EINTR or a restart of the call. */
int wq_wait_interruptible_locked(struct waitqueue *wq, long timeout);
/* Ends t's interruptible sleep with -ERESTARTSYS, if it is in one (signal senders call it). Scheduler
 * lock held. */
void sched_interrupt_locked(struct thread *t);

/* wait_event_timeout that a signal interrupts: 0, -ETIMEDOUT, or -ERESTARTSYS. */
#define wait_event_interruptible_timeout(wq, cond, timeout)                                                  \
    __wait_event_loop((wq), cond, (timeout), wq_wait_interruptible_locked)

/* 0, or -ERESTARTSYS when a signal came first. */
#define wait_event_interruptible(wq, cond) wait_event_interruptible_timeout((wq), (cond), WAIT_FOREVER)
