/* The per-disk request queue. Callers queue their request and sleep; one of them at a time becomes
 * the dispatcher, which takes the oldest request, merges every pending request that continues it
 * (or that it continues) in the same direction, and hands the merged transfer to the driver through
 * one bounce buffer. So concurrent sequential I/O reaches the device as fewer, larger commands. */
#include "internal.h"
#include <kestrel/kmalloc.h>
#include <kestrel/panic.h>
#include <kestrel/string.h>

int blk_queue_init(struct block_device *disk)
{
    struct blk_queue *q = kzalloc(sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->lock = (struct spinlock)SPINLOCK_INIT("blk-queue");
    qlist_init(&q->pending);
    waitqueue_init(&q->wq, "blk-queue");
    disk->queue = q;
    return 0;
}

void blk_queue_add(struct blk_queue *q, struct blk_request *rq)
{
    rq->done = false;
    rq->result = 0;
    uint64_t flags = spin_lock_irqsave(&q->lock);
    qlist_push_back(&q->pending, &rq->link);
    q->stats.requests++;
    spin_unlock_irqrestore(&q->lock, flags);
}

/* Moves into batch (kept in sector order) every pending request that extends its ends, until none
 * does or the size limit is reached. Queue lock held. Returns the number merged. */
static unsigned gather_adjacent(struct blk_queue *q, struct qlink *batch, uint64_t *start, uint32_t *count)
{
    unsigned merged = 0;
    bool grew = true;
    while (grew) {
        grew = false;
        struct blk_request *first = qlist_entry(batch->next, struct blk_request, link);
        qlist_for_each(pos, &q->pending)
        {
            struct blk_request *rq = qlist_entry(pos, struct blk_request, link);
            if (rq->write != first->write || *count + rq->count > BLK_MAX_MERGE_SECTORS)
                continue;
            if (rq->sector == *start + *count) {
                qlist_remove(&rq->link);
                qlist_push_back(batch, &rq->link);
            } else if (rq->sector + rq->count == *start) {
                qlist_remove(&rq->link);
                qlist_push_front(batch, &rq->link);
                *start = rq->sector;
            } else {
                continue;
            }
            *count += rq->count;
            merged++;
            grew = true;
            break; /* the list changed under pos: rescan */
        }
    }
    return merged;
}

static void complete_batch(struct blk_queue *q, struct qlink *batch, int result, uint32_t sectors,
                           unsigned merged)
{
    uint64_t flags = spin_lock_irqsave(&q->lock);
    struct qlink *n;
    while ((n = qlist_pop_front(batch))) {
        struct blk_request *rq = qlist_entry(n, struct blk_request, link);
        rq->result = result;
        rq->done = true;
    }
    q->stats.merges += merged;
    if (!result)
        q->stats.sectors += sectors;
    spin_unlock_irqrestore(&q->lock, flags);
    wq_wake_all(&q->wq);
}

/* One driver call for the whole batch; a merged batch goes through a bounce buffer. When that
 * cannot be had, each request goes on its own (slower, never wrong). */
static int transfer_batch(struct block_device *disk, struct qlink *batch, uint64_t start, uint32_t count)
{
    struct blk_request *first = qlist_entry(batch->next, struct blk_request, link);
    if (first->count == count)
        return disk->ops->submit(disk, first->write, start, first->buf, count);
    uint8_t *bounce = kmalloc((size_t)count * SECTOR_SIZE);
    if (!bounce) {
        int err = 0;
        qlist_for_each(pos, batch)
        {
            struct blk_request *rq = qlist_entry(pos, struct blk_request, link);
            int e = disk->ops->submit(disk, rq->write, rq->sector, rq->buf, rq->count);
            err = err ? err : e;
        }
        return err;
    }
    if (first->write) {
        qlist_for_each(pos, batch)
        {
            struct blk_request *rq = qlist_entry(pos, struct blk_request, link);
            memcpy(bounce + (rq->sector - start) * SECTOR_SIZE, rq->buf, (size_t)rq->count * SECTOR_SIZE);
        }
    }
    int err = disk->ops->submit(disk, first->write, start, bounce, count);
    if (!err && !first->write) {
        qlist_for_each(pos, batch)
        {
            struct blk_request *rq = qlist_entry(pos, struct blk_request, link);
            memcpy(rq->buf, bounce + (rq->sector - start) * SECTOR_SIZE, (size_t)rq->count * SECTOR_SIZE);
        }
    }
    kfree(bounce);
    return err;
}

bool blk_queue_dispatch_one(struct block_device *disk)
{
    struct blk_queue *q = disk->queue;
    struct qlink batch = QLIST_INIT(batch);
    uint64_t flags = spin_lock_irqsave(&q->lock);
    struct qlink *head = qlist_pop_front(&q->pending);
    if (!head) {
        spin_unlock_irqrestore(&q->lock, flags);
        return false;
    }
    qlist_push_back(&batch, head);
    struct blk_request *rq = qlist_entry(head, struct blk_request, link);
    uint64_t start = rq->sector;
    uint32_t count = rq->count;
    unsigned merged = gather_adjacent(q, &batch, &start, &count);
    spin_unlock_irqrestore(&q->lock, flags);
    /* The driver sleeps until its completion interrupt: no lock may be held here. */
    int err = transfer_batch(disk, &batch, start, count);
    complete_batch(q, &batch, err ? -EIO : 0, count, merged);
    return true;
}

static bool request_done(const struct blk_request *rq)
{
    return __atomic_load_n(&rq->done, __ATOMIC_ACQUIRE);
}

/* Becomes the dispatcher when nobody is; returns whether it did. */
static bool claim_dispatch(struct blk_queue *q, const struct blk_request *rq)
{
    uint64_t flags = spin_lock_irqsave(&q->lock);
    bool mine = !q->busy && !rq->done;
    if (mine)
        q->busy = true;
    spin_unlock_irqrestore(&q->lock, flags);
    return mine;
}

int blk_queue_submit(struct block_device *disk, struct blk_request *rq)
{
    struct blk_queue *q = disk->queue;
    blk_queue_add(q, rq);
    for (;;) {
        wait_event(&q->wq, request_done(rq) || !__atomic_load_n(&q->busy, __ATOMIC_ACQUIRE));
        if (request_done(rq))
            return rq->result;
        if (!claim_dispatch(q, rq))
            continue;
        /* Dispatch until this caller's own request is done, then hand the role on: a waiter whose
         * request is still pending wakes, sees busy clear and takes over. */
        while (!request_done(rq)) {
            if (!blk_queue_dispatch_one(disk))
                panic("blk: %s: request for sector %llu vanished from its queue", disk->name,
                      (unsigned long long)rq->sector);
        }
        uint64_t flags = spin_lock_irqsave(&q->lock);
        q->busy = false;
        spin_unlock_irqrestore(&q->lock, flags);
        wq_wake_all(&q->wq);
        return rq->result;
    }
}
