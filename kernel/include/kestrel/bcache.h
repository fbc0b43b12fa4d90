/* The buffer cache: filesystem blocks of one device kept in memory, shared by every user of a
 * block, written back when synced or evicted. One cache per mounted filesystem (its device and its
 * block size), so ext2 and FAT32 each size and flush their own. No lock of its own: callers
 * serialize (the VFS lock, see bcache.c); calls may sleep in the device I/O. */
#pragma once
#include <kestrel/types.h>

struct block_device;

/* One cached block. data is valid while the caller holds a reference (bcache_get/bcache_new ...
 * bcache_put); after changing it the caller marks it dirty before putting it. */
struct buf {
    uint64_t blockno;
    void *data;
    uint32_t refcount;
    bool dirty;
    struct bcache *cache;
    struct buf *hash_next;           /* the cache's hash chain */
    struct buf *lru_prev, *lru_next; /* the unreferenced list, least recently used first */
};

/* A cache of block_size-byte blocks of bd (block_size: a multiple of 512) that holds at most
 * max_blocks blocks, unless more than that are referenced at once. NULL when out of memory. */
struct bcache *bcache_create(struct block_device *bd, uint32_t block_size, uint32_t max_blocks);
/* Writes everything back (see bcache_sync) and frees the cache. Every buffer must have been put:
 * a reference still held is a bug in the filesystem, and panics. Returns bcache_sync's result. */
int bcache_destroy(struct bcache *bc);

/* The block, read from the device unless cached: 0, -EIO, -EINVAL (past the end) or -ENOMEM. */
int bcache_get(struct bcache *bc, uint64_t blockno, struct buf **out);
/* The block without reading it, zero-filled and dirty: for a block just allocated, whose old
 * contents on disk mean nothing. */
int bcache_new(struct bcache *bc, uint64_t blockno, struct buf **out);
void bcache_mark_dirty(struct buf *b);
void bcache_put(struct buf *b);
/* Drops a block whose contents no longer matter (freed by the filesystem): a dirty copy is not
 * written. Does nothing if the block is not cached, or still referenced (only a damaged
 * filesystem frees a block it is using; the holder's copy stays valid for it). */
void bcache_forget(struct bcache *bc, uint64_t blockno);

/* Writes every dirty block back, then flushes the device's write cache. Returns
 * the first error; blocks that failed stay dirty. */
int bcache_sync(struct bcache *bc);
/* Whether blockno is in the cache: a caller reading blocks straight from the device must not
 * bypass a cached (maybe dirty) copy. */
bool bcache_contains(struct bcache *bc, uint64_t blockno);
/* Blocks in memory now (referenced or not), for tests of the bound. */
uint32_t bcache_count(const struct bcache *bc);

/* Over every cache: frees the clean blocks nobody references (drop_caches) and returns how many;
 * the bytes of block data held, and of those the ones that could be dropped (/proc/meminfo). */
size_t bcache_drop_clean(void);
uint64_t bcache_total_bytes(void);
uint64_t bcache_clean_bytes(void);
