/* The per-process filesystem context: umask, the working directory (chdir, fchdir), getcwd (the
 * path rebuilt by vfs_dir_path) and the root directory (chroot). */
#include "sys_file.h"
#include <kestrel/cred.h>
#include <kestrel/file.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mount.h>
#include <kestrel/process.h>
#include <kestrel/string.h>
#include <kestrel/syscall.h>
#include <kestrel/uaccess.h>
#include <kestrel/vfs.h>

SYSCALL_DEFINE1(umask, uint32_t, mask)
{
    struct process *p = current_process();
    uint32_t old = p->fs.umask;
    p->fs.umask = mask & 0777;
    return old;
}

/* Makes dir (a reference, consumed) the working directory after the checks chdir makes. */
static long set_cwd(struct process *p, struct inode *dir)
{
    long err = 0;
    if (!S_ISDIR(dir->mode))
        err = -ENOTDIR;
    else
        err = cred_permission(&p->cred, dir->uid, dir->gid, dir->mode, 1);
    if (err) {
        inode_put(dir);
        return err;
    }
    struct inode *old = p->fs.cwd;
    p->fs.cwd = dir;
    if (old)
        inode_put(old);
    mount_reap(); /* the old one may have held a detached filesystem */
    return 0;
}

SYSCALL_DEFINE1(chdir, const char *, upath)
{
    char *path = kmalloc(PATH_MAX);
    if (!path)
        return -ENOMEM;
    long err = strncpy_from_user(path, upath, PATH_MAX);
    if (err >= 0 && !path[0])
        err = -ENOENT;
    if (err >= 0) {
        struct process *p = current_process();
        struct inode *dir;
        vfs_lock();
        err = vfs_lookup(p->fs.cwd, path, 0, &dir);
        if (!err)
            err = set_cwd(p, dir);
        vfs_unlock();
    }
    kfree(path);
    return err < 0 ? err : 0;
}

SYSCALL_DEFINE1(fchdir, int, fd)
{
    struct process *p = current_process();
    struct file *f = fd_get(p->files, fd);
    if (!f)
        return -EBADF;
    vfs_lock();
    long err = set_cwd(p, inode_get(f->inode));
    vfs_unlock();
    file_put(f);
    return err;
}

SYSCALL_DEFINE2(getcwd, char *, ubuf, size_t, size)
{
    char *buf = kmalloc(PATH_MAX);
    long err = buf ? 0 : -ENOMEM;
    char *start = NULL;
    if (!err) {
        struct process *p = current_process();
        vfs_lock();
        struct inode *root = p->fs.root ? p->fs.root : vfs_root();
        err = vfs_dir_path(root, p->fs.cwd ? p->fs.cwd : root, buf, PATH_MAX, &start);
        vfs_unlock();
    }
    if (!err) {
        size_t len = (size_t)(buf + PATH_MAX - start); /* with the NUL */
        if (len > size)
            err = -ERANGE;
        else if (copy_to_user(ubuf, start, len))
            err = -EFAULT;
        else
            err = (long)len;
    }
    kfree(buf);
    return err;
}

struct inode *vfs_task_root(void)
{
    struct process *p = current_process();
    return p ? p->fs.root : NULL;
}

/* chroot(2): the path must name a searchable directory; only root may change its root. */
SYSCALL_DEFINE1(chroot, const char *, upath)
{
    struct upath path;
    long err = path_get(&path, upath, false);
    if (err)
        return err;
    struct process *p = current_process();
    struct inode *dir;
    vfs_lock();
    err = vfs_lookup(p->fs.cwd, path.name, 0, &dir);
    if (!err) {
        if (!S_ISDIR(dir->mode))
            err = -ENOTDIR;
        else
            err = cred_permission(&p->cred, dir->uid, dir->gid, dir->mode, 1);
        if (!err && !cred_is_root(&p->cred))
            err = -EPERM;
        if (err) {
            inode_put(dir);
        } else {
            struct inode *old = p->fs.root;
            p->fs.root = dir;
            if (old)
                inode_put(old);
            mount_reap();
        }
    }
    vfs_unlock();
    path_put(&path);
    return err;
}
