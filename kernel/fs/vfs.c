/* The path-level VFS calls (everything in vfs.h that names a file by path): each checks what the
 * matching Linux system call checks, in the same order so the same errno comes out, and leaves
 * the storage work to the filesystem's operations. */
#include <kestrel/dcache.h>
#include <kestrel/mount.h>
#include <kestrel/pagecache.h>
#include "internal.h"

/* A filesystem's root, or what a mount shows (a bind's root is any directory or file): its name
 * cannot be removed or moved, Linux says EBUSY. */
static bool is_root(struct inode *inode)
{
    return inode == inode->sb->root || inode == vfs_root() || mount_of_root(inode);
}

static int lookup(struct inode *cwd, const char *path, int flags, bool mountpoint, struct inode **out)
{
    if (flags & ~AT_SYMLINK_NOFOLLOW)
        return -EINVAL;
    struct nameidata nd;
    nd_init(&nd, cwd);
    nd.mountpoint = mountpoint;
    int err = nd_resolve(&nd, path, !(flags & AT_SYMLINK_NOFOLLOW), out);
    nd_done(&nd);
    return err;
}

int vfs_lookup(struct inode *cwd, const char *path, int flags, struct inode **out)
{
    return lookup(cwd, path, flags, false, out);
}

int vfs_lookup_parent(struct inode *cwd, const char *path, struct inode **dir)
{
    struct nameidata nd;
    nd_init(&nd, cwd);
    int err = nd_walk_parent(&nd, path);
    if (!err)
        *dir = inode_get(nd.dir);
    nd_done(&nd);
    return err;
}

int vfs_lookup_mountpoint(struct inode *cwd, const char *path, int flags, struct inode **out)
{
    return lookup(cwd, path, flags, true, out);
}

static int inode_getattr(struct inode *inode, struct stat *st)
{
    if (inode->ops->getattr)
        return inode->ops->getattr(inode, st);
    inode_fill_stat(inode, st);
    return 0;
}

int vfs_inode_setattr(struct inode *inode, struct iattr *attr)
{
    if (inode->sb->readonly)
        return -EROFS;
    if (inode->ops->setattr)
        return inode->ops->setattr(inode, attr);
    if (attr->valid & ATTR_SIZE)
        return -EPERM;
    inode_apply_attr(inode, attr);
    return 0;
}

int vfs_inode_truncate(struct inode *inode, uint64_t length)
{
    if (S_ISDIR(inode->mode))
        return -EISDIR;
    if (!S_ISREG(inode->mode))
        return -EINVAL;
    if (length > VFS_MAX_FILE_SIZE)
        return -EFBIG;
    struct iattr attr = {.valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = length};
    vfs_now(&attr.mtime);
    attr.ctime = attr.mtime;
    int err = vfs_inode_setattr(inode, &attr);
    if (!err)
        pagecache_truncated(inode, length);
    return err;
}

static int stat_path(struct inode *cwd, const char *path, bool follow, struct stat *st)
{
    struct inode *inode;
    int err = vfs_lookup(cwd, path, follow ? 0 : AT_SYMLINK_NOFOLLOW, &inode);
    if (err)
        return err;
    err = inode_getattr(inode, st);
    inode_put(inode);
    return err;
}

int vfs_stat(struct inode *cwd, const char *path, struct stat *st)
{
    return stat_path(cwd, path, true, st);
}

int vfs_lstat(struct inode *cwd, const char *path, struct stat *st)
{
    return stat_path(cwd, path, false, st);
}

int vfs_fstat(struct file *f, struct stat *st)
{
    return inode_getattr(f->inode, st);
}

/* The common start of every call that creates a name: resolve the parent, and check the name is
 * a plain one that does not exist yet. Only mkdir accepts a trailing slash on a new name. */
static int prepare_create(struct nameidata *nd, const char *path, bool is_dir)
{
    int err = nd_walk_parent(nd, path);
    if (err)
        return err;
    if (nd->last.type != LAST_NORM)
        return -EEXIST;
    struct inode *existing;
    err = nd_lookup_last(nd, &existing);
    if (err == 0) {
        inode_put(existing);
        return -EEXIST;
    }
    if (err != -ENOENT)
        return err;
    if (nd->last.slash && !is_dir)
        return -ENOENT;
    /* A removed directory (a process's cwd, say) stays empty for good; procfs's names are its own
     * (Linux's procfs lookup fails with ENOENT before any create could be tried). */
    if (nd->dir->nlink == 0 || nd->dir->sb->fixed_names)
        return -ENOENT;
    /* Linux looks for an existing name first: EEXIST wins over EROFS, EROFS over EACCES. */
    if (nd->dir->sb->readonly)
        return -EROFS;
    return vfs_may_create(nd->dir);
}

/* The last component's name was added, removed or repointed, or the filesystem's operation failed
 * part way: the cache forgets it either way (forgetting is always safe). */
static void forget_last(struct nameidata *nd)
{
    dcache_forget(nd->dir, nd->last.name, nd->last.len);
}

/* Gives the name prepare_create made its owner (see vfs_own_new). The file exists whatever this
 * returns; a failure here means the filesystem could not store the owner. */
static int own_last(struct nameidata *nd)
{
    if (!vfs_needs_owner(nd->dir))
        return 0;
    struct inode *inode;
    int err = nd_lookup_last(nd, &inode);
    if (err)
        return err;
    err = vfs_own_new(nd->dir, inode);
    inode_put(inode);
    return err;
}

int vfs_mkdir(struct inode *cwd, const char *path, uint32_t mode)
{
    struct nameidata nd;
    nd_init(&nd, cwd);
    int err = prepare_create(&nd, path, true);
    if (!err) {
        err =
            nd.dir->ops->mkdir ? nd.dir->ops->mkdir(nd.dir, nd.last.name, nd.last.len, mode & 01777) : -EPERM;
        forget_last(&nd);
    }
    if (!err)
        err = own_last(&nd);
    nd_done(&nd);
    return err;
}

int vfs_mknod(struct inode *cwd, const char *path, uint32_t mode, uint32_t dev)
{
    switch (mode & S_IFMT) {
    case 0:
        mode |= S_IFREG;
        break;
    case S_IFREG:
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
        break;
    case S_IFDIR:
        return -EPERM;
    default:
        return -EINVAL;
    }
    mode &= S_IFMT | S_IALLUGO;
    if (!S_ISCHR(mode) && !S_ISBLK(mode))
        dev = 0;
    struct nameidata nd;
    nd_init(&nd, cwd);
    int err = prepare_create(&nd, path, false);
    if (err)
        goto out;
    const struct inode_ops *ops = nd.dir->ops;
    if (S_ISREG(mode)) {
        struct inode *inode;
        err = ops->create ? ops->create(nd.dir, nd.last.name, nd.last.len, mode, &inode) : -EPERM;
        forget_last(&nd);
        if (!err) {
            err = vfs_own_new(nd.dir, inode);
            inode_put(inode);
        }
    } else {
        err = ops->mknod ? ops->mknod(nd.dir, nd.last.name, nd.last.len, mode, dev) : -EPERM;
        forget_last(&nd);
        if (!err)
            err = own_last(&nd);
    }
out:
    nd_done(&nd);
    return err;
}

int vfs_symlink(const char *target, struct inode *cwd, const char *linkpath)
{
    int err = path_check(target);
    if (err)
        return err;
    struct nameidata nd;
    nd_init(&nd, cwd);
    err = prepare_create(&nd, linkpath, false);
    if (!err) {
        err = nd.dir->ops->symlink ? nd.dir->ops->symlink(nd.dir, nd.last.name, nd.last.len, target) : -EPERM;
        forget_last(&nd);
    }
    if (!err)
        err = own_last(&nd);
    nd_done(&nd);
    return err;
}

int vfs_link(struct inode *oldcwd, const char *oldpath, struct inode *newcwd, const char *newpath, int flags)
{
    if (flags & ~AT_SYMLINK_FOLLOW)
        return -EINVAL;
    struct inode *src;
    int err = vfs_lookup(oldcwd, oldpath, flags & AT_SYMLINK_FOLLOW ? 0 : AT_SYMLINK_NOFOLLOW, &src);
    if (err)
        return err;
    struct nameidata nd;
    nd_init(&nd, newcwd);
    err = prepare_create(&nd, newpath, false);
    if (err)
        goto out;
    if (nd.dir->sb != src->sb)
        err = -EXDEV;
    else if (S_ISDIR(src->mode))
        err = -EPERM;
    else if (src->nlink == 0)
        err = -ENOENT; /* no resurrecting an unlinked file */
    else {
        err = nd.dir->ops->link ? nd.dir->ops->link(nd.dir, nd.last.name, nd.last.len, src) : -EPERM;
        forget_last(&nd);
    }
out:
    nd_done(&nd);
    inode_put(src);
    return err;
}

int vfs_unlink(struct inode *cwd, const char *path)
{
    struct nameidata nd;
    nd_init(&nd, cwd);
    struct inode *victim = NULL;
    int err = nd_walk_parent(&nd, path);
    if (err)
        goto out;
    if (nd.last.type != LAST_NORM) {
        err = -EISDIR;
        goto out;
    }
    if (nd.dir->sb->readonly) {
        err = -EROFS;
        goto out;
    }
    err = nd_lookup_last(&nd, &victim);
    if (err)
        goto out;
    /* Linux's order: a trailing slash is judged before permissions, a directory after them. */
    if (nd.last.slash)
        err = S_ISDIR(victim->mode) ? -EISDIR : -ENOTDIR;
    else
        err = vfs_may_delete(nd.dir, victim);
    if (!err && S_ISDIR(victim->mode))
        err = -EISDIR;
    if (!err && is_root(victim))
        err = -EBUSY;
    if (!err) {
        err = nd.dir->ops->unlink ? nd.dir->ops->unlink(nd.dir, nd.last.name, nd.last.len) : -EPERM;
        forget_last(&nd); /* before the victim's last reference below: the cache holds one too */
    }
out:
    /* With the victim's reference dropped last, an unlinked inode nobody has open goes now. */
    nd_done(&nd);
    if (victim)
        inode_put(victim);
    return err;
}

int vfs_rmdir(struct inode *cwd, const char *path)
{
    struct nameidata nd;
    nd_init(&nd, cwd);
    struct inode *victim = NULL;
    int err = nd_walk_parent(&nd, path);
    if (err)
        goto out;
    switch (nd.last.type) {
    case LAST_DOT:
        err = -EINVAL;
        goto out;
    case LAST_DOTDOT:
        err = -ENOTEMPTY;
        goto out;
    case LAST_ROOT:
        err = -EBUSY;
        goto out;
    case LAST_NORM:
        break;
    }
    if (nd.dir->sb->readonly) {
        err = -EROFS;
        goto out;
    }
    err = nd_lookup_last(&nd, &victim);
    if (err)
        goto out;
    err = vfs_may_delete(nd.dir, victim);
    if (err)
        goto out;
    if (!S_ISDIR(victim->mode))
        err = -ENOTDIR;
    else if (is_root(victim))
        err = -EBUSY;
    else {
        err = nd.dir->ops->rmdir ? nd.dir->ops->rmdir(nd.dir, nd.last.name, nd.last.len) : -EPERM;
        forget_last(&nd);
        dcache_forget_dir(victim); /* its negative entries, which would keep it alive */
    }
out:
    nd_done(&nd);
    if (victim)
        inode_put(victim);
    return err;
}

/* The checks of renameat2 once both names are looked up, in Linux's order. */
static int check_rename(struct nameidata *od, struct inode *src, struct nameidata *nd, struct inode *dst,
                        unsigned flags)
{
    bool exchange = flags & RENAME_EXCHANGE;
    if (exchange && !dst)
        return -ENOENT;
    if ((flags & RENAME_NOREPLACE) && dst)
        return -EEXIST;
    if (exchange && !S_ISDIR(dst->mode) && nd->last.slash)
        return -ENOTDIR;
    if (!S_ISDIR(src->mode) && (od->last.slash || (!exchange && nd->last.slash)))
        return -ENOTDIR;
    /* A directory cannot move below itself, and the target cannot be an ancestor of the source
     * (it would not be empty). */
    bool below;
    int err;
    if (S_ISDIR(src->mode)) {
        err = nd_is_ancestor(src, nd->dir, &below);
        if (err)
            return err;
        if (below)
            return -EINVAL;
    }
    if (dst && S_ISDIR(dst->mode)) {
        err = nd_is_ancestor(dst, od->dir, &below);
        if (err)
            return err;
        if (below)
            return exchange ? -EINVAL : -ENOTEMPTY;
    }
    if (src == dst)
        return 1; /* two names of one inode: nothing to do, and success */
    return 0;
}

/* Permissions for renameat2: removing the old name, adding (or replacing) the new one, and, for a
 * directory changing parents, writing its ".." entry. */
static int may_rename(struct nameidata *od, struct inode *src, struct nameidata *nd, struct inode *dst,
                      unsigned flags)
{
    int err = vfs_may_delete(od->dir, src);
    if (!err)
        err = dst ? vfs_may_delete(nd->dir, dst) : vfs_may_create(nd->dir);
    if (!err && od->dir != nd->dir) {
        if (S_ISDIR(src->mode))
            err = vfs_permission(src, MAY_WRITE);
        if (!err && (flags & RENAME_EXCHANGE) && S_ISDIR(dst->mode))
            err = vfs_permission(dst, MAY_WRITE);
    }
    return err;
}

/* What renameat2 checks after permissions: roots cannot move, and a replaced name keeps its kind. */
static int check_rename_kinds(struct inode *src, struct inode *dst, unsigned flags)
{
    bool exchange = flags & RENAME_EXCHANGE;
    if (is_root(src) || (dst && is_root(dst)))
        return -EBUSY;
    if (dst && !exchange) {
        if (S_ISDIR(src->mode) && !S_ISDIR(dst->mode))
            return -ENOTDIR;
        if (!S_ISDIR(src->mode) && S_ISDIR(dst->mode))
            return -EISDIR;
    }
    return 0;
}

/* After a rename both names may name something else. A directory that was replaced is gone (when
 * the rename succeeded) and its negative entries with it; a moved or exchanged directory keeps its
 * entries, since its contents did not change. */
static void forget_renamed(struct nameidata *od, struct nameidata *nd, struct inode *dst, unsigned flags)
{
    forget_last(od);
    forget_last(nd);
    if (dst && S_ISDIR(dst->mode) && !(flags & RENAME_EXCHANGE))
        dcache_forget_dir(dst);
}

int vfs_rename(struct inode *oldcwd, const char *oldpath, struct inode *newcwd, const char *newpath,
               unsigned flags)
{
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
        return -EINVAL; /* RENAME_WHITEOUT is for overlay filesystems */
    if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
        return -EINVAL;
    struct nameidata od, nd;
    struct inode *src = NULL, *dst = NULL;
    nd_init(&od, oldcwd);
    nd_init(&nd, newcwd);
    int err = nd_walk_parent(&od, oldpath);
    if (!err)
        err = nd_walk_parent(&nd, newpath);
    if (err)
        goto out;
    if (od.dir->sb != nd.dir->sb) {
        err = -EXDEV;
        goto out;
    }
    if (od.dir->sb->readonly) {
        err = -EROFS;
        goto out;
    }
    if (od.last.type != LAST_NORM) {
        err = -EBUSY;
        goto out;
    }
    if (nd.last.type != LAST_NORM) {
        err = flags & RENAME_NOREPLACE ? -EEXIST : -EBUSY;
        goto out;
    }
    err = nd_lookup_last(&od, &src);
    if (err)
        goto out;
    err = nd_lookup_last(&nd, &dst);
    if (err == -ENOENT)
        dst = NULL;
    else if (err)
        goto out;
    err = check_rename(&od, src, &nd, dst, flags);
    if (!err)
        err = may_rename(&od, src, &nd, dst, flags);
    if (!err)
        err = check_rename_kinds(src, dst, flags);
    if (err > 0)
        err = 0;
    else if (!err) {
        err = od.dir->ops->rename ? od.dir->ops->rename(od.dir, od.last.name, od.last.len, nd.dir,
                                                        nd.last.name, nd.last.len, flags)
                                  : -EPERM;
        forget_renamed(&od, &nd, dst, flags);
    }
out:
    nd_done(&od);
    nd_done(&nd);
    if (src)
        inode_put(src);
    if (dst)
        inode_put(dst);
    return err;
}

ssize_t vfs_readlink(struct inode *cwd, const char *path, char *buf, size_t size)
{
    if (size == 0)
        return -EINVAL;
    struct inode *inode;
    int err = vfs_lookup(cwd, path, AT_SYMLINK_NOFOLLOW, &inode);
    if (err)
        return err;
    ssize_t n = S_ISLNK(inode->mode) ? inode->ops->readlink(inode, buf, size) : -EINVAL;
    inode_put(inode);
    return n;
}

int vfs_truncate(struct inode *cwd, const char *path, int64_t length)
{
    struct inode *inode;
    int err = vfs_truncate_get(cwd, path, length, &inode);
    if (!err)
        inode_put(inode);
    return err;
}

int vfs_truncate_get(struct inode *cwd, const char *path, int64_t length, struct inode **out)
{
    if (length < 0)
        return -EINVAL;
    struct inode *inode;
    int err = vfs_lookup(cwd, path, 0, &inode);
    if (err)
        return err;
    if (S_ISDIR(inode->mode))
        err = -EISDIR;
    else if (!S_ISREG(inode->mode))
        err = -EINVAL;
    else
        err = vfs_permission(inode, MAY_WRITE);
    if (!err)
        err = vfs_inode_truncate(inode, (uint64_t)length);
    if (err)
        inode_put(inode);
    else
        *out = inode;
    return err;
}

int vfs_inode_chmod(struct inode *inode, uint32_t mode)
{
    struct iattr attr = {.valid = ATTR_MODE | ATTR_CTIME, .mode = mode & S_IALLUGO};
    vfs_now(&attr.ctime);
    return vfs_inode_setattr(inode, &attr);
}

int vfs_chmod(struct inode *cwd, const char *path, uint32_t mode)
{
    struct inode *inode;
    int err = vfs_lookup(cwd, path, 0, &inode);
    if (err)
        return err;
    err = vfs_inode_chmod(inode, mode);
    inode_put(inode);
    return err;
}

static int inode_chown(struct inode *inode, uint32_t uid, uint32_t gid)
{
    struct iattr attr = {.valid = ATTR_CTIME, .uid = uid, .gid = gid};
    if (uid != (uint32_t)-1)
        attr.valid |= ATTR_UID;
    if (gid != (uint32_t)-1)
        attr.valid |= ATTR_GID;
    /* A new owner must not inherit set-id powers granted by the old one: clear set-user-ID, and
     * set-group-ID where it means "run with this group" (group-executable). Directories keep theirs. */
    if ((attr.valid & (ATTR_UID | ATTR_GID)) && !S_ISDIR(inode->mode)) {
        uint32_t mode = inode->mode & ~S_ISUID;
        if (mode & 0010)
            mode &= ~S_ISGID;
        if (mode != inode->mode) {
            attr.valid |= ATTR_MODE;
            attr.mode = mode;
        }
    }
    vfs_now(&attr.ctime);
    return vfs_inode_setattr(inode, &attr);
}

int vfs_chown(struct inode *cwd, const char *path, uint32_t uid, uint32_t gid, int flags)
{
    struct inode *inode;
    int err = vfs_lookup(cwd, path, flags, &inode);
    if (err)
        return err;
    err = inode_chown(inode, uid, gid);
    inode_put(inode);
    return err;
}

int vfs_fchown(struct file *f, uint32_t uid, uint32_t gid)
{
    if (f->flags & O_PATH)
        return -EBADF;
    return inode_chown(f->inode, uid, gid);
}

static bool valid_time(const struct vfs_timespec *ts)
{
    return ts->nsec == UTIME_NOW || ts->nsec == UTIME_OMIT || (ts->nsec >= 0 && ts->nsec < 1000000000);
}

static int inode_utimens(struct inode *inode, const struct vfs_timespec times[2])
{
    int err = 0;
    struct iattr attr = {.valid = ATTR_ATIME | ATTR_MTIME | ATTR_CTIME};
    vfs_now(&attr.ctime);
    attr.atime = attr.mtime = attr.ctime;
    if (times) {
        if (times[0].nsec == UTIME_OMIT)
            attr.valid &= ~ATTR_ATIME;
        else if (times[0].nsec != UTIME_NOW)
            attr.atime = times[0];
        if (times[1].nsec == UTIME_OMIT)
            attr.valid &= ~ATTR_MTIME;
        else if (times[1].nsec != UTIME_NOW)
            attr.mtime = times[1];
    }
    if (attr.valid & (ATTR_ATIME | ATTR_MTIME))
        err = vfs_inode_setattr(inode, &attr);
    return err;
}

int vfs_utimens(struct inode *cwd, const char *path, const struct vfs_timespec times[2], int flags)
{
    if (times && (!valid_time(&times[0]) || !valid_time(&times[1])))
        return -EINVAL;
    struct inode *inode;
    int err = vfs_lookup(cwd, path, flags, &inode);
    if (err)
        return err;
    err = inode_utimens(inode, times);
    inode_put(inode);
    return err;
}

int vfs_futimens(struct file *f, const struct vfs_timespec times[2])
{
    if (times && (!valid_time(&times[0]) || !valid_time(&times[1])))
        return -EINVAL;
    return inode_utimens(f->inode, times);
}
