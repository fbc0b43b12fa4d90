/* The VFS as the system calls see it: one function per call, with the call's Linux semantics and
 * errno values, taking kernel buffers and a base directory instead of a file descriptor. The
 * syscall layer resolves fds (AT_FDCWD to the current directory), copies user memory, applies the
 * umask, and calls these. Paths are NUL-terminated kernel strings. */
#pragma once
#include <kestrel/fs.h>
#include <uapi/dirent.h>
#include <uapi/fcntl.h>

struct file;
struct poll_table;

/* How a file that is not a plain filesystem inode (a pipe, a character device) does its I/O. The
 * VFS checks the access mode before calling read and write; buffers are kernel memory. nowait
 * asks for -EAGAIN instead of sleeping (O_NONBLOCK, or the caller already has data). A NULL
 * member means: read/write -EINVAL, lseek -ESPIPE (pread and pwrite too), ioctl -ENOTTY; poll
 * NULL means always readable and writable. */
struct file_ops {
    /* Called once when the file is opened; may replace f->ops and set f->private. f->flags still
     * holds every open flag here (O_NOCTTY, O_TRUNC...); vfs_open drops the open-only ones after. */
    int (*open)(struct file *f);
    ssize_t (*read)(struct file *f, void *buf, size_t count, bool nowait);
    ssize_t (*write)(struct file *f, const void *buf, size_t count, bool nowait);
    int64_t (*lseek)(struct file *f, int64_t offset, int whence);
    /* pread/pwrite for devices that keep a position (block devices); NULL: they get -ESPIPE or,
     * with lseek set, plain read/write. */
    ssize_t (*pread)(struct file *f, void *buf, size_t count, uint64_t pos);
    ssize_t (*pwrite)(struct file *f, const void *buf, size_t count, uint64_t pos);
    /* fsync/fdatasync for devices with a write cache (block devices); NULL: nothing to do. */
    int (*fsync)(struct file *f);
    /* Returns the ready POLL* events and registers pt on every poll_head that may change them. */
    unsigned (*poll)(struct file *f, struct poll_table *pt);
    /* arg is the caller's raw argument: a user pointer for most commands. */
    long (*ioctl)(struct file *f, unsigned cmd, unsigned long arg);
    /* The last reference to the open file is going; the inode is still held. */
    void (*release)(struct file *f);
};

/* An open file description (what dup shares): the inode, the offset and the status flags. */
struct file {
    struct inode *inode; /* a reference */
    uint64_t pos;
    uint32_t flags;             /* open flags, without the ones only open itself uses (O_CREAT...) */
    uint32_t refcount;          /* changed atomically: fd tables of several processes share files */
    const struct file_ops *ops; /* NULL for regular files and directories */
    void *private;              /* the ops' own state (the pipe, the tty) */
    /* Where it was opened: the directory (a reference) and the name in it, for /proc/[pid]/fd.
     * NULL for files that have no name (pipes) or when memory was short. */
    struct inode *dir;
    char *name;
};

/* Opens special files (character devices, FIFOs) for vfs_open: sets f->ops through the device
 * registry. Defined by the kernel's device layer (kernel/fs/chardev.c); weak so the host tests,
 * which link the VFS alone, see special files fail with -ENXIO. */
int vfs_open_special(struct file *f) __attribute__((weak));

/* The root of the namespace: absolute paths start there and ".." stops there. It takes its own
 * reference; NULL unsets it (tests unmount that way). */
void vfs_set_root(struct inode *root);
struct inode *vfs_root(void);
/* The calling process's root directory (chroot(2)), or NULL to use vfs_root(). Defined by the
 * process layer; weak so the host tests, which have no processes, use vfs_root(). */
struct inode *vfs_task_root(void) __attribute__((weak));

/* A base directory (cwd) of NULL means the root, in every call below. While no root is set,
 * absolute paths start at the root of the base directory's filesystem. */

/* Resolves a path to its inode (a reference). flags: AT_SYMLINK_NOFOLLOW. */
int vfs_lookup(struct inode *cwd, const char *path, int flags, struct inode **out);
/* Like vfs_lookup, but the last name is not crossed into what is mounted on it: umount2,
 * MS_REMOUNT and MS_MOVE name a mount by where it is mounted, its root may be seen elsewhere too. */
int vfs_lookup_mountpoint(struct inode *cwd, const char *path, int flags, struct inode **out);
/* The directory the path's last component lives in (a reference), for permission checks. */
int vfs_lookup_parent(struct inode *cwd, const char *path, struct inode **dir);

/* open(2): O_CREAT (mode is already masked with the umask), O_EXCL, O_TRUNC, O_DIRECTORY,
 * O_NOFOLLOW, O_APPEND, O_PATH. Device and FIFO special files go to vfs_open_special (-ENXIO
 * without it); opening a FIFO never sleeps here (see fifo_wait_partner in pipe.h). */
int vfs_open(struct inode *cwd, const char *path, int flags, uint32_t mode, struct file **out);
/* Opens a program for execve to read: execute permission is what it needs, not read. */
int vfs_open_exec(struct inode *cwd, const char *path, struct file **out);
struct file *vfs_file_get(struct file *f);
/* Drops one reference; the last one releases the inode. */
void vfs_close(struct file *f);
/* The release vfs_close does when the count reaches 0, for callers that drop the count
 * themselves (to take a lock only for the last reference). */
void vfs_file_free(struct file *f);

ssize_t vfs_read(struct file *f, void *buf, size_t count);
/* vfs_read that never sleeps: for the later pieces of a read that already has data. */
ssize_t vfs_read_nowait(struct file *f, void *buf, size_t count);
ssize_t vfs_write(struct file *f, const void *buf, size_t count);
ssize_t vfs_pread(struct file *f, void *buf, size_t count, int64_t pos);
ssize_t vfs_pwrite(struct file *f, const void *buf, size_t count, int64_t pos);
/* SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE; returns the new offset. */
int64_t vfs_lseek(struct file *f, int64_t offset, int whence);
/* Fills buf with struct linux_dirent64 records; returns the bytes used, 0 at the end. */
ssize_t vfs_getdents64(struct file *f, void *buf, size_t size);
int vfs_fstat(struct file *f, struct stat *st);
int vfs_ftruncate(struct file *f, int64_t length);
int vfs_fchmod(struct file *f, uint32_t mode);

/* stat(2) and lstat(2); fstatat's AT_SYMLINK_NOFOLLOW picks between them. */
int vfs_stat(struct inode *cwd, const char *path, struct stat *st);
int vfs_lstat(struct inode *cwd, const char *path, struct stat *st);
int vfs_mkdir(struct inode *cwd, const char *path, uint32_t mode);
/* mode holds the file type: S_IFREG (or 0), S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK. */
int vfs_mknod(struct inode *cwd, const char *path, uint32_t mode, uint32_t dev);
int vfs_unlink(struct inode *cwd, const char *path);
int vfs_rmdir(struct inode *cwd, const char *path);
/* renameat2(2); flags: RENAME_NOREPLACE, RENAME_EXCHANGE. */
int vfs_rename(struct inode *oldcwd, const char *oldpath, struct inode *newcwd, const char *newpath,
               unsigned flags);
/* linkat(2); flags: AT_SYMLINK_FOLLOW. */
int vfs_link(struct inode *oldcwd, const char *oldpath, struct inode *newcwd, const char *newpath, int flags);
int vfs_symlink(const char *target, struct inode *cwd, const char *linkpath);
/* Copies at most size bytes of the link's target, without a NUL; returns the count. */
ssize_t vfs_readlink(struct inode *cwd, const char *path, char *buf, size_t size);
int vfs_truncate(struct inode *cwd, const char *path, int64_t length);
/* vfs_truncate that hands back the file (a reference) when it succeeds. */
int vfs_truncate_get(struct inode *cwd, const char *path, int64_t length, struct inode **out);
int vfs_chmod(struct inode *cwd, const char *path, uint32_t mode);
/* fchownat(2): an id of (uint32_t)-1 is left alone; flags: AT_SYMLINK_NOFOLLOW. */
int vfs_chown(struct inode *cwd, const char *path, uint32_t uid, uint32_t gid, int flags);
/* utimensat(2): times NULL means now; tv_nsec may be UTIME_NOW or UTIME_OMIT. */
int vfs_utimens(struct inode *cwd, const char *path, const struct vfs_timespec times[2], int flags);
/* fchown(2) and futimens(2): the same on an open file. */
int vfs_fchown(struct file *f, uint32_t uid, uint32_t gid);
int vfs_futimens(struct file *f, const struct vfs_timespec times[2]);

/* Frees clean cached data: what 1 (file data), 2 (empty slabs) or 3 (both), as Linux's
 * /proc/sys/vm/drop_caches; -EINVAL otherwise. The caller holds the VFS lock. */
int vfs_drop_caches(unsigned what);
