/* Host stand-ins for kmalloc/kzalloc/kfree and panic (see kshim.h). */
#include "kshim.h"
#include <kestrel/kmalloc.h>
#include <kestrel/pagecache.h>
#include <kestrel/panic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long live;

long kshim_live_allocs(void)
{
    return live;
}

void *kmalloc(size_t size)
{
    if (size == 0)
        return NULL;
    void *p = malloc(size);
    if (p) {
        live++;
        memset(p, 0xa5, size); /* poison: code that relies on kmalloc zeroing fails its tests */
    }
    return p;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    live--;
    free(ptr);
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "panic: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* Page-cache pages on the host: plain counted allocations that no page table ever maps. */
void *pcpage_alloc(void)
{
    return kzalloc(PAGECACHE_PAGE_SIZE);
}

void pcpage_put(void *data)
{
    kfree(data);
}

bool pcpage_mapped(void *data)
{
    (void)data;
    return false;
}
