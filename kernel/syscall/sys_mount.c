/* Mounting: mount(2), umount2(2), statfs(2), fstatfs(2), sync(2) and syncfs(2) over the mount table
 * (kestrel/mount.h). The checks come in Linux's order so the same errno comes out. */
#include "sys_file.h"
#include <kestrel/blkdev.h>
#include <kestrel/cred.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mount.h>
#include <kestrel/process.h>
#include <kestrel/string.h>
#include <kestrel/syscall.h>
#include <kestrel/uaccess.h>
#include <uapi/statfs.h>

#define FSTYPE_MAX     64
#define MOUNT_DATA_MAX 256

/* The block layer is built by another part of the kernel; weak so that mount works without it
 * (every device-backed mount then fails with ENXIO, as for a device without a driver). */
struct block_device *block_find_dev(uint32_t dev) __attribute__((weak));

/* Whether a process uses a directory in sb as cwd or root (open files are counted by the mount
 * table). Called with the VFS lock held, which is what chdir and chroot take to change them. */
static bool sb_in_use(struct super_block *sb)
{
    bool used = false;
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    process_for_each(p)
    {
        used = (p->fs.cwd && p->fs.cwd->sb == sb) || (p->fs.root && p->fs.root->sb == sb);
        if (used)
            break;
    }
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return used;
}

/* A string argument of at most max bytes, NUL included: 0, -EFAULT, -ENAMETOOLONG. */
static long copy_string(char *dst, const char *usrc, size_t max)
{
    long n = strncpy_from_user(dst, usrc, max);
    return n < 0 ? n : 0;
}

/* The block device a device-backed filesystem is mounted from. VFS lock held. */
static int find_device(struct inode *cwd, const char *source, struct block_device **out)
{
    struct inode *node;
    int err = vfs_lookup(cwd, source, 0, &node);
    if (err)
        return err;
    bool blk = S_ISBLK(node->mode);
    uint32_t dev = node->rdev;
    inode_put(node);
    if (!blk)
        return -ENOTBLK;
    *out = block_find_dev ? block_find_dev(dev) : NULL;
    return *out ? 0 : -ENXIO;
}

static int remount(struct inode *target, unsigned long flags)
{
    struct mount *m = mount_at(target);
    if (!m)
        return -EINVAL;
    m->flags = flags & MS_MNT_FLAGS;
    m->sb->readonly = flags & MS_RDONLY;
    return 0;
}

/* MS_PRIVATE and friends: exactly one of them (MS_REC aside), on a mount point. Every mount is
 * private and there are no other namespaces, so private and slave (of nothing) hold already;
 * shared and unbindable mounts are not supported (docs/vfs.md). */
static int change_type(struct inode *target, unsigned long flags)
{
    unsigned long type = flags & ~(MS_REC | MS_SILENT);
    if (!mount_at(target))
        return -EINVAL;
    return type == MS_PRIVATE || type == MS_SLAVE ? 0 : -EINVAL; /* also: more than one type */
}

/* The directory holding a file that path names (the name of a file mount's end lives there);
 * NULL for a directory. */
static int dir_of_file(struct inode *cwd, const char *path, struct inode *inode, struct inode **dir)
{
    *dir = NULL;
    return S_ISDIR(inode->mode) ? 0 : vfs_lookup_parent(cwd, path, dir);
}

static void put_if(struct inode *inode)
{
    if (inode)
        inode_put(inode);
}

/* MS_BIND and MS_MOVE: the source is a path, and as on Linux none at all is EINVAL. */
static int bind_or_move(struct inode *cwd, const char *source, struct inode *target, const char *target_path,
                        unsigned long flags)
{
    if (!source || !*source)
        return -EINVAL;
    struct inode *src, *src_dir = NULL, *target_dir = NULL;
    /* A bind starts from what the source shows, a move from the mount on it. */
    int err =
        flags & MS_BIND ? vfs_lookup(cwd, source, 0, &src) : vfs_lookup_mountpoint(cwd, source, 0, &src);
    if (err)
        return err;
    err = dir_of_file(cwd, target_path, target, &target_dir);
    if (!err && (flags & MS_BIND))
        err = dir_of_file(cwd, source, src, &src_dir);
    if (!err)
        err = flags & MS_BIND ? mount_bind(src, src_dir, target, target_dir)
                              : mount_move(src, target, target_dir);
    put_if(src_dir);
    put_if(target_dir);
    inode_put(src);
    return err;
}

static int new_mount(struct inode *cwd, struct inode *target, const char *source, const char *fstype,
                     unsigned long flags, const char *data)
{
    struct fs_type *type = fs_type_find(fstype);
    if (!type)
        return -ENODEV;
    struct block_device *bd = NULL;
    if (type->needs_device) {
        if (!source || !*source)
            return -ENOENT;
        int err = find_device(cwd, source, &bd);
        if (err)
            return err;
    }
    if (!S_ISDIR(target->mode))
        return -ENOTDIR;
    struct super_block *sb;
    int err = type->mount(bd, flags, data, &sb);
    if (err)
        return err;
    sb->type = type;
    err = mount_add(sb, target, source, flags);
    if (err)
        mount_release_sb(sb);
    return err;
}

struct mount_args {
    char source[PATH_MAX]; /* a device, or the path a bind or move starts from */
    char fstype[FSTYPE_MAX];
    char data[MOUNT_DATA_MAX];
    struct upath target;
};

static long copy_mount_args(struct mount_args *a, const char *usource, const char *utarget, const char *utype,
                            unsigned long flags, const void *udata)
{
    long err = 0;
    if (!(flags & MS_REMOUNT) && utype)
        err = copy_string(a->fstype, utype, sizeof(a->fstype));
    /* A bind's or a move's source is a path; a device name must fit the table's record. */
    if (!err && usource)
        err = copy_string(a->source, usource,
                          flags & (MS_BIND | MS_MOVE) ? sizeof(a->source) : MOUNT_SOURCE_MAX);
    /* Options are a string for every filesystem Kestrel has; unterminated ones are cut short. */
    if (!err && udata && strncpy_from_user(a->data, udata, sizeof(a->data)) == -EFAULT)
        err = -EFAULT;
    a->data[sizeof(a->data) - 1] = '\0';
    if (!err)
        err = path_get(&a->target, utarget, false);
    return err;
}

SYSCALL_DEFINE5(mount, const char *, usource, const char *, utarget, const char *, utype, unsigned long,
                flags, const void *, udata)
{
    if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
        flags &= ~MS_MGC_MSK;
    struct mount_args *a = kzalloc(sizeof(*a));
    if (!a)
        return -ENOMEM;
    long err = copy_mount_args(a, usource, utarget, utype, flags, udata);
    if (err) {
        kfree(a);
        return err;
    }
    struct process *p = current_process();
    struct inode *target;
    vfs_lock();
    /* Changing a mount names it by its mount point; making one names where it goes. */
    if ((flags & MS_REMOUNT) || ((flags & MS_PROPAGATION) && !(flags & MS_BIND)))
        err = vfs_lookup_mountpoint(p->fs.cwd, a->target.name, 0, &target);
    else
        err = vfs_lookup(p->fs.cwd, a->target.name, 0, &target);
    if (!err) {
        if (!cred_is_root(&p->cred))
            err = -EPERM;
        else if ((flags & MS_REMOUNT) && (flags & MS_BIND))
            err = -EINVAL; /* per-mount flags: see docs/vfs.md */
        else if (flags & MS_REMOUNT)
            err = remount(target, flags);
        else if (flags & MS_BIND)
            err = bind_or_move(p->fs.cwd, usource ? a->source : NULL, target, a->target.name, flags);
        else if (flags & MS_PROPAGATION)
            err = change_type(target, flags);
        else if (flags & MS_MOVE)
            err = bind_or_move(p->fs.cwd, usource ? a->source : NULL, target, a->target.name, flags);
        else
            err = new_mount(p->fs.cwd, target, usource ? a->source : NULL, a->fstype, flags,
                            udata ? a->data : NULL);
        inode_put(target);
    }
    vfs_unlock();
    path_put(&a->target);
    kfree(a);
    return err;
}

SYSCALL_DEFINE2(umount2, const char *, utarget, int, flags)
{
    if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
        return -EINVAL;
    struct upath path;
    long err = path_get(&path, utarget, false);
    if (err)
        return err;
    struct process *p = current_process();
    struct inode *root;
    vfs_lock();
    err =
        vfs_lookup_mountpoint(p->fs.cwd, path.name, flags & UMOUNT_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0, &root);
    if (!err && !cred_is_root(&p->cred)) {
        err = -EPERM;
        inode_put(root);
    } else if (!err) {
        err = mount_umount(root, flags, sb_in_use);
    }
    vfs_unlock();
    path_put(&path);
    return err;
}

/* Fills st for the filesystem inode lives in. VFS lock held. */
static int statfs_inode(struct inode *inode, struct statfs *st)
{
    struct super_block *sb = inode->sb;
    memset(st, 0, sizeof(*st));
    int err = sb->ops && sb->ops->statfs ? sb->ops->statfs(sb, st) : 0;
    if (err)
        return err;
    st->f_type = (int64_t)sb->magic;
    st->f_fsid[0] = (int32_t)sb->dev;
    struct mount *m = sb->root ? mount_of_root(sb->root) : NULL; /* pipes' superblock has no root */
    unsigned long mflags = m ? m->flags : 0;
    st->f_flags = ST_VALID | (sb->readonly ? ST_RDONLY : 0) | (mflags & (MS_NOSUID | MS_NODEV | MS_NOEXEC));
    if (!st->f_namelen)
        st->f_namelen = NAME_MAX;
    if (!st->f_bsize)
        st->f_bsize = 4096;
    if (!st->f_frsize)
        st->f_frsize = st->f_bsize;
    return 0;
}

static long copy_statfs(void *ubuf, const struct statfs *st)
{
    return copy_to_user(ubuf, st, sizeof(*st)) ? -EFAULT : 0;
}

SYSCALL_DEFINE2(statfs, const char *, upath, void *, ubuf)
{
    struct upath path;
    long err = path_get(&path, upath, false);
    if (err)
        return err;
    struct statfs st;
    struct inode *inode;
    vfs_lock();
    err = vfs_lookup(current_process()->fs.cwd, path.name, 0, &inode);
    if (!err) {
        err = statfs_inode(inode, &st);
        inode_put(inode);
    }
    vfs_unlock();
    path_put(&path);
    return err ? err : copy_statfs(ubuf, &st);
}

SYSCALL_DEFINE2(fstatfs, int, fd, void *, ubuf)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    struct statfs st;
    vfs_lock();
    long err = statfs_inode(f->inode, &st);
    vfs_unlock();
    file_put(f);
    return err ? err : copy_statfs(ubuf, &st);
}

/* sync(2) cannot fail: a filesystem's error stays its own (Linux reports them through fsync). */
SYSCALL_DEFINE0(sync)
{
    vfs_lock();
    mount_sync_all();
    vfs_unlock();
    return 0;
}

SYSCALL_DEFINE1(syncfs, int, fd)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    vfs_lock();
    long err = super_sync(f->inode->sb);
    vfs_unlock();
    file_put(f);
    return err;
}
