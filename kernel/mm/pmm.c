/* Physical memory: finds usable RAM in the boot memory map, places the page-frame array (mem_map) in
 * it, keeps out what is taken, and wraps the buddy core with a lock and loud misuse checks. */
#include "internal.h"
#include <arch/cpu.h>
#include <kestrel/bootinfo.h>
#include <kestrel/buddy.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/panic.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <uapi/errno.h>

/* Each byte here costs 1/4096 of RAM. */
_Static_assert(sizeof(struct page) == 40, "struct page changed size: update docs/memory.md");

struct page *mem_map;
size_t max_pfn;

static struct buddy pmm;
static struct spinlock pmm_lock = SPINLOCK_INIT("pmm"); /* protects pmm and every PG_FREE page */

struct range {
    paddr_t start, end;
};

/* Physical ranges that never reach the allocator: low memory, the kernel, modules, firmware regions,
 * mem_map itself. Kept after boot because the memory above 4 GiB is released later. */
#define MAX_RESERVED (4 + BOOT_MAX_MODULES + BOOT_MAX_REGIONS)
static struct range reserved[MAX_RESERVED];
static size_t nreserved;
static const struct boot_info *boot;
static uint64_t usable_bytes;

/* The image starts with the identity-linked .boot section, so this symbol's address is physical. */
extern char __boot_start[], __kernel_end[];

static void reserve(paddr_t start, paddr_t end)
{
    if (nreserved == MAX_RESERVED)
        panic("pmm: more than %d reserved ranges", MAX_RESERVED);
    reserved[nreserved++] = (struct range){start, end};
}

static void collect_reserved(const struct boot_info *bi)
{
    /* Real-mode memory holds firmware data (BDA, EBDA) that ACPI and SMP code still read. */
    reserve(0, 1ull << 20);
    reserve((paddr_t)__boot_start, virt_to_phys(__kernel_end));
    for (size_t i = 0; i < bi->nmodules; i++)
        reserve(bi->modules[i].start, bi->modules[i].end);
    /* Firmware maps sometimes overlap usable entries with reserved ones; the reserved one wins. */
    for (size_t i = 0; i < bi->nregions; i++)
        if (bi->regions[i].type != MEM_USABLE)
            reserve(bi->regions[i].base, bi->regions[i].base + bi->regions[i].length);
}

/* Called on each free piece of usable RAM; returns true to stop the walk. */
typedef bool (*range_fn)(paddr_t start, paddr_t end, void *ctx);

/* Calls fn on the whole pages of [s, e) that no reserved range from index i on covers. */
static bool clip(paddr_t s, paddr_t e, size_t i, range_fn fn, void *ctx)
{
    for (; i < nreserved && s < e; i++) {
        const struct range *r = &reserved[i];
        if (r->end <= s || r->start >= e)
            continue;
        if (r->start > s && clip(s, r->start, i + 1, fn, ctx))
            return true;
        s = r->end;
    }
    s = ALIGN_UP(s, PAGE_SIZE);
    e = ALIGN_DOWN(e, PAGE_SIZE);
    return s < e && fn(s, e, ctx);
}

/* Walks the free usable RAM inside [lo, hi). */
static void for_each_free_range(paddr_t lo, paddr_t hi, range_fn fn, void *ctx)
{
    for (size_t i = 0; i < boot->nregions; i++) {
        const struct mem_region *r = &boot->regions[i];
        paddr_t s = MAX(r->base, lo), e = MIN(r->base + r->length, hi);
        if (r->type == MEM_USABLE && s < e && clip(s, e, 0, fn, ctx))
            return;
    }
}

static void find_max_pfn(const struct boot_info *bi)
{
    for (size_t i = 0; i < bi->nregions; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type != MEM_USABLE)
            continue;
        usable_bytes += r->length;
        max_pfn = MAX(max_pfn, (size_t)((r->base + r->length) >> PAGE_SHIFT));
    }
    if (!max_pfn)
        panic("pmm: the boot memory map lists no usable RAM");
}

static bool fits_mem_map(paddr_t start, paddr_t end, void *ctx)
{
    paddr_t *where = ctx;
    if (end - start < ALIGN_UP(max_pfn * sizeof(struct page), PAGE_SIZE))
        return false;
    *where = start;
    return true;
}

/* mem_map lives in RAM the boot tables already map, so it can be filled before the switch. */
static void place_mem_map(void)
{
    paddr_t where = 0;
    size_t bytes = ALIGN_UP(max_pfn * sizeof(struct page), PAGE_SIZE);
    for_each_free_range(0, LOW_MEMORY_LIMIT, fits_mem_map, &where);
    if (!where)
        panic("pmm: no room below 4 GiB for %zu KiB of page descriptors", bytes >> 10);
    reserve(where, where + bytes);
    mem_map = phys_to_virt(where);
}

static bool release(paddr_t start, paddr_t end, void *ctx)
{
    (void)ctx;
    uint64_t irq = spin_lock_irqsave(&pmm_lock);
    buddy_release_range(&pmm, start >> PAGE_SHIFT, end >> PAGE_SHIFT);
    spin_unlock_irqrestore(&pmm_lock, irq);
    return false;
}

void pmm_init(const struct boot_info *bi)
{
    boot = bi;
    collect_reserved(bi);
    find_max_pfn(bi);
    place_mem_map();
    buddy_init(&pmm, mem_map, max_pfn);
    for_each_free_range(0, LOW_MEMORY_LIMIT, release, NULL);
}

void pmm_init_high(void)
{
    for_each_free_range(LOW_MEMORY_LIMIT, ~0ull, release, NULL);
}

static size_t (*shrinker)(size_t pages);

void pmm_set_shrinker(size_t (*shrink)(size_t pages))
{
    shrinker = shrink;
}

static struct page *try_alloc(unsigned order)
{
    uint64_t irq = spin_lock_irqsave(&pmm_lock);
    struct page *p = buddy_alloc(&pmm, order);
    spin_unlock_irqrestore(&pmm_lock, irq);
    return p;
}

struct page *alloc_pages(unsigned order)
{
    struct page *p = try_alloc(order);
    /* The shrinker takes a sleeping lock (with trylock) and writes to disks: only from a context
     * that could sleep. Freed pages may not coalesce into an order-k block; one retry is enough
     * for the page-sized allocations that user memory and the caches make. */
    if (!p && shrinker && irqs_enabled() && spin_held_count() == 0 && shrinker((size_t)1 << order))
        p = try_alloc(order);
    return p;
}

static const char *free_error(int err)
{
    switch (err) {
    case -EPERM:
        return "reserved page";
    case -EALREADY:
        return "page not allocated (double free, or not the first page of a block)";
    case -EDOM:
        return "wrong order";
    default:
        return "not a managed page";
    }
}

void free_pages(struct page *p, unsigned order)
{
    uint64_t irq = spin_lock_irqsave(&pmm_lock);
    int err = buddy_free(&pmm, p, order);
    spin_unlock_irqrestore(&pmm_lock, irq);
    if (err)
        panic("free_pages(%p, order %u): %s (pfn %#zx, flags %#x, order %u)", (void *)p, order,
              free_error(err), (size_t)(p - mem_map), err == -EINVAL ? 0 : p->flags,
              err == -EINVAL ? 0 : p->order);
}

void *page_address(const struct page *p)
{
    return phys_to_virt(page_to_phys(p));
}

struct page *phys_to_page(paddr_t pa)
{
    return (pa >> PAGE_SHIFT) < max_pfn ? pfn_to_page(pa >> PAGE_SHIFT) : NULL;
}

struct page *virt_to_page(const void *v)
{
    uint64_t a = (uint64_t)v;
    if (a < DIRECT_MAP_BASE || a - DIRECT_MAP_BASE >= (uint64_t)max_pfn << PAGE_SHIFT)
        return NULL;
    return phys_to_page(a - DIRECT_MAP_BASE);
}

void *alloc_page_virt(void)
{
    struct page *p = alloc_pages(0);
    return p ? page_address(p) : NULL;
}

void *alloc_zeroed_page_virt(void)
{
    void *v = alloc_page_virt();
    if (v)
        memset(v, 0, PAGE_SIZE);
    return v;
}

void free_page_virt(void *v)
{
    struct page *p = virt_to_page(v);
    if (!p)
        panic("free_page_virt(%p): not a direct-map address of RAM", v);
    free_pages(p, 0);
}

size_t pmm_free_pages(void)
{
    return __atomic_load_n(&pmm.free_pages, __ATOMIC_RELAXED);
}

size_t pmm_total_pages(void)
{
    return __atomic_load_n(&pmm.managed_pages, __ATOMIC_RELAXED);
}

uint64_t pmm_usable_bytes(void)
{
    return usable_bytes;
}

uint64_t pmm_kernel_bytes(void)
{
    return virt_to_phys(__kernel_end) - (paddr_t)__boot_start;
}
