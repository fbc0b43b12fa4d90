/* Open file descriptions: open(2) with its flags, then read, write, lseek, getdents64 and the
 * other calls that work on an open file rather than a path. */
#include <kestrel/dcache.h>
#include <kestrel/pagecache.h>
#include <kestrel/mount.h>
#include "internal.h"

/* Linux caps one read or write at this many bytes (INT_MAX rounded down to a page). */
#define MAX_RW_COUNT 0x7ffff000ul

static bool can_read(const struct file *f)
{
    uint32_t acc = f->flags & O_ACCMODE;
    return !(f->flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
}

static bool can_write(const struct file *f)
{
    uint32_t acc = f->flags & O_ACCMODE;
    return !(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

/* The final component of an open: looked up, created, or reached through symlinks. */
static int open_last(struct nameidata *nd, int flags, uint32_t mode, struct inode **out, bool *created)
{
    for (;;) {
        struct inode *inode;
        int err;
        if (flags & O_CREAT) {
            /* "name/" can only be a directory, and O_CREAT never opens one. */
            if (nd->last.type != LAST_NORM || nd->last.slash)
                return -EISDIR;
            err = nd_lookup_last(nd, &inode);
            if (err == -ENOENT) {
                struct inode *dir = nd->dir;
                if (dir->nlink == 0 || dir->sb->fixed_names)
                    return -ENOENT;
                if (dir->sb->readonly)
                    return -EROFS;
                err = vfs_may_create(dir);
                if (err)
                    return err;
                if (!dir->ops->create)
                    return -EACCES;
                err = dir->ops->create(dir, nd->last.name, nd->last.len, S_IFREG | (mode & S_IALLUGO), out);
                dcache_forget(dir, nd->last.name, nd->last.len); /* its negative entry */
                *created = !err;
                if (!err)
                    err = vfs_own_new(dir, *out);
                return err;
            }
            if (err)
                return err;
            if (flags & O_EXCL) {
                inode_put(inode); /* even a dangling symlink counts as existing */
                return -EEXIST;
            }
        } else {
            err = nd_lookup_last(nd, &inode);
            if (err)
                return err;
        }
        /* A trailing slash asks for the directory a link points to, O_NOFOLLOW or not. */
        bool follow = !(flags & O_NOFOLLOW) || nd->last.slash || nd->must_dir;
        if (S_ISLNK(inode->mode) && follow) {
            /* Following a dangling link with O_CREAT creates its target, as on Linux. */
            err = nd_follow_last(nd, inode);
            if (err)
                return err;
            continue;
        }
        *out = inode;
        return 0;
    }
}

/* Whether the inode open_last found may be opened with these flags, by its kind alone. */
static int may_open_kind(struct nameidata *nd, struct inode *inode, int flags)
{
    if ((flags & O_DIRECTORY) || nd->last.slash || nd->must_dir) {
        if (!S_ISDIR(inode->mode))
            return -ENOTDIR;
    }
    if (flags & O_PATH)
        return 0;
    switch (inode->mode & S_IFMT) {
    case S_IFLNK:
        return -ELOOP; /* O_NOFOLLOW met a link */
    case S_IFDIR:
        if ((flags & O_CREAT) || (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
            return -EISDIR;
        return 0;
    case S_IFREG:
        if (inode->sb->readonly && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
            return -EROFS;
        return 0;
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
        return vfs_open_special ? 0 : -ENXIO;
    default:
        return -ENXIO; /* sockets are not opened through the VFS */
    }
}

/* The permission an open of an existing file needs: O_TRUNC writes even on a read-only open. An
 * exec open needs execute permission instead of read. */
static unsigned open_access(int flags, bool exec)
{
    uint32_t acc = flags & O_ACCMODE;
    unsigned mask = exec ? MAY_EXEC : 0;
    if (!exec && (acc == O_RDONLY || acc == O_RDWR))
        mask |= MAY_READ;
    if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC))
        mask |= MAY_WRITE;
    return mask;
}

/* What may be done with the inode open_last found, given the flags: its kind, in Linux's order,
 * then (for a file that existed) its permission bits. */
static int may_open(struct nameidata *nd, struct inode *inode, int flags, bool created, bool exec)
{
    int err = may_open_kind(nd, inode, flags);
    if (err || (flags & O_PATH) || created)
        return err;
    return vfs_permission(inode, open_access(flags, exec));
}

/* Keeps the directory and the last name the open went through (a path name is only ever needed
 * for /proc/[pid]/fd, so it is rebuilt from these then). Failing to keep it is not an error. */
static void remember_name(struct file *f, const struct nameidata *nd)
{
    if (nd->last.type != LAST_NORM)
        return;
    f->name = kmalloc(nd->last.len + 1);
    if (!f->name)
        return;
    memcpy(f->name, nd->last.name, nd->last.len);
    f->name[nd->last.len] = '\0';
    f->dir = inode_get(nd->dir);
}

static int do_open(struct inode *cwd, const char *path, int flags, uint32_t mode, bool exec,
                   struct file **out)
{
    if ((flags & O_CREAT) && (flags & O_DIRECTORY))
        return -EINVAL; /* what Linux answers since 6.4: the pair never had a useful meaning */
    if ((flags & __O_TMPFILE) == __O_TMPFILE)
        return -EOPNOTSUPP;
    if (flags & O_PATH)
        flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

    struct nameidata nd;
    nd_init(&nd, cwd);
    struct inode *inode = NULL;
    bool created = false;
    int err = nd_walk_parent(&nd, path);
    if (!err)
        err = open_last(&nd, flags, mode, &inode, &created);
    if (!err)
        err = may_open(&nd, inode, flags, created, exec);
    if (!err && (flags & O_TRUNC) && S_ISREG(inode->mode) && !created && !(flags & O_PATH))
        err = vfs_inode_truncate(inode, 0);
    struct file *f = NULL;
    if (!err) {
        f = kzalloc(sizeof(*f));
        if (!f)
            err = -ENOMEM;
    }
    if (err) {
        nd_done(&nd);
        if (inode)
            inode_put(inode);
        return err;
    }
    f->inode = inode;
    f->flags = (uint32_t)flags; /* a device's open sees every flag (O_NOCTTY for terminals) */
    f->refcount = 1;
    if (!(flags & O_PATH) && (S_ISCHR(inode->mode) || S_ISBLK(inode->mode) || S_ISFIFO(inode->mode))) {
        err = vfs_open_special(f);
        if (err) {
            nd_done(&nd);
            inode_put(inode);
            kfree(f);
            return err;
        }
    }
    remember_name(f, &nd);
    mount_count_file(f, 1);
    nd_done(&nd);
    f->flags &= ~(uint32_t)(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC);
    *out = f;
    return 0;
}

int vfs_open(struct inode *cwd, const char *path, int flags, uint32_t mode, struct file **out)
{
    return do_open(cwd, path, flags, mode, false, out);
}

int vfs_open_exec(struct inode *cwd, const char *path, struct file **out)
{
    return do_open(cwd, path, O_RDONLY, 0, true, out);
}

struct file *vfs_file_get(struct file *f)
{
    __atomic_add_fetch(&f->refcount, 1, __ATOMIC_RELAXED);
    return f;
}

void vfs_close(struct file *f)
{
    /* Acquire-release so the closer that frees sees every other holder's last writes. */
    if (__atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL))
        return;
    vfs_file_free(f);
}

void vfs_file_free(struct file *f)
{
    if (f->ops && f->ops->release)
        f->ops->release(f);
    mount_count_file(f, -1);
    inode_put(f->inode);
    if (f->dir)
        inode_put(f->dir);
    mount_reap(); /* it may have been the last user of a detached filesystem */
    kfree(f->name);
    kfree(f);
}

static ssize_t do_read(struct file *f, void *buf, size_t count, uint64_t pos)
{
    if (!can_read(f))
        return -EBADF;
    struct inode *inode = f->inode;
    if (f->ops)
        return f->ops->read ? f->ops->read(f, buf, MIN(count, MAX_RW_COUNT), f->flags & O_NONBLOCK) : -EINVAL;
    if (S_ISDIR(inode->mode))
        return -EISDIR;
    if (!S_ISREG(inode->mode) || !inode->ops->read)
        return -EINVAL;
    if (pos > VFS_MAX_FILE_SIZE)
        return 0;
    return pagecache_read(inode, buf, MIN(count, MAX_RW_COUNT), pos);
}

static ssize_t do_write(struct file *f, const void *buf, size_t count, uint64_t *pos)
{
    if (!can_write(f))
        return -EBADF;
    struct inode *inode = f->inode;
    if (f->ops) {
        if (!f->ops->write)
            return -EINVAL;
        return f->ops->write(f, buf, MIN(count, MAX_RW_COUNT), f->flags & O_NONBLOCK);
    }
    if (!S_ISREG(inode->mode) || !inode->ops->write)
        return -EINVAL;
    /* O_APPEND moves every write to the end (pwrite too, as on Linux). */
    if (f->flags & O_APPEND)
        *pos = inode->size;
    if (count == 0)
        return 0;
    if (*pos >= VFS_MAX_FILE_SIZE)
        return -EFBIG;
    count = MIN(count, VFS_MAX_FILE_SIZE - *pos);
    ssize_t n = inode->ops->write(inode, buf, MIN(count, MAX_RW_COUNT), *pos);
    if (n > 0) {
        pagecache_wrote(inode, buf, (size_t)n, *pos); /* shared mappings see it at once */
        *pos += (uint64_t)n;
    }
    return n;
}

ssize_t vfs_read(struct file *f, void *buf, size_t count)
{
    ssize_t n = do_read(f, buf, count, f->pos);
    if (n > 0 && !f->ops) /* pipes and devices have no position */
        f->pos += (uint64_t)n;
    return n;
}

ssize_t vfs_read_nowait(struct file *f, void *buf, size_t count)
{
    if (f->ops && can_read(f))
        return f->ops->read ? f->ops->read(f, buf, MIN(count, MAX_RW_COUNT), true) : -EINVAL;
    return vfs_read(f, buf, count);
}

ssize_t vfs_write(struct file *f, const void *buf, size_t count)
{
    return do_write(f, buf, count, &f->pos);
}

/* Positioned I/O needs a seekable file; devices that accept lseek ignore the position. */
static bool unseekable(const struct file *f)
{
    return f->ops && !f->ops->lseek && !(f->flags & O_PATH);
}

ssize_t vfs_pread(struct file *f, void *buf, size_t count, int64_t pos)
{
    if (unseekable(f))
        return can_read(f) ? -ESPIPE : -EBADF;
    if (pos < 0)
        return -EINVAL;
    if (f->ops && f->ops->pread && can_read(f))
        return f->ops->pread(f, buf, MIN(count, MAX_RW_COUNT), (uint64_t)pos);
    return do_read(f, buf, count, (uint64_t)pos);
}

ssize_t vfs_pwrite(struct file *f, const void *buf, size_t count, int64_t pos)
{
    if (unseekable(f))
        return can_write(f) ? -ESPIPE : -EBADF;
    if (pos < 0)
        return -EINVAL;
    if (f->ops && f->ops->pwrite && can_write(f))
        return f->ops->pwrite(f, buf, MIN(count, MAX_RW_COUNT), (uint64_t)pos);
    uint64_t p = (uint64_t)pos;
    return do_write(f, buf, count, &p);
}

int64_t vfs_lseek(struct file *f, int64_t offset, int whence)
{
    if (f->flags & O_PATH)
        return -EBADF;
    if (f->ops)
        return f->ops->lseek ? f->ops->lseek(f, offset, whence) : -ESPIPE;
    struct inode *inode = f->inode;
    int64_t size = (int64_t)inode->size, pos;
    /* A directory's position is a cookie of its filesystem: only SET and CUR make sense. */
    if (S_ISDIR(inode->mode) && whence != SEEK_SET && whence != SEEK_CUR)
        return -EINVAL;
    switch (whence) {
    case SEEK_SET:
        pos = offset;
        break;
    case SEEK_CUR:
        if (__builtin_add_overflow((int64_t)f->pos, offset, &pos))
            return -EINVAL;
        break;
    case SEEK_END:
        if (__builtin_add_overflow(size, offset, &pos))
            return -EINVAL;
        break;
    case SEEK_DATA:
    case SEEK_HOLE:
        /* The whole file counts as data, with the one hole every file has at its end (what
         * Linux does for filesystems that do not track holes). */
        if (offset < 0 || offset >= size)
            return -ENXIO;
        pos = whence == SEEK_DATA ? offset : size;
        break;
    default:
        return -EINVAL;
    }
    if (pos < 0)
        return -EINVAL;
    f->pos = (uint64_t)pos;
    return pos;
}

struct getdents_ctx {
    char *buf;
    size_t size;
    size_t used;
    bool full; /* an entry did not fit */
};

static bool fill_dirent64(void *arg, const char *name, size_t len, uint64_t ino, unsigned dtype,
                          uint64_t next_pos)
{
    struct getdents_ctx *ctx = arg;
    size_t header = offsetof(struct linux_dirent64, d_name);
    size_t reclen = ALIGN_UP(header + len + 1, 8);
    if (ctx->size - ctx->used < reclen) {
        ctx->full = true;
        return false;
    }
    /* The caller's buffer need not be aligned: build the header apart and copy it in. */
    struct linux_dirent64 d = {
        .d_ino = ino, .d_off = (int64_t)next_pos, .d_reclen = (uint16_t)reclen, .d_type = (uint8_t)dtype};
    char *rec = ctx->buf + ctx->used;
    memcpy(rec, &d, header);
    memcpy(rec + header, name, len);
    memset(rec + header + len, 0, reclen - header - len); /* the NUL and the padding */
    ctx->used += reclen;
    return true;
}

ssize_t vfs_getdents64(struct file *f, void *buf, size_t size)
{
    if (f->flags & O_PATH)
        return -EBADF;
    struct inode *inode = f->inode;
    if (!S_ISDIR(inode->mode) || !inode->ops->readdir)
        return -ENOTDIR;
    struct getdents_ctx ctx = {.buf = buf, .size = MIN(size, MAX_RW_COUNT)};
    uint64_t pos = f->pos;
    int err = inode->ops->readdir(inode, &pos, fill_dirent64, &ctx);
    if (err)
        return err;
    /* Entries remain but not even the first fits. */
    if (ctx.used == 0 && ctx.full)
        return -EINVAL;
    f->pos = pos;
    return (ssize_t)ctx.used;
}

int vfs_ftruncate(struct file *f, int64_t length)
{
    if (f->flags & O_PATH)
        return -EBADF;
    if (length < 0)
        return -EINVAL;
    if (!can_write(f))
        return -EINVAL;
    return vfs_inode_truncate(f->inode, (uint64_t)length);
}

int vfs_fchmod(struct file *f, uint32_t mode)
{
    if (f->flags & O_PATH)
        return -EBADF;
    return vfs_inode_chmod(f->inode, mode);
}
