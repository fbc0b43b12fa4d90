/* Page faults on user addresses: demand-zero and file pages, copy-on-write, stack growth, and the
 * trap handler that resolves them, turns a fatal user fault into SIGSEGV/SIGBUS, and leaves kernel
 * faults to the exception table or the crash report. */
#include "uvm_internal.h"
#include <arch/cpu.h>
#include <arch/trap.h>
#include <kestrel/mm.h>
#include <kestrel/pagecache.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>
#include <kestrel/process.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <kestrel/thread.h>
#include <kestrel/file.h>
#include <kestrel/vm.h>
#include <uapi/errno.h>

#define SIGBUS      7
#define SIGKILL     9
#define SIGSEGV     11
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRERR  2

/* Provided by the signal and process code once they land; weak so user memory builds without them. */
void signal_force_fault(int sig, int code, uint64_t addr) __attribute__((weak));
void process_exit_by_signal(int signo) __attribute__((weak));
#pragma weak current_process

/* Fills a new private page of a file mapping; -EIO (SIGBUS) when the page lies past the file's end. */
static int read_file_page(struct vma *v, vaddr_t va, struct page *p)
{
    int64_t pos = (int64_t)((v->pgoff + (va - v->start) / PAGE_SIZE) * PAGE_SIZE);
    vfs_lock(); /* lock order: mm, then the VFS (which never touches user memory while held) */
    ssize_t n = vfs_pread(v->file, page_address(p), PAGE_SIZE, pos);
    vfs_unlock();
    if (n <= 0)
        return -EIO;
    return 0;
}

static uint64_t file_index(const struct vma *v, vaddr_t va)
{
    return v->pgoff + (va - v->start) / PAGE_SIZE;
}

/* The page-cache page of a shared file mapping, with a reference for the page table; a write
 * makes it dirty. -EIO (SIGBUS) past the end of the file. */
static int cache_page(struct vma *v, vaddr_t va, bool write, struct page **out)
{
    void *data;
    struct inode *inode = v->file->inode;
    vfs_lock(); /* lock order: mm, then the VFS */
    int err = pagecache_get_page(inode, file_index(v, va), &data);
    if (!err) {
        if (write) /* cannot fail: the page was just looked up under the same lock */
            pagecache_mark_dirty(inode, file_index(v, va));
        *out = virt_to_page(data);
        upage_get(*out); /* under the lock, so eviction never sees it unmapped in between */
    }
    vfs_unlock();
    return err;
}

/* A page for a not-present address: from the shared object, the page cache, the file, or zeroes.
 * Page-cache pages are mapped writable only for a write, so the first store marks them dirty. A
 * private file mapping maps the cache page read-only on a read (it sees later changes to the file,
 * as on Linux) and copies it at the first write (break_cow: the cache's reference makes the count
 * above 1); a first access that writes gets its private copy at once. */
static int fault_in(struct mm *mm, struct vma *v, vaddr_t va, bool write, paddr_t *pa)
{
    struct page *p;
    bool writable = true;
    if ((v->flags & VMA_FILE_SHARED) || (v->file && !write)) {
        int err = cache_page(v, va, write, &p);
        if (err)
            return err;
        writable = write;
    } else if (v->shared) {
        size_t idx = v->pgoff + (va - v->start) / PAGE_SIZE;
        if (idx >= v->shared->npages)
            return -EIO;
        if (!v->shared->pages[idx] && !(v->shared->pages[idx] = upage_alloc_zeroed()))
            return -ENOMEM;
        p = v->shared->pages[idx];
    } else {
        p = upage_alloc_zeroed();
        if (!p)
            return -ENOMEM;
        int err = v->file ? read_file_page(v, va, p) : 0;
        if (err) {
            upage_put(p);
            return err;
        }
    }
    int err = vm_map_page(mm->space, va, page_to_phys(p), vma_pte_flags(v, writable));
    if (err) {
        if (!v->shared)
            upage_put(p);
        return err;
    }
    mm->rss++;
    *pa = page_to_phys(p);
    return 0;
}

/* A write to a present read-only private page: take it over if nobody else maps it, else copy it. */
static int break_cow(struct mm *mm, struct vma *v, vaddr_t va, paddr_t *pa)
{
    struct page *old = phys_to_page(*pa);
    unsigned flags = vma_pte_flags(v, true);
    if (v->shared || __atomic_load_n(&old->mapcount, __ATOMIC_ACQUIRE) == 1)
        return vm_protect_page(mm->space, va, flags);
    struct page *copy = upage_alloc_zeroed();
    if (!copy)
        return -ENOMEM;
    memcpy(page_address(copy), page_address(old), PAGE_SIZE);
    vm_unmap_page(mm->space, va, NULL);
    int err = vm_map_page(mm->space, va, page_to_phys(copy), flags);
    if (err) /* the table that held the old entry is still there */
        panic("break_cow: remapping %#llx failed (%d)", (unsigned long long)va, err);
    upage_put(old);
    *pa = page_to_phys(copy);
    return 0;
}

/* The first store to a present page-cache page: it becomes dirty, then writable. */
static int make_cache_page_writable(struct mm *mm, struct vma *v, vaddr_t va)
{
    vfs_lock();
    int err = pagecache_mark_dirty(v->file->inode, file_index(v, va));
    vfs_unlock();
    return err ? err : vm_protect_page(mm->space, va, vma_pte_flags(v, true));
}

int uvm_fault_page(struct mm *mm, struct vma *v, vaddr_t va, bool write, paddr_t *pa)
{
    unsigned flags;
    if (vm_translate(mm->space, va, pa, &flags) != 0)
        return fault_in(mm, v, va, write, pa);
    if (write && !(flags & VM_WRITE) && (v->flags & VMA_FILE_SHARED))
        return make_cache_page_writable(mm, v, va);
    if (write && !(flags & VM_WRITE) && !v->shared)
        return break_cow(mm, v, va, pa);
    return 0;
}

/* Extends a stack VMA down to addr when the fault is just below one, within the stack limit and
 * never closer than the guard gap to the mapping below. */
static struct vma *grow_stack(struct mm *mm, vaddr_t addr)
{
    struct vma *stack = vma_find_from(&mm->vmas, addr);
    if (!stack || !(stack->flags & VMA_GROWSDOWN))
        return NULL;
    vaddr_t start = ALIGN_DOWN(addr, PAGE_SIZE);
    if (start < USER_MIN_ADDR || stack->end - start > mm->stack_limit)
        return NULL;
    struct vma *below = vma_prev(stack);
    if (below && start - below->end < STACK_GUARD_GAP)
        return NULL;
    stack->start = start; /* still between the same neighbours, so the tree order holds */
    return stack;
}

static bool access_allowed(const struct vma *v, unsigned access)
{
    if (access & FAULT_WRITE)
        return v->prot & PROT_WRITE;
    if (access & FAULT_FETCH)
        return v->prot & PROT_EXEC;
    return v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC); /* on x86 anything mapped is readable */
}

static int fault_locked(struct mm *mm, vaddr_t addr, unsigned access)
{
    struct vma *v = vma_find(&mm->vmas, addr);
    if (!v && !(v = grow_stack(mm, addr)))
        return -EFAULT;
    if (!access_allowed(v, access))
        return -EACCES;
    vaddr_t va = ALIGN_DOWN(addr, PAGE_SIZE);
    paddr_t pa;
    unsigned flags;
    bool present = vm_translate(mm->space, va, &pa, &flags) == 0;
    int err = uvm_fault_page(mm, v, va, access & FAULT_WRITE, &pa);
    if (err || !present || (access & FAULT_WRITE))
        return err;
    /* Present and allowed, yet it faulted: a stale translation. Rewriting the entry flushes it. */
    return vm_protect_page(mm->space, va, flags);
}

int mm_handle_fault(struct mm *mm, vaddr_t addr, unsigned access)
{
    if (addr >= USER_TOP)
        return -EFAULT;
    mutex_lock(&mm->lock);
    int err = fault_locked(mm, addr, access);
    mutex_unlock(&mm->lock);
    return err;
}

static int current_pid(void)
{
    struct process *p = current_process ? current_process() : NULL;
    return p ? p->pid : 0;
}

static void fatal_user_fault(struct trap_frame *f, uint64_t addr, int err)
{
    int sig = err == -EIO ? SIGBUS : err == -ENOMEM ? SIGKILL : SIGSEGV;
    int code = err == -EIO ? BUS_ADRERR : err == -EACCES ? SEGV_ACCERR : SEGV_MAPERR;
    pr_info("pid %d: %s at %#llx rip %#llx (%s %s)\n", current_pid(),
            sig == SIGBUS    ? "SIGBUS"
            : sig == SIGKILL ? "SIGKILL (out of memory)"
                             : "SIGSEGV",
            (unsigned long long)addr, (unsigned long long)f->rip, f->error & FAULT_WRITE ? "write" : "read",
            f->error & FAULT_PRESENT ? "protection" : "not present");
    if (signal_force_fault)
        signal_force_fault(sig, code, addr);
    else if (process_exit_by_signal)
        process_exit_by_signal(sig);
    else
        panic("user fault with no way to signal the process");
}

/* A kernel fault may be resolved (and so sleep) only where the faulting code itself could sleep. */
static bool kernel_may_resolve(const struct trap_frame *f, struct mm *mm)
{
    return (f->rflags & RFLAGS_IF) && spin_held_count() == 0 && !mutex_held_by_current(&mm->lock);
}

static void page_fault(struct trap_frame *f)
{
    uint64_t addr = read_cr2(); /* first: a fault while resolving this one would overwrite CR2 */
    bool user = f->cs & 3;
    struct mm *mm = mm_active();
    if (addr < USER_TOP && mm && vm_space_is_active(mm->space) && (user || kernel_may_resolve(f, mm))) {
        /* The faulting context ran with interrupts on; resolving may sleep, so restore that. */
        cpu_sti();
        int err = mm_handle_fault(mm, addr, (unsigned)f->error);
        cpu_cli(); /* the trap exit path runs with interrupts off */
        if (!err)
            return;
        if (user) {
            fatal_user_fault(f, addr, err);
            return;
        }
    } else if (user) {
        fatal_user_fault(f, addr, -EFAULT);
        return;
    }
    if (trap_try_fixup(f))
        return;
    trap_die(f);
}

void uvm_init(void)
{
    trap_set_handler(VEC_PAGE_FAULT, page_fault);
}
