/* Address spaces: a PML4 per space whose kernel half is shared, 4 KiB mappings with permission
 * checks, and the kernel's own space built at boot. Locking is per space; the kernel space's lock
 * also covers the shared kernel-half tables. */
#include "internal.h"
#include <arch/paging.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/panic.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <kestrel/vm.h>
#include <uapi/errno.h>

struct vm_space {
    pte_t *pml4;
    paddr_t pml4_phys;
    struct spinlock lock; /* protects the tables of this space (the kernel's: the kernel half too) */
};

static struct vm_space kernel_space = {.lock = SPINLOCK_INIT("vm_kernel")};

void vm_init(const struct boot_info *bi)
{
    kernel_space.pml4 = paging_init(bi);
    kernel_space.pml4_phys = virt_to_phys(kernel_space.pml4);
}

bool vm_ready(void)
{
    return kernel_space.pml4 != NULL;
}

struct vm_space *vm_kernel_space(void)
{
    return &kernel_space;
}

struct vm_space *vm_space_create(void)
{
    struct vm_space *s = kmalloc(sizeof(*s));
    if (!s)
        return NULL;
    s->pml4 = alloc_zeroed_page_virt();
    if (!s->pml4) {
        kfree(s);
        return NULL;
    }
    memcpy(s->pml4 + 256, kernel_space.pml4 + 256, 256 * sizeof(pte_t));
    s->pml4_phys = virt_to_phys(s->pml4);
    s->lock = (struct spinlock)SPINLOCK_INIT("vm_space");
    return s;
}

void vm_space_destroy(struct vm_space *s)
{
    if (s == &kernel_space)
        panic("vm_space_destroy: the kernel's address space");
    if (paging_current_root() == s->pml4_phys)
        panic("vm_space_destroy: address space %p is active", (void *)s);
    paging_free_user_tables(s->pml4);
    free_page_virt(s->pml4);
    kfree(s);
}

void vm_space_activate(struct vm_space *s)
{
    paging_activate(s->pml4_phys);
}

/* Canonical, aligned, in a half this space may change, with flags that make sense there. */
static int check_va(const struct vm_space *s, vaddr_t va, unsigned flags)
{
    if (!IS_ALIGNED(va, PAGE_SIZE) || (flags & ~VM_FLAGS_ALL))
        return -EINVAL;
    if (va < USER_SPACE_END)
        return 0;
    if (va < KERNEL_HALF_START || s != &kernel_space || (flags & VM_USER))
        return -EINVAL;
    return 0;
}

int vm_map_page(struct vm_space *s, vaddr_t va, paddr_t pa, unsigned flags)
{
    int err = check_va(s, va, flags);
    if (err || (pa & ~PTE_ADDR)) /* unaligned or beyond 52 bits */
        return err ? err : -EINVAL;
    uint64_t irq = spin_lock_irqsave(&s->lock);
    pte_t *e;
    err = paging_walk_alloc(s->pml4, va, 1, &e);
    if (!err && (*e & PTE_P))
        err = -EEXIST;
    if (!err)
        *e = pa | paging_leaf_bits(flags, va);
    spin_unlock_irqrestore(&s->lock, irq);
    return err;
}

/* The 4 KiB leaf entry for va, or an error; call with the lock held. */
static int leaf_4k(struct vm_space *s, vaddr_t va, pte_t **entry)
{
    unsigned level;
    pte_t *e = paging_lookup(s->pml4, va, &level);
    if (!(*e & PTE_P))
        return -ENOENT;
    if (level != 1)
        return -EINVAL;
    *entry = e;
    return 0;
}

int vm_unmap_page(struct vm_space *s, vaddr_t va, paddr_t *old_pa)
{
    int err = check_va(s, va, 0);
    if (err)
        return err;
    uint64_t irq = spin_lock_irqsave(&s->lock);
    pte_t *e;
    err = leaf_4k(s, va, &e);
    if (!err) {
        if (old_pa)
            *old_pa = *e & PTE_ADDR;
        *e = 0;
        paging_invalidate(s->pml4_phys, va);
    }
    spin_unlock_irqrestore(&s->lock, irq);
    return err;
}

int vm_protect_page(struct vm_space *s, vaddr_t va, unsigned flags)
{
    int err = check_va(s, va, flags);
    if (err)
        return err;
    uint64_t irq = spin_lock_irqsave(&s->lock);
    pte_t *e;
    err = leaf_4k(s, va, &e);
    if (!err) {
        *e = (*e & (PTE_ADDR | PTE_A | PTE_D)) | paging_leaf_bits(flags, va);
        paging_invalidate(s->pml4_phys, va);
    }
    spin_unlock_irqrestore(&s->lock, irq);
    return err;
}

int vm_translate(struct vm_space *s, vaddr_t va, paddr_t *pa, unsigned *flags)
{
    if (va >= USER_SPACE_END && va < KERNEL_HALF_START)
        return -ENOENT; /* non-canonical: never mapped */
    uint64_t irq = spin_lock_irqsave(&s->lock);
    unsigned level;
    pte_t e = *paging_lookup(s->pml4, va, &level);
    spin_unlock_irqrestore(&s->lock, irq);
    if (!(e & PTE_P))
        return -ENOENT;
    uint64_t size = pt_level_size(level);
    if (pa)
        *pa = (e & PTE_ADDR & ~(size - 1)) + (va & (size - 1));
    if (flags)
        *flags = paging_vm_flags(e);
    return 0;
}

int vm_map_direct(paddr_t start, paddr_t end, unsigned flags)
{
    uint64_t irq = spin_lock_irqsave(&kernel_space.lock);
    int err = paging_map_direct(kernel_space.pml4, start, end, flags);
    spin_unlock_irqrestore(&kernel_space.lock, irq);
    return err;
}

struct user_walk {
    vm_page_fn fn;
    void *ctx;
};

static int user_leaf(void *ctx, vaddr_t va, pte_t *entry)
{
    struct user_walk *w = ctx;
    pte_t e = *entry; /* read once: fn may clear or rewrite it */
    return w->fn(w->ctx, va, e & PTE_ADDR, paging_vm_flags(e));
}

int vm_for_each_user_page(struct vm_space *s, vaddr_t start, vaddr_t end, vm_page_fn fn, void *ctx)
{
    struct user_walk w = {fn, ctx};
    return paging_walk_user_range(s->pml4, start, end, user_leaf, &w);
}

bool vm_space_is_active(const struct vm_space *s)
{
    return paging_current_root() == s->pml4_phys;
}
