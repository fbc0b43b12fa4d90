/* User address spaces: struct mm's life cycle, page reference counts, VMA allocation and splitting,
 * shared anonymous memory, unmapping, copy-on-write fork, and the kernel's copies into an mm. */
#include "uvm_internal.h"
#include <arch/cpu.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/panic.h>
#include <kestrel/string.h>
#include <kestrel/file.h>
#include <kestrel/vm.h>
#include <uapi/errno.h>

/* The mm whose tables are loaded (one CPU). The fault handler resolves user addresses against it:
 * a fault happens in the loaded tables, so their mm is the one to fix. */
static struct mm *active_mm;

struct mm *mm_active(void)
{
    return active_mm;
}

struct mm *mm_create(void)
{
    struct mm *mm = kzalloc(sizeof(*mm));
    if (!mm)
        return NULL;
    mm->space = vm_space_create();
    if (!mm->space) {
        kfree(mm);
        return NULL;
    }
    vma_set_init(&mm->vmas);
    mm->stack_top = USER_STACK_TOP;
    mm->stack_limit = USER_STACK_LIMIT;
    mm->refcount = 1;
    mutex_init(&mm->lock, "mm");
    return mm;
}

struct mm *mm_get(struct mm *mm)
{
    __atomic_add_fetch(&mm->refcount, 1, __ATOMIC_RELAXED);
    return mm;
}

static void mm_destroy(struct mm *mm)
{
    /* Leave the tables before freeing them: the kernel half is the same in the kernel's own. */
    if (vm_space_is_active(mm->space) || active_mm == mm)
        mm_activate(NULL);
    mutex_lock(&mm->lock);
    struct vma *v;
    while ((v = vma_first(&mm->vmas))) {
        uvm_zap_range(mm, v, v->start, v->end);
        vma_remove(&mm->vmas, v);
        vma_free(v);
    }
    mutex_unlock(&mm->lock);
    if (mm->rss)
        panic("mm_destroy: %zu pages still counted after every VMA went", mm->rss);
    vm_space_destroy(mm->space);
    kfree(mm);
}

void mm_put(struct mm *mm)
{
    if (mm && __atomic_sub_fetch(&mm->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        mm_destroy(mm);
}

void mm_activate(struct mm *mm)
{
    /* Interrupts off so the record and CR3 never disagree when a fault or a switch looks at them. */
    uint64_t irq = irq_save();
    active_mm = mm;
    vm_space_activate(mm ? mm->space : vm_kernel_space());
    irq_restore(irq);
}

/* Page reference counts. Atomic: two mms sharing a page take their own locks, not a common one. */

struct page *upage_alloc_zeroed(void)
{
    void *v = alloc_zeroed_page_virt();
    if (!v)
        return NULL;
    struct page *p = virt_to_page(v);
    p->mapcount = 1;
    return p;
}

void upage_get(struct page *p)
{
    __atomic_add_fetch(&p->mapcount, 1, __ATOMIC_RELAXED);
}

void upage_put(struct page *p)
{
    uint32_t left = __atomic_sub_fetch(&p->mapcount, 1, __ATOMIC_ACQ_REL);
    if (left == UINT32_MAX)
        panic("upage_put: page %#llx has no references", (unsigned long long)page_to_phys(p));
    if (left == 0)
        free_pages(p, 0);
}

/* Shared anonymous memory. */

struct anon_shared *anon_shared_create(size_t npages)
{
    struct anon_shared *s = kzalloc(sizeof(*s));
    if (!s)
        return NULL;
    s->pages = kzalloc(MAX(npages, 1) * sizeof(struct page *));
    if (!s->pages) {
        kfree(s);
        return NULL;
    }
    s->npages = npages;
    s->refcount = 1;
    return s;
}

void anon_shared_get(struct anon_shared *s)
{
    __atomic_add_fetch(&s->refcount, 1, __ATOMIC_RELAXED);
}

void anon_shared_put(struct anon_shared *s)
{
    if (__atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL))
        return;
    for (size_t i = 0; i < s->npages; i++)
        if (s->pages[i])
            upage_put(s->pages[i]);
    kfree(s->pages);
    kfree(s);
}

int anon_shared_resize(struct anon_shared *s, size_t npages)
{
    if (npages <= s->npages)
        return 0;
    struct page **pages = kzalloc(npages * sizeof(struct page *));
    if (!pages)
        return -ENOMEM;
    memcpy(pages, s->pages, s->npages * sizeof(struct page *));
    kfree(s->pages);
    s->pages = pages;
    s->npages = npages;
    return 0;
}

/* VMAs. */

unsigned vma_pte_flags(const struct vma *v, bool writable)
{
    /* PROT_NONE pages stay present for the kernel but lose the user bit, so their contents survive. */
    if (!(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
        return 0;
    unsigned f = VM_USER;
    if (writable && (v->prot & PROT_WRITE))
        f |= VM_WRITE;
    if (v->prot & PROT_EXEC)
        f |= VM_EXEC;
    return f;
}

struct vma *vma_new(vaddr_t start, vaddr_t end, unsigned prot, unsigned flags)
{
    struct vma *v = kzalloc(sizeof(*v));
    if (v) {
        v->start = start;
        v->end = end;
        v->prot = prot;
        v->flags = flags;
    }
    return v;
}

void vma_free(struct vma *v)
{
    if (v->shared)
        anon_shared_put(v->shared);
    if (v->file) {
        __atomic_sub_fetch(&v->file->inode->mmaps, 1, __ATOMIC_RELAXED);
        file_put(v->file);
    }
    kfree(v);
}

/* A copy of v's attributes and references, not linked anywhere. */
static struct vma *vma_clone(const struct vma *v)
{
    struct vma *c = kmalloc(sizeof(*c));
    if (!c)
        return NULL;
    *c = *v;
    c->node = (struct rb_node){0};
    if (c->shared)
        anon_shared_get(c->shared);
    if (c->file) {
        vfs_file_get(c->file);
        __atomic_add_fetch(&c->file->inode->mmaps, 1, __ATOMIC_RELAXED);
    }
    return c;
}

struct vma *vma_split(struct mm *mm, struct vma *v, vaddr_t addr)
{
    if (addr <= v->start || addr >= v->end || !IS_ALIGNED(addr, PAGE_SIZE))
        panic("vma_split: %#llx outside %#llx..%#llx", (unsigned long long)addr, (unsigned long long)v->start,
              (unsigned long long)v->end);
    struct vma *hi = vma_clone(v);
    if (!hi)
        return NULL;
    hi->start = addr;
    hi->pgoff = v->pgoff + (addr - v->start) / PAGE_SIZE;
    v->end = addr; /* shrink first: the tree never holds overlapping ranges */
    vma_insert(&mm->vmas, hi);
    return hi;
}

static bool vma_mergeable(const struct vma *a, const struct vma *b)
{
    return a->end == b->start && a->prot == b->prot && a->flags == b->flags && !a->shared && !a->file &&
           !b->shared && !b->file;
}

void uvm_merge_range(struct mm *mm, vaddr_t start, vaddr_t end)
{
    struct vma *v = vma_find_from(&mm->vmas, start ? start - 1 : 0); /* from the neighbour below */
    while (v && v->start <= end) {
        struct vma *next = vma_next(v);
        if (next && vma_mergeable(v, next)) {
            vma_remove(&mm->vmas, next);
            v->end = next->end;
            vma_free(next);
        } else {
            v = next;
        }
    }
}

bool uvm_range_mapped(struct mm *mm, vaddr_t start, vaddr_t end)
{
    for (struct vma *v = vma_find(&mm->vmas, start); v; v = vma_next(v)) {
        if (v->end >= end)
            return true;
        struct vma *n = vma_next(v);
        if (!n || n->start != v->end)
            return false;
    }
    return false;
}

/* Unmapping. */

struct zap_ctx {
    struct mm *mm;
    bool shared;
};

static int zap_page(void *ctx, vaddr_t va, paddr_t pa, unsigned flags __unused)
{
    struct zap_ctx *z = ctx;
    vm_unmap_page(z->mm->space, va, NULL);
    if (!z->shared) /* shared pages belong to their object, which keeps its own reference */
        upage_put(phys_to_page(pa));
    z->mm->rss--;
    return 0;
}

void uvm_zap_range(struct mm *mm, struct vma *v, vaddr_t start, vaddr_t end)
{
    struct zap_ctx z = {mm, v->shared != NULL};
    vm_for_each_user_page(mm->space, start, end, zap_page, &z);
}

int uvm_unmap_locked(struct mm *mm, vaddr_t start, vaddr_t end)
{
    struct vma *v = vma_find_from(&mm->vmas, start);
    if (v && v->start < start && v->end > start) {
        /* Split first where it can fail, so a failure changes nothing. */
        if (v->end > end && !vma_split(mm, v, end))
            return -ENOMEM;
        v = vma_split(mm, v, start);
        if (!v)
            return -ENOMEM;
    }
    while (v && v->start < end) {
        if (v->end > end && !vma_split(mm, v, end))
            return -ENOMEM;
        struct vma *next = vma_next(v);
        uvm_zap_range(mm, v, v->start, v->end);
        vma_remove(&mm->vmas, v);
        vma_free(v);
        v = next;
    }
    return 0;
}

/* Fork. */

struct fork_ctx {
    struct mm *parent, *child;
};

/* Shares one private page read-only between parent and child; the first write copies it. */
static int fork_page(void *ctx, vaddr_t va, paddr_t pa, unsigned flags)
{
    struct fork_ctx *f = ctx;
    unsigned ro = flags & ~VM_WRITE;
    int err = vm_map_page(f->child->space, va, pa, ro);
    if (err)
        return err;
    upage_get(phys_to_page(pa));
    f->child->rss++;
    if (flags & VM_WRITE)
        vm_protect_page(f->parent->space, va, ro);
    return 0;
}

static int fork_vmas(struct mm *parent, struct mm *child)
{
    struct fork_ctx ctx = {parent, child};
    for (struct vma *v = vma_first(&parent->vmas); v; v = vma_next(v)) {
        struct vma *c = vma_clone(v);
        if (!c)
            return -ENOMEM;
        vma_insert(&child->vmas, c);
        /* Shared pages come back into the child from the object at its first touch. */
        if (vma_is_shared(v))
            continue;
        int err = vm_for_each_user_page(parent->space, v->start, v->end, fork_page, &ctx);
        if (err)
            return err;
    }
    return 0;
}

struct mm *mm_fork(struct mm *parent)
{
    struct mm *child = mm_create();
    if (!child)
        return NULL;
    mutex_lock(&parent->lock);
    int err = fork_vmas(parent, child);
    child->brk_start = parent->brk_start;
    child->brk = parent->brk;
    child->stack_top = parent->stack_top;
    child->stack_limit = parent->stack_limit;
    child->start_code = parent->start_code;
    child->end_code = parent->end_code;
    child->start_data = parent->start_data;
    child->end_data = parent->end_data;
    child->arg_start = parent->arg_start;
    child->arg_end = parent->arg_end;
    child->env_start = parent->env_start;
    child->env_end = parent->env_end;
    mutex_unlock(&parent->lock);
    if (err) {
        mm_put(child); /* every page it mapped holds a reference, so this undoes it exactly */
        return NULL;
    }
    return child;
}

/* Kernel copies into and out of an mm. */

int mm_copy_to(struct mm *mm, vaddr_t dst, const void *src, size_t n)
{
    int err = 0;
    mutex_lock(&mm->lock);
    while (n && !err) {
        struct vma *v = vma_find(&mm->vmas, dst);
        paddr_t pa;
        err = v ? uvm_fault_page(mm, v, ALIGN_DOWN(dst, PAGE_SIZE), true, &pa) : -EFAULT;
        if (err)
            break;
        size_t off = dst & (PAGE_SIZE - 1), chunk = MIN(n, PAGE_SIZE - off);
        memcpy((char *)phys_to_virt(pa) + off, src, chunk);
        dst += chunk;
        src = (const char *)src + chunk;
        n -= chunk;
    }
    mutex_unlock(&mm->lock);
    return err;
}

int mm_copy_from(struct mm *mm, void *dst, vaddr_t src, size_t n)
{
    mutex_lock(&mm->lock);
    while (n) {
        size_t off = src & (PAGE_SIZE - 1), chunk = MIN(n, PAGE_SIZE - off);
        paddr_t pa;
        if (vm_translate(mm->space, src - off, &pa, NULL) == 0)
            memcpy(dst, (char *)phys_to_virt(pa) + off, chunk);
        else
            memset(dst, 0, chunk);
        dst = (char *)dst + chunk;
        src += chunk;
        n -= chunk;
    }
    mutex_unlock(&mm->lock);
    return 0;
}
