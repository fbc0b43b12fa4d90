/* Helpers the file system calls share: descriptors of the calling process, the base directory
 * of the *at calls, path arguments copied in from user memory. */
#pragma once
#include <kestrel/file.h>

/* The calling process's open file at fd (a reference for file_put), or NULL: -EBADF. */
struct file *fget(int fd);

/* A path argument in kernel memory: kmalloc'd, released with path_put. */
struct upath {
    char *name;
};
/* Copies a user path: 0, -EFAULT, -ENAMETOOLONG; an empty path is -ENOENT unless allow_empty. */
int path_get(struct upath *p, const char *upath, bool allow_empty);
void path_put(struct upath *p);

/* The directory a relative path of an *at call starts from: a reference to the cwd for AT_FDCWD
 * (NULL meaning the root when the process has none), else to dirfd's inode, which must be a
 * directory when the path is relative (-ENOTDIR; -EBADF for a closed dirfd). Absolute paths
 * ignore dirfd, as on Linux. Release with base_put. */
int base_get(int dirfd, const char *path, struct inode **out);
void base_put(struct inode *base);

/* The calling process's umask, credentials (NULL for kernel threads: they act as root) and
 * filesystem user id. */
struct cred;
uint32_t current_umask(void);
const struct cred *current_cred(void);
uint32_t current_fsuid(void);

/* The largest piece a transfer moves through the bounce buffer, so the most one read or write
 * call asks of a filesystem: an ext2 read of 64 KiB is then one 64 KiB device request (16 KiB
 * pieces made each one four requests and halved ext2_read in make bench). */
#define BOUNCE_SIZE 65536
/* A bounce buffer for a transfer of count bytes: kmalloc'd (kfree), *size gets its size, the
 * piece size: count (at least 1) up to BOUNCE_SIZE, one page when memory is too fragmented for
 * more. NULL when not even a page is free. */
char *bounce_alloc(size_t count, size_t *size);
