/* The page cache (kestrel/pagecache.h, docs/pagecache.md): per inode, a red-black tree of pages
 * by index; globally, a least-recently-used list of every page for eviction and a list of the
 * inodes that have pages, for write-back by superblock. All under the VFS lock. */
#include <kestrel/kmalloc.h>
#include <kestrel/pagecache.h>
#include <kestrel/panic.h>
#include <kestrel/rbtree.h>
#include <kestrel/string.h>

/* Above this many pages, inserting a page first evicts a clean unmapped one (16 MiB). */
#define PAGECACHE_SOFT_LIMIT 4096u

struct pc_page {
    struct rb_node node; /* in the owner's tree, by index */
    uint64_t index;
    void *data;
    bool dirty;
    struct pcache *owner;
    struct pc_page *lru_prev, *lru_next; /* the global list, least recently used first */
};

struct pcache {
    struct inode *inode;
    struct rb_root pages;
    uint64_t ra_next;           /* the page after the last fill: a fill starting there is sequential */
    uint32_t ra_pages;          /* the readahead window, grown while fills stay sequential */
    struct pcache *prev, *next; /* every inode with pages */
};

static struct pcache *caches;
static struct pc_page *lru_head, *lru_tail;
static size_t total_pages;

size_t pagecache_pages(void)
{
    return total_pages;
}

static void lru_unlink(struct pc_page *p)
{
    *(p->lru_prev ? &p->lru_prev->lru_next : &lru_head) = p->lru_next;
    *(p->lru_next ? &p->lru_next->lru_prev : &lru_tail) = p->lru_prev;
    p->lru_prev = p->lru_next = NULL;
}

static void lru_append(struct pc_page *p)
{
    p->lru_prev = lru_tail;
    p->lru_next = NULL;
    *(lru_tail ? &lru_tail->lru_next : &lru_head) = p;
    lru_tail = p;
}

static bool index_less(const struct rb_node *a, const struct rb_node *b)
{
    return container_of(a, struct pc_page, node)->index < container_of(b, struct pc_page, node)->index;
}

static struct pc_page *find(struct pcache *c, uint64_t index)
{
    struct rb_node *n = c ? c->pages.root : NULL;
    while (n) {
        struct pc_page *p = container_of(n, struct pc_page, node);
        if (index == p->index)
            return p;
        n = index < p->index ? n->left : n->right;
    }
    return NULL;
}

/* A page used again moves to the recent end of the list. */
static struct pc_page *lookup(struct inode *inode, uint64_t index)
{
    struct pc_page *p = find(inode->pcache, index);
    if (p) {
        lru_unlink(p);
        lru_append(p);
    }
    return p;
}

static struct pcache *cache_of(struct inode *inode)
{
    if (inode->pcache)
        return inode->pcache;
    struct pcache *c = kzalloc(sizeof(*c));
    if (!c)
        return NULL;
    c->inode = inode;
    c->next = caches;
    if (caches)
        caches->prev = c;
    caches = c;
    inode->pcache = c;
    return c;
}

static void cache_free(struct pcache *c)
{
    *(c->prev ? &c->prev->next : &caches) = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->inode->pcache = NULL;
    kfree(c);
}

static void remove_page(struct pc_page *p)
{
    struct pcache *c = p->owner;
    rb_erase(&c->pages, &p->node);
    lru_unlink(p);
    pcpage_put(p->data); /* a mapping may still hold the page: it lives on until unmapped */
    kfree(p);
    total_pages--;
    if (rb_empty(&c->pages))
        cache_free(c);
}

static int write_page(struct inode *inode, struct pc_page *p);

/* One pass over the list, oldest first, evicting unmapped pages: clean ones, or with dirty also
 * the dirty ones once written back (a page whose write-back fails stays). */
static size_t shrink_pass(size_t want, bool dirty)
{
    size_t freed = 0;
    for (struct pc_page *p = lru_head, *next; p && freed < want; p = next) {
        next = p->lru_next;
        if (pcpage_mapped(p->data) || (p->dirty && (!dirty || write_page(p->owner->inode, p))))
            continue;
        /* write_page only calls the filesystem, which never touches the cache: next stays valid */
        remove_page(p);
        freed++;
    }
    return freed;
}

size_t pagecache_shrink(size_t want)
{
    size_t freed = shrink_pass(want, false);
    return freed < want ? freed + shrink_pass(want - freed, true) : freed;
}

size_t pagecache_drop_clean(void)
{
    return shrink_pass(SIZE_MAX, false);
}

size_t pagecache_clean_pages(void)
{
    size_t n = 0;
    for (struct pc_page *p = lru_head; p; p = p->lru_next)
        n += !p->dirty && !pcpage_mapped(p->data);
    return n;
}

/* Reads page index of the file into a new cache page. The filesystem's read returns the bytes up
 * to the end of the file; the rest of the page stays zero. */
static int fill(struct inode *inode, uint64_t index, struct pc_page **out)
{
    if (total_pages >= PAGECACHE_SOFT_LIMIT)
        pagecache_shrink(1);
    struct pcache *c = cache_of(inode);
    struct pc_page *p = c ? kzalloc(sizeof(*p)) : NULL;
    void *data = p ? pcpage_alloc() : NULL;
    if (!data) {
        kfree(p);
        if (c && rb_empty(&c->pages))
            cache_free(c);
        return -ENOMEM;
    }
    ssize_t n = inode->ops->read(inode, data, PAGECACHE_PAGE_SIZE, index * PAGECACHE_PAGE_SIZE);
    if (n < 0) {
        pcpage_put(data);
        kfree(p);
        if (rb_empty(&c->pages))
            cache_free(c);
        return (int)n;
    }
    p->index = index;
    p->data = data;
    p->owner = c;
    rb_insert(&c->pages, &p->node, index_less);
    lru_append(p);
    total_pages++;
    *out = p;
    return 0;
}

/* Pages a read fills with one call to the filesystem: ext2 turns it into one device request when
 * the blocks are contiguous, where page-sized fills cost a request per page (the ext2_read figure
 * fell from ~100 to ~20 MB/s when reads first went through the cache). */
#define FILL_RUN_PAGES      16
/* Readahead: while a file's fills follow each other, each one reads twice as far as the last, up
 * to this many pages, so a sequential reader waits for one device request every 256 KiB instead
 * of every read(2). The request's fixed cost (a virtio notification QEMU emulates, an interrupt)
 * is what the CPU idled on. Synchronous: the reader still waits for each window. */
#define READAHEAD_MAX_PAGES 64

/* The pages to fill from index on: the read's own (want); at the start of the file
 * FILL_RUN_PAGES, however small the read (most files are read from the start to the end); right
 * after the last fill the grown readahead window. Never past the end of the file. */
static size_t fill_window(struct inode *inode, uint64_t index, size_t want)
{
    size_t n = MIN(want, (size_t)FILL_RUN_PAGES);
    struct pcache *c = inode->pcache;
    if (index == 0) {
        n = FILL_RUN_PAGES;
    } else if (c && c->ra_next == index) {
        c->ra_pages = MIN(MAX(c->ra_pages * 2, (uint32_t)FILL_RUN_PAGES), (uint32_t)READAHEAD_MAX_PAGES);
        n = MAX(n, (size_t)c->ra_pages);
    }
    uint64_t end = (inode->size + PAGECACHE_PAGE_SIZE - 1) / PAGECACHE_PAGE_SIZE;
    return index < end ? (size_t)MIN((uint64_t)n, end - index) : 0;
}

/* A contiguous buffer for up to *n pages, halving *n when memory is too fragmented. */
static char *fill_buffer(size_t *n)
{
    for (; *n >= 2; *n /= 2) {
        char *tmp = kmalloc(*n * PAGECACHE_PAGE_SIZE);
        if (tmp)
            return tmp;
    }
    return NULL;
}

/* Caches the missing pages index.. (at most the fill window, stopping at the first cached one)
 * from one read of the filesystem into a contiguous buffer. Best effort: without memory, or on an
 * error, the page-by-page path below does the work and reports the error. */
static void fill_run(struct inode *inode, uint64_t index, size_t want)
{
    size_t n = 0, window = fill_window(inode, index, want);
    while (n < window && !lookup(inode, index + n))
        n++;
    if (n < 2)
        return;
    char *tmp = fill_buffer(&n);
    if (!tmp)
        return;
    ssize_t got = inode->ops->read(inode, tmp, n * PAGECACHE_PAGE_SIZE, index * PAGECACHE_PAGE_SIZE);
    size_t pages = got > 0 ? ((size_t)got + PAGECACHE_PAGE_SIZE - 1) / PAGECACHE_PAGE_SIZE : 0;
    struct pcache *c = pages ? cache_of(inode) : NULL;
    for (size_t i = 0; c && i < pages; i++) {
        if (total_pages >= PAGECACHE_SOFT_LIMIT)
            pagecache_shrink(1);
        struct pc_page *p = kzalloc(sizeof(*p));
        void *data = p ? pcpage_alloc() : NULL;
        if (!data) {
            kfree(p);
            break;
        }
        size_t len = MIN((size_t)got - i * PAGECACHE_PAGE_SIZE, (size_t)PAGECACHE_PAGE_SIZE);
        memcpy(data, tmp + i * PAGECACHE_PAGE_SIZE, len); /* the rest stays zero, as fill leaves it */
        p->index = index + i;
        p->data = data;
        p->owner = c;
        rb_insert(&c->pages, &p->node, index_less);
        lru_append(p);
        total_pages++;
    }
    if (c && rb_empty(&c->pages))
        cache_free(c);
    else if (c) {
        c->ra_next = index + pages;
        c->ra_pages = MAX(c->ra_pages, (uint32_t)pages);
    }
    kfree(tmp);
}

/* Copies one page's part of a read: from the cache, or straight from the filesystem when the
 * page is not cached and cannot be (tmpfs, or no memory for a new page). want: the pages the read
 * still covers from this one, for fill_run. */
static ssize_t read_part(struct inode *inode, char *buf, size_t n, uint64_t pos, size_t want)
{
    uint64_t index = pos / PAGECACHE_PAGE_SIZE;
    struct pc_page *p = lookup(inode, index);
    if (!p && inode->sb->bdev) {
        fill_run(inode, index, want);
        p = lookup(inode, index);
    }
    if (!p && inode->sb->bdev) {
        int err = fill(inode, index, &p);
        if (err && err != -ENOMEM)
            return err;
    }
    if (!p)
        return inode->ops->read(inode, buf, n, pos);
    memcpy(buf, (char *)p->data + pos % PAGECACHE_PAGE_SIZE, n);
    return (ssize_t)n;
}

ssize_t pagecache_read(struct inode *inode, void *buf, size_t count, uint64_t pos)
{
    /* Nothing cached and nothing to cache (tmpfs, procfs, whose files have no size): the
     * filesystem answers alone. */
    if (!inode->pcache && !inode->sb->bdev)
        return inode->ops->read(inode, buf, count, pos);
    if (pos >= inode->size)
        return 0;
    count = MIN(count, inode->size - pos);
    size_t done = 0;
    while (done < count) {
        uint64_t at = pos + done;
        size_t n = MIN(PAGECACHE_PAGE_SIZE - at % PAGECACHE_PAGE_SIZE, count - done);
        size_t want =
            (at % PAGECACHE_PAGE_SIZE + count - done + PAGECACHE_PAGE_SIZE - 1) / PAGECACHE_PAGE_SIZE;
        ssize_t got = read_part(inode, (char *)buf + done, n, at, want);
        if (got < 0)
            return done ? (ssize_t)done : got;
        done += (size_t)got;
        if ((size_t)got < n)
            break;
    }
    return (ssize_t)done;
}

void pagecache_wrote(struct inode *inode, const void *buf, size_t count, uint64_t pos)
{
    if (!inode->pcache)
        return;
    for (size_t done = 0; done < count;) {
        uint64_t at = pos + done;
        size_t n = MIN(PAGECACHE_PAGE_SIZE - at % PAGECACHE_PAGE_SIZE, count - done);
        struct pc_page *p = find(inode->pcache, at / PAGECACHE_PAGE_SIZE);
        if (p)
            memcpy((char *)p->data + at % PAGECACHE_PAGE_SIZE, (const char *)buf + done, n);
        done += n;
    }
}

void pagecache_truncated(struct inode *inode, uint64_t size)
{
    struct pcache *c = inode->pcache;
    if (!c)
        return;
    uint64_t keep = (size + PAGECACHE_PAGE_SIZE - 1) / PAGECACHE_PAGE_SIZE;
    struct pc_page *last = keep ? find(c, keep - 1) : NULL;
    if (last && size % PAGECACHE_PAGE_SIZE) /* so that growing again reads zeroes there */
        memset((char *)last->data + size % PAGECACHE_PAGE_SIZE, 0,
               PAGECACHE_PAGE_SIZE - size % PAGECACHE_PAGE_SIZE);
    /* prev is read before the removal; when the last page goes (and c with it) prev is NULL. */
    for (struct rb_node *n = rb_last(&c->pages), *prev; n; n = prev) {
        prev = rb_prev(n);
        struct pc_page *p = container_of(n, struct pc_page, node);
        if (p->index < keep)
            break;
        remove_page(p);
    }
}

int pagecache_get_page(struct inode *inode, uint64_t index, void **data)
{
    if (index >= (inode->size + PAGECACHE_PAGE_SIZE - 1) / PAGECACHE_PAGE_SIZE)
        return -EIO;
    struct pc_page *p = lookup(inode, index);
    int err = p ? 0 : fill(inode, index, &p);
    if (err)
        return err;
    *data = p->data;
    return 0;
}

int pagecache_mark_dirty(struct inode *inode, uint64_t index)
{
    struct pc_page *p = find(inode->pcache, index);
    if (!p)
        return -EIO;
    p->dirty = true;
    return 0;
}

/* Writes one dirty page: only the bytes before the end of the file. A page a shared mapping still
 * maps stays dirty, since its stores are not seen (no page-table dirty bits are read). */
static int write_page(struct inode *inode, struct pc_page *p)
{
    uint64_t pos = p->index * PAGECACHE_PAGE_SIZE;
    if (pos < inode->size) {
        size_t n = (size_t)MIN((uint64_t)PAGECACHE_PAGE_SIZE, inode->size - pos);
        ssize_t w = inode->ops->write(inode, p->data, n, pos);
        if (w < 0)
            return (int)w;
        if ((size_t)w < n)
            return -EIO;
    }
    p->dirty = pcpage_mapped(p->data);
    return 0;
}

int pagecache_writeback(struct inode *inode)
{
    struct pcache *c = inode->pcache;
    int first = 0;
    for (struct rb_node *n = c ? rb_first(&c->pages) : NULL; n; n = rb_next(n)) {
        struct pc_page *p = container_of(n, struct pc_page, node);
        int err = p->dirty ? write_page(inode, p) : 0;
        if (err && !first)
            first = err;
    }
    return first;
}

int pagecache_writeback_sb(struct super_block *sb)
{
    int first = 0;
    for (struct pcache *c = caches; c; c = c->next) {
        int err = c->inode->sb == sb ? pagecache_writeback(c->inode) : 0;
        if (err && !first)
            first = err;
    }
    return first;
}

void pagecache_evict_inode(struct inode *inode)
{
    struct pcache *c = inode->pcache;
    if (!c)
        return;
    if (inode->nlink > 0)
        pagecache_writeback(inode); /* an error leaves the data lost, as Linux's eviction does */
    while (inode->pcache)
        remove_page(container_of(rb_first(&c->pages), struct pc_page, node));
}
