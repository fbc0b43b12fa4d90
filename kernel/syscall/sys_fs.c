/* System calls that name files by path: open and its *at relatives, stat and statx, mkdir,
 * mknod, unlink, rmdir, rename, link, symlink, readlink, access, chmod, chown, truncate and
 * utimensat. Each copies its paths in, resolves the base directory, and calls the VFS under the
 * VFS lock; ownership and permission checks follow the classic owner/group/other rule. */
#include <kestrel/kmalloc.h>
#include <kestrel/pipe.h>
#include <kestrel/process.h>
#include <kestrel/string.h>
#include <kestrel/syscall.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>
#include "sys_file.h"

static long do_openat(int dirfd, const char *upath, int flags, uint32_t mode)
{
    struct files *files = files_current();
    if (!files || !fd_available(files, files_limit_current()))
        return -EMFILE;
    struct upath p;
    int err = path_get(&p, upath, false);
    if (err)
        return err;
    struct inode *base;
    err = base_get(dirfd, p.name, &base);
    if (err) {
        path_put(&p);
        return err;
    }
    /* Linux always opens large-file capable on 64-bit, and F_GETFL shows it. */
    flags |= O_LARGEFILE;
    if (flags & O_CREAT)
        mode = mode & S_IALLUGO & ~current_umask();
    struct file *f;
    vfs_lock();
    err = vfs_open(base, p.name, flags, mode, &f);
    vfs_unlock();
    base_put(base);
    path_put(&p);
    if (err)
        return err;
    if (flags & O_TRUNC)
        uvm_file_truncated(f->inode, 0);
    err = fifo_wait_partner(f);
    if (err) {
        file_put(f);
        return err;
    }
    int fd = fd_install(files, f, 0, files_limit_current(), flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYSCALL_DEFINE4(openat, int, dirfd, const char *, path, int, flags, uint32_t, mode)
{
    return do_openat(dirfd, path, flags, mode);
}

SYSCALL_DEFINE3(open, const char *, path, int, flags, uint32_t, mode)
{
    return do_openat(AT_FDCWD, path, flags, mode);
}

SYSCALL_DEFINE2(creat, const char *, path, uint32_t, mode)
{
    return do_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* The common shape of a one-path call: copy the path, find the base, run op under the lock. */
typedef int (*path_op_t)(struct inode *base, const char *path, void *arg);

static long with_path(int dirfd, const char *upath, bool allow_empty, path_op_t op, void *arg)
{
    struct upath p;
    int err = path_get(&p, upath, allow_empty);
    if (err)
        return err;
    struct inode *base;
    err = base_get(dirfd, p.name, &base);
    if (!err) {
        vfs_lock();
        err = op(base, p.name, arg);
        vfs_unlock();
        base_put(base);
    }
    path_put(&p);
    return err;
}

struct stat_arg {
    int flags;
    struct stat st;
};

static int stat_op(struct inode *base, const char *path, void *arg)
{
    struct stat_arg *a = arg;
    /* An empty path (AT_EMPTY_PATH) names the base itself: dirfd's file, or the cwd. */
    if (!path[0] && base) {
        struct file self = {.inode = base};
        return vfs_fstat(&self, &a->st);
    }
    if (!path[0])
        path = "/";
    return a->flags & AT_SYMLINK_NOFOLLOW ? vfs_lstat(base, path, &a->st) : vfs_stat(base, path, &a->st);
}

static long do_fstatat(int dirfd, const char *upath, struct stat *ust, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    struct stat_arg a = {.flags = flags};
    long err = with_path(dirfd, upath, flags & AT_EMPTY_PATH, stat_op, &a);
    if (!err && copy_to_user(ust, &a.st, sizeof(a.st)))
        err = -EFAULT;
    return err;
}

SYSCALL_DEFINE4(newfstatat, int, dirfd, const char *, path, struct stat *, st, int, flags)
{
    return do_fstatat(dirfd, path, st, flags);
}

SYSCALL_DEFINE2(stat, const char *, path, struct stat *, st)
{
    return do_fstatat(AT_FDCWD, path, st, 0);
}

SYSCALL_DEFINE2(lstat, const char *, path, struct stat *, st)
{
    return do_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

/* statx(2)'s structure, as Linux lays it out (256 bytes). */
struct statx_timestamp_k {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t reserved;
};

struct statx_k {
    uint32_t stx_mask, stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink, stx_uid, stx_gid;
    uint16_t stx_mode, pad1;
    uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct statx_timestamp_k stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    uint64_t spare[14];
};
_Static_assert(sizeof(struct statx_k) == 256, "struct statx must match the Linux ABI");

#define STATX_BASIC_STATS  0x7ffu
#define STATX_RESERVED     0x80000000u
#define AT_STATX_SYNC_TYPE 0x6000

static void stat_to_statx(const struct stat *st, struct statx_k *sx)
{
    memset(sx, 0, sizeof(*sx));
    sx->stx_mask = STATX_BASIC_STATS;
    sx->stx_blksize = (uint32_t)st->st_blksize;
    sx->stx_nlink = (uint32_t)st->st_nlink;
    sx->stx_uid = st->st_uid;
    sx->stx_gid = st->st_gid;
    sx->stx_mode = (uint16_t)st->st_mode;
    sx->stx_ino = st->st_ino;
    sx->stx_size = (uint64_t)st->st_size;
    sx->stx_blocks = (uint64_t)st->st_blocks;
    sx->stx_atime = (struct statx_timestamp_k){(int64_t)st->st_atime, (uint32_t)st->st_atime_nsec, 0};
    sx->stx_mtime = (struct statx_timestamp_k){(int64_t)st->st_mtime, (uint32_t)st->st_mtime_nsec, 0};
    sx->stx_ctime = (struct statx_timestamp_k){(int64_t)st->st_ctime, (uint32_t)st->st_ctime_nsec, 0};
    sx->stx_rdev_major = vfs_major((uint32_t)st->st_rdev);
    sx->stx_rdev_minor = vfs_minor((uint32_t)st->st_rdev);
    sx->stx_dev_major = vfs_major((uint32_t)st->st_dev);
    sx->stx_dev_minor = vfs_minor((uint32_t)st->st_dev);
}

SYSCALL_DEFINE5(statx, int, dirfd, const char *, path, int, flags, unsigned, mask, void *, ubuf)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (mask & STATX_RESERVED))
        return -EINVAL;
    struct stat_arg a = {.flags = flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)};
    long err = with_path(dirfd, path, flags & AT_EMPTY_PATH, stat_op, &a);
    if (err)
        return err;
    struct statx_k sx;
    stat_to_statx(&a.st, &sx);
    return copy_to_user(ubuf, &sx, sizeof(sx)) ? -EFAULT : 0;
}

static int mkdir_op(struct inode *base, const char *path, void *arg)
{
    return vfs_mkdir(base, path, *(uint32_t *)arg);
}

SYSCALL_DEFINE3(mkdirat, int, dirfd, const char *, path, uint32_t, mode)
{
    mode = mode & 01777 & ~current_umask();
    return with_path(dirfd, path, false, mkdir_op, &mode);
}

SYSCALL_DEFINE2(mkdir, const char *, path, uint32_t, mode)
{
    mode = mode & 01777 & ~current_umask();
    return with_path(AT_FDCWD, path, false, mkdir_op, &mode);
}

struct mknod_arg {
    uint32_t mode, dev;
};

static int mknod_op(struct inode *base, const char *path, void *arg)
{
    struct mknod_arg *a = arg;
    return vfs_mknod(base, path, a->mode, a->dev);
}

static long do_mknodat(int dirfd, const char *path, uint32_t mode, uint32_t dev)
{
    uint32_t type = mode & S_IFMT;
    if (type == 0)
        type = S_IFREG;
    if (type == S_IFCHR || type == S_IFBLK) {
        if (current_fsuid() != 0)
            return -EPERM;
    } else if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK) {
        return -EINVAL;
    }
    struct mknod_arg a = {.mode = type | (mode & S_IALLUGO & ~current_umask()), .dev = dev};
    return with_path(dirfd, path, false, mknod_op, &a);
}

SYSCALL_DEFINE4(mknodat, int, dirfd, const char *, path, uint32_t, mode, unsigned, dev)
{
    return do_mknodat(dirfd, path, mode, dev);
}

SYSCALL_DEFINE3(mknod, const char *, path, uint32_t, mode, unsigned, dev)
{
    return do_mknodat(AT_FDCWD, path, mode, dev);
}

static int unlink_op(struct inode *base, const char *path, void *arg)
{
    (void)arg;
    return vfs_unlink(base, path);
}

static int rmdir_op(struct inode *base, const char *path, void *arg)
{
    (void)arg;
    return vfs_rmdir(base, path);
}

SYSCALL_DEFINE3(unlinkat, int, dirfd, const char *, path, int, flags)
{
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    return with_path(dirfd, path, false, flags & AT_REMOVEDIR ? rmdir_op : unlink_op, NULL);
}

SYSCALL_DEFINE1(unlink, const char *, path)
{
    return with_path(AT_FDCWD, path, false, unlink_op, NULL);
}

SYSCALL_DEFINE1(rmdir, const char *, path)
{
    return with_path(AT_FDCWD, path, false, rmdir_op, NULL);
}

/* Two-path calls: both copied and based before the lock is taken. */
typedef int (*path2_op_t)(struct inode *b1, const char *p1, struct inode *b2, const char *p2, int flags);

static long with_paths(int dfd1, const char *up1, int dfd2, const char *up2, bool empty1, path2_op_t op,
                       int flags)
{
    struct upath p1, p2 = {0};
    struct inode *b1 = NULL, *b2 = NULL;
    int err = path_get(&p1, up1, empty1);
    if (err)
        return err;
    err = path_get(&p2, up2, false);
    if (!err)
        err = base_get(dfd1, p1.name, &b1);
    if (!err)
        err = base_get(dfd2, p2.name, &b2);
    if (!err) {
        vfs_lock();
        err = op(b1, p1.name, b2, p2.name, flags);
        vfs_unlock();
    }
    base_put(b1);
    base_put(b2);
    path_put(&p1);
    path_put(&p2);
    return err;
}

static int rename_op(struct inode *b1, const char *p1, struct inode *b2, const char *p2, int flags)
{
    return vfs_rename(b1, p1, b2, p2, (unsigned)flags);
}

SYSCALL_DEFINE5(renameat2, int, olddirfd, const char *, oldpath, int, newdirfd, const char *, newpath,
                unsigned, flags)
{
    return with_paths(olddirfd, oldpath, newdirfd, newpath, false, rename_op, (int)flags);
}

SYSCALL_DEFINE4(renameat, int, olddirfd, const char *, oldpath, int, newdirfd, const char *, newpath)
{
    return with_paths(olddirfd, oldpath, newdirfd, newpath, false, rename_op, 0);
}

SYSCALL_DEFINE2(rename, const char *, oldpath, const char *, newpath)
{
    return with_paths(AT_FDCWD, oldpath, AT_FDCWD, newpath, false, rename_op, 0);
}

static int link_op(struct inode *b1, const char *p1, struct inode *b2, const char *p2, int flags)
{
    return vfs_link(b1, p1, b2, p2, flags & AT_SYMLINK_FOLLOW);
}

SYSCALL_DEFINE5(linkat, int, olddirfd, const char *, oldpath, int, newdirfd, const char *, newpath, int,
                flags)
{
    /* AT_EMPTY_PATH (linking an open file by descriptor) is not supported: an empty path stays
     * ENOENT, what Linux answers callers without CAP_DAC_READ_SEARCH. */
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    return with_paths(olddirfd, oldpath, newdirfd, newpath, false, link_op, flags);
}

SYSCALL_DEFINE2(link, const char *, oldpath, const char *, newpath)
{
    return with_paths(AT_FDCWD, oldpath, AT_FDCWD, newpath, false, link_op, 0);
}

static int symlink_op(struct inode *base, const char *path, void *arg)
{
    return vfs_symlink(arg, base, path);
}

static long do_symlinkat(const char *utarget, int dirfd, const char *path)
{
    struct upath target;
    int err = path_get(&target, utarget, false);
    if (err)
        return err;
    err = with_path(dirfd, path, false, symlink_op, target.name);
    path_put(&target);
    return err;
}

SYSCALL_DEFINE3(symlinkat, const char *, target, int, dirfd, const char *, path)
{
    return do_symlinkat(target, dirfd, path);
}

SYSCALL_DEFINE2(symlink, const char *, target, const char *, path)
{
    return do_symlinkat(target, AT_FDCWD, path);
}

struct readlink_arg {
    char *buf;
    size_t size;
    ssize_t len;
};

static int readlink_op(struct inode *base, const char *path, void *arg)
{
    struct readlink_arg *a = arg;
    a->len = vfs_readlink(base, path, a->buf, a->size);
    return a->len < 0 ? (int)a->len : 0;
}

static long do_readlinkat(int dirfd, const char *path, char *ubuf, int size)
{
    if (size <= 0)
        return -EINVAL;
    struct readlink_arg a = {.size = MIN((size_t)size, (size_t)PATH_MAX)};
    a.buf = kmalloc(a.size);
    if (!a.buf)
        return -ENOMEM;
    long err = with_path(dirfd, path, false, readlink_op, &a);
    if (!err)
        err = copy_to_user(ubuf, a.buf, (size_t)a.len) ? -EFAULT : a.len;
    kfree(a.buf);
    return err;
}

SYSCALL_DEFINE4(readlinkat, int, dirfd, const char *, path, char *, buf, int, size)
{
    return do_readlinkat(dirfd, path, buf, size);
}

SYSCALL_DEFINE3(readlink, const char *, path, char *, buf, int, size)
{
    return do_readlinkat(AT_FDCWD, path, buf, size);
}

struct access_arg {
    int mode, flags;
    const struct cred *real; /* the real ids to check with, or NULL for the filesystem ids */
};

static int access_op(struct inode *base, const char *path, void *arg)
{
    struct access_arg *a = arg;
    const struct cred *saved = a->real ? vfs_override_cred(a->real) : NULL;
    struct inode *inode;
    int err = vfs_lookup(base, path, a->flags & AT_SYMLINK_NOFOLLOW, &inode);
    if (!err) {
        if (a->mode)
            err = vfs_permission(inode, (unsigned)a->mode);
        inode_put(inode);
    }
    if (a->real)
        vfs_override_cred(saved);
    return err;
}

static long do_faccessat(int dirfd, const char *path, int mode, int flags)
{
    if (mode & ~7)
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct access_arg a = {.mode = mode, .flags = flags};
    const struct cred *c = current_cred();
    if (!c || (flags & AT_EACCESS) || (c->uid == c->fsuid && c->gid == c->fsgid))
        return with_path(dirfd, path, false, access_op, &a);
    /* access(2) asks what the real ids may do, for set-id programs: the whole walk runs as them. */
    struct cred *real = kmalloc(sizeof(*real));
    if (!real)
        return -ENOMEM;
    *real = *c;
    real->fsuid = c->uid;
    real->fsgid = c->gid;
    a.real = real;
    long err = with_path(dirfd, path, false, access_op, &a);
    kfree(real);
    return err;
}

SYSCALL_DEFINE4(faccessat2, int, dirfd, const char *, path, int, mode, int, flags)
{
    return do_faccessat(dirfd, path, mode, flags);
}

SYSCALL_DEFINE3(faccessat, int, dirfd, const char *, path, int, mode)
{
    return do_faccessat(dirfd, path, mode, 0);
}

SYSCALL_DEFINE2(access, const char *, path, int, mode)
{
    return do_faccessat(AT_FDCWD, path, mode, 0);
}

static int chmod_op(struct inode *base, const char *path, void *arg)
{
    uint32_t uid = current_fsuid();
    if (uid) {
        struct inode *inode;
        int err = vfs_lookup(base, path, 0, &inode);
        if (err)
            return err;
        bool owner = inode->uid == uid;
        inode_put(inode);
        if (!owner)
            return -EPERM;
    }
    return vfs_chmod(base, path, *(uint32_t *)arg);
}

SYSCALL_DEFINE3(fchmodat, int, dirfd, const char *, path, uint32_t, mode)
{
    return with_path(dirfd, path, false, chmod_op, &mode);
}

SYSCALL_DEFINE2(chmod, const char *, path, uint32_t, mode)
{
    return with_path(AT_FDCWD, path, false, chmod_op, &mode);
}

struct chown_arg {
    uint32_t uid, gid;
    int flags;
};

static int chown_op(struct inode *base, const char *path, void *arg)
{
    struct chown_arg *a = arg;
    if (!path[0] && base) { /* AT_EMPTY_PATH: the base itself */
        struct file self = {.inode = base};
        return vfs_fchown(&self, a->uid, a->gid);
    }
    return vfs_chown(base, path, a->uid, a->gid, a->flags & AT_SYMLINK_NOFOLLOW);
}

/* Only root changes owners (Linux also lets an owner pick one of its groups: not modelled). */
static long do_fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (current_fsuid() != 0)
        return -EPERM;
    struct chown_arg a = {.uid = uid, .gid = gid, .flags = flags};
    return with_path(dirfd, path, flags & AT_EMPTY_PATH, chown_op, &a);
}

SYSCALL_DEFINE5(fchownat, int, dirfd, const char *, path, uint32_t, uid, uint32_t, gid, int, flags)
{
    return do_fchownat(dirfd, path, uid, gid, flags);
}

SYSCALL_DEFINE3(chown, const char *, path, uint32_t, uid, uint32_t, gid)
{
    return do_fchownat(AT_FDCWD, path, uid, gid, 0);
}

SYSCALL_DEFINE3(lchown, const char *, path, uint32_t, uid, uint32_t, gid)
{
    return do_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

struct truncate_arg {
    int64_t length;
    struct inode *mapped; /* a reference to the file when mappings must lose their tails */
};

static int truncate_op(struct inode *base, const char *path, void *arg)
{
    struct truncate_arg *a = arg;
    struct inode *inode;
    int err = vfs_truncate_get(base, path, a->length, &inode);
    if (!err && uvm_inode_mapped(inode))
        a->mapped = inode;
    else if (!err)
        inode_put(inode);
    return err;
}

SYSCALL_DEFINE2(truncate, const char *, path, int64_t, length)
{
    if (length < 0)
        return -EINVAL;
    struct truncate_arg a = {length, NULL};
    long err = with_path(AT_FDCWD, path, false, truncate_op, &a);
    if (a.mapped) {
        uvm_file_truncated(a.mapped, (uint64_t)length); /* without the VFS lock: see uvm.h */
        vfs_lock();
        inode_put(a.mapped);
        vfs_unlock();
    }
    return err;
}

struct utimens_arg {
    const struct vfs_timespec *times;
    int flags;
};

static int utimens_op(struct inode *base, const char *path, void *arg)
{
    struct utimens_arg *a = arg;
    if (!path[0] && base) { /* AT_EMPTY_PATH: the base itself */
        struct file self = {.inode = base};
        return vfs_futimens(&self, a->times);
    }
    return vfs_utimens(base, path, a->times, a->flags & AT_SYMLINK_NOFOLLOW);
}

/* utimensat with a NULL path is futimens(dirfd). */
static long futimens(int fd, const struct vfs_timespec *times)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    vfs_lock();
    int err = vfs_futimens(f, times);
    vfs_unlock();
    file_put(f);
    return err;
}

SYSCALL_DEFINE4(utimensat, int, dirfd, const char *, path, const void *, utimes, int, flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct vfs_timespec ts[2];
    if (utimes && copy_from_user(ts, utimes, sizeof(ts)))
        return -EFAULT;
    if (!path)
        return dirfd == AT_FDCWD ? -EFAULT : futimens(dirfd, utimes ? ts : NULL);
    struct utimens_arg a = {.times = utimes ? ts : NULL, .flags = flags};
    return with_path(dirfd, path, flags & AT_EMPTY_PATH, utimens_op, &a);
}
