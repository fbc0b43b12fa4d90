/* Slab caches: fast allocation of many objects of one size. Each slab is a buddy block cut into
 * equal objects; its bookkeeping lives in the block's struct page, so objects pack with no headers. */
#pragma once
#include <kestrel/spinlock.h>
#include <kestrel/types.h>

#define SLAB_MAX_ORDER  3                          /* slabs of up to 8 pages */
#define SLAB_MAX_OBJECT (4096ul << SLAB_MAX_ORDER) /* largest object a cache can hold */

struct page;

struct slab_cache {
    const char *name;
    size_t size;          /* object size asked for */
    size_t stride;        /* distance between objects: size rounded up to the alignment */
    unsigned order;       /* each slab is 2^order pages */
    unsigned per_slab;    /* objects per slab */
    struct spinlock lock; /* protects everything below and the freelists of this cache's slabs */
    struct page *partial; /* slabs with a free object (including at most one entirely free slab) */
    struct page *full;
    size_t nslabs, nempty, inuse;
};

/* Sets up a cache in caller-provided storage (for caches needed before any can be created).
 * align is a power of two up to 4096 (0 means 8); returns 0 or -EINVAL. */
int slab_cache_init(struct slab_cache *c, const char *name, size_t size, size_t align);
/* A new cache; NULL for a bad size or alignment, or out of memory. name must outlive the cache. */
struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align);
/* Returns a created cache's memory; panics while objects are still in use. */
void slab_cache_destroy(struct slab_cache *c);

/* An object (contents undefined), or NULL when out of memory. */
void *slab_alloc(struct slab_cache *c);
/* Panics when obj is not an allocated object of c (double free, foreign or interior pointer). */
void slab_free(struct slab_cache *c, void *obj);
/* The cache obj came from, or NULL when obj is not in a slab. */
struct slab_cache *slab_cache_of(const void *obj);

/* Gives the cache's kept empty slab (if any) back to the page allocator; returns the pages freed. */
size_t slab_cache_trim(struct slab_cache *c);

size_t slab_cache_inuse(const struct slab_cache *c);
size_t slab_cache_slabs(const struct slab_cache *c);
