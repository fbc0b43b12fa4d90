/* A CFS-like fair policy. Each thread's virtual runtime grows with the CPU time it uses, divided by
 * its weight (from nice, Linux's scale: each nice step is about 1.25x); the thread with the smallest
 * virtual runtime runs next, so over time CPU shares follow the weights. Runnable threads sit in a
 * red-black tree by virtual runtime: O(log n) enqueue and dequeue, O(1) pick of the leftmost. */
#include "internal.h"
#include <kestrel/time.h>

#define CFS_LATENCY_NS     (12 * NSEC_PER_MSEC) /* every runnable thread runs once per period... */
#define CFS_MIN_GRAN_NS    (3 * NSEC_PER_MSEC)  /* ...but never for less than this at a time */
#define CFS_WAKEUP_GRAN_NS (1 * NSEC_PER_MSEC)  /* a woken thread preempts when this far behind */
#define NICE_0_WEIGHT      1024

/* round(1024 / 1.25^nice) for nice -20..19. */
static const uint32_t nice_weights[40] = {
    88818, 71054, 56843, 45475, 36380, 29104, 23283, 18626, 14901, 11921, 9537, 7629, 6104, 4883,
    3906,  3125,  2500,  2000,  1600,  1280,  1024,  819,   655,   524,   419,  336,  268,  215,
    172,   137,   110,   88,    70,    56,    45,    36,    29,    23,    18,   15,
};

/* Scheduler lock protects all of these. */
static struct rb_root tree;    /* runnable threads (not the running one) by vruntime */
static uint64_t queued_weight; /* sum of the weights in the tree */
/* Never decreases; where new and long-asleep threads are placed, so they neither starve the others
 * nor get starved by their backlog. */
static uint64_t min_vruntime;

uint64_t cfs_weight(int nice)
{
    return nice_weights[MAX(NICE_MIN, MIN(NICE_MAX, nice)) - NICE_MIN];
}

static struct thread *node_thread(const struct rb_node *n)
{
    return rb_entry(n, struct thread, pol.cfs.node);
}

static bool vruntime_less(const struct rb_node *a, const struct rb_node *b)
{
    return node_thread(a)->pol.cfs.vruntime < node_thread(b)->pol.cfs.vruntime;
}

/* Folds the CPU time t used since the last call into its virtual runtime. */
static void charge(struct thread *t)
{
    uint64_t delta = t->stats.run_ns - t->pol.cfs.accounted;
    t->pol.cfs.accounted = t->stats.run_ns;
    t->pol.cfs.vruntime += delta * NICE_0_WEIGHT / t->pol.cfs.weight;
}

static void update_min_vruntime(const struct thread *running)
{
    uint64_t v = UINT64_MAX;
    if (running && running->state == THREAD_RUNNING && running != sched_idle_thread)
        v = running->pol.cfs.vruntime;
    if (!rb_empty(&tree))
        v = MIN(v, node_thread(rb_first(&tree))->pol.cfs.vruntime);
    if (v != UINT64_MAX && v > min_vruntime)
        min_vruntime = v;
}

static void insert(struct thread *t)
{
    rb_insert(&tree, &t->pol.cfs.node, vruntime_less);
    queued_weight += t->pol.cfs.weight;
}

static void cfs_init(void)
{
    tree = (struct rb_root)RB_ROOT_INIT;
    queued_weight = 0;
    min_vruntime = 0;
}

static void cfs_thread_init(struct thread *t)
{
    t->pol.cfs.vruntime = 0;
    t->pol.cfs.accounted = t->stats.run_ns;
    t->pol.cfs.slice_start = t->stats.run_ns;
    t->pol.cfs.weight = cfs_weight(t->nice);
}

static void cfs_enqueue(struct thread *t, enum sched_enqueue why)
{
    uint64_t *v = &t->pol.cfs.vruntime;
    charge(t); /* what it ran before it was preempted or blocked */
    if (why == ENQ_WAKEUP) {
        /* A sleeper gets at most half a period of credit, so it runs soon but cannot bank its sleep. */
        uint64_t floor = min_vruntime > CFS_LATENCY_NS / 2 ? min_vruntime - CFS_LATENCY_NS / 2 : 0;
        *v = MAX(*v, floor);
    } else if (why != ENQ_PREEMPTED) {
        *v = MAX(*v, min_vruntime); /* new, or just moved to this policy */
    }
    insert(t);
}

static void cfs_dequeue(struct thread *t)
{
    rb_erase(&tree, &t->pol.cfs.node);
    queued_weight -= t->pol.cfs.weight;
}

static struct thread *cfs_pick_next(void)
{
    struct rb_node *n = rb_first(&tree);
    if (!n)
        return NULL;
    struct thread *t = node_thread(n);
    cfs_dequeue(t);
    t->pol.cfs.slice_start = t->stats.run_ns;
    update_min_vruntime(t);
    return t;
}

static bool cfs_tick(struct thread *cur)
{
    charge(cur);
    update_min_vruntime(cur);
    if (rb_empty(&tree))
        return false;
    /* Its share of the latency period, by weight. */
    uint64_t ran = cur->stats.run_ns - cur->pol.cfs.slice_start;
    uint64_t w = cur->pol.cfs.weight;
    uint64_t slice = MAX(CFS_LATENCY_NS * w / (queued_weight + w), CFS_MIN_GRAN_NS);
    if (ran >= slice)
        return true;
    uint64_t lag =
        cur->pol.cfs.vruntime - MIN(cur->pol.cfs.vruntime, node_thread(rb_first(&tree))->pol.cfs.vruntime);
    return ran >= CFS_MIN_GRAN_NS && lag > slice;
}

static void cfs_yield(struct thread *cur)
{
    /* To the back of the line: behind the thread that has run the most. */
    charge(cur);
    struct rb_node *last = rb_last(&tree);
    if (last)
        cur->pol.cfs.vruntime = MAX(cur->pol.cfs.vruntime, node_thread(last)->pol.cfs.vruntime);
    insert(cur);
}

static void cfs_priority_changed(struct thread *t)
{
    /* Time already used is charged at the old weight, before the new one applies. */
    bool queued = t->state == THREAD_READY && t != sched_idle_thread;
    if (queued)
        cfs_dequeue(t);
    charge(t);
    t->pol.cfs.weight = cfs_weight(t->nice);
    if (queued)
        insert(t);
}

static bool cfs_should_preempt(struct thread *cur)
{
    charge(cur);
    struct rb_node *first = rb_first(&tree);
    return first && cur->pol.cfs.vruntime > node_thread(first)->pol.cfs.vruntime + CFS_WAKEUP_GRAN_NS;
}

const struct sched_policy sched_cfs = {
    .name = "cfs",
    .init = cfs_init,
    .thread_init = cfs_thread_init,
    .enqueue = cfs_enqueue,
    .dequeue = cfs_dequeue,
    .pick_next = cfs_pick_next,
    .tick = cfs_tick,
    .yield = cfs_yield,
    .priority_changed = cfs_priority_changed,
    .should_preempt = cfs_should_preempt,
};
