/* Futexes: 32-bit words of user memory that threads sleep on and wake each other through
 * (futex(2)); the core behind the system call and the exit-time wake of CLONE_CHILD_CLEARTID. */
#pragma once
#include <kestrel/types.h>

struct mm;

/* Every futex bit set: FUTEX_WAIT and FUTEX_WAKE match any waiter. */
#define FUTEX_BITSET_ANY 0xffffffffu

/* shared: a futex without FUTEX_PRIVATE_FLAG, matched across processes when it lies in MAP_SHARED
 * memory; private ones match only within mm. */

/* Sleeps while the word at uaddr in mm (the caller's address space) holds val, until a wake that
 * matches bitset, timeout ticks (WAIT_FOREVER: none) or a signal. 0 when woken, -EAGAIN when the
 * word differs, -EFAULT, -ETIMEDOUT, or -ERESTARTSYS (a signal to handle). A wake that arrives is
 * never lost: it wins over a racing timeout, signal or value change. */
int futex_wait(struct mm *mm, uint64_t uaddr, bool shared, uint32_t val, uint32_t bitset, long timeout);
/* Wakes up to n (at least one, as Linux counts) waiters on (mm, uaddr) whose bitset meets bitset;
 * returns how many. Touches no user memory: callable with nothing mapped at uaddr. */
int futex_wake(struct mm *mm, uint64_t uaddr, bool shared, int n, uint32_t bitset);
/* The robust list at head (set_robust_list) of the thread tid that is exiting or exec'ing, in mm (the
 * current address space): every lock word it still owns gets FUTEX_OWNER_DIED and a waiter is woken.
 * Bad or circular lists end the walk quietly, as on Linux. Sleeps (user memory). */
void futex_exit_robust_list(struct mm *mm, uint64_t head, int tid);
/* FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes up to nr_wake waiters on uaddr and moves up to
 * nr_requeue more to uaddr2; with cmp, first -EAGAIN unless the word at uaddr holds cmpval. Returns
 * how many were woken or moved, -EFAULT or -EAGAIN. */
long futex_requeue(struct mm *mm, uint64_t uaddr, uint64_t uaddr2, bool shared, int nr_wake, int nr_requeue,
                   bool cmp, uint32_t cmpval);
