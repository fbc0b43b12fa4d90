/* Physical page frames: struct page (one per 4 KiB frame), the page allocator's API and the
 * memory manager's bring-up. Pure declarations, so host tests of the buddy core can include it. */
#pragma once
#include <kestrel/types.h>

struct boot_info;
struct slab_cache;

/* Page flags. A frame is exactly one of: reserved, the head of a free buddy block, the head of an
 * allocated block, or a page inside a block (no flag). Slab and kmalloc flags sit on allocated blocks. */
enum page_flags {
    PG_RESERVED = 1 << 0,  /* never handed out: hole, firmware, kernel image, boot modules, mem_map */
    PG_FREE = 1 << 1,      /* head of a free buddy block of 2^order pages */
    PG_ALLOCATED = 1 << 2, /* head of an allocated block of 2^order pages */
    PG_SLAB = 1 << 3,      /* first page of a slab; cache and freelist are valid */
    PG_SLAB_TAIL = 1 << 4, /* later page of a multi-page slab; head points at its first page */
    PG_KMALLOC = 1 << 5,   /* a large kmalloc block (bigger than the largest size class) */
};

struct page {
    uint16_t flags; /* enum page_flags */
    uint8_t order;  /* block order while PG_FREE or PG_ALLOCATED */
    uint8_t unused;
    union {
        uint32_t inuse;    /* slab: objects handed out */
        uint32_t mapcount; /* a user page: the page-table entries mapping it (copy-on-write sharing) */
    };
    /* Links in a buddy free list (PG_FREE) or in a slab cache's partial/full list (PG_SLAB). */
    struct page *next, *prev;
    union {
        struct slab_cache *cache; /* PG_SLAB */
        struct page *head;        /* PG_SLAB_TAIL */
    };
    void *freelist; /* PG_SLAB: first free object */
};

/* Doubly linked page lists (buddy free lists, slab lists); head is NULL when empty. */
static inline void page_list_push(struct page **head, struct page *p)
{
    p->prev = NULL;
    p->next = *head;
    if (*head)
        (*head)->prev = p;
    *head = p;
}

static inline void page_list_remove(struct page **head, struct page *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        *head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->next = p->prev = NULL;
}

/* One struct page per frame from physical address 0 up to max_pfn (holes stay PG_RESERVED). */
extern struct page *mem_map;
extern size_t max_pfn;

static inline size_t page_to_pfn(const struct page *p)
{
    return (size_t)(p - mem_map);
}

static inline struct page *pfn_to_page(size_t pfn)
{
    return &mem_map[pfn];
}

static inline paddr_t page_to_phys(const struct page *p)
{
    return (paddr_t)page_to_pfn(p) << 12;
}

/* Physical page allocator. Blocks are 2^order contiguous, naturally aligned pages, order <= 10.
 * Out of memory returns NULL; freeing something not allocated (or with the wrong order) panics. */
struct page *alloc_pages(unsigned order);
void free_pages(struct page *p, unsigned order);
/* What alloc_pages calls before failing, when the caller could sleep (interrupts on, no spinlock):
 * it frees up to the given number of pages somewhere (the page cache) and returns how many. */
void pmm_set_shrinker(size_t (*shrink)(size_t pages));
/* The direct-map address of a page, and back (NULL when v is not a direct-map address of RAM). */
void *page_address(const struct page *p);
struct page *virt_to_page(const void *v);
/* NULL when a physical address has no struct page. */
struct page *phys_to_page(paddr_t pa);
/* One page as a kernel pointer (contents undefined), and its release. */
void *alloc_page_virt(void);
void free_page_virt(void *v);
/* Like alloc_page_virt, but filled with zeroes. */
void *alloc_zeroed_page_virt(void);

size_t pmm_free_pages(void);
size_t pmm_total_pages(void);    /* pages the allocator manages (free + in use) */
uint64_t pmm_usable_bytes(void); /* what the firmware calls usable RAM */
uint64_t pmm_kernel_bytes(void); /* the kernel image, as loaded */

/* Brings up the whole memory manager: page allocator, kernel page tables, slab and kmalloc. */
void mm_init(const struct boot_info *bi);
