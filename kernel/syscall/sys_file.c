/* System calls on file descriptors: read/write and their vector and positioned forms, lseek,
 * close, dup*, fcntl, ioctl, pipe, fstat, getdents64, ftruncate, fchmod, fchown, fsync, sendfile.
 * Data moves through a kernel bounce buffer in pieces, so the VFS lock is never held while user
 * memory is touched and a pipe or terminal read that has data never sleeps for more. */
#include <kestrel/kmalloc.h>
#include <kestrel/mount.h>
#include <kestrel/pipe.h>
#include <kestrel/process.h>
#include <kestrel/syscall.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>
#include "sys_file.h"

#define IOV_MAX 1024

#define FIONREAD      0x541B
#define FIONBIO       0x5421
#define FIONCLEX      0x5450
#define FIOCLEX       0x5451
#define FIOASYNC      0x5452
#define F_SETPIPE_SZ  1031
#define F_GETPIPE_SZ  1032
#define F_UNLCK       2
#define SETFL_MUTABLE (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

static bool file_readable(const struct file *f)
{
    uint32_t acc = f->flags & O_ACCMODE;
    return !(f->flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
}

static bool file_writable(const struct file *f)
{
    uint32_t acc = f->flags & O_ACCMODE;
    return !(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

/* One piece of a read: regular files under the VFS lock, pipes and devices without it. pos < 0
 * means the file position. */
static ssize_t read_piece(struct file *f, void *buf, size_t n, int64_t pos, bool more)
{
    if (f->ops)
        return pos >= 0 ? vfs_pread(f, buf, n, pos) : more ? vfs_read_nowait(f, buf, n) : vfs_read(f, buf, n);
    vfs_lock();
    ssize_t r = pos >= 0 ? vfs_pread(f, buf, n, pos) : vfs_read(f, buf, n);
    vfs_unlock();
    return r;
}

static ssize_t write_piece(struct file *f, const void *buf, size_t n, int64_t pos)
{
    if (f->ops)
        return pos >= 0 ? vfs_pwrite(f, buf, n, pos) : vfs_write(f, buf, n);
    vfs_lock();
    ssize_t r = pos >= 0 ? vfs_pwrite(f, buf, n, pos) : vfs_write(f, buf, n);
    vfs_unlock();
    if (r > 0 && f->inode->sb->bdev)
        io_account_file_write((size_t)r);
    return r;
}

/* Reads up to count bytes into user memory; *more says data already came (from an earlier
 * vector element), so nothing may sleep any longer. */
static ssize_t file_read_user(struct file *f, char *ubuf, size_t count, int64_t pos, bool *more)
{
    if (!file_readable(f))
        return -EBADF;
    if (!user_range_ok(ubuf, count))
        return -EFAULT;
    size_t piece;
    char *kbuf = bounce_alloc(count, &piece);
    if (!kbuf)
        return -ENOMEM;
    size_t done = 0;
    ssize_t err = 0;
    do {
        size_t n = MIN(count - done, piece);
        ssize_t r = read_piece(f, kbuf, n, pos < 0 ? -1 : pos + (int64_t)done, *more);
        if (r < 0) {
            err = r;
            break;
        }
        if (copy_to_user(ubuf + done, kbuf, (size_t)r)) {
            err = -EFAULT;
            break;
        }
        done += (size_t)r;
        if (r > 0)
            *more = true;
        if ((size_t)r < n)
            break;
    } while (done < count);
    kfree(kbuf);
    if (done)
        return (ssize_t)done;
    return err == -EAGAIN && *more ? 0 : err;
}

static ssize_t file_write_user(struct file *f, const char *ubuf, size_t count, int64_t pos)
{
    if (!file_writable(f))
        return -EBADF;
    if (!user_range_ok(ubuf, count))
        return -EFAULT;
    size_t piece;
    char *kbuf = bounce_alloc(count, &piece);
    if (!kbuf)
        return -ENOMEM;
    size_t done = 0;
    ssize_t err = 0;
    do {
        size_t n = MIN(count - done, piece);
        if (copy_from_user(kbuf, ubuf + done, n)) {
            err = -EFAULT;
            break;
        }
        ssize_t r = write_piece(f, kbuf, n, pos < 0 ? -1 : pos + (int64_t)done);
        if (r < 0) {
            err = r;
            break;
        }
        done += (size_t)r;
        if ((size_t)r < n)
            break;
    } while (done < count);
    kfree(kbuf);
    return done ? (ssize_t)done : err;
}

static long do_read(int fd, char *buf, size_t count, int64_t pos)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    bool more = false;
    ssize_t r = file_read_user(f, buf, count, pos, &more);
    io_account_call(false, r);
    file_put(f);
    return r;
}

static long do_write(int fd, const char *buf, size_t count, int64_t pos)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    ssize_t r = file_write_user(f, buf, count, pos);
    io_account_call(true, r);
    file_put(f);
    return r;
}

SYSCALL_DEFINE3(read, int, fd, char *, buf, size_t, count)
{
    return do_read(fd, buf, count, -1);
}

SYSCALL_DEFINE3(write, int, fd, const char *, buf, size_t, count)
{
    return do_write(fd, buf, count, -1);
}

/* pread/pwrite: a negative offset is EINVAL, checked after the descriptor (Linux's order). */
static long check_pos(int fd, int64_t pos, bool write)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long err = 0;
    if (write ? !file_writable(f) : !file_readable(f))
        err = -EBADF;
    else if (f->ops && !f->ops->lseek)
        err = -ESPIPE;
    else if (pos < 0)
        err = -EINVAL;
    file_put(f);
    return err;
}

SYSCALL_DEFINE4(pread64, int, fd, char *, buf, size_t, count, int64_t, pos)
{
    long err = check_pos(fd, pos, false);
    return err ? err : do_read(fd, buf, count, pos);
}

SYSCALL_DEFINE4(pwrite64, int, fd, const char *, buf, size_t, count, int64_t, pos)
{
    long err = check_pos(fd, pos, true);
    return err ? err : do_write(fd, buf, count, pos);
}

struct iovec_k {
    char *base;
    size_t len;
};

/* Copies in and checks an iovec array: EINVAL for too many elements or a total past SSIZE_MAX. */
static long iov_get(const void *uiov, int iovcnt, struct iovec_k **out)
{
    if (iovcnt < 0 || iovcnt > IOV_MAX)
        return -EINVAL;
    struct iovec_k *iov = kmalloc(sizeof(*iov) * (size_t)MAX(iovcnt, 1));
    if (!iov)
        return -ENOMEM;
    if (copy_from_user(iov, uiov, sizeof(*iov) * (size_t)iovcnt)) {
        kfree(iov);
        return -EFAULT;
    }
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].len > (size_t)INT64_MAX - total) {
            kfree(iov);
            return -EINVAL;
        }
        total += iov[i].len;
    }
    *out = iov;
    return 0;
}

static long do_readv(int fd, const void *uiov, int iovcnt, int64_t pos, bool write)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    struct iovec_k *iov = NULL;
    long err = iov_get(uiov, iovcnt, &iov);
    if (err) {
        file_put(f);
        return err;
    }
    size_t done = 0;
    bool more = false;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].len == 0)
            continue;
        int64_t p = pos < 0 ? -1 : pos + (int64_t)done;
        ssize_t r = write ? file_write_user(f, iov[i].base, iov[i].len, p)
                          : file_read_user(f, iov[i].base, iov[i].len, p, &more);
        if (r < 0) {
            err = r;
            break;
        }
        done += (size_t)r;
        if ((size_t)r < iov[i].len)
            break;
    }
    if (iovcnt == 0 || done == 0) /* still check the access mode for an empty vector */
        err = err ? err : (write ? file_writable(f) : file_readable(f)) ? 0 : -EBADF;
    io_account_call(write, done ? (long)done : err);
    kfree(iov);
    file_put(f);
    return done ? (long)done : err;
}

SYSCALL_DEFINE3(readv, int, fd, const void *, iov, int, iovcnt)
{
    return do_readv(fd, iov, iovcnt, -1, false);
}

SYSCALL_DEFINE3(writev, int, fd, const void *, iov, int, iovcnt)
{
    return do_readv(fd, iov, iovcnt, -1, true);
}

/* preadv/pwritev: the x86-64 ABI passes the whole offset in pos_l (pos_h is for 32-bit ABIs). */
static long do_preadv(int fd, const void *iov, int iovcnt, int64_t pos, bool write)
{
    long err = check_pos(fd, pos, write);
    return err ? err : do_readv(fd, iov, iovcnt, pos, write);
}

SYSCALL_DEFINE5(preadv, int, fd, const void *, iov, int, iovcnt, int64_t, pos_l, int64_t, pos_h)
{
    (void)pos_h;
    return do_preadv(fd, iov, iovcnt, pos_l, false);
}

SYSCALL_DEFINE5(pwritev, int, fd, const void *, iov, int, iovcnt, int64_t, pos_l, int64_t, pos_h)
{
    (void)pos_h;
    return do_preadv(fd, iov, iovcnt, pos_l, true);
}

/* The v2 forms: offset -1 means the file position; no RWF_* flag is supported. */
SYSCALL_DEFINE6(preadv2, int, fd, const void *, iov, int, iovcnt, int64_t, pos_l, int64_t, pos_h, int, flags)
{
    (void)pos_h;
    if (flags)
        return -EOPNOTSUPP;
    return pos_l == -1 ? do_readv(fd, iov, iovcnt, -1, false) : do_preadv(fd, iov, iovcnt, pos_l, false);
}

SYSCALL_DEFINE6(pwritev2, int, fd, const void *, iov, int, iovcnt, int64_t, pos_l, int64_t, pos_h, int, flags)
{
    (void)pos_h;
    if (flags)
        return -EOPNOTSUPP;
    return pos_l == -1 ? do_readv(fd, iov, iovcnt, -1, true) : do_preadv(fd, iov, iovcnt, pos_l, true);
}

SYSCALL_DEFINE3(lseek, int, fd, int64_t, offset, int, whence)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    vfs_lock();
    int64_t r = vfs_lseek(f, offset, whence);
    vfs_unlock();
    file_put(f);
    return r;
}

SYSCALL_DEFINE1(close, int, fd)
{
    struct files *files = files_current();
    return files ? fd_close(files, fd) : -EBADF;
}

SYSCALL_DEFINE1(dup, int, oldfd)
{
    struct file *f = fget(oldfd);
    if (!f)
        return -EBADF;
    int fd = fd_install(files_current(), f, 0, files_limit_current(), false);
    if (fd < 0)
        file_put(f);
    return fd;
}

static long do_dup3(int oldfd, int newfd, int flags)
{
    struct file *f = fget(oldfd);
    if (!f)
        return -EBADF;
    int fd = fd_install_at(files_current(), newfd, f, files_limit_current(), flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYSCALL_DEFINE2(dup2, int, oldfd, int, newfd)
{
    if (oldfd == newfd) {
        struct file *f = fget(oldfd);
        if (!f)
            return -EBADF;
        file_put(f);
        return newfd;
    }
    return do_dup3(oldfd, newfd, 0);
}

SYSCALL_DEFINE3(dup3, int, oldfd, int, newfd, int, flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if (oldfd == newfd)
        return -EINVAL;
    return do_dup3(oldfd, newfd, flags);
}

static long fcntl_dupfd(struct file *f, unsigned long min, bool cloexec)
{
    int limit = files_limit_current();
    if (min >= (unsigned long)limit)
        return -EINVAL;
    int fd = fd_install(files_current(), vfs_file_get(f), (int)min, limit, cloexec);
    if (fd < 0)
        file_put(f);
    return fd;
}

/* Record locks are advisory and Kestrel has one user at a time per file in practice: every lock
 * is granted, and F_GETLK reports the range unlocked. */
static long fcntl_getlk(void *uflock)
{
    int16_t type = F_UNLCK;
    char probe[32];
    if (copy_from_user(probe, uflock, sizeof(probe)))
        return -EFAULT;
    return copy_to_user(uflock, &type, sizeof(type)) ? -EFAULT : 0;
}

static long do_fcntl(int fd, struct file *f, int cmd, unsigned long arg)
{
    struct files *files = files_current();
    switch (cmd) {
    case F_DUPFD:
        return fcntl_dupfd(f, arg, false);
    case F_DUPFD_CLOEXEC:
        return fcntl_dupfd(f, arg, true);
    case F_GETFD:
        return fd_get_cloexec(files, fd);
    case F_SETFD:
        return fd_set_cloexec(files, fd, arg & FD_CLOEXEC);
    case F_GETFL:
        return f->flags;
    case F_SETFL: {
        uint32_t old = __atomic_load_n(&f->flags, __ATOMIC_RELAXED), new;
        do {
            new = (old & ~SETFL_MUTABLE) | ((uint32_t)arg & SETFL_MUTABLE);
        } while (
            !__atomic_compare_exchange_n(&f->flags, &old, new, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
        return 0;
    }
    case F_GETLK:
        return fcntl_getlk((void *)arg);
    case F_SETLK:
    case F_SETLKW:
        return 0;
    case F_GETOWN:
    case F_SETOWN:
        return 0;
    case F_GETPIPE_SZ:
        return pipe_bytes_ready(f) >= 0 ? PIPE_SIZE : -EBADF;
    case F_SETPIPE_SZ:
        return pipe_bytes_ready(f) < 0 ? -EBADF : arg > PIPE_SIZE ? -EPERM : PIPE_SIZE;
    default:
        return -EINVAL;
    }
}

SYSCALL_DEFINE3(fcntl, int, fd, int, cmd, unsigned long, arg)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    /* O_PATH descriptors allow only the descriptor-level commands. */
    long r = -EBADF;
    if (!(f->flags & O_PATH) || cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_GETFD ||
        cmd == F_SETFD || cmd == F_GETFL)
        r = do_fcntl(fd, f, cmd, arg);
    file_put(f);
    return r;
}

static long ioctl_fionread(struct file *f, int *uarg)
{
    int n = pipe_bytes_ready(f);
    if (n < 0 && !f->ops && S_ISREG(f->inode->mode))
        n = f->pos < f->inode->size ? (int)MIN(f->inode->size - f->pos, (uint64_t)INT32_MAX) : 0;
    if (n < 0)
        return f->ops && f->ops->ioctl ? f->ops->ioctl(f, FIONREAD, (unsigned long)uarg) : -ENOTTY;
    return copy_to_user(uarg, &n, sizeof(n)) ? -EFAULT : 0;
}

static long do_ioctl(int fd, struct file *f, unsigned cmd, unsigned long arg)
{
    switch (cmd) {
    case FIOCLEX:
    case FIONCLEX:
        return fd_set_cloexec(files_current(), fd, cmd == FIOCLEX);
    case FIONBIO:
    case FIOASYNC: {
        int on;
        if (copy_from_user(&on, (void *)arg, sizeof(on)))
            return -EFAULT;
        uint32_t bit = cmd == FIONBIO ? O_NONBLOCK : O_ASYNC;
        if (on)
            __atomic_or_fetch(&f->flags, bit, __ATOMIC_RELAXED);
        else
            __atomic_and_fetch(&f->flags, ~bit, __ATOMIC_RELAXED);
        return 0;
    }
    case FIONREAD:
        return ioctl_fionread(f, (int *)arg);
    default:
        return f->ops && f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
    }
}

SYSCALL_DEFINE3(ioctl, int, fd, unsigned, cmd, unsigned long, arg)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long r = f->flags & O_PATH ? -EBADF : do_ioctl(fd, f, cmd, arg);
    file_put(f);
    return r;
}

SYSCALL_DEFINE2(pipe2, int *, fds, int, flags)
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
        return -EINVAL;
    struct files *files = files_current();
    if (!files)
        return -EMFILE;
    struct file *rd, *wr;
    int err = pipe_create(flags, &rd, &wr);
    if (err)
        return err;
    int limit = files_limit_current();
    int k[2];
    k[0] = fd_install(files, rd, 0, limit, flags & O_CLOEXEC);
    if (k[0] < 0) {
        file_put(rd);
        file_put(wr);
        return k[0];
    }
    k[1] = fd_install(files, wr, 0, limit, flags & O_CLOEXEC);
    if (k[1] < 0) {
        fd_close(files, k[0]);
        file_put(wr);
        return k[1];
    }
    if (copy_to_user(fds, k, sizeof(k))) {
        fd_close(files, k[0]);
        fd_close(files, k[1]);
        return -EFAULT;
    }
    return 0;
}

SYSCALL_DEFINE1(pipe, int *, fds)
{
    return sys_pipe2((long)fds, 0, 0, 0, 0, 0);
}

SYSCALL_DEFINE2(fstat, int, fd, struct stat *, ust)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    struct stat st;
    vfs_lock();
    int err = vfs_fstat(f, &st);
    vfs_unlock();
    file_put(f);
    if (!err && copy_to_user(ust, &st, sizeof(st)))
        err = -EFAULT;
    return err;
}

SYSCALL_DEFINE3(getdents64, int, fd, void *, ubuf, unsigned, count)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long r = -EFAULT;
    size_t size = MIN(count, 32768u);
    char *kbuf = user_range_ok(ubuf, count) ? kmalloc(MAX(size, 1)) : NULL;
    if (kbuf) {
        vfs_lock();
        r = vfs_getdents64(f, kbuf, size);
        vfs_unlock();
        if (r > 0 && copy_to_user(ubuf, kbuf, (size_t)r))
            r = -EFAULT;
    } else if (user_range_ok(ubuf, count)) {
        r = -ENOMEM;
    }
    kfree(kbuf);
    file_put(f);
    return r;
}

SYSCALL_DEFINE2(ftruncate, int, fd, int64_t, length)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    vfs_lock();
    int err = vfs_ftruncate(f, length);
    vfs_unlock();
    if (!err)
        uvm_file_truncated(f->inode, (uint64_t)length);
    file_put(f);
    return err;
}

SYSCALL_DEFINE2(fchmod, int, fd, uint32_t, mode)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    vfs_lock();
    int err = vfs_fchmod(f, mode);
    vfs_unlock();
    file_put(f);
    return err;
}

SYSCALL_DEFINE3(fchown, int, fd, uint32_t, uid, uint32_t, gid)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    int err = current_fsuid() == 0 ? 0 : -EPERM;
    if (!err) {
        vfs_lock();
        err = vfs_fchown(f, uid, gid);
        vfs_unlock();
    }
    file_put(f);
    return err;
}

#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

/* flock: validated and granted, like the record locks (see fcntl_getlk). */
SYSCALL_DEFINE2(flock, int, fd, int, op)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    int kind = op & ~LOCK_NB;
    long r = kind == LOCK_SH || kind == LOCK_EX || kind == LOCK_UN ? 0 : -EINVAL;
    if (!r && (f->flags & O_PATH))
        r = -EBADF;
    file_put(f);
    return r;
}

/* A file of a filesystem syncs the whole filesystem (nothing finer is tracked: more than fsync
 * asks, never less); a device may have a write cache to flush (block devices). */
static int sync_inode(struct inode *inode)
{
    vfs_lock();
    int err = super_sync(inode->sb);
    vfs_unlock();
    return err;
}

static long sync_fd(int fd)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    int err = f->ops && f->ops->fsync ? f->ops->fsync(f) : f->ops ? 0 : sync_inode(f->inode);
    file_put(f);
    return err;
}

SYSCALL_DEFINE1(fsync, int, fd)
{
    return sync_fd(fd);
}

SYSCALL_DEFINE1(fdatasync, int, fd)
{
    return sync_fd(fd);
}

/* sendfile: in_fd to out_fd through the kernel, from *offset (advanced) or in_fd's position. */
static long do_sendfile(struct file *out, struct file *in, int64_t *pos, size_t count)
{
    if (!file_readable(in) || !file_writable(out))
        return -EBADF;
    size_t piece;
    char *kbuf = bounce_alloc(count, &piece);
    if (!kbuf)
        return -ENOMEM;
    size_t done = 0;
    long err = 0;
    while (done < count) {
        size_t n = MIN(count - done, piece);
        ssize_t r = read_piece(in, kbuf, n, pos ? *pos : -1, done > 0);
        if (r <= 0) {
            err = r == -EAGAIN && done ? 0 : r;
            break;
        }
        ssize_t w = write_piece(out, kbuf, (size_t)r, -1);
        if (w < 0) {
            err = w;
            break;
        }
        done += (size_t)w;
        if (pos)
            *pos += w;
        if (w < r || (size_t)r < n)
            break;
    }
    kfree(kbuf);
    return done ? (long)done : err;
}

SYSCALL_DEFINE4(sendfile, int, out_fd, int, in_fd, int64_t *, uoffset, size_t, count)
{
    struct file *in = fget(in_fd), *out = fget(out_fd);
    long r = -EBADF;
    int64_t pos = 0;
    if (in && out) {
        r = 0;
        if (uoffset && copy_from_user(&pos, uoffset, sizeof(pos)))
            r = -EFAULT;
        else if (uoffset && pos < 0)
            r = -EINVAL;
    }
    if (!r) {
        r = do_sendfile(out, in, uoffset ? &pos : NULL, count);
        io_account_call(false, r);
        io_account_call(true, r);
        if (uoffset && r >= 0 && copy_to_user(uoffset, &pos, sizeof(pos)))
            r = -EFAULT;
    }
    if (in)
        file_put(in);
    if (out)
        file_put(out);
    return r;
}
