/* ITIMER_REAL (alarm, setitimer, getitimer): armed timers sit in one list, soonest first, and a
 * kernel thread sleeps until the first one is due, then sends SIGALRM. A thread rather than the tick
 * hook because sending takes the process tree lock and may wake threads, and because nothing has to
 * run on ticks when no timer is armed. */
#include <kestrel/mutex.h>
#include <kestrel/process.h>
#include <kestrel/sched.h>
#include <kestrel/signal.h>
#include <kestrel/thread.h>
#include <kestrel/time.h>
#include "signal_internal.h"

/* Armed timers by itimer_link, soonest first (signal_lock). Few processes arm one: a sorted list. */
static struct qlink armed = QLIST_INIT(armed);
static struct waitqueue itimer_wq = WAITQUEUE_INIT(itimer_wq, "itimer");
/* Bumped (signal_lock) when the list's head may have moved: the thread recomputes its sleep. */
static volatile uint64_t itimer_generation;
static struct thread *itimer_thread;

static struct sighand *entry(struct qlink *l)
{
    return qlist_entry(l, struct sighand, itimer_link);
}

void itimer_cancel_locked(struct sighand *sh)
{
    if (qlist_linked(&sh->itimer_link))
        qlist_remove(&sh->itimer_link);
    sh->itimer_expire_ns = 0;
    sh->itimer_interval_ns = 0;
    itimer_generation++;
}

static void arm_locked(struct sighand *sh, uint64_t expire_ns)
{
    sh->itimer_expire_ns = expire_ns;
    struct qlink *pos = &armed;
    while (pos->next != &armed && entry(pos->next)->itimer_expire_ns <= expire_ns)
        pos = pos->next;
    qlist_insert_before(pos->next, &sh->itimer_link);
    itimer_generation++;
}

/* Takes the first due timer off the list (re-arming a periodic one) and returns its process. */
static struct process *pop_due_locked(uint64_t now)
{
    if (qlist_empty(&armed) || entry(armed.next)->itimer_expire_ns > now)
        return NULL;
    struct sighand *sh = entry(armed.next);
    qlist_remove(&sh->itimer_link);
    if (sh->itimer_interval_ns) {
        uint64_t next = sh->itimer_expire_ns + sh->itimer_interval_ns;
        arm_locked(sh, next > now ? next : now + sh->itimer_interval_ns);
    } else {
        sh->itimer_expire_ns = 0;
    }
    return sh->owner;
}

static void fire_due(void)
{
    uint64_t tfl = spin_lock_irqsave(&process_tree_lock);
    for (;;) {
        uint64_t fl = spin_lock_irqsave(&signal_lock);
        struct process *p = pop_due_locked(time_ns());
        spin_unlock_irqrestore(&signal_lock, fl);
        if (!p)
            break;
        /* The tree lock keeps p alive; a process that exited meanwhile has no sighand and is
         * skipped by the send. */
        signal_send_tree_locked(p, NULL, SIGALRM, NULL);
    }
    spin_unlock_irqrestore(&process_tree_lock, tfl);
}

/* Ticks to sleep until the first timer, WAIT_FOREVER when none. */
static long sleep_ticks(void)
{
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    long ticks = WAIT_FOREVER;
    if (!qlist_empty(&armed)) {
        uint64_t due = entry(armed.next)->itimer_expire_ns, now = time_ns();
        uint64_t ns = due > now ? due - now : 0;
        ticks = (long)((ns + NSEC_PER_SEC / TICK_HZ - 1) / (NSEC_PER_SEC / TICK_HZ));
    }
    spin_unlock_irqrestore(&signal_lock, fl);
    return ticks;
}

static int itimer_main(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t gen = itimer_generation;
        long ticks = sleep_ticks();
        if (ticks != 0)
            wait_event_timeout(&itimer_wq, itimer_generation != gen, ticks);
        fire_due();
    }
    return 0;
}

/* Starts the timer thread the first time a timer is armed. Process context. */
static int itimer_start(void)
{
    static struct mutex start_lock = MUTEX_INIT(start_lock, "itimer-start");
    int rc = 0;
    mutex_lock(&start_lock); /* thread_create may sleep: two first callers must not both create */
    if (!itimer_thread) {
        itimer_thread = thread_create("itimer", itimer_main, NULL, PRIO_MAX);
        if (itimer_thread)
            thread_detach(itimer_thread);
        else
            rc = -ENOMEM;
    }
    mutex_unlock(&start_lock);
    return rc;
}

static void remaining_locked(const struct sighand *sh, uint64_t now, uint64_t *value, uint64_t *interval)
{
    *value = 0;
    if (sh->itimer_expire_ns)
        *value = sh->itimer_expire_ns > now ? sh->itimer_expire_ns - now : 1; /* due: 1 ns, not "off" */
    *interval = sh->itimer_interval_ns;
}

int signal_itimer_get(struct process *p, uint64_t *value_ns, uint64_t *interval_ns)
{
    int rc = signal_prepare(p);
    if (rc < 0)
        return rc;
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    remaining_locked(p->sighand, time_ns(), value_ns, interval_ns);
    spin_unlock_irqrestore(&signal_lock, fl);
    return 0;
}

int signal_itimer_set(struct process *p, uint64_t value_ns, uint64_t interval_ns, uint64_t *old_value_ns,
                      uint64_t *old_interval_ns)
{
    int rc = signal_prepare(p);
    if (rc == 0 && value_ns)
        rc = itimer_start();
    if (rc < 0)
        return rc;
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    struct sighand *sh = p->sighand;
    uint64_t now = time_ns(), ov, oi;
    remaining_locked(sh, now, &ov, &oi);
    itimer_cancel_locked(sh);
    if (value_ns) {
        sh->itimer_interval_ns = interval_ns;
        arm_locked(sh, now + value_ns);
    }
    spin_unlock_irqrestore(&signal_lock, fl);
    if (value_ns)
        wq_wake_all(&itimer_wq); /* the list's head may be earlier now */
    if (old_value_ns)
        *old_value_ns = ov;
    if (old_interval_ns)
        *old_interval_ns = oi;
    return 0;
}
