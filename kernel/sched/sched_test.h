/* Helpers shared by the scheduler's KTAP tests: running a test under a chosen policy, an ordered
 * event log that threads append to, and CPU-burning loops. */
#pragma once
#include "internal.h"
#include <arch/cpu.h>
#include <kestrel/ktest.h>
#include <kestrel/string.h>
#include <kestrel/time.h>

/* Switches to policy name for one test; the boot policy comes back with policy_restore. */
static inline const char *policy_use(const char *name)
{
    const char *old = sched_policy()->name;
    if (strcmp(old, name) != 0)
        sched_set_policy(name);
    return old;
}

static inline void policy_restore(const char *old)
{
    if (strcmp(sched_policy()->name, old) != 0)
        sched_set_policy(old);
}

/* An append-only log of small integers, safe to write from any thread. */
struct order_log {
    int n;
    int v[64];
};

static inline void order_log_add(struct order_log *l, int v)
{
    /* Interrupts off for the read-modify-write: a preemption in between would lose an entry. */
    uint64_t f = irq_save();
    if (l->n < (int)ARRAY_SIZE(l->v))
        l->v[l->n++] = v;
    irq_restore(f);
}

/* Expects the log to be exactly the n values given. */
static inline void expect_order(struct ktest *t, const struct order_log *l, const int *want, int n)
{
    KTEST_EXPECT_EQ(t, l->n, n);
    for (int i = 0; i < n && i < l->n; i++)
        if (!KTEST_EXPECT_EQ(t, l->v[i], want[i]))
            break;
}

/* Burns CPU until *stop becomes true. */
static inline void spin_until(volatile bool *stop)
{
    while (!*stop)
        cpu_pause();
}

/* Burns CPU for at least ticks timer ticks, without sleeping. */
static inline void spin_ticks(uint64_t ticks)
{
    uint64_t end = sched_ticks() + ticks;
    while (sched_ticks() < end)
        cpu_pause();
}
