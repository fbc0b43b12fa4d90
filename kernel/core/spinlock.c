/* Spinlock implementation: test-and-test-and-set on an xchg, interrupts off while held. */
#include <kestrel/panic.h>
#include <kestrel/spinlock.h>

uint64_t spin_lock_irqsave(struct spinlock *l)
{
    uint64_t flags = irq_save();
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        /* On a single CPU with interrupts off nobody else can release it: this is a recursion bug. */
        panic("spinlock %s: deadlock (already held)", l->name);
    }
    return flags;
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
    if (!l->locked)
        panic("spinlock %s: unlock of a lock that is not held", l->name);
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    irq_restore(flags);
}

bool spin_is_locked(const struct spinlock *l)
{
    return l->locked;
}
