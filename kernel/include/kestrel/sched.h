/* The scheduler: its lock, the pluggable policy interface, preemption, ticks, the debug checks on
 * sleeping, and telemetry. docs/scheduler.md explains the design; docs/locking.md the rules. */
#pragma once
#include <kestrel/thread.h>

/* Why a thread enters the run queue; policies may place it differently. */
enum sched_enqueue {
    ENQ_NEW,       /* just created */
    ENQ_WAKEUP,    /* woken from a block */
    ENQ_PREEMPTED, /* taken off the CPU by the timer or a more important thread */
    ENQ_POLICY,    /* moved over from another policy (sched_set_policy) */
};

/* A scheduling policy. All hooks run with the scheduler lock held and interrupts off, so they must be
 * short: no allocation, no printing, nothing that sleeps. The running thread is never in the run
 * queue; before any hook sees it, its stats.run_ns is brought up to date. */
struct sched_policy {
    const char *name;
    /* Empties the run queue state (at boot and when this policy takes over). */
    void (*init)(void);
    /* Resets t's per-policy state (new thread, or policy change). */
    void (*thread_init)(struct thread *t);
    /* t became runnable. */
    void (*enqueue)(struct thread *t, enum sched_enqueue why);
    /* Takes a runnable t out of the run queue. */
    void (*dequeue)(struct thread *t);
    /* Removes and returns the thread to run next, or NULL when none is runnable. */
    struct thread *(*pick_next)(void);
    /* A timer tick while cur runs; returns true when cur should be preempted. */
    bool (*tick)(struct thread *cur);
    /* cur gives up the CPU but stays runnable: puts it back in the run queue. */
    void (*yield)(struct thread *cur);
    /* t's effective priority or nice value changed (t may be running, runnable or blocked). */
    void (*priority_changed)(struct thread *t);
    /* True when a runnable thread should take the CPU from cur right now (after a wake-up or a
     * priority change), without waiting for the next tick. */
    bool (*should_preempt)(struct thread *cur);
};

extern const struct sched_policy sched_rr, sched_prio, sched_mlfq, sched_cfs;

/* Brings up the scheduler: FPU, the policy named by sched= (default rr), the boot thread as "main"
 * and the idle thread. Preemption starts when the timer calls sched_tick(). */
void sched_init(void);
const struct sched_policy *sched_policy(void);
/* Switches the whole system to another policy ("rr", "prio", "mlfq", "cfs"): every thread's policy
 * state starts afresh. Returns 0 or -EINVAL. Meant for tests that need a particular policy. */
int sched_set_policy(const char *name);

/* The scheduler lock protects the run queue, every wait queue and thread state, the sleep tree and
 * the internals of the sleeping locks. It disables interrupts, because interrupt handlers wake
 * threads. */
uint64_t sched_lock_irqsave(void);
void sched_unlock_irqrestore(uint64_t flags);
bool sched_lock_held(void);

/* The timer interrupt calls this once per tick: accounting, sleep timeouts, time slices. */
void sched_tick(void);
/* Ticks since the scheduler started. */
uint64_t sched_ticks(void);

/* CPU time accounting (kernel/sched/loadavg.c): the timer charges each tick to what it interrupted. */
enum cpu_time_kind { CPU_TIME_USER, CPU_TIME_SYSTEM, CPU_TIME_IDLE, CPU_TIME_KINDS };
void sched_account_tick(bool user_mode);
/* Ticks spent in each kind since boot (/proc/stat's cpu line, in TICK_HZ units). */
void sched_cpu_ticks(uint64_t out[CPU_TIME_KINDS]);
/* The 1, 5 and 15 minute load averages in fixed point: LOAD_FIXED_1 is 1.0. */
#define LOAD_FSHIFT  11
#define LOAD_FIXED_1 (1ul << LOAD_FSHIFT)
void sched_loadavg(unsigned long out[3]);
/* Threads in the run queue now (the running one not included). */
unsigned sched_nr_ready(void);
/* Called on the way out of every interrupt (trap_dispatch): switches threads if a tick or a wake-up
 * asked for it and the interrupted code could be preempted. */
void sched_preempt_check(uint64_t interrupted_rflags);

/* Blocks the current thread (its state already BLOCKED and it queued somewhere a waker will find it)
 * until sched_wake(); scheduler lock held. */
void sched_block_locked(void);
/* Makes a blocked thread runnable; scheduler lock held. */
void sched_wake_locked(struct thread *t, int result);
/* Recomputes t's effective priority from its base and its held mutexes, and carries a change down the
 * chain of mutex owners it waits on. Scheduler lock held. */
void sched_update_priority_locked(struct thread *t);

/* Debug checks (docs/locking.md). might_sleep() panics with context when the caller may not block:
 * interrupts off (which includes interrupt handlers) or a spinlock held. */
#ifdef NDEBUG
#define SCHED_DEBUG 0
#else
#define SCHED_DEBUG 1
#endif
void sched_might_sleep(const char *what);
/* The check itself: true, with the reason in why, when the caller may not sleep right now. */
bool sched_sleep_forbidden(char *why, size_t n);
#define might_sleep() sched_might_sleep(__func__)

/* Time lost to stalls of the whole CPU (gaps of several ticks), not charged to any thread. */
uint64_t sched_stolen_ns(void);
/* Telemetry: a copy of t's counters (the running thread's include its current run), and the trace. */
struct thread_stats sched_thread_stats(struct thread *t);
enum sched_event_type { EV_SWITCH, EV_WAKEUP, EV_BLOCK, EV_PREEMPT, EV_EXIT };
struct sched_event {
    uint64_t ns;
    uint16_t type; /* enum sched_event_type */
    int16_t arg;   /* EV_SWITCH: the previous thread's state; EV_WAKEUP: the wake result */
    int32_t tid;   /* the thread the event is about (EV_SWITCH: the one switched in) */
    int32_t other; /* EV_SWITCH: the thread switched out; EV_WAKEUP: the waker (0 for interrupts) */
};
/* Copies out the newest events (up to max, oldest first); returns how many. */
size_t sched_trace_read(struct sched_event *out, size_t max);
/* Prints the newest events and a table of every thread with its counters (for panics and debugging). */
void sched_dump(size_t max_events);

/* For the implementation and the policies. */
extern struct thread *sched_idle_thread;
void sched_trace(enum sched_event_type type, struct thread *t, struct thread *other, int arg);
