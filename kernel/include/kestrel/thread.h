/* Kernel threads: creation, exit, join, sleep, priorities, and the thread structure the scheduler,
 * its policies and the synchronization primitives share. */
#pragma once
#include <arch/context.h>
#include <kestrel/process.h>
#include <kestrel/rbtree.h>
#include <kestrel/waitqueue.h>

#define THREAD_NAME_MAX 24

/* Priorities for the strict-priority policy and for ordering waiters: higher runs first. */
#define PRIO_MIN     0
#define PRIO_DEFAULT 31
#define PRIO_MAX     63
#define PRIO_LEVELS  64

/* Nice values for the fair policy: lower gets a larger share (Linux's range and meaning). */
#define NICE_MIN -20
#define NICE_MAX 19

enum thread_state {
    THREAD_READY,   /* runnable, in the policy's run queue */
    THREAD_RUNNING, /* on the CPU (never in the run queue) */
    THREAD_BLOCKED, /* asleep on a wait queue and/or the sleep timer */
    THREAD_ZOMBIE,  /* exited; its stack and structure wait for join (or the reaper, if detached) */
};

/* Telemetry, updated by the scheduler with its lock held; read them with sched_thread_stats(). */
struct thread_stats {
    uint64_t run_ns;            /* time on the CPU */
    uint64_t wait_ns;           /* time runnable but waiting for the CPU */
    uint64_t switches;          /* times it was switched in */
    uint64_t voluntary;         /* times it gave up the CPU by blocking, yielding or exiting */
    uint64_t involuntary;       /* times it was preempted */
    uint64_t wakeups;           /* times it was woken from a block */
    uint64_t wakeup_latency_ns; /* sum over wake-ups of wake-up to running */
    uint64_t wakeup_latency_max_ns;
};

/* Per-thread state of each policy; only the active policy's member is meaningful. */
union sched_policy_data {
    struct {
        int slice; /* ticks left in the time slice */
    } rr;
    struct {
        int slice;
        int queued_at; /* the level it is queued at (its priority may change meanwhile) */
    } prio;
    struct {
        int level;      /* 0 is the highest-priority queue */
        int used;       /* ticks used at this level since it last blocked */
        uint64_t epoch; /* the boost epoch the level belongs to */
    } mlfq;
    struct {
        struct rb_node node;  /* in the run queue tree while READY */
        uint64_t vruntime;    /* weighted run time, ns */
        uint64_t accounted;   /* stats.run_ns already folded into vruntime */
        uint64_t slice_start; /* stats.run_ns when it was last picked */
        uint64_t weight;      /* from nice, as charged so far */
    } cfs;
};

struct mutex;

struct thread {
    uint64_t rsp; /* saved stack pointer while not running */
    uint32_t magic;
    int tid;
    char name[THREAD_NAME_MAX];
    enum thread_state state;

    int base_priority; /* as set by thread_set_priority */
    int priority;      /* effective: the base raised by donations from mutex waiters */
    int nice;

    /* Run queue: list-based policies link rq_link; the fair policy uses its tree node instead. */
    struct qlink rq_link;
    union sched_policy_data pol;

    /* Blocking. All of this is protected by the scheduler lock. */
    struct waitqueue *wq; /* the queue it sleeps on, or NULL */
    struct qlink wq_link;
    int wake_result;      /* 0 when woken, -ETIMEDOUT when the timer fired first */
    uintptr_t wait_token; /* a value the waker hands the waiter (semaphore grants, rwlock modes) */
    struct rb_node sleep_node;
    uint64_t wake_tick;
    bool on_timer;      /* linked in the sleep tree */
    bool interruptible; /* in an interruptible wait: a signal may end it (sched_interrupt_locked) */

    /* Priority donation (mutex.c). */
    struct mutex *waiting_on;  /* the mutex it is blocked on, or NULL */
    struct qlink held_mutexes; /* mutexes it owns, by mutex.held_link, for recomputing donations */

    /* Life cycle. */
    int (*fn)(void *);
    void *arg;
    int exit_code;
    bool detached;
    bool exit_begun; /* counted in the exiting threads (thread_exit_begin) */
    struct waitqueue joiners;
    struct qlink all_link; /* in the list of every thread, for policy changes and dumps */

    void *stack_base; /* lowest address of the kernel stack; NULL for the boot thread */
    uint64_t stack_top;

    struct thread_stats stats;
    uint64_t last_ns;  /* when it last started running or became runnable */
    uint64_t woken_ns; /* when it was last woken, 0 if it has run since */

    struct fpu_state fpu; /* saved x87/SSE registers while not running */

    struct thread_user user; /* user-mode state (kestrel/process.h); user.proc is NULL for kernel threads */
};

/* Creates a runnable thread that calls fn(arg); its return value becomes the exit code. Returns the
 * thread (to be joined exactly once, or detached) or NULL when memory is short. Everything the thread
 * needs to exit is reserved here, so thread_exit cannot fail. */
struct thread *thread_create(const char *name, int (*fn)(void *), void *arg, int priority);
/* Ends the calling thread. */
__noreturn void thread_exit(int code);
/* Waits for t to exit, frees it and returns its exit code. */
int thread_join(struct thread *t);
/* Lets t be freed as soon as it exits; t must not be used afterwards. */
void thread_detach(struct thread *t);

/* Frees exited detached threads now (thread context only); the idle thread and thread creation
 * otherwise do it when they run. */
void thread_reap_detached(void);
/* A thread starting a long way out (a user thread releasing its process) says so, and until it
 * reaches thread_exit it counts as exiting: its stack is not free yet, though its process may
 * already be reaped. thread_settle_exiting yields until no thread is exiting (at most a bounded
 * number of times: one blocked on the way out must not hold the caller), so a count of free
 * memory taken after it does not depend on whether those threads have switched away yet. */
void thread_exit_begin(void);
void thread_settle_exiting(void);

struct thread *thread_current(void);
/* Gives the CPU to another runnable thread, if the policy has one. */
void thread_yield(void);
/* Sleeps until the ticks-th timer tick from now (TICK_HZ per second; the first tick may come at once, so
 * the sleep lasts between ticks-1 and ticks periods); thread_sleep(0) just yields. */
void thread_sleep(uint64_t ticks);
void thread_sleep_ms(uint64_t ms);
/* Sleeps until the tick count reaches tick (returns at once if it already has): threads sleeping to
 * the same tick all wake on that same tick. */
void thread_sleep_until(uint64_t tick);

/* Base priority (PRIO_MIN..PRIO_MAX); the effective priority may be higher through donation. */
void thread_set_priority(struct thread *t, int priority);
int thread_get_priority(const struct thread *t);
/* Nice value (NICE_MIN..NICE_MAX) for the fair policy. */
void thread_set_nice(struct thread *t, int nice);
