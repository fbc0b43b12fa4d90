/* File-descriptor tables: each process's map from small integers to open files (struct file in
 * vfs.h), with a close-on-exec flag per descriptor; shared by reference (vfork-style clones) and
 * duplicated by fork. Also the lock that serialises the VFS for the system calls. */
#pragma once
#include <kestrel/spinlock.h>
#include <kestrel/vfs.h>

/* The default RLIMIT_NOFILE, and the most descriptors a table ever holds whatever the limit. */
#define FILES_DEFAULT_LIMIT 1024
#define FILES_HARD_MAX      65536
#define RLIMIT_NOFILE_INDEX 7 /* RLIMIT_NOFILE in struct process rlimits[] */

struct files {
    uint32_t refcount;    /* atomic: processes sharing the table */
    struct spinlock lock; /* protects size, fd[] and cloexec[]; never held while sleeping */
    int size;             /* slots in fd[] and bits in cloexec[] */
    struct file **fd;     /* each non-NULL slot holds a reference */
    uint64_t *cloexec;    /* one bit per descriptor */
};

struct files *files_create(void);
/* A new table with the same descriptors, flags and open files (fork). NULL when memory is short. */
struct files *files_fork(struct files *parent);
struct files *files_get(struct files *files);
/* Drops a reference; the last one closes every descriptor. */
void files_put(struct files *files);
/* Closes every descriptor marked close-on-exec (execve). */
void files_close_on_exec(struct files *files);

/* Installs f (consuming the caller's reference) at the lowest free descriptor >= min that is
 * below limit. Returns the descriptor, -EMFILE when none is free, -ENOMEM. */
int fd_install(struct files *files, struct file *f, int min, int limit, bool cloexec);
/* Installs f at exactly fd, closing what was there (dup2). Consumes the reference; returns fd. */
int fd_install_at(struct files *files, int fd, struct file *f, int limit, bool cloexec);
/* Whether a descriptor below limit is free now (open checks before creating anything, as Linux
 * reserves the descriptor first: a full table is EMFILE with no file created). */
bool fd_available(struct files *files, int limit);
/* The file at fd with a new reference (release it with file_put), or NULL when fd is not open. */
struct file *fd_get(struct files *files, int fd);
/* Closes fd: 0, or -EBADF when it was not open. */
int fd_close(struct files *files, int fd);
/* The close-on-exec flag: 0/1, or -EBADF. */
int fd_get_cloexec(struct files *files, int fd);
int fd_set_cloexec(struct files *files, int fd, bool on);
/* Descriptors open at or above fd's slot count: the table's size (for select's nfds checks). */
int files_size(struct files *files);

/* Drops a file reference taken with fd_get or vfs_open, under the VFS lock. */
void file_put(struct file *f);

/* The running process's table and its RLIMIT_NOFILE; NULL/default for kernel threads. */
struct files *files_current(void);
int files_limit_current(void);

/* One sleeping lock for the whole VFS: tmpfs and the path walker assume one caller at a time, and
 * threads preempt each other in the kernel. Held around every filesystem call, never while
 * copying user memory or sleeping in a pipe or device. */
void vfs_lock(void);
void vfs_unlock(void);
/* vfs_lock if nobody holds it (the caller included): for the page allocator's shrinker, which
 * may run inside code that already holds it and must never wait. */
bool vfs_trylock(void);
