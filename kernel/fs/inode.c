/* Inode reference counting and attributes, superblock numbering, the VFS clock and root. */
#include <kestrel/pagecache.h>
#include <kestrel/panic.h>
#include "internal.h"

static void (*vfs_clock)(struct vfs_timespec *ts);
static struct inode *root_inode;
static uint32_t next_anon_minor = 1;

void vfs_set_clock(void (*now)(struct vfs_timespec *ts))
{
    vfs_clock = now;
}

void vfs_now(struct vfs_timespec *ts)
{
    ts->sec = 0;
    ts->nsec = 0;
    if (vfs_clock)
        vfs_clock(ts);
}

void vfs_set_root(struct inode *root)
{
    if (root)
        inode_get(root);
    if (root_inode)
        inode_put(root_inode);
    root_inode = root;
}

struct inode *vfs_root(void)
{
    return root_inode;
}

/* A count of 0 is fine here: tmpfs inodes live on their links alone between uses. */
struct inode *inode_get(struct inode *inode)
{
    inode->refcount++;
    return inode;
}

void inode_put(struct inode *inode)
{
    BUG_ON(inode->refcount == 0);
    if (--inode->refcount == 0) {
        BUG_ON(inode->dentries);      /* each cached name in a directory holds a reference on it */
        pagecache_evict_inode(inode); /* before the filesystem lets the inode go */
        inode->ops->release(inode);
    }
}

void super_init(struct super_block *sb)
{
    memset(sb, 0, sizeof(*sb));
    sb->dev = vfs_mkdev(0, next_anon_minor++);
    sb->next_ino = 1;
}

void inode_init(struct inode *inode, struct super_block *sb, const struct inode_ops *ops, uint32_t mode)
{
    memset(inode, 0, sizeof(*inode));
    inode->ino = sb->next_ino++;
    inode->mode = mode;
    inode->nlink = 1;
    inode->refcount = 1;
    inode->sb = sb;
    inode->ops = ops;
    vfs_now(&inode->mtime);
    inode->atime = inode->ctime = inode->mtime;
    sb->live_inodes++;
}

void inode_fill_stat(const struct inode *inode, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = inode->sb->dev;
    st->st_ino = inode->ino;
    st->st_nlink = inode->nlink;
    st->st_mode = inode->mode;
    st->st_uid = inode->uid;
    st->st_gid = inode->gid;
    st->st_rdev = inode->rdev;
    st->st_size = (int64_t)inode->size;
    st->st_blksize = 4096;
    st->st_blocks = (int64_t)inode->blocks;
    st->st_atime = (uint64_t)inode->atime.sec;
    st->st_atime_nsec = (uint64_t)inode->atime.nsec;
    st->st_mtime = (uint64_t)inode->mtime.sec;
    st->st_mtime_nsec = (uint64_t)inode->mtime.nsec;
    st->st_ctime = (uint64_t)inode->ctime.sec;
    st->st_ctime_nsec = (uint64_t)inode->ctime.nsec;
}

void inode_apply_attr(struct inode *inode, const struct iattr *attr)
{
    if (attr->valid & ATTR_MODE)
        inode->mode = (inode->mode & S_IFMT) | (attr->mode & S_IALLUGO);
    if (attr->valid & ATTR_UID)
        inode->uid = attr->uid;
    if (attr->valid & ATTR_GID)
        inode->gid = attr->gid;
    if (attr->valid & ATTR_ATIME)
        inode->atime = attr->atime;
    if (attr->valid & ATTR_MTIME)
        inode->mtime = attr->mtime;
    if (attr->valid & ATTR_CTIME)
        inode->ctime = attr->ctime;
}
