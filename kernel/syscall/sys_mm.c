/* Memory-map system calls: brk, mmap, munmap, mprotect, mremap, madvise, msync, mincore. Thin entry
 * points over kernel/mm (struct mm of the calling process); the argument rules are Linux's. */
#include <kestrel/file.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/process.h>
#include <kestrel/syscall.h>
#include <uapi/statfs.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>
#include <kestrel/vm.h>
#include <uapi/stat.h>

/* Weak until the process core lands: without it no process calls these. */
#pragma weak current_process

static struct mm *current_mm(void)
{
    struct process *p = current_process ? current_process() : NULL;
    return p ? p->mm : NULL;
}

SYSCALL_DEFINE1(brk, unsigned long, addr)
{
    struct mm *mm = current_mm();
    return mm ? (long)mm_brk(mm, addr) : 0;
}

/* The file an mmap names, checked against the mapping's needs: a counted reference or an error. */
static long mmap_file(int fd, int prot, int flags, struct file **out)
{
    struct file *f = fd_get(files_current(), fd);
    if (!f)
        return -EBADF;
    long err = 0;
    unsigned acc = f->flags & O_ACCMODE;
    bool shared = (flags & MAP_TYPE) != MAP_PRIVATE;
    if (acc == O_WRONLY || (shared && (prot & PROT_WRITE) && acc != O_RDWR))
        err = -EACCES;
    else if (f->ops || !S_ISREG(f->inode->mode))
        err = -ENODEV; /* pipes, devices and directories cannot be mapped */
    else if (f->inode->sb->magic == PROC_SUPER_MAGIC)
        err = -ENODEV; /* generated at each read, as on Linux (and a fault could not read them) */
    if (err) {
        file_put(f);
        return err;
    }
    *out = f;
    return 0;
}

SYSCALL_DEFINE6(mmap, unsigned long, addr, unsigned long, len, int, prot, int, flags, int, fd, unsigned long,
                off)
{
    struct mm *mm = current_mm();
    if (!mm)
        return -ENOMEM;
    if (off & (PAGE_SIZE - 1))
        return -EINVAL;
    vaddr_t at;
    if (flags & MAP_ANONYMOUS) {
        long err = mm_map_region(mm, addr, len, prot, flags, &at);
        return err ? err : (long)at;
    }
    struct file *f;
    long err = mmap_file(fd, prot, flags, &f);
    if (err)
        return err;
    err = mm_map_file(mm, addr, len, prot, flags, f, off, &at);
    file_put(f);
    return err ? err : (long)at;
}

SYSCALL_DEFINE2(munmap, unsigned long, addr, unsigned long, len)
{
    struct mm *mm = current_mm();
    return mm ? mm_unmap(mm, addr, len) : -EINVAL;
}

SYSCALL_DEFINE3(mprotect, unsigned long, addr, unsigned long, len, int, prot)
{
    struct mm *mm = current_mm();
    return mm ? mm_protect(mm, addr, len, prot) : -ENOMEM;
}

SYSCALL_DEFINE5(mremap, unsigned long, old_addr, unsigned long, old_len, unsigned long, new_len, int, flags,
                unsigned long, new_addr)
{
    struct mm *mm = current_mm();
    vaddr_t at;
    long err = mm ? mm_remap(mm, old_addr, old_len, new_len, flags, new_addr, &at) : -EFAULT;
    return err ? err : (long)at;
}

SYSCALL_DEFINE3(madvise, unsigned long, addr, unsigned long, len, int, advice)
{
    struct mm *mm = current_mm();
    return mm ? mm_advise(mm, addr, len, advice) : -ENOMEM;
}

/* Writes back shared file mappings' pages for MS_SYNC and MS_ASYNC alike (Linux's MS_ASYNC only
 * schedules it; writing at once is allowed). MS_INVALIDATE has nothing to do: mappings map the
 * cache pages themselves, so they are never stale. */
SYSCALL_DEFINE3(msync, unsigned long, addr, unsigned long, len, int, flags)
{
    struct mm *mm = current_mm();
    if ((addr & (PAGE_SIZE - 1)) || (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return -EINVAL;
    if (len == 0)
        return 0;
    return mm ? mm_sync(mm, addr, len) : -ENOMEM;
}

SYSCALL_DEFINE3(mincore, unsigned long, addr, unsigned long, len, unsigned char *, vec)
{
    struct mm *mm = current_mm();
    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    if (!mm || !mm_range_mapped(mm, addr, len))
        return -ENOMEM;
    unsigned char buf[256];
    size_t pages = (len + PAGE_SIZE - 1) / PAGE_SIZE;
    for (size_t done = 0; done < pages;) {
        size_t n = MIN(pages - done, sizeof(buf));
        mm_residency(mm, addr + done * PAGE_SIZE, n, buf);
        if (copy_to_user(vec + done, buf, n))
            return -EFAULT;
        done += n;
    }
    return 0;
}
