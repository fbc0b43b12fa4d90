/* The memory-map calls on a struct mm: mmap (anonymous and private file mappings), munmap, mprotect,
 * mremap, madvise and brk, with Linux's argument checks and errors. VMAs split where a call covers part
 * of one; pages stay demand-faulted. */
#include "uvm_internal.h"
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/pagecache.h>
#include <kestrel/process.h>
#include <kestrel/file.h>
#include <kestrel/vfs.h>
#include <kestrel/vm.h>
#include <uapi/errno.h>

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)

/* A free range for len bytes: the hint when it fits, else the highest gap below USER_MMAP_TOP. */
static vaddr_t pick_address(struct mm *mm, vaddr_t hint, size_t len)
{
    hint = ALIGN_UP(hint, PAGE_SIZE);
    if (hint >= USER_MIN_ADDR && hint <= USER_TOP - len) {
        struct vma *v = vma_find_from(&mm->vmas, hint);
        if (!v || v->start >= hint + len)
            return hint;
    }
    return vma_find_gap_down(&mm->vmas, len, USER_MIN_ADDR, USER_MMAP_TOP);
}

static void populate(struct mm *mm, struct vma *v)
{
    for (vaddr_t va = v->start; va < v->end; va += PAGE_SIZE) {
        paddr_t pa;
        if (uvm_fault_page(mm, v, va, v->prot & PROT_WRITE, &pa))
            break; /* MAP_POPULATE is best effort: the rest still faults in on touch */
    }
}

/* The new VMA, with its backing: a shared object, a file reference, or nothing (zeroes). */
static struct vma *new_mapping(vaddr_t start, size_t len, int prot, int flags, struct file *f, uint64_t off)
{
    unsigned vflags = (flags & MAP_GROWSDOWN) ? VMA_GROWSDOWN : 0;
    bool shared = (flags & MAP_TYPE) != MAP_PRIVATE;
    if (f && shared) /* writes reach the file only through a descriptor open for writing */
        vflags |= VMA_FILE | VMA_FILE_SHARED | ((f->flags & O_ACCMODE) == O_RDWR ? 0 : VMA_NOWRITE);
    else if (f)
        vflags |= VMA_FILE;
    else if (shared)
        vflags |= VMA_SHARED;
    struct vma *v = vma_new(start, start + len, prot, vflags);
    if (!v)
        return NULL;
    if (f) {
        v->file = vfs_file_get(f);
        __atomic_add_fetch(&f->inode->mmaps, 1, __ATOMIC_RELAXED);
        v->pgoff = off / PAGE_SIZE;
    } else if (shared && !(v->shared = anon_shared_create(len / PAGE_SIZE))) {
        vma_free(v);
        return NULL;
    }
    return v;
}

static int check_map_args(size_t len, int prot, int flags, vaddr_t addr)
{
    int type = flags & MAP_TYPE;
    if (len == 0 || (prot & ~PROT_ALL))
        return -EINVAL;
    if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && !IS_ALIGNED(addr, PAGE_SIZE))
        return -EINVAL;
    if (len > USER_TOP)
        return -ENOMEM;
    return 0;
}

static int map_locked(struct mm *mm, vaddr_t addr, size_t len, int prot, int flags, struct file *f,
                      uint64_t off, vaddr_t *out)
{
    vaddr_t start = addr;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (addr > USER_TOP - len)
            return -ENOMEM;
        if (addr < USER_MIN_ADDR)
            return -EPERM;
        struct vma *in = vma_find_from(&mm->vmas, addr);
        if ((flags & MAP_FIXED_NOREPLACE) && in && in->start < addr + len)
            return -EEXIST;
    } else if (!(start = pick_address(mm, addr, len))) {
        return -ENOMEM;
    }
    struct vma *v = new_mapping(start, len, prot, flags, f, off);
    if (!v)
        return -ENOMEM;
    int err = uvm_unmap_locked(mm, start, start + len); /* MAP_FIXED replaces what was there */
    if (err) {
        vma_free(v);
        return err;
    }
    vma_insert(&mm->vmas, v);
    if (flags & MAP_POPULATE)
        populate(mm, v);
    uvm_merge_range(mm, start, start + len);
    *out = start;
    return 0;
}

static int map_common(struct mm *mm, vaddr_t addr, size_t len, int prot, int flags, struct file *f,
                      uint64_t off, vaddr_t *out)
{
    int err = check_map_args(len, prot, flags, addr);
    if (err)
        return err;
    len = ALIGN_UP(len, PAGE_SIZE);
    mutex_lock(&mm->lock);
    err = map_locked(mm, addr, len, prot, flags, f, off, out);
    mutex_unlock(&mm->lock);
    return err;
}

int mm_map_region(struct mm *mm, vaddr_t addr, size_t len, int prot, int flags, vaddr_t *out)
{
    return map_common(mm, addr, len, prot, flags, NULL, 0, out);
}

int mm_map_file(struct mm *mm, vaddr_t addr, size_t len, int prot, int flags, struct file *f, uint64_t off,
                vaddr_t *out)
{
    if (!IS_ALIGNED(off, PAGE_SIZE))
        return -EINVAL;
    return map_common(mm, addr, len, prot, flags, f, off, out);
}

/* The page range [*start, *end) for (addr, len), or -EINVAL as munmap/mprotect/madvise give it. */
static int page_range(vaddr_t addr, size_t len, vaddr_t *start, vaddr_t *end)
{
    if (!IS_ALIGNED(addr, PAGE_SIZE) || addr >= USER_TOP || len > USER_TOP - addr)
        return -EINVAL;
    *start = addr;
    *end = ALIGN_UP(addr + len, PAGE_SIZE);
    return *end > USER_TOP ? -EINVAL : 0;
}

int mm_unmap(struct mm *mm, vaddr_t addr, size_t len)
{
    vaddr_t start, end;
    int err = len ? page_range(addr, len, &start, &end) : -EINVAL;
    if (err)
        return err;
    mutex_lock(&mm->lock);
    err = uvm_unmap_locked(mm, start, end);
    mutex_unlock(&mm->lock);
    return err;
}

struct protect_ctx {
    struct mm *mm;
    struct vma *v;
};

static int protect_page(void *ctx, vaddr_t va, paddr_t pa, unsigned flags __unused)
{
    struct protect_ctx *c = ctx;
    /* A private page still shared with another mm stays read-only: its first write must copy it.
     * A page-cache page stays read-only too: its first write fault marks it dirty. */
    bool own = c->v->shared ||
               (!vma_is_shared(c->v) && __atomic_load_n(&phys_to_page(pa)->mapcount, __ATOMIC_ACQUIRE) == 1);
    return vm_protect_page(c->mm->space, va, vma_pte_flags(c->v, own));
}

/* Gives [start, end) within v (already split to fit) the new protection, pages included. */
static void apply_protection(struct mm *mm, struct vma *v, unsigned prot)
{
    struct protect_ctx c = {mm, v};
    v->prot = prot;
    vm_for_each_user_page(mm->space, v->start, v->end, protect_page, &c);
}

static int protect_locked(struct mm *mm, vaddr_t start, vaddr_t end, unsigned prot)
{
    if (!uvm_range_mapped(mm, start, end))
        return -ENOMEM;
    for (struct vma *v = vma_find(&mm->vmas, start); v && v->start < end; v = vma_next(v))
        if ((v->flags & VMA_NOWRITE) && (prot & PROT_WRITE))
            return -EACCES;
    struct vma *v = vma_find(&mm->vmas, start);
    if (v->start < start && !(v = vma_split(mm, v, start)))
        return -ENOMEM;
    while (v && v->start < end) {
        if (v->end > end && !vma_split(mm, v, end))
            return -ENOMEM;
        apply_protection(mm, v, prot);
        v = vma_next(v);
    }
    uvm_merge_range(mm, start, end);
    return 0;
}

int mm_protect(struct mm *mm, vaddr_t addr, size_t len, int prot)
{
    vaddr_t start, end;
    /* PROT_GROWSDOWN/PROT_GROWSUP ask to extend to the whole stack VMA; Kestrel only accepts them. */
    int err = page_range(addr, len, &start, &end);
    if (err || (prot & ~(PROT_ALL | 0x01000000 | 0x02000000)))
        return -EINVAL;
    if (len == 0)
        return 0;
    mutex_lock(&mm->lock);
    err = protect_locked(mm, start, end, prot & PROT_ALL);
    mutex_unlock(&mm->lock);
    return err;
}

/* madvise(MADV_DONTNEED): private pages go (zero or the file again on the next touch); shared
 * anonymous memory keeps its contents in the object, so only the mappings go. */
static int dontneed_locked(struct mm *mm, vaddr_t start, vaddr_t end)
{
    int err = uvm_range_mapped(mm, start, end) ? 0 : -ENOMEM;
    for (struct vma *v = vma_find_from(&mm->vmas, start); v && v->start < end; v = vma_next(v))
        uvm_zap_range(mm, v, MAX(start, v->start), MIN(end, v->end));
    return err;
}

int mm_advise(struct mm *mm, vaddr_t addr, size_t len, int advice)
{
    vaddr_t start, end;
    int err = page_range(addr, len, &start, &end);
    if (err)
        return err;
    switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_FREE: /* keeping the contents is one of the outcomes MADV_FREE allows */
        return 0;
    case MADV_DONTNEED:
        break;
    default:
        return -EINVAL;
    }
    if (len == 0)
        return 0;
    mutex_lock(&mm->lock);
    err = dontneed_locked(mm, start, end);
    mutex_unlock(&mm->lock);
    return err;
}

/* The pages of v at file page first_gone and beyond go. A fault there later finds the file too
 * short and raises SIGBUS (the fault path checks the size under the VFS lock). */
static void zap_file_tail(struct mm *mm, struct vma *v, uint64_t first_gone)
{
    uint64_t pages = (v->end - v->start) / PAGE_SIZE;
    if (v->pgoff + pages <= first_gone)
        return;
    vaddr_t from = v->start + (first_gone > v->pgoff ? (first_gone - v->pgoff) * PAGE_SIZE : 0);
    uvm_zap_range(mm, v, from, v->end);
}

/* A fault racing with this cannot leave a stale page behind: it holds its mm's lock from the page
 * lookup (which sees the new size) to the PTE, and this takes that lock for each mm in turn. */
void uvm_file_truncated(struct inode *inode, uint64_t size)
{
    if (!uvm_inode_mapped(inode))
        return; /* the common case: no process to visit */
    uint64_t first_gone = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    int pid = 0;
    for (struct mm *mm; (mm = process_next_mm(&pid)) != NULL; mm_put(mm)) {
        mutex_lock(&mm->lock);
        for (struct vma *v = vma_first(&mm->vmas); v; v = vma_next(v))
            if (v->file && v->file->inode == inode)
                zap_file_tail(mm, v, first_gone);
        mutex_unlock(&mm->lock);
    }
}

bool uvm_inode_mapped(const struct inode *inode)
{
    return __atomic_load_n(&inode->mmaps, __ATOMIC_RELAXED) != 0;
}

/* brk: the heap VMA grows or shrinks at its top; it may not come within the guard gap of a stack. */
static bool heap_room(struct mm *mm, vaddr_t from, vaddr_t to)
{
    struct vma *next = vma_find_from(&mm->vmas, from);
    if (!next)
        return to <= USER_TOP;
    vaddr_t limit = next->start;
    if (next->flags & VMA_GROWSDOWN)
        limit = limit > STACK_GUARD_GAP ? limit - STACK_GUARD_GAP : 0;
    return to <= limit;
}

static int brk_grow(struct mm *mm, vaddr_t old_top, vaddr_t new_top)
{
    if (!heap_room(mm, old_top, new_top))
        return -ENOMEM;
    struct vma *heap = old_top > mm->brk_start ? vma_find(&mm->vmas, old_top - 1) : NULL;
    if (heap && (heap->flags & VMA_HEAP) && heap->end == old_top) {
        heap->end = new_top;
        return 0;
    }
    struct vma *v = vma_new(old_top, new_top, PROT_READ | PROT_WRITE, VMA_HEAP);
    if (!v)
        return -ENOMEM;
    vma_insert(&mm->vmas, v);
    uvm_merge_range(mm, old_top, new_top);
    return 0;
}

vaddr_t mm_brk(struct mm *mm, vaddr_t new_brk)
{
    mutex_lock(&mm->lock);
    vaddr_t old_top = ALIGN_UP(mm->brk, PAGE_SIZE), new_top = ALIGN_UP(new_brk, PAGE_SIZE);
    int err = 0;
    if (new_brk < mm->brk_start || new_brk >= USER_TOP)
        err = -EINVAL;
    else if (new_top > old_top)
        err = brk_grow(mm, old_top, new_top);
    else if (new_top < old_top)
        err = uvm_unmap_locked(mm, new_top, old_top);
    if (!err)
        mm->brk = new_brk;
    vaddr_t result = mm->brk;
    mutex_unlock(&mm->lock);
    return result;
}

/* mremap. */

struct move_ctx {
    struct mm *mm;
    vaddr_t delta; /* new - old, modulo 2^64 */
};

/* Moves one page mapping (and its reference) to its new address. */
static int move_page(void *ctx, vaddr_t va, paddr_t pa, unsigned flags)
{
    struct move_ctx *m = ctx;
    vm_unmap_page(m->mm->space, va, NULL);
    int err = vm_map_page(m->mm->space, va + m->delta, pa, flags);
    if (err) /* back where it was (that table is still there), so the caller can drop it properly */
        vm_map_page(m->mm->space, va, pa, flags);
    return err;
}

/* Moves the VMA v (exactly [old, old + old_len)) to dst, growing it to new_len. */
static int move_vma(struct mm *mm, struct vma *v, vaddr_t dst, size_t new_len)
{
    struct vma *n = vma_new(dst, dst + new_len, v->prot, v->flags);
    if (!n)
        return -ENOMEM;
    if (v->shared && anon_shared_resize(v->shared, v->pgoff + new_len / PAGE_SIZE)) {
        vma_free(n);
        return -ENOMEM;
    }
    vma_insert(&mm->vmas, n);
    struct move_ctx m = {mm, dst - v->start};
    int err = vm_for_each_user_page(mm->space, v->start, v->end, move_page, &m);
    /* Out of page-table memory part-way: what moved stays moved, the rest is dropped with v. */
    if (err)
        uvm_zap_range(mm, v, v->start, v->end);
    n->shared = v->shared; /* the references move to n */
    n->file = v->file;
    n->pgoff = v->pgoff;
    v->shared = NULL;
    v->file = NULL;
    vma_remove(&mm->vmas, v);
    vma_free(v);
    return err;
}

/* Isolates [start, end) as one VMA (splitting at the edges); NULL with *err when it is not one VMA. */
static struct vma *isolate(struct mm *mm, vaddr_t start, vaddr_t end, int *err)
{
    struct vma *v = vma_find(&mm->vmas, start);
    if (!v || v->end < end) {
        *err = -EFAULT;
        return NULL;
    }
    if (v->start < start && !(v = vma_split(mm, v, start)))
        goto nomem;
    if (v->end > end && !vma_split(mm, v, end))
        goto nomem;
    return v;
nomem:
    *err = -ENOMEM;
    return NULL;
}

static int grow_in_place(struct vma *v, vaddr_t new_end)
{
    struct vma *next = vma_next(v);
    if (new_end > USER_TOP || (next && next->start < new_end))
        return -ENOMEM;
    if (v->shared && anon_shared_resize(v->shared, v->pgoff + (new_end - v->start) / PAGE_SIZE))
        return -ENOMEM;
    v->end = new_end;
    return 0;
}

static int remap_locked(struct mm *mm, vaddr_t old, size_t old_len, size_t new_len, int flags,
                        vaddr_t new_addr, vaddr_t *out)
{
    int err = 0;
    if (flags & MREMAP_FIXED) {
        if (new_addr < USER_MIN_ADDR || new_addr > USER_TOP - new_len)
            return -EINVAL;
        if (new_addr < old + old_len && old < new_addr + new_len)
            return -EINVAL; /* overlapping source and destination */
    }
    struct vma *v = isolate(mm, old, old + old_len, &err);
    if (!v)
        return err;
    if (!(flags & MREMAP_FIXED) && new_len <= old_len) {
        *out = old;
        return uvm_unmap_locked(mm, old + new_len, old + old_len);
    }
    if (!(flags & MREMAP_FIXED) && !grow_in_place(v, old + new_len)) {
        *out = old;
        return 0;
    }
    if (!(flags & MREMAP_MAYMOVE))
        return -ENOMEM;
    vaddr_t dst = new_addr;
    if (flags & MREMAP_FIXED)
        err = uvm_unmap_locked(mm, new_addr, new_addr + new_len);
    else if (!(dst = vma_find_gap_down(&mm->vmas, new_len, USER_MIN_ADDR, USER_MMAP_TOP)))
        err = -ENOMEM;
    if (err)
        return err;
    if (new_len < old_len && (err = uvm_unmap_locked(mm, old + new_len, old + old_len)))
        return err;
    *out = dst;
    return move_vma(mm, v, dst, new_len);
}

int mm_remap(struct mm *mm, vaddr_t old_addr, size_t old_len, size_t new_len, int flags, vaddr_t new_addr,
             vaddr_t *out)
{
    if (!IS_ALIGNED(old_addr, PAGE_SIZE) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)))
        return -EINVAL;
    if ((flags & MREMAP_FIXED) && (!(flags & MREMAP_MAYMOVE) || !IS_ALIGNED(new_addr, PAGE_SIZE)))
        return -EINVAL;
    if (new_len == 0 || old_len == 0 || old_len > USER_TOP || new_len > USER_TOP)
        return old_len == 0 || new_len == 0 ? -EINVAL : -ENOMEM;
    old_len = ALIGN_UP(old_len, PAGE_SIZE);
    new_len = ALIGN_UP(new_len, PAGE_SIZE);
    if (old_addr >= USER_TOP || old_len > USER_TOP - old_addr)
        return -EFAULT;
    mutex_lock(&mm->lock);
    int err = remap_locked(mm, old_addr, old_len, new_len, flags, new_addr, out);
    mutex_unlock(&mm->lock);
    return err;
}

bool mm_range_mapped(struct mm *mm, vaddr_t addr, size_t len)
{
    if (addr >= USER_TOP || len > USER_TOP - addr)
        return false;
    if (len == 0)
        return true;
    mutex_lock(&mm->lock);
    bool ok = uvm_range_mapped(mm, ALIGN_DOWN(addr, PAGE_SIZE), ALIGN_UP(addr + len, PAGE_SIZE));
    mutex_unlock(&mm->lock);
    return ok;
}

int mm_sync(struct mm *mm, vaddr_t addr, size_t len)
{
    if (addr >= USER_TOP || len > USER_TOP - addr)
        return -ENOMEM;
    vaddr_t start = addr, end = ALIGN_UP(addr + len, PAGE_SIZE);
    mutex_lock(&mm->lock);
    int err = uvm_range_mapped(mm, start, end) ? 0 : -ENOMEM;
    for (struct vma *v = vma_find_from(&mm->vmas, start); v && v->start < end; v = vma_next(v)) {
        if (!(v->flags & VMA_FILE_SHARED))
            continue;
        vfs_lock();                                   /* lock order: mm, then the VFS */
        int wb = pagecache_writeback(v->file->inode); /* the whole file: simpler, and still correct */
        vfs_unlock();
        if (wb && !err)
            err = wb;
    }
    mutex_unlock(&mm->lock);
    return err;
}

void mm_residency(struct mm *mm, vaddr_t addr, size_t pages, unsigned char *out)
{
    mutex_lock(&mm->lock);
    for (size_t i = 0; i < pages; i++)
        out[i] = vm_translate(mm->space, addr + i * PAGE_SIZE, NULL, NULL) == 0;
    mutex_unlock(&mm->lock);
}
