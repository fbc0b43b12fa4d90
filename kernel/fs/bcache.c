/* The buffer cache (see bcache.h): a hash table of blocks by number, and an LRU list of the blocks
 * nobody references, from which the oldest is evicted (written back first if dirty) when the cache
 * is full.
 *
 * Locking: the cache has no lock of its own. Its users are filesystems, which run under the
 * VFS-wide sleeping lock (docs/locking.md); that lock also covers the sleep in block_read and
 * block_write, so no other thread can find a buffer half read. No spinlock is ever held here, so
 * sleeping in the device I/O is allowed. */
#include <kestrel/bcache.h>
#include <kestrel/blkdev.h>
#include <kestrel/kmalloc.h>
#include <kestrel/panic.h>
#include <kestrel/string.h>
#include <uapi/errno.h>

#define HASH_BUCKETS 512

struct bcache {
    struct block_device *bd;
    uint32_t block_size;
    uint32_t sectors_per_block;
    uint64_t nblocks; /* blocks on the device */
    uint32_t max_blocks;
    uint32_t count;                  /* buffers allocated, referenced or not */
    struct buf *lru_head, *lru_tail; /* unreferenced buffers, oldest first */
    struct buf *hash[HASH_BUCKETS];
    struct bcache *prev, *next; /* every cache, for drop_caches and /proc/meminfo */
};

static struct bcache *caches;

struct bcache *bcache_create(struct block_device *bd, uint32_t block_size, uint32_t max_blocks)
{
    BUG_ON(block_size == 0 || block_size % SECTOR_SIZE != 0 || max_blocks == 0);
    struct bcache *bc = kzalloc(sizeof(*bc));
    if (!bc)
        return NULL;
    bc->bd = bd;
    bc->block_size = block_size;
    bc->sectors_per_block = block_size / SECTOR_SIZE;
    bc->nblocks = bd->sectors / bc->sectors_per_block;
    bc->max_blocks = max_blocks;
    bc->next = caches;
    if (caches)
        caches->prev = bc;
    caches = bc;
    return bc;
}

uint32_t bcache_count(const struct bcache *bc)
{
    return bc->count;
}

static struct buf **bucket(struct bcache *bc, uint64_t blockno)
{
    return &bc->hash[blockno % HASH_BUCKETS];
}

static void lru_remove(struct bcache *bc, struct buf *b)
{
    if (b->lru_prev)
        b->lru_prev->lru_next = b->lru_next;
    else
        bc->lru_head = b->lru_next;
    if (b->lru_next)
        b->lru_next->lru_prev = b->lru_prev;
    else
        bc->lru_tail = b->lru_prev;
    b->lru_prev = b->lru_next = NULL;
}

static void lru_append(struct bcache *bc, struct buf *b)
{
    b->lru_prev = bc->lru_tail;
    b->lru_next = NULL;
    if (bc->lru_tail)
        bc->lru_tail->lru_next = b;
    else
        bc->lru_head = b;
    bc->lru_tail = b;
}

static int write_back(struct buf *b)
{
    struct bcache *bc = b->cache;
    int err = block_write(bc->bd, b->blockno * bc->sectors_per_block, b->data, bc->sectors_per_block);
    if (!err)
        b->dirty = false;
    return err;
}

/* Unhashes and frees a buffer that is on no list: referenced until now, or never put. */
static void drop_buf(struct bcache *bc, struct buf *b)
{
    struct buf **link = bucket(bc, b->blockno);
    while (*link != b)
        link = &(*link)->hash_next;
    *link = b->hash_next;
    bc->count--;
    kfree(b->data);
    kfree(b);
}

/* Frees an unreferenced buffer, which is on the LRU list. */
static void free_buf(struct bcache *bc, struct buf *b)
{
    BUG_ON(b->refcount != 0);
    lru_remove(bc, b);
    drop_buf(bc, b);
}

/* Makes room for one more buffer: evicts the least recently used unreferenced one, writing it
 * back first if dirty. With every buffer referenced the cache grows past its bound instead: the
 * filesystem holds only a few at a time, so the excess is small and goes at the next eviction. */
static int write_dirty(struct bcache *bc, bool unreferenced_only);

static int make_room(struct bcache *bc)
{
    if (bc->count < bc->max_blocks || !bc->lru_head)
        return 0;
    struct buf *victim = bc->lru_head;
    if (victim->dirty) {
        /* Writing back the victim alone would cost one device command per evicted block while a
         * big file streams through the cache: write every unreferenced dirty block, in runs. */
        int err = write_dirty(bc, true);
        if (err)
            return err;
    }
    free_buf(bc, victim);
    return 0;
}

static struct buf *lookup(struct bcache *bc, uint64_t blockno)
{
    for (struct buf *b = *bucket(bc, blockno); b; b = b->hash_next)
        if (b->blockno == blockno)
            return b;
    return NULL;
}

bool bcache_contains(struct bcache *bc, uint64_t blockno)
{
    return lookup(bc, blockno) != NULL;
}

/* A new buffer for blockno with uninitialised data, referenced once and hashed. */
static int alloc_buf(struct bcache *bc, uint64_t blockno, struct buf **out)
{
    if (blockno >= bc->nblocks)
        return -EINVAL;
    int err = make_room(bc);
    if (err)
        return err;
    struct buf *b = kzalloc(sizeof(*b));
    void *data = kmalloc(bc->block_size);
    if (!b || !data) {
        kfree(b);
        kfree(data);
        return -ENOMEM;
    }
    b->blockno = blockno;
    b->data = data;
    b->refcount = 1;
    b->cache = bc;
    b->hash_next = *bucket(bc, blockno);
    *bucket(bc, blockno) = b;
    bc->count++;
    *out = b;
    return 0;
}

/* The cached buffer for blockno with a new reference, or NULL. */
static struct buf *grab(struct bcache *bc, uint64_t blockno)
{
    struct buf *b = lookup(bc, blockno);
    if (!b)
        return NULL;
    if (b->refcount++ == 0)
        lru_remove(bc, b);
    return b;
}

int bcache_get(struct bcache *bc, uint64_t blockno, struct buf **out)
{
    struct buf *b = grab(bc, blockno);
    if (b) {
        *out = b;
        return 0;
    }
    int err = alloc_buf(bc, blockno, &b);
    if (err)
        return err;
    err = block_read(bc->bd, blockno * bc->sectors_per_block, b->data, bc->sectors_per_block);
    if (err) {
        /* Never put, so never on the LRU list: unlinking it there would cut the list. */
        drop_buf(bc, b);
        return err;
    }
    *out = b;
    return 0;
}

int bcache_new(struct bcache *bc, uint64_t blockno, struct buf **out)
{
    struct buf *b = grab(bc, blockno);
    if (!b) {
        int err = alloc_buf(bc, blockno, &b);
        if (err)
            return err;
    }
    memset(b->data, 0, bc->block_size);
    b->dirty = true;
    *out = b;
    return 0;
}

void bcache_mark_dirty(struct buf *b)
{
    BUG_ON(b->refcount == 0);
    b->dirty = true;
}

void bcache_put(struct buf *b)
{
    BUG_ON(b->refcount == 0);
    if (--b->refcount == 0)
        lru_append(b->cache, b);
}

void bcache_forget(struct bcache *bc, uint64_t blockno)
{
    struct buf *b = lookup(bc, blockno);
    if (b && b->refcount == 0)
        free_buf(bc, b);
}

/* Dirty blocks with consecutive numbers are written with one request of up to this many bytes:
 * each device command costs far more than its bytes (an exit to the hypervisor, an interrupt). */
#define SYNC_RUN_BYTES (64 * 1024)

/* The dirty buffers sorted by block number (a shell sort: no recursion, no extra memory), or NULL
 * when there are none or no memory for the array. */
static bool to_write(const struct buf *b, bool unreferenced_only)
{
    return b->dirty && (!unreferenced_only || b->refcount == 0);
}

static struct buf **dirty_sorted(struct bcache *bc, bool unreferenced_only, size_t *n)
{
    *n = 0;
    for (unsigned i = 0; i < HASH_BUCKETS; i++)
        for (struct buf *b = bc->hash[i]; b; b = b->hash_next)
            *n += to_write(b, unreferenced_only);
    struct buf **v = *n ? kmalloc(*n * sizeof(*v)) : NULL;
    if (!v)
        return NULL;
    size_t k = 0;
    for (unsigned i = 0; i < HASH_BUCKETS; i++)
        for (struct buf *b = bc->hash[i]; b; b = b->hash_next)
            if (to_write(b, unreferenced_only))
                v[k++] = b;
    for (size_t gap = *n / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < *n; i++)
            for (size_t j = i; j >= gap && v[j - gap]->blockno > v[j]->blockno; j -= gap) {
                struct buf *t = v[j];
                v[j] = v[j - gap];
                v[j - gap] = t;
            }
    return v;
}

/* Writes run[0..n), buffers of consecutive blocks, with one request through a contiguous copy;
 * one by one when there is no memory for the copy. */
static int write_run(struct bcache *bc, struct buf **run, size_t n)
{
    char *tmp = n > 1 ? kmalloc(n * bc->block_size) : NULL;
    if (!tmp) {
        int first_err = 0;
        for (size_t i = 0; i < n; i++) {
            int err = write_back(run[i]);
            first_err = first_err ? first_err : err;
        }
        return first_err;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(tmp + i * bc->block_size, run[i]->data, bc->block_size);
    int err = block_write(bc->bd, run[0]->blockno * bc->sectors_per_block, tmp,
                          (uint32_t)(n * bc->sectors_per_block));
    kfree(tmp);
    for (size_t i = 0; i < n && !err; i++)
        run[i]->dirty = false;
    return err;
}

/* Writes the dirty buffers (only the unreferenced ones if asked: a held buffer may be half
 * changed) in runs of consecutive blocks; the first error. */
static int write_dirty(struct bcache *bc, bool unreferenced_only)
{
    int first_err = 0;
    size_t n;
    struct buf **v = dirty_sorted(bc, unreferenced_only, &n);
    size_t max_run = MAX(SYNC_RUN_BYTES / bc->block_size, 1u);
    for (size_t i = 0; v && i < n;) {
        size_t len = 1;
        while (i + len < n && len < max_run && v[i + len]->blockno == v[i]->blockno + len)
            len++;
        int err = write_run(bc, v + i, len);
        first_err = first_err ? first_err : err;
        i += len;
    }
    bool sorted = v != NULL || n == 0;
    kfree(v);
    /* Without memory for the sorted list: one request per block, but every block still goes. */
    for (unsigned i = 0; i < HASH_BUCKETS && !sorted; i++) {
        for (struct buf *b = bc->hash[i]; b; b = b->hash_next) {
            if (!to_write(b, unreferenced_only))
                continue;
            int err = write_back(b);
            first_err = first_err ? first_err : err;
        }
    }
    return first_err;
}

int bcache_sync(struct bcache *bc)
{
    int first_err = write_dirty(bc, false);
    int err = block_flush(bc->bd);
    return first_err ? first_err : err;
}

int bcache_destroy(struct bcache *bc)
{
    int err = bcache_sync(bc);
    while (bc->lru_head)
        free_buf(bc, bc->lru_head);
    if (bc->count)
        panic("bcache: destroyed with %u block(s) still referenced", bc->count);
    if (bc->prev)
        bc->prev->next = bc->next;
    else
        caches = bc->next;
    if (bc->next)
        bc->next->prev = bc->prev;
    kfree(bc);
    return err;
}

size_t bcache_drop_clean(void)
{
    size_t dropped = 0;
    for (struct bcache *bc = caches; bc; bc = bc->next) {
        for (struct buf *b = bc->lru_head, *next; b; b = next) {
            next = b->lru_next;
            if (!b->dirty) {
                free_buf(bc, b);
                dropped++;
            }
        }
    }
    return dropped;
}

uint64_t bcache_total_bytes(void)
{
    uint64_t bytes = 0;
    for (struct bcache *bc = caches; bc; bc = bc->next)
        bytes += (uint64_t)bc->count * bc->block_size;
    return bytes;
}

uint64_t bcache_clean_bytes(void)
{
    uint64_t bytes = 0;
    for (struct bcache *bc = caches; bc; bc = bc->next)
        for (struct buf *b = bc->lru_head; b; b = b->lru_next)
            bytes += b->dirty ? 0 : bc->block_size;
    return bytes;
}
