/* Kernel stacks with guard pages. Each stack gets its own slot in a dedicated stretch of kernel
 * address space; only the top KSTACK_SIZE bytes of a slot are mapped, so a stack overflow runs into
 * unmapped pages and faults (reported on the double-fault stack) instead of silently corrupting the
 * neighbour. The frames come from the page allocator one by one: no contiguity needed. */
#include "internal.h"
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/panic.h>
#include <kestrel/spinlock.h>
#include <kestrel/vm.h>

/* PML4 entry 384, just above the direct map (entries 256..383, arch/paging.h). */
#define KSTACK_AREA_BASE 0xffffc00000000000ull
#define KSTACK_SLOT_SIZE (2 * KSTACK_SIZE) /* half of every slot stays unmapped: the guard */
#define KSTACK_SLOTS     4096
#define KSTACK_PAGES     (KSTACK_SIZE / PAGE_SIZE)

static uint64_t slot_used[KSTACK_SLOTS / 64];
static unsigned slot_hint; /* where the search for a free slot starts */
/* Protects slot_used and slot_hint; the page tables have their own lock. */
static struct spinlock kstack_lock = SPINLOCK_INIT("kstack");

static int slot_take(void)
{
    uint64_t flags = spin_lock_irqsave(&kstack_lock);
    int found = -1;
    for (unsigned n = 0; n < KSTACK_SLOTS / 64 && found < 0; n++) {
        unsigned w = (slot_hint + n) % (KSTACK_SLOTS / 64);
        if (~slot_used[w]) {
            unsigned bit = (unsigned)__builtin_ctzll(~slot_used[w]);
            slot_used[w] |= 1ull << bit;
            slot_hint = w;
            found = (int)(w * 64 + bit);
        }
    }
    spin_unlock_irqrestore(&kstack_lock, flags);
    return found;
}

static void slot_put(unsigned slot)
{
    uint64_t flags = spin_lock_irqsave(&kstack_lock);
    BUG_ON(!(slot_used[slot / 64] & (1ull << (slot % 64))));
    slot_used[slot / 64] &= ~(1ull << (slot % 64));
    spin_unlock_irqrestore(&kstack_lock, flags);
}

static uintptr_t slot_stack_base(unsigned slot)
{
    return KSTACK_AREA_BASE + (uint64_t)slot * KSTACK_SLOT_SIZE + (KSTACK_SLOT_SIZE - KSTACK_SIZE);
}

/* Unmaps and frees the first n pages of the stack at base. */
static void unmap_pages(uintptr_t base, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        paddr_t pa;
        if (vm_unmap_page(vm_kernel_space(), base + i * PAGE_SIZE, &pa) == 0)
            free_pages(phys_to_page(pa), 0);
    }
}

void *kstack_alloc(void)
{
    int slot = slot_take();
    if (slot < 0)
        return NULL;
    uintptr_t base = slot_stack_base((unsigned)slot);
    for (unsigned i = 0; i < KSTACK_PAGES; i++) {
        struct page *p = alloc_pages(0);
        if (!p || vm_map_page(vm_kernel_space(), base + i * PAGE_SIZE, page_to_phys(p), VM_WRITE)) {
            if (p)
                free_pages(p, 0);
            unmap_pages(base, i);
            slot_put((unsigned)slot);
            return NULL;
        }
    }
    return (void *)base;
}

void kstack_free(void *base)
{
    uintptr_t b = (uintptr_t)base;
    BUG_ON(b < KSTACK_AREA_BASE || b >= KSTACK_AREA_BASE + (uint64_t)KSTACK_SLOTS * KSTACK_SLOT_SIZE);
    unmap_pages(b, KSTACK_PAGES);
    slot_put((unsigned)((b - KSTACK_AREA_BASE) / KSTACK_SLOT_SIZE));
}

uintptr_t kstack_guard_addr(const void *base)
{
    return (uintptr_t)base - (KSTACK_SLOT_SIZE - KSTACK_SIZE);
}
