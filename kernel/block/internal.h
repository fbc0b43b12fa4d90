/* The block layer's inside: the request queue and the partition-table parsers, shared with their
 * unit tests. */
#pragma once
#include <kestrel/blkdev.h>
#include <kestrel/spinlock.h>
#include <kestrel/waitqueue.h>

/* The most a merged request may cover: 128 KiB, one bounce buffer from kmalloc. */
#define BLK_MAX_MERGE_SECTORS 256u

/* One caller's transfer, on the stack of the thread that waits for it. */
struct blk_request {
    struct qlink link; /* in the queue's pending list, or in a batch being dispatched */
    bool write;
    uint64_t sector; /* on the whole disk */
    uint32_t count;
    void *buf;
    int result;
    bool done; /* set (under the queue lock) once result is final */
};

struct blk_queue {
    struct spinlock lock; /* protects pending, busy and the counters */
    struct qlink pending; /* blk_request, in arrival order */
    /* One thread at a time dispatches (takes batches off pending and calls the driver); the
     * others sleep on wq until their request is done or the dispatcher role is free. */
    bool busy;
    struct waitqueue wq;
    struct block_stats stats;
};

int blk_queue_init(struct block_device *disk);
/* Queues rq and returns once it is done, with its result. */
int blk_queue_submit(struct block_device *disk, struct blk_request *rq);
/* For the tests: queue without waiting, and dispatch one batch (the oldest request with every
 * pending adjacent one of the same direction merged in). Returns false when nothing was pending. */
void blk_queue_add(struct blk_queue *q, struct blk_request *rq);
bool blk_queue_dispatch_one(struct block_device *disk);

/* A partition found in a table: its number (1-4 for MBR slots, entry index + 1 for GPT) and
 * extent in disk sectors. */
struct partition {
    uint32_t number;
    uint64_t start, sectors;
};
#define BLK_MAX_PARTITIONS 16

/* Reads the disk's partition table: GPT when the MBR is protective (type 0xee), else the MBR's
 * primary partitions. Returns how many it stored in out (0: no table), or -EIO / -EINVAL for an
 * unreadable or corrupt table (a GPT whose CRCs do not match). */
int block_parse_partitions(struct block_device *disk, struct partition *out, int max);
