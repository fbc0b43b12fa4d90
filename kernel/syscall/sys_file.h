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
