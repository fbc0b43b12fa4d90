/* The contract between the VFS and each filesystem: inodes, superblocks, and the operations table
 * a filesystem fills in. Code outside kernel/fs uses the path-level calls in vfs.h instead. */
#pragma once
#include <kestrel/types.h>
#include <uapi/errno.h>
#include <uapi/limits.h>
#include <uapi/stat.h>

struct inode;
struct inode_ops;
struct pipe;
struct pcache;
struct dentry;

struct vfs_timespec {
    int64_t sec;
    int64_t nsec;
};

struct block_device;
struct statfs;
struct super_block;

/* What a mounted filesystem does as a whole. Any member may be NULL: statfs then reports zeroes
 * (with the magic), sync does nothing. */
struct super_ops {
    /* statfs(2): fills every field but f_fsid and f_flags, which the VFS sets. */
    int (*statfs)(struct super_block *sb, struct statfs *st);
    /* Writes every dirty inode, block and the superblock itself to the device. */
    int (*sync)(struct super_block *sb);
    /* Unmount: nothing holds a reference into the filesystem any more but sb->root's own. Writes
     * everything back, drops the root and frees the superblock. Cannot fail. */
    void (*put_super)(struct super_block *sb);
};

/* A kind of filesystem mount(2) can name ("tmpfs", "ext2", "vfat", "proc", "devtmpfs"). */
struct fs_type {
    const char *name;
    bool needs_device; /* the mount source names a block device (/dev/vda1) */
    bool fixed_owner;  /* owners come from mount options (vfat): new files keep them */
    /* Builds a superblock with its root inode. bd is the device for needs_device types, else
     * NULL; flags are mount(2)'s MS_* flags; data is the option string (may be NULL). */
    int (*mount)(struct block_device *bd, unsigned long flags, const char *data, struct super_block **out);
    struct fs_type *next; /* the registry list */
};

/* The registry (kernel/fs/fstype.c): each filesystem registers its type at boot, before the first
 * mount. fs_type_find returns NULL for an unknown name; fs_type_first starts the list. */
void fs_type_register(struct fs_type *type);
struct fs_type *fs_type_find(const char *name);
struct fs_type *fs_type_first(void);

/* One mounted filesystem instance. */
struct super_block {
    uint32_t dev;         /* st_dev, in the Linux "new" dev_t encoding */
    struct inode *root;   /* a reference held for as long as the superblock lives */
    uint64_t next_ino;    /* inode numbers are never reused within one superblock */
    uint64_t live_inodes; /* allocated and not yet freed: must reach 0 at unmount */
    const struct super_ops *ops;
    const struct fs_type *type;
    struct block_device *bdev; /* the device it lives on, NULL for memory filesystems */
    unsigned long magic;       /* statfs's f_type: EXT2_SUPER_MAGIC, MSDOS_SUPER_MAGIC... */
    bool readonly;             /* mounted MS_RDONLY: writes give EROFS */
    bool fixed_names;          /* names come from the filesystem alone (procfs): creating one is ENOENT */
    /* For the dentry cache (kestrel/dcache.h). names_volatile: directory contents change without
     * the VFS (procfs: processes come and go), so no name is cached. names_fold_case: one entry
     * answers to several names (vfat: "FOO" is "foo" is "foo."), so a change to a directory
     * forgets every name cached in it rather than the one name changed. */
    bool names_volatile;
    bool names_fold_case;
    long open_files; /* open files with their inode or directory here (mount.c): in use */
    void *fs_info;   /* the filesystem's own per-mount state */
};

/* The in-memory inode. Filesystems embed it in their own inode structure (container_of).
 *
 * Lifetime: refcount counts in-memory references (open files, a path walk in progress, a
 * subdirectory's link to its parent in tmpfs, the dentry cache's entries naming the inode or
 * keyed by it); nlink counts directory entries. When the last
 * reference goes, ops->release decides what to do: a disk filesystem writes the inode back and
 * drops it from memory, tmpfs frees it only if nlink is 0 (the tree is its only storage).
 *
 * No lock yet: until threads exist the VFS runs single-threaded. Issue 5 adds a per-inode
 * sleeping lock for the fields below and a rename lock, following the order documented in
 * docs/vfs.md. */
struct inode {
    uint64_t ino;
    uint32_t mode; /* S_IFMT type bits and permission bits */
    uint32_t uid;
    uint32_t gid;
    uint32_t nlink;
    uint32_t refcount;
    uint32_t rdev;   /* device number of a character or block special file */
    uint64_t size;   /* bytes for files and symlinks */
    uint64_t blocks; /* 512-byte units of storage in use */
    struct vfs_timespec atime, mtime, ctime;
    struct super_block *sb;
    const struct inode_ops *ops;
    struct pipe *pipe;       /* a FIFO's buffer while it is open (kernel/fs/pipe.c) */
    struct pcache *pcache;   /* a regular file's cached pages, NULL when none (kestrel/pagecache.h) */
    struct dentry *dentries; /* directories: the names cached in it (kestrel/dcache.h) */
    uint32_t mmaps;          /* VMAs mapping the file (kernel/mm, atomic): a truncation unmaps their tails */
};

/* What setattr changes: a mask of ATTR_* and the new values. */
#define ATTR_MODE  (1u << 0)
#define ATTR_UID   (1u << 1)
#define ATTR_GID   (1u << 2)
#define ATTR_SIZE  (1u << 3)
#define ATTR_ATIME (1u << 4)
#define ATTR_MTIME (1u << 5)
#define ATTR_CTIME (1u << 6)

struct iattr {
    uint32_t valid;
    uint32_t mode;
    uint32_t uid;
    uint32_t gid;
    uint64_t size;
    struct vfs_timespec atime, mtime, ctime;
};

/* readdir hands each entry to this; it returns false when the caller's buffer is full, and the
 * filesystem then stops without advancing past that entry. next_pos is the position just after
 * the entry (what lseek to resume from, and getdents64's d_off). */
typedef bool (*filldir_t)(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
                          uint64_t next_pos);

/* Filesystem operations. The VFS has already checked what is filesystem-independent: the types
 * of the inodes involved, that names are at most NAME_MAX bytes and are neither "." nor "..",
 * that a name being created does not exist yet, that a directory is not moved below itself.
 * Names are not NUL-terminated. Every function returns 0 or a negative errno unless it says
 * otherwise; an inode handed back through an out pointer carries a reference. */
struct cred;
struct inode_ops {
    /* Directories. lookup must also answer ".." (the root answers with itself). */
    int (*lookup)(struct inode *dir, const char *name, size_t len, struct inode **out);
    int (*create)(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out);
    int (*mkdir)(struct inode *dir, const char *name, size_t len, uint32_t mode);
    int (*mknod)(struct inode *dir, const char *name, size_t len, uint32_t mode, uint32_t rdev);
    int (*symlink)(struct inode *dir, const char *name, size_t len, const char *target);
    int (*link)(struct inode *dir, const char *name, size_t len, struct inode *target);
    int (*unlink)(struct inode *dir, const char *name, size_t len);
    /* Fails with -ENOTEMPTY unless the directory is empty. */
    int (*rmdir)(struct inode *dir, const char *name, size_t len);
    /* Atomic: newname names either its old inode or the moved one at every moment. A directory
     * being replaced must be empty (-ENOTEMPTY). flags: RENAME_NOREPLACE, RENAME_EXCHANGE. */
    int (*rename)(struct inode *olddir, const char *oldname, size_t oldlen, struct inode *newdir,
                  const char *newname, size_t newlen, unsigned flags);
    /* Emits entries from position *pos on, "." and ".." included, updating *pos as it goes. */
    int (*readdir)(struct inode *dir, uint64_t *pos, filldir_t emit, void *ctx);

    /* Symbolic links: copies at most size bytes of the target, no NUL; returns the count. */
    ssize_t (*readlink)(struct inode *link, char *buf, size_t size);

    /* Regular files: return the byte count or a negative errno. Reads past the end return 0,
     * holes read as zeroes; writes extend the file. */
    ssize_t (*read)(struct inode *inode, void *buf, size_t count, uint64_t pos);
    ssize_t (*write)(struct inode *inode, const void *buf, size_t count, uint64_t pos);
    int (*truncate)(struct inode *inode, uint64_t size);

    /* Access checks (MAY_* in mask) for the caller c: 0 or -EACCES. NULL: the mode bits with
     * root's override (cred_permission); procfs's settings check the bits alone, as Linux's do. */
    int (*permission)(const struct inode *inode, unsigned mask, const struct cred *c);

    /* Attributes. getattr may be NULL: the VFS then fills struct stat from the inode. */
    int (*getattr)(struct inode *inode, struct stat *st);
    int (*setattr)(struct inode *inode, const struct iattr *attr);

    /* The last reference is gone (see struct inode). */
    void (*release)(struct inode *inode);
};

/* The largest file size the VFS accepts (Linux's MAX_LFS_FILESIZE on 64-bit). */
#define VFS_MAX_FILE_SIZE ((uint64_t)INT64_MAX)

/* Linux's "new" dev_t encoding, the one stat reports and mknod takes (12-bit major, 20-bit
 * minor, interleaved for compatibility with the old 8:8 form). */
static inline uint32_t vfs_mkdev(uint32_t major, uint32_t minor)
{
    return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffu) << 12);
}
static inline uint32_t vfs_major(uint32_t dev)
{
    return (dev >> 8) & 0xfff;
}
static inline uint32_t vfs_minor(uint32_t dev)
{
    return (dev & 0xff) | ((dev >> 12) & 0xfff00);
}

/* Inode references. inode_put calls ops->release when the count drops to 0. */
struct inode *inode_get(struct inode *inode);
void inode_put(struct inode *inode);
/* Sets the fields every new inode needs: one reference, a fresh number, times = now. */
void inode_init(struct inode *inode, struct super_block *sb, const struct inode_ops *ops, uint32_t mode);
/* Fills st from the inode fields alone: the default when a filesystem has no getattr. */
void inode_fill_stat(const struct inode *inode, struct stat *st);
/* Applies the non-size fields of attr to the inode (the default part of every setattr). */
void inode_apply_attr(struct inode *inode, const struct iattr *attr);

/* Superblocks get an anonymous device number (major 0) so st_dev tells filesystems apart. */
void super_init(struct super_block *sb);

/* Permission checks (kernel/fs/permission.c). The VFS asks vfs_cred() who is calling; the kernel
 * installs a source giving the current process's credentials, and NULL (no source, a kernel
 * thread) means root. mask is MAY_READ, MAY_WRITE, MAY_EXEC or a combination: 0 or -EACCES. */
#define MAY_EXEC  1u
#define MAY_WRITE 2u
#define MAY_READ  4u
void vfs_set_cred_source(const struct cred *(*source)(void));
const struct cred *vfs_cred(void);
/* Makes the checks use c instead (access(2) checks with the real ids) until the previous value,
 * which it returns, is put back. The caller holds the VFS lock throughout. */
const struct cred *vfs_override_cred(const struct cred *c);
int vfs_permission(const struct inode *inode, unsigned mask);

/* The wall clock for inode times. Until someone installs one, times read as 0 (the epoch). */
void vfs_set_clock(void (*now)(struct vfs_timespec *ts));
void vfs_now(struct vfs_timespec *ts);
/* The kernel's real-time clock in that form: what boot installs with vfs_set_clock. */
void vfs_realtime_clock(struct vfs_timespec *ts);
