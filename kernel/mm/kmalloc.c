/* kmalloc: power-of-two size classes from 16 to 2048 bytes on slab caches, and whole buddy blocks
 * above that. kfree needs no size: the struct page of the address says which kind of block it is. */
#include "internal.h"
#include <kestrel/buddy.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/panic.h>
#include <kestrel/slab.h>
#include <kestrel/string.h>

#define NR_CLASSES 8 /* 16, 32, ..., 2048 */

static struct slab_cache classes[NR_CLASSES];
static const char *const class_names[NR_CLASSES] = {
    "kmalloc-16",  "kmalloc-32",  "kmalloc-64",   "kmalloc-128",
    "kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048",
};

void kmalloc_init(void)
{
    for (unsigned i = 0; i < NR_CLASSES; i++)
        if (slab_cache_init(&classes[i], class_names[i], KMALLOC_MIN_SIZE << i, 16))
            panic("kmalloc: cannot set up %s", class_names[i]);
}

static unsigned size_class(size_t size)
{
    unsigned i = 0;
    while ((size_t)KMALLOC_MIN_SIZE << i < size)
        i++;
    return i;
}

static void *kmalloc_large(size_t size)
{
    unsigned order = 0;
    while ((PAGE_SIZE << order) < size)
        if (++order > BUDDY_MAX_ORDER)
            return NULL;
    struct page *p = alloc_pages(order);
    if (!p)
        return NULL;
    p->flags |= PG_KMALLOC;
    return page_address(p);
}

void *kmalloc(size_t size)
{
    if (size == 0)
        return NULL;
    if (size <= KMALLOC_MAX_CACHE_SIZE)
        return slab_alloc(&classes[size_class(size)]);
    return kmalloc_large(size);
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, ksize(p));
    return p;
}

static bool is_class(const struct slab_cache *c)
{
    return c >= classes && c < classes + NR_CLASSES;
}

/* The large block starting at ptr; panics when ptr is not one. */
static struct page *large_block(const void *ptr, const char *who)
{
    struct page *p = virt_to_page(ptr);
    if (!p || !(p->flags & PG_KMALLOC) || ptr != page_address(p))
        panic("%s(%p): not a pointer from kmalloc", who, ptr);
    return p;
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    struct slab_cache *c = slab_cache_of(ptr);
    if (c) {
        if (!is_class(c))
            panic("kfree(%p): object of slab cache %s, not from kmalloc", ptr, c->name);
        slab_free(c, ptr);
        return;
    }
    struct page *p = large_block(ptr, "kfree");
    p->flags &= ~PG_KMALLOC;
    free_pages(p, p->order);
}

size_t ksize(const void *ptr)
{
    struct slab_cache *c = slab_cache_of(ptr);
    if (c && is_class(c))
        return c->size;
    return PAGE_SIZE << large_block(ptr, "ksize")->order;
}

size_t kmalloc_trim(void)
{
    size_t pages = 0;
    for (unsigned i = 0; i < NR_CLASSES; i++)
        pages += slab_cache_trim(&classes[i]);
    return pages;
}
