/* The mount table: which filesystem covers which directory. Mounts are keyed by the mountpoint
 * inode; the path walk (namei.c) crosses into a mounted root going down and back to the mountpoint
 * going up through "..". Everything here runs under the VFS lock (vfs_lock), which is what
 * protects the table: mount(2), umount2(2), the path walk and /proc/mounts all hold it. */
#pragma once
#include <kestrel/fs.h>

/* mount(2) flags (Linux values). */
#define MS_RDONLY      1ul
#define MS_NOSUID      2ul
#define MS_NODEV       4ul
#define MS_NOEXEC      8ul
#define MS_SYNCHRONOUS 16ul
#define MS_REMOUNT     32ul
#define MS_MANDLOCK    64ul
#define MS_DIRSYNC     128ul
#define MS_NOATIME     1024ul
#define MS_NODIRATIME  2048ul
#define MS_BIND        4096ul
#define MS_MOVE        8192ul
#define MS_REC         16384ul
#define MS_SILENT      32768ul
#define MS_RELATIME    (1ul << 21)
#define MS_MGC_VAL     0xC0ED0000ul /* the old magic in the high bits: ignored */
#define MS_MGC_MSK     0xffff0000ul
/* The per-mount flags MS_REMOUNT may change. */
#define MS_MNT_FLAGS   (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME)

/* umount2(2) flags. */
#define MNT_FORCE       1
#define MNT_DETACH      2
#define MNT_EXPIRE      4
#define UMOUNT_NOFOLLOW 8

#define MOUNT_SOURCE_MAX 64

struct mount {
    struct super_block *sb;
    struct inode *mountpoint; /* a reference to the covered directory; NULL for the root mount */
    unsigned long flags;      /* the MS_MNT_FLAGS part of mount(2)'s flags */
    char source[MOUNT_SOURCE_MAX];
    long open_files;    /* open files with their inode or directory in sb: umount is EBUSY */
    struct mount *next; /* in mount order: /proc/mounts lists them so */
};

/* Records sb as the filesystem of the namespace root ("/"), source as /proc/mounts names it,
 * replacing an earlier root; NULL removes the record (tests unmount that way). */
int mount_set_root(struct super_block *sb, const char *source, unsigned long flags);
/* Mounts sb over the directory mountpoint (the mount takes its own reference). */
int mount_add(struct super_block *sb, struct inode *mountpoint, const char *source, unsigned long flags);
/* The mount whose filesystem root is root (NULL when root is not the root of a mount). */
struct mount *mount_of_root(const struct inode *root);
/* Going down: the root of what is mounted on inode (stacked mounts followed to the top), or inode
 * itself. Consumes the reference to inode and returns one to the result. */
struct inode *mount_cross_down(struct inode *inode);
/* Going up: from the root of a mounted filesystem to the directory it covers (repeatedly, for
 * stacked mounts); any other inode comes back as it is. Borrowed pointers, no references. */
struct inode *mount_cross_up(struct inode *dir);
/* Open files pin the filesystems of their inode and of the directory they were opened in:
 * vfs_open counts each new file (delta 1), its release uncounts it (delta -1). */
struct file;
void mount_count_file(const struct file *f, int delta);
/* Removes the mount whose root is root: -EINVAL when it is no mount or the namespace root,
 * -EBUSY when something is mounted inside it, a file in it is open (anywhere: a descriptor, a
 * mapping, an executable) or busy(sb) says it is in use. On success the mount is gone and its
 * superblock is the caller's to release (mount_release_sb). */
int mount_remove(struct inode *root, bool (*busy)(struct super_block *sb));
/* Frees a superblock no mount uses any more: super_ops->put_super. */
void mount_release_sb(struct super_block *sb);
/* The first mount (the root's, once set) for walking the table with ->next. */
struct mount *mount_first(void);
/* The absolute path of directory dir as seen from root (crossing mounts), written at the end of
 * buf; *start receives its first byte. -ENOENT when dir was removed, -ENAMETOOLONG. When dir is
 * not below root (a chroot), the path is the one from the top of dir's tree. */
int vfs_dir_path(struct inode *root, struct inode *dir, char *buf, size_t size, char **start);

/* Writes back a filesystem's cached pages, then its blocks and inodes (super_ops->sync): what
 * syncfs(2) does, and fsync(2) too (no finer dirty tracking exists). The caller holds the VFS lock. */
int super_sync(struct super_block *sb);
/* Syncs every mounted filesystem (super_sync); the caller holds the VFS lock. */
void mount_sync_all(void);
/* Starts the thread that calls mount_sync_all every 5 seconds (kernel/fs/writeback.c). */
void writeback_start(void);
