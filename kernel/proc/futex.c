/* Futexes: waiters keyed by the word they wait on, in a small hash of lists. Each waiter sleeps on a
 * wait queue of its own, so a requeue can move it to another word without waking it, and a waker
 * wakes exactly the waiters it picked. docs/processes.md, "Threads".
 *
 * The key, as Linux forms it: (address space, user address) for a private futex, and for a shared one
 * in private memory; for a shared futex in MAP_SHARED anonymous memory, (its shared pages, offset in
 * them), which is the same in every process that maps them. */
#include <kestrel/futex.h>
#include <kestrel/mm.h>
#include <kestrel/mutex.h>
#include <kestrel/spinlock.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>
#include <kestrel/waitqueue.h>

#define FUTEX_HASH_SIZE 64

struct futex_key {
    const void *object; /* the mm, or the vma's anon_shared */
    uint64_t offset;    /* the user address, or the offset in the shared pages */
};

struct futex_waiter {
    struct qlink link; /* in its bucket while queued */
    struct futex_key key;
    uint32_t bitset;
    bool woken;          /* set, with the waiter unlinked, by the one waker that picked it */
    struct waitqueue wq; /* only this waiter sleeps here */
};

/* Protects the buckets and every queued waiter's key. A spinlock: held for list walks and wake-ups
 * only, never across a user copy; taken under no other lock, and before the scheduler lock. The waiter lives
 * on its sleeper's stack, so a waker touches it only under this lock, which the sleeper takes before it
 * returns. */
static struct spinlock futex_lock = SPINLOCK_INIT("futex");
static struct qlink buckets[FUTEX_HASH_SIZE];
static bool buckets_ready;

/* Only an identity: a waiter's mapping keeps the shared pages alive while it sleeps (an unmap by
 * another thread meanwhile leaves a key nobody will wake, as it would on Linux). */
static struct futex_key key_of(struct mm *mm, uint64_t uaddr, bool shared)
{
    struct futex_key k = {mm, uaddr};
    if (!shared)
        return k;
    mutex_lock(&mm->lock);
    struct vma *v = vma_find(&mm->vmas, uaddr);
    if (v && (v->flags & VMA_SHARED))
        k = (struct futex_key){v->shared, (v->pgoff << PAGE_SHIFT) + (uaddr - v->start)};
    mutex_unlock(&mm->lock);
    return k;
}

static struct qlink *bucket_locked(struct futex_key k)
{
    if (!buckets_ready) {
        for (int i = 0; i < FUTEX_HASH_SIZE; i++)
            qlist_init(&buckets[i]);
        buckets_ready = true;
    }
    uint64_t h = ((uint64_t)(uintptr_t)k.object >> 6) ^ (k.offset >> 2);
    h *= 0x9e3779b97f4a7c15ull; /* Fibonacci hashing: the top bits mix every input bit */
    return &buckets[h >> 58];
}

static bool key_equal(struct futex_key a, struct futex_key b)
{
    return a.object == b.object && a.offset == b.offset;
}

/* Marks w woken and wakes its thread. futex_lock held. */
static void wake_waiter_locked(struct futex_waiter *w)
{
    qlist_remove(&w->link);
    w->woken = true;
    wq_wake_all(&w->wq);
}

int futex_wait(struct mm *mm, uint64_t uaddr, bool shared, uint32_t val, uint32_t bitset, long timeout)
{
    struct futex_waiter w = {.key = key_of(mm, uaddr, shared), .bitset = bitset};
    waitqueue_init(&w.wq, "futex");
    /* Queued before the word is read: a waker that changes the word after our read must find us,
     * and one that changed it before is seen by the read. */
    uint64_t flags = spin_lock_irqsave(&futex_lock);
    qlist_push_back(bucket_locked(w.key), &w.link);
    spin_unlock_irqrestore(&futex_lock, flags);

    uint32_t cur;
    int err = copy_from_user(&cur, (const void *)uaddr, sizeof(cur)) < 0 ? -EFAULT : 0;
    if (!err && cur != val)
        err = -EAGAIN;
    if (!err)
        err = wait_event_interruptible_timeout(&w.wq, __atomic_load_n(&w.woken, __ATOMIC_ACQUIRE), timeout);

    flags = spin_lock_irqsave(&futex_lock);
    if (w.woken)
        err = 0; /* the waker counted us: report the wake, whatever else happened */
    else
        qlist_remove(&w.link);
    spin_unlock_irqrestore(&futex_lock, flags);
    return err;
}

int futex_wake(struct mm *mm, uint64_t uaddr, bool shared, int n, uint32_t bitset)
{
    struct futex_key key = key_of(mm, uaddr, shared);
    int woken = 0;
    uint64_t flags = spin_lock_irqsave(&futex_lock);
    struct qlink *b = bucket_locked(key);
    for (struct qlink *l = b->next, *next; l != b; l = next) {
        next = l->next;
        struct futex_waiter *w = qlist_entry(l, struct futex_waiter, link);
        if (!key_equal(w->key, key) || !(w->bitset & bitset))
            continue;
        wake_waiter_locked(w);
        if (++woken >= n)
            break;
    }
    spin_unlock_irqrestore(&futex_lock, flags);
    return woken;
}

long futex_requeue(struct mm *mm, uint64_t uaddr, uint64_t uaddr2, bool shared, int nr_wake, int nr_requeue,
                   bool cmp, uint32_t cmpval)
{
    struct futex_key key = key_of(mm, uaddr, shared), key2 = key_of(mm, uaddr2, shared);
    if (cmp) {
        /* Read before the lock (a user copy may sleep): unlike Linux the comparison and the requeue
         * are not one atomic step, which C libraries' condition variables tolerate (they recheck). */
        uint32_t cur;
        if (copy_from_user(&cur, (const void *)uaddr, sizeof(cur)) < 0)
            return -EFAULT;
        if (cur != cmpval)
            return -EAGAIN;
    }
    long count = 0;
    uint64_t flags = spin_lock_irqsave(&futex_lock);
    struct qlink *b = bucket_locked(key);
    struct qlink *b2 = bucket_locked(key2);
    for (struct qlink *l = b->next, *next; l != b && count - nr_wake < nr_requeue; l = next) {
        next = l->next;
        struct futex_waiter *w = qlist_entry(l, struct futex_waiter, link);
        if (!key_equal(w->key, key))
            continue;
        if (++count <= nr_wake) {
            wake_waiter_locked(w);
            continue;
        }
        if (key_equal(key2, key))
            continue; /* moved onto itself: counted, and left where it is */
        qlist_remove(&w->link);
        w->key = key2;
        qlist_push_back(b2, &w->link);
    }
    spin_unlock_irqrestore(&futex_lock, flags);
    return count;
}
