/* The per-process filesystem context: umask, the working directory (chdir, fchdir) and getcwd, which
 * rebuilds the path by walking ".." up to the root and finding each directory's name in its parent
 * (directories know their parent, not their name). */
#include <kestrel/cred.h>
#include <kestrel/file.h>
#include <kestrel/kmalloc.h>
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

struct find_name {
    uint64_t ino;
    char *name; /* NAME_MAX + 1 bytes */
    bool found;
};

static bool match_ino(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
                      uint64_t next_pos)
{
    (void)dtype, (void)next_pos;
    struct find_name *fn = ctx;
    bool dots = (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
    if (dots || ino != fn->ino)
        return true;
    memcpy(fn->name, name, len);
    fn->name[len] = '\0';
    fn->found = true;
    return false;
}

/* Prepends "/name" of dir (found in parent) at *pos, which moves down towards buf. */
static int prepend_name(struct inode *parent, struct inode *dir, char *buf, char **pos, char *name)
{
    struct find_name fn = {dir->ino, name, false};
    uint64_t rpos = 0;
    int err = parent->ops->readdir(parent, &rpos, match_ino, &fn);
    if (err)
        return err;
    if (!fn.found)
        return -ENOENT; /* dir was removed: it has no path any more */
    size_t len = strlen(name);
    if ((size_t)(*pos - buf) < len + 1)
        return -ENAMETOOLONG;
    *pos -= len;
    memcpy(*pos, name, len);
    *--*pos = '/';
    return 0;
}

/* Builds the path of the working directory at the end of buf (size bytes); *start gets its first
 * byte. VFS lock held. */
static int build_cwd(struct process *p, char *buf, size_t size, char **start, char *name)
{
    struct inode *root = p->fs.root ? p->fs.root : vfs_root();
    struct inode *cur = inode_get(p->fs.cwd ? p->fs.cwd : root);
    char *pos = buf + size;
    *--pos = '\0';
    int err = 0;
    while (cur != root) {
        struct inode *parent;
        err = cur->ops->lookup(cur, "..", 2, &parent);
        if (err)
            break;
        if (parent == cur) { /* the top of a filesystem that is not our root */
            inode_put(parent);
            break;
        }
        err = prepend_name(parent, cur, buf, &pos, name);
        inode_put(cur);
        cur = parent;
        if (err)
            break;
    }
    inode_put(cur);
    if (!err && pos == buf + size - 1)
        *--pos = '/';
    *start = pos;
    return err;
}

SYSCALL_DEFINE2(getcwd, char *, ubuf, size_t, size)
{
    char *buf = kmalloc(PATH_MAX), *name = kmalloc(NAME_MAX + 1);
    long err = buf && name ? 0 : -ENOMEM;
    char *start = NULL;
    if (!err) {
        vfs_lock();
        err = build_cwd(current_process(), buf, PATH_MAX, &start, name);
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
    kfree(name);
    kfree(buf);
    return err;
}
