/* x86-64 4-level page tables: the entry format, walking and editing tables, and the TLB. The
 * address-space API in kestrel/vm.h is built on these. */
#pragma once
#include <arch/boot.h>
#include <kestrel/types.h>

struct boot_info;

typedef uint64_t pte_t;

#define PTE_NX            (1ull << 63)
#define PTE_ADDR          0x000ffffffffff000ull
#define CR4_PGE           (1 << 7)
#define KERNEL_HALF_START 0xffff800000000000ull
#define LARGE_PAGE_SIZE   (2ull << 20)
/* The direct map owns PML4 entries 256..383; physical addresses beyond this cannot be mapped there. */
#define DIRECT_MAP_SIZE   (64ull << 40)

/* Levels: 4 = PML4, 3 = PDPT, 2 = page directory, 1 = page table. */
static inline unsigned pt_index(vaddr_t va, unsigned level)
{
    return (va >> (12 + 9 * (level - 1))) & 511;
}

static inline uint64_t pt_level_size(unsigned level)
{
    return 1ull << (12 + 9 * (level - 1));
}

/* The entry that decides va's translation: a level-1 entry, a large-page leaf, or the first
 * non-present entry on the way down; *level says which level it is at. */
pte_t *paging_lookup(pte_t *pml4, vaddr_t va, unsigned *level);
/* The entry for va at the given level, creating missing tables above it: 0, -ENOMEM, or -EEXIST
 * when a large page is in the way. */
int paging_walk_alloc(pte_t *pml4, vaddr_t va, unsigned level, pte_t **entry);
/* Calls fn(ctx, va, entry) for every present 4 KiB leaf in [start, end) of the user half, in address
 * order, skipping absent tables; stops at and returns the first non-zero value fn returns. */
typedef int (*paging_leaf_fn)(void *ctx, vaddr_t va, pte_t *entry);
int paging_walk_user_range(pte_t *pml4, vaddr_t start, vaddr_t end, paging_leaf_fn fn, void *ctx);
/* Frees every page-table page below the user half of pml4 (not the pages they map). */
void paging_free_user_tables(pte_t *pml4);

/* Leaf entry bits for vm_flags at va (kernel-half leaves are global), and back. */
pte_t paging_leaf_bits(unsigned vm_flags, vaddr_t va);
unsigned paging_vm_flags(pte_t entry);
bool paging_has_nx(void);

/* Maps [start, end) at DIRECT_MAP_BASE + phys, with 2 MiB pages where they fit, leaving whatever is
 * already mapped as it is. */
int paging_map_direct(pte_t *pml4, paddr_t start, paddr_t end, unsigned vm_flags);
/* Drops va's translation from this CPU's TLB if the tables rooted at pml4_phys are in use. */
void paging_invalidate(paddr_t pml4_phys, vaddr_t va);
paddr_t paging_current_root(void);
void paging_activate(paddr_t pml4_phys);
/* Builds the kernel's tables (direct map, W^X image), switches to them; returns the PML4. */
pte_t *paging_init(const struct boot_info *bi);
