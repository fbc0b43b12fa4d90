/* CPU time and load accounting at each timer tick, for /proc/stat, /proc/loadavg and sysinfo: the
 * tick is charged to idle, user or system time by what it interrupted, and every 5 seconds the
 * load averages decay towards the number of runnable threads, with Linux's fixed-point constants
 * (exp(-5s/1min), exp(-5s/5min), exp(-5s/15min) in 11-bit fixed point). */
#include "internal.h"
#include <kestrel/process.h>
#include <kestrel/sched.h>
#include <kestrel/spinlock.h>
#include <kestrel/thread.h>
#include <kestrel/time.h>

#define LOAD_FREQ (5 * TICK_HZ) /* ticks between two load samples */
static const unsigned long load_exp[3] = {1884, 2014, 2037};

/* Written only by the tick, which runs with interrupts off; readers copy under the same guard. */
static struct spinlock acct_lock = SPINLOCK_INIT("cpu-acct");
static uint64_t cpu_ticks[CPU_TIME_KINDS];
static unsigned long loads[3];
static uint64_t ticks_to_sample = LOAD_FREQ;

/* One step of the exponential decay, rounding up when the load rises (as Linux's calc_load). */
static unsigned long decay(unsigned long load, unsigned long exp, unsigned long active)
{
    unsigned long next = load * exp + active * (LOAD_FIXED_1 - exp);
    if (active >= load)
        next += LOAD_FIXED_1 - 1;
    return next / LOAD_FIXED_1;
}

void sched_account_tick(bool user_mode)
{
    struct thread *cur = thread_current();
    bool idle = cur == sched_idle_thread;
    /* The running thread's process cannot go away under its own running thread. */
    struct process *p = cur ? cur->user.proc : NULL;
    if (p)
        __atomic_add_fetch(user_mode ? &p->user_ticks : &p->system_ticks, 1, __ATOMIC_RELAXED);
    uint64_t flags = spin_lock_irqsave(&acct_lock);
    cpu_ticks[idle ? CPU_TIME_IDLE : user_mode ? CPU_TIME_USER : CPU_TIME_SYSTEM]++;
    if (--ticks_to_sample == 0) {
        ticks_to_sample = LOAD_FREQ;
        unsigned long active = (sched_nr_ready() + (idle ? 0 : 1)) * LOAD_FIXED_1;
        for (int i = 0; i < 3; i++)
            loads[i] = decay(loads[i], load_exp[i], active);
    }
    spin_unlock_irqrestore(&acct_lock, flags);
}

void sched_cpu_ticks(uint64_t out[CPU_TIME_KINDS])
{
    uint64_t flags = spin_lock_irqsave(&acct_lock);
    for (int i = 0; i < CPU_TIME_KINDS; i++)
        out[i] = cpu_ticks[i];
    spin_unlock_irqrestore(&acct_lock, flags);
}

void sched_loadavg(unsigned long out[3])
{
    uint64_t flags = spin_lock_irqsave(&acct_lock);
    for (int i = 0; i < 3; i++)
        out[i] = loads[i];
    spin_unlock_irqrestore(&acct_lock, flags);
}
