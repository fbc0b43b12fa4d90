/* Spinlock implementation: test-and-test-and-set on an xchg, interrupts off while held, and the
 * bookkeeping (owner, taker's address, this CPU's held locks) the debug checks report from. */
#include <kestrel/panic.h>
#include <kestrel/spinlock.h>
#include <kestrel/thread.h>

#define HELD_MAX 16

/* The locks this CPU holds, oldest first. Only this CPU touches it, always with interrupts off (a
 * spinlock is held), so it needs no lock of its own. Past HELD_MAX only the count goes up. */
static const struct spinlock *held[HELD_MAX];
static unsigned nheld;

uint64_t spin_lock_irqsave(struct spinlock *l)
{
    uint64_t flags = irq_save();
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        if (panic_in_progress)
            return flags; /* the holder was interrupted by the panic: print over it */
        /* On a single CPU with interrupts off nobody else can release it: this is a recursion bug. */
        panic("spinlock %s: deadlock (already held, taken at %p)", l->name, (void *)l->owner_pc);
    }
    l->owner = thread_current();
    l->owner_pc = (uint64_t)__builtin_return_address(0);
    if (nheld < HELD_MAX)
        held[nheld] = l;
    nheld++;
    return flags;
}

/* Locks are usually released in reverse order, but need not be: search from the newest. */
static void forget_held(const struct spinlock *l)
{
    unsigned top = MIN(nheld, (unsigned)HELD_MAX);
    for (unsigned i = top; i-- > 0;) {
        if (held[i] == l) {
            for (unsigned j = i; j + 1 < top; j++)
                held[j] = held[j + 1];
            break;
        }
    }
    nheld--;
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
    if (panic_in_progress) { /* a busted lock may be "released" twice: no bookkeeping now */
        __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
        irq_restore(flags);
        return;
    }
    if (!l->locked)
        panic("spinlock %s: unlock of a lock that is not held", l->name);
    if (l->owner != thread_current())
        panic("spinlock %s: unlocked by a thread that does not hold it", l->name);
    forget_held(l);
    l->owner = NULL;
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    irq_restore(flags);
}

bool spin_is_locked(const struct spinlock *l)
{
    return l->locked;
}

unsigned spin_held_count(void)
{
    return nheld;
}

const struct spinlock *spin_last_held(void)
{
    return nheld ? held[MIN(nheld, (unsigned)HELD_MAX) - 1] : NULL;
}
