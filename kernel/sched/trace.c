/* Scheduler telemetry: a ring of the latest scheduling events (switches, wake-ups, blocks,
 * preemptions, exits) with timestamps, and a dump of it and of every thread's counters for panics
 * and debugging. Recording is a few stores under the scheduler lock, cheap enough to stay on. */
#include "internal.h"
#include <kestrel/printk.h>
#include <kestrel/time.h>

#define TRACE_SIZE 1024 /* a power of two */

static struct sched_event ring[TRACE_SIZE];
static uint64_t ring_head; /* events ever recorded; protected, with ring, by the scheduler lock */

void sched_trace(enum sched_event_type type, struct thread *t, struct thread *other, int arg)
{
    ring[ring_head++ & (TRACE_SIZE - 1)] = (struct sched_event){
        .ns = time_ns(),
        .type = (uint16_t)type,
        .arg = (int16_t)arg,
        .tid = t ? t->tid : -1,
        .other = other ? other->tid : -1,
    };
}

size_t sched_trace_read(struct sched_event *out, size_t max)
{
    uint64_t flags = sched_lock_irqsave();
    size_t n = (size_t)MIN((uint64_t)MIN(max, (size_t)TRACE_SIZE), ring_head);
    for (size_t i = 0; i < n; i++)
        out[i] = ring[(ring_head - n + i) & (TRACE_SIZE - 1)];
    sched_unlock_irqrestore(flags);
    return n;
}

static const char *const event_names[] = {"switch", "wakeup", "block", "preempt", "exit"};
static const char *const state_names[] = {"ready", "running", "blocked", "zombie"};

static void print_event(const struct sched_event *e)
{
    console_print("  %5llu.%06llu %-7s tid %d", (unsigned long long)(e->ns / 1000000000),
                  (unsigned long long)(e->ns / 1000 % 1000000), event_names[e->type], e->tid);
    if (e->type == EV_SWITCH)
        console_print(" from %d (%s)\n", e->other, state_names[e->arg]);
    else if (e->type == EV_WAKEUP)
        console_print(" by %d%s\n", e->other, e->arg ? " (timeout)" : "");
    else
        console_print("\n");
}

static void print_thread(struct thread *t, void *ctx)
{
    (void)ctx;
    const struct thread_stats *s = &t->stats;
    console_print("  %4d %-16s %-7s pri %2d/%2d nice %3d run %8llu us wait %8llu us sw %6llu "
                  "vol %6llu invol %6llu wake-lat avg %6llu max %6llu us\n",
                  t->tid, t->name, state_names[t->state], t->priority, t->base_priority, t->nice,
                  (unsigned long long)(s->run_ns / 1000), (unsigned long long)(s->wait_ns / 1000),
                  (unsigned long long)s->switches, (unsigned long long)s->voluntary,
                  (unsigned long long)s->involuntary,
                  (unsigned long long)(s->wakeups ? s->wakeup_latency_ns / s->wakeups / 1000 : 0),
                  (unsigned long long)(s->wakeup_latency_max_ns / 1000));
}

/* Prints without the scheduler lock when it is already held here (a panic inside the scheduler):
 * the data may be mid-update, but a report is worth more than a deadlock. */
void sched_dump(size_t max_events)
{
    static struct sched_event events[64];
    bool locked = sched_lock_held();
    uint64_t flags = locked ? 0 : sched_lock_irqsave();
    size_t n = (size_t)MIN((uint64_t)MIN(max_events, ARRAY_SIZE(events)), ring_head);
    for (size_t i = 0; i < n; i++)
        events[i] = ring[(ring_head - n + i) & (TRACE_SIZE - 1)];
    console_print("sched: policy %s, tick %llu, current %s, %llu us stolen; last %zu events:\n",
                  sched_policy()->name, (unsigned long long)sched_ticks(),
                  thread_current() ? thread_current()->name : "-",
                  (unsigned long long)(sched_stolen_ns() / 1000), n);
    for (size_t i = 0; i < n; i++)
        print_event(&events[i]);
    console_print("sched: threads:\n");
    sched_for_each_thread_locked(print_thread, NULL);
    if (!locked)
        sched_unlock_irqrestore(flags);
}
