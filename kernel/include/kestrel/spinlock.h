/* Spinlocks that also disable interrupts, so data shared with interrupt handlers stays consistent.
 * On one CPU the lock word only catches re-entry bugs; with SMP it does the real exclusion. Each lock
 * remembers its owner and where it was taken, and the CPU keeps the list of locks it holds, so that
 * the scheduler can refuse to sleep while one is held and say which (docs/locking.md). */
#pragma once
#include <arch/cpu.h>
#include <kestrel/types.h>

struct thread;

struct spinlock {
    volatile uint32_t locked;
    const char *name;
    struct thread *owner; /* the thread that holds it (NULL before the scheduler runs) */
    uint64_t owner_pc;    /* the return address of the spin_lock_irqsave that took it */
};

#define SPINLOCK_INIT(n)                                                                                     \
    {                                                                                                        \
        .locked = 0, .name = (n)                                                                             \
    }

/* Takes the lock with interrupts disabled and returns the previous interrupt state. */
uint64_t spin_lock_irqsave(struct spinlock *l);
void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags);
bool spin_is_locked(const struct spinlock *l);

/* How many spinlocks this CPU holds, and the most recently taken one (NULL when none). */
unsigned spin_held_count(void);
const struct spinlock *spin_last_held(void);
