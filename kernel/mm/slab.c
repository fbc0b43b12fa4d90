/* Slab allocator. A slab is a buddy block of 2^order pages cut into equal objects; free objects are
 * chained through their first word, and the slab's state (cache, freelist, objects in use) sits in
 * its first struct page, so a pointer finds its slab by address arithmetic alone. One empty slab per
 * cache is kept for reuse, so alternating alloc/free at a slab boundary does not thrash the buddy. */
#include "internal.h"
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/panic.h>
#include <kestrel/slab.h>
#include <uapi/errno.h>

/* Stored in a free object's second word: a cheap first test for double frees (confirmed by a
 * freelist walk, since live data may hold the same value). */
#define FREE_MAGIC 0xf7eef7eef7eef7eeull
#define MIN_OBJECT 16 /* room for the freelist link and FREE_MAGIC */

/* Where struct slab_cache objects come from. */
static struct slab_cache cache_cache;

static unsigned pick_order(size_t stride)
{
    /* At least eight objects per slab, so the waste at a slab's end stays under an eighth. */
    unsigned order = 0;
    while (order < SLAB_MAX_ORDER && (PAGE_SIZE << order) < 8 * stride)
        order++;
    return order;
}

int slab_cache_init(struct slab_cache *c, const char *name, size_t size, size_t align)
{
    if (!align)
        align = 8;
    if ((align & (align - 1)) || align > PAGE_SIZE || size == 0 || size > SLAB_MAX_OBJECT)
        return -EINVAL;
    *c = (struct slab_cache){.name = name, .size = size, .lock = SPINLOCK_INIT(name)};
    c->stride = ALIGN_UP(MAX(size, (size_t)MIN_OBJECT), MAX(align, (size_t)8));
    c->order = pick_order(c->stride);
    c->per_slab = (PAGE_SIZE << c->order) / c->stride;
    return 0;
}

void slab_init(void)
{
    if (slab_cache_init(&cache_cache, "slab_cache", sizeof(struct slab_cache), 0))
        panic("slab: cannot set up the cache of caches");
}

/* A new slab with every object free, filed on the partial list; NULL when out of memory. */
static struct page *grow(struct slab_cache *c)
{
    struct page *slab = alloc_pages(c->order);
    if (!slab)
        return NULL;
    for (size_t i = 1; i < (1u << c->order); i++) {
        slab[i].flags = PG_SLAB_TAIL;
        slab[i].head = slab;
    }
    slab->flags |= PG_SLAB;
    slab->cache = c;
    slab->inuse = 0;
    char *base = page_address(slab);
    slab->freelist = NULL;
    for (size_t i = c->per_slab; i-- > 0;) {
        uint64_t *obj = (uint64_t *)(base + i * c->stride);
        obj[0] = (uint64_t)slab->freelist;
        obj[1] = FREE_MAGIC;
        slab->freelist = obj;
    }
    page_list_push(&c->partial, slab);
    c->nslabs++;
    c->nempty++;
    return slab;
}

/* Gives an empty slab back to the buddy allocator; it must already be off every list. */
static void release(struct slab_cache *c, struct page *slab)
{
    for (size_t i = 1; i < (1u << c->order); i++)
        slab[i] = (struct page){0};
    slab->flags &= ~PG_SLAB;
    slab->cache = NULL;
    slab->freelist = NULL;
    c->nslabs--;
    free_pages(slab, c->order);
}

static void *take(struct slab_cache *c, struct page *slab)
{
    uint64_t *obj = slab->freelist;
    slab->freelist = (void *)obj[0];
    obj[1] = 0;
    if (slab->inuse++ == 0)
        c->nempty--;
    c->inuse++;
    if (!slab->freelist) {
        page_list_remove(&c->partial, slab);
        page_list_push(&c->full, slab);
    }
    return obj;
}

void *slab_alloc(struct slab_cache *c)
{
    uint64_t irq = spin_lock_irqsave(&c->lock);
    struct page *slab = c->partial ? c->partial : grow(c);
    void *obj = slab ? take(c, slab) : NULL;
    spin_unlock_irqrestore(&c->lock, irq);
    return obj;
}

/* The first page of the slab holding obj, or NULL. */
static struct page *slab_of(const void *obj)
{
    struct page *p = virt_to_page(obj);
    if (p && (p->flags & PG_SLAB_TAIL))
        p = p->head;
    return p && (p->flags & PG_SLAB) ? p : NULL;
}

struct slab_cache *slab_cache_of(const void *obj)
{
    struct page *slab = slab_of(obj);
    return slab ? slab->cache : NULL;
}

static bool is_free(const struct page *slab, const uint64_t *obj)
{
    if (obj[1] != FREE_MAGIC)
        return false;
    for (const uint64_t *o = slab->freelist; o; o = (const uint64_t *)o[0])
        if (o == obj)
            return true;
    return false;
}

/* Panics unless obj is the start of an object in a slab of c. */
static struct page *checked_slab(struct slab_cache *c, const void *obj)
{
    struct page *slab = slab_of(obj);
    if (!slab || slab->cache != c)
        panic("slab_free(%s, %p): not an object of this cache", c->name, obj);
    size_t off = (size_t)((const char *)obj - (const char *)page_address(slab));
    if (off % c->stride || off / c->stride >= c->per_slab)
        panic("slab_free(%s, %p): not the start of an object", c->name, obj);
    return slab;
}

static void put(struct slab_cache *c, struct page *slab, uint64_t *obj)
{
    obj[0] = (uint64_t)slab->freelist;
    obj[1] = FREE_MAGIC;
    slab->freelist = obj;
    if (slab->inuse-- == c->per_slab) {
        page_list_remove(&c->full, slab);
        page_list_push(&c->partial, slab);
    }
    c->inuse--;
    if (slab->inuse)
        return;
    if (!c->nempty) {
        c->nempty++;
        return;
    }
    page_list_remove(&c->partial, slab);
    release(c, slab);
}

void slab_free(struct slab_cache *c, void *obj)
{
    struct page *slab = checked_slab(c, obj);
    uint64_t irq = spin_lock_irqsave(&c->lock);
    if (is_free(slab, obj))
        panic("slab_free(%s, %p): double free", c->name, obj);
    put(c, slab, obj);
    spin_unlock_irqrestore(&c->lock, irq);
}

struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align)
{
    struct slab_cache *c = slab_alloc(&cache_cache);
    if (c && slab_cache_init(c, name, size, align)) {
        slab_free(&cache_cache, c);
        return NULL;
    }
    return c;
}

void slab_cache_destroy(struct slab_cache *c)
{
    uint64_t irq = spin_lock_irqsave(&c->lock);
    if (c->inuse)
        panic("slab_cache_destroy(%s): %zu objects still in use", c->name, c->inuse);
    while (c->partial) {
        struct page *slab = c->partial;
        page_list_remove(&c->partial, slab);
        release(c, slab);
    }
    spin_unlock_irqrestore(&c->lock, irq);
    slab_free(&cache_cache, c);
}

size_t slab_cache_trim(struct slab_cache *c)
{
    size_t pages = 0;
    uint64_t irq = spin_lock_irqsave(&c->lock);
    /* At most one slab is empty (put releases every other one), and it is on the partial list. */
    for (struct page *slab = c->partial; slab && c->nempty; slab = slab->next)
        if (slab->inuse == 0) {
            page_list_remove(&c->partial, slab);
            c->nempty--;
            release(c, slab);
            pages += 1u << c->order;
            break;
        }
    spin_unlock_irqrestore(&c->lock, irq);
    return pages;
}

size_t slab_cache_inuse(const struct slab_cache *c)
{
    return __atomic_load_n(&c->inuse, __ATOMIC_RELAXED);
}

size_t slab_cache_slabs(const struct slab_cache *c)
{
    return __atomic_load_n(&c->nslabs, __ATOMIC_RELAXED);
}
