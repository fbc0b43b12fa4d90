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
#define MS_UNBINDABLE  (1ul << 17)
#define MS_PRIVATE     (1ul << 18)
#define MS_SLAVE       (1ul << 19)
#define MS_SHARED      (1ul << 20)
#define MS_PROPAGATION (MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED)
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

/* One place a tree is seen. A filesystem's first mount shows its root; a bind mount shows a
 * directory (or a file) of a filesystem already mounted, so several mounts may share one
 * superblock, which lives until the last of them is gone and nothing in it is in use. */
struct mount {
    struct super_block *sb;
    struct inode *root;       /* a reference: what the mount shows (sb->root, or what was bound) */
    struct inode *mountpoint; /* a reference to what it covers; NULL for the namespace root */
    /* For a file mount (a file bound onto a file): the directories holding root and mountpoint,
     * as references. Files do not know their names, their directories do. */
    struct inode *root_dir, *mountpoint_dir;
    struct mount *parent; /* the mount its mountpoint was found in; NULL for the namespace root */
    int id;               /* /proc/[pid]/mountinfo's mount id: never reused */
    unsigned long flags;  /* the MS_MNT_FLAGS part of mount(2)'s flags */
    bool expiry_mark;     /* umount2(MNT_EXPIRE) asked once, and no path walked into it since */
    char source[MOUNT_SOURCE_MAX];
    struct mount *next; /* in mount order: /proc/mounts lists them so */
};

/* What keeps a filesystem in use besides its open files: a process's cwd or root in it. */
typedef bool (*mount_busy_fn)(struct super_block *sb);

/* Records sb as the filesystem of the namespace root ("/"), source as /proc/mounts names it,
 * replacing an earlier root; NULL removes the record (tests unmount that way). */
int mount_set_root(struct super_block *sb, const char *source, unsigned long flags);
/* Mounts sb over the directory mountpoint (the mount takes its own reference). Here and for
 * binds and moves, a mountpoint in no mount of the namespace (a detached tree) is -ENOENT. */
int mount_add(struct super_block *sb, struct inode *mountpoint, const char *source, unsigned long flags);
/* MS_BIND: shows src at mountpoint too; both directories or both not (-ENOTDIR), src seen in
 * the namespace (-EINVAL). src_dir and
 * mountpoint_dir are the directories holding them when they are files (else NULL). The source
 * and flags come from the mount src is seen in. */
int mount_bind(struct inode *src, struct inode *src_dir, struct inode *mountpoint,
               struct inode *mountpoint_dir);
/* MS_MOVE: moves the mount at at (see mount_at), and everything mounted below it, onto
 * mountpoint. -EINVAL when there is none, it is the namespace root or the kinds differ; -ELOOP
 * when mountpoint lies inside the moved tree. */
int mount_move(struct inode *at, struct inode *mountpoint, struct inode *mountpoint_dir);
/* The top mount whose root is root (NULL when root is not the root of a mount). */
struct mount *mount_of_root(const struct inode *root);
/* The mount a path names, given what it names before crossing (vfs_lookup_mountpoint): the top
 * of the mounts on at, or, when nothing is mounted on at and at is a filesystem's root ("/",
 * "mnt/."), the top mount whose root it is. NULL when at is no mount point. */
struct mount *mount_at(const struct inode *at);
/* Going down: the root of what is mounted on inode (stacked mounts followed to the top), or inode
 * itself. Consumes the reference to inode and returns one to the result. */
struct inode *mount_cross_down(struct inode *inode);
/* Going up: from the root of a mount to what it covers (repeatedly, for stacked mounts); any
 * other inode comes back as it is. Borrowed pointers, no references. */
struct inode *mount_cross_up(struct inode *dir);
/* Open files pin the filesystems of their inode and of the directory they were opened in:
 * vfs_open counts each new file (delta 1), its release uncounts it (delta -1). */
struct file;
void mount_count_file(const struct file *f, int delta);
/* umount2(2) on the mount at at (mount_at; the reference is consumed: it is dropped before a
 * filesystem is released). -EINVAL when there is none, or MNT_EXPIRE comes with
 * MNT_DETACH or MNT_FORCE or for the namespace root; -EBUSY for the namespace root, and unless
 * MNT_DETACH when something is mounted below it or its filesystem is in use (a file open in it
 * or busy(sb)) and this is its last mount; -EAGAIN the first time MNT_EXPIRE asks. MNT_DETACH
 * takes the mount and those below it out of the namespace at once; a filesystem whose last mount
 * went is released now or, while in use, by mount_reap when its last user goes. */
int mount_umount(struct inode *at, int flags, mount_busy_fn busy);
/* Releases the filesystems detached by MNT_DETACH that nothing uses any more. Called after a
 * file, a cwd or a root is let go; cheap when nothing is detached. VFS lock held. */
void mount_reap(void);
/* Frees a superblock no mount uses any more: super_ops->put_super. */
void mount_release_sb(struct super_block *sb);
/* The first mount (the root's, once set) for walking the namespace with ->next. */
struct mount *mount_first(void);
/* Calls fn once for every superblock that is mounted or detached and still in use. */
void mount_for_each_sb(void (*fn)(struct super_block *sb, void *ctx), void *ctx);
/* The absolute path of directory dir as seen from root (crossing mounts), written at the end of
 * buf; *start receives its first byte. -ENOENT when dir was removed, -ENAMETOOLONG. When dir is
 * not below root (a chroot), the path is the one from the top of dir's tree. */
int vfs_dir_path(struct inode *root, struct inode *dir, char *buf, size_t size, char **start);
/* The path of m's mountpoint as seen from root, like vfs_dir_path ("/" for the namespace root);
 * -ENOENT when root (a chroot) does not contain it, as Linux leaves such mounts out. */
int mount_point_path(const struct mount *m, struct inode *root, char *buf, size_t size, char **start);
/* The path of m's root inside its own filesystem ("/" for a whole filesystem, the bound directory
 * or file for a bind mount): mountinfo's fourth field. */
int mount_root_path(const struct mount *m, char *buf, size_t size, char **start);

/* Writes back a filesystem's cached pages, then its blocks and inodes (super_ops->sync): what
 * syncfs(2) does, and fsync(2) too (no finer dirty tracking exists). The caller holds the VFS lock. */
int super_sync(struct super_block *sb);
/* Syncs every mounted filesystem (super_sync); the caller holds the VFS lock. */
void mount_sync_all(void);
/* Starts the thread that calls mount_sync_all every 5 seconds (kernel/fs/writeback.c). */
void writeback_start(void);
