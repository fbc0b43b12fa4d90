/* Spinlocks that also disable interrupts, so data shared with interrupt handlers stays consistent.
 * On one CPU the lock word only catches re-entry bugs; with SMP it does the real exclusion. */
#pragma once
#include <arch/cpu.h>
#include <kestrel/types.h>

struct spinlock {
    volatile uint32_t locked;
    const char *name;
};

#define SPINLOCK_INIT(n)                                                                                     \
    {                                                                                                        \
        .locked = 0, .name = (n)                                                                             \
    }

/* Takes the lock with interrupts disabled and returns the previous interrupt state. */
uint64_t spin_lock_irqsave(struct spinlock *l);
void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags);
bool spin_is_locked(const struct spinlock *l);
