/* The helpers of sys_file.h: the calling process's descriptors, cwd, umask, and user paths. */
#include <kestrel/kmalloc.h>
#include <kestrel/process.h>
#include <kestrel/uaccess.h>
#include "sys_file.h"

struct file *fget(int fd)
{
    struct files *files = files_current();
    return files ? fd_get(files, fd) : NULL;
}

int path_get(struct upath *p, const char *upath, bool allow_empty)
{
    p->name = kmalloc(PATH_MAX);
    if (!p->name)
        return -ENOMEM;
    long n = strncpy_from_user(p->name, upath, PATH_MAX);
    if (n == 0 && !allow_empty)
        n = -ENOENT;
    if (n < 0) {
        kfree(p->name);
        p->name = NULL;
        return (int)n;
    }
    return 0;
}

void path_put(struct upath *p)
{
    kfree(p->name);
    p->name = NULL;
}

int base_get(int dirfd, const char *path, struct inode **out)
{
    *out = NULL;
    if (path[0] == '/')
        return 0;
    if (dirfd == AT_FDCWD) {
        struct process *p = current_process();
        if (p && p->fs.cwd) {
            vfs_lock();
            *out = inode_get(p->fs.cwd);
            vfs_unlock();
        }
        return 0;
    }
    struct file *f = fget(dirfd);
    if (!f)
        return -EBADF;
    int err = 0;
    /* An empty path (AT_EMPTY_PATH) names the file itself, whatever its type. */
    if (path[0] && !S_ISDIR(f->inode->mode))
        err = -ENOTDIR;
    if (!err) {
        vfs_lock();
        *out = inode_get(f->inode);
        vfs_unlock();
    }
    file_put(f);
    return err;
}

void base_put(struct inode *base)
{
    if (!base)
        return;
    vfs_lock();
    inode_put(base);
    vfs_unlock();
}

uint32_t current_umask(void)
{
    struct process *p = current_process();
    return p ? p->fs.umask : 022;
}

const struct cred *current_cred(void)
{
    struct process *p = current_process();
    return p ? &p->cred : NULL;
}

uint32_t current_fsuid(void)
{
    struct process *p = current_process();
    return p ? p->cred.fsuid : 0;
}
