/* Shared between the scheduler's files (not for the rest of the kernel): the pieces of blocking that
 * the primitives compose, thread bookkeeping, policy introspection for tests. All "_locked"
 * functions need the scheduler lock. */
#pragma once
#include <kestrel/sched.h>

#define THREAD_MAGIC 0x7468726du /* "thrm": a thread structure that has not been freed */

/* Queues current on wq (in priority order) and, unless timeout is WAIT_FOREVER, on the sleep timer;
 * marks it BLOCKED. The caller then releases whatever it must and calls sched_block_locked(), after
 * which current->wake_result says how it was woken. */
void wait_prepare_locked(struct waitqueue *wq, long timeout);
/* Takes t off its wait queue (if any), keeping the queue otherwise untouched. */
void wq_remove_locked(struct thread *t);
/* Puts t back in its wait queue at the place its (changed) priority calls for. */
void wq_requeue_locked(struct thread *t);
/* The sleep timer: t wakes with -ETIMEDOUT at tick wake_tick. */
void timer_arm_locked(struct thread *t, uint64_t wake_tick);
void timer_cancel_locked(struct thread *t);
/* Wakes every thread whose wake tick has come (from sched_tick). */
void timer_expire_locked(uint64_t now);

/* Registers t in the list of every thread, and removes it. */
void sched_register_thread_locked(struct thread *t);
void sched_unregister_thread_locked(struct thread *t);
/* Adds a new thread to the run queue. */
void sched_start_thread(struct thread *t);
/* Makes the boot thread a real thread (the caller becomes it) and records the idle thread. */
void sched_adopt_boot_thread(struct thread *boot, struct thread *idle);
/* Called first by every new thread: releases the scheduler lock its creator's switch left held. */
void sched_thread_started(void);
/* Switches away from an exiting thread for the last time. */
__noreturn void sched_exit_locked(void);
/* Runnable threads waiting in the policy's queue (not counting the running one). */
unsigned sched_nr_ready(void);

/* Policy internals the tests look at. */
int mlfq_thread_level(const struct thread *t);
int mlfq_levels(void);
uint64_t mlfq_boosts(void);
unsigned mlfq_boost_period(void);
/* For tests that show what the boost is for. */
void mlfq_set_boost_period(unsigned ticks);
uint64_t cfs_weight(int nice);

/* Kernel stacks: KSTACK_SIZE bytes with unmapped guard pages below. */
#define KSTACK_SIZE (16 * 1024)
void *kstack_alloc(void);
void kstack_free(void *base);
/* The start of the unmapped guard region below a stack (for tests). */
uintptr_t kstack_guard_addr(const void *base);

/* Picks the boot policy by name (NULL: the default); -EINVAL and the default for unknown names. */
int sched_select_boot_policy(const char *name);
/* Calls fn on every thread, scheduler lock held (for dumps). */
void sched_for_each_thread_locked(void (*fn)(struct thread *t, void *ctx), void *ctx);

/* Releases m (owned by the current thread), handing it to the first waiter; for condition variables,
 * which must release the mutex and go to sleep without dropping the scheduler lock in between. */
void mutex_release_locked(struct mutex *m);
