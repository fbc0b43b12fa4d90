/* /proc/[pid]/fd: a process's open files as links to their paths (or "pipe:[inode]" for a pipe,
 * which has none). */
#include <kestrel/format.h>
#include <kestrel/kmalloc.h>
#include <kestrel/process.h>
#include <kestrel/string.h>
#include <kestrel/vfs.h>
#include <uapi/dirent.h>
#include <uapi/statfs.h>
#include "internal.h"

#define FD_POS 2 /* readdir positions: ".", "..", then descriptor n at FD_POS + n */

bool proc_fd_exists(int pid, int fd)
{
    return proc_next_fd(pid, fd, NULL) == fd;
}

/* Another user's open files are not theirs to see. */
static int may_see_fds(int pid)
{
    struct proc_snap s;
    int err = proc_snapshot(pid, 0, &s);
    if (err)
        return err;
    return proc_may_inspect(&s) ? 0 : -EACCES;
}

int proc_fd_link(struct pbuf *b, int pid, int fd)
{
    int err = may_see_fds(pid);
    if (err)
        return err;
    struct file *f = NULL;
    if (proc_next_fd(pid, fd, &f) != fd) {
        if (f)
            proc_put_file(f);
        return -ENOENT;
    }
    err = proc_file_path(b, f);
    proc_put_file(f);
    return err;
}

int proc_file_path(struct pbuf *b, struct file *f)
{
    struct inode *inode = f->inode;
    int err = 0;
    if (inode->sb->magic == PIPEFS_MAGIC) {
        pb_printf(b, "pipe:[%llu]", (unsigned long long)inode->ino);
    } else if (S_ISDIR(inode->mode)) {
        err = proc_dir_path(b, inode);
    } else if (f->dir) {
        err = proc_dir_path(b, f->dir);
        if (!err)
            pb_printf(b, "%s%s", b->len == 1 ? "" : "/", f->name); /* no "//" below the root */
    } else {
        pb_printf(b, "anon_inode:[%llu]", (unsigned long long)inode->ino);
    }
    return err;
}

int proc_fd_readdir(int pid, uint64_t *pos, uint64_t ino_base, filldir_t emit, void *ctx)
{
    int err = may_see_fds(pid);
    if (err)
        return err;
    for (int fd; (fd = proc_next_fd(pid, (int)(*pos - FD_POS), NULL)) >= 0;) {
        char name[12];
        int n = ksnprintf(name, sizeof(name), "%d", fd);
        *pos = FD_POS + (uint64_t)fd;
        if (!emit(ctx, name, (size_t)n, ino_base + (uint64_t)fd, DT_LNK, *pos + 1))
            return 0;
        ++*pos;
    }
    return 0;
}
