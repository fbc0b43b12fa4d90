/* FAT inodes: FAT has none on disk, so an inode is built from a file's short directory entry and
 * numbered by that entry's position (as Linux does), and an in-memory cache keyed by the position
 * keeps one inode per file while it is in use. Attributes map to Linux's vfat defaults: owner and
 * group from the mount options, mode 0777 less fmask/dmask, the read-only attribute clearing the
 * write bits, times at FAT's resolution. Changes are written through to the entry at once. */
#include <kestrel/kmalloc.h>
#include <kestrel/string.h>
#include <uapi/errno.h>
#include "fat.h"

static struct fat_inode **bucket(struct fat_sb *fs, uint64_t ipos)
{
    return &fs->icache[ipos % FAT_ICACHE_BUCKETS];
}

static struct fat_inode *icache_find(struct fat_sb *fs, uint64_t ipos)
{
    for (struct fat_inode *fi = *bucket(fs, ipos); fi; fi = fi->hash_next)
        if (fi->ipos == ipos)
            return fi;
    return NULL;
}

static void icache_remove(struct fat_sb *fs, struct fat_inode *fi)
{
    struct fat_inode **link = bucket(fs, fi->ipos);
    while (*link != fi)
        link = &(*link)->hash_next;
    *link = fi->hash_next;
}

void fat_rehash(struct fat_inode *fi, uint64_t ipos)
{
    struct fat_sb *fs = FAT_SB(fi->vfs.sb);
    if (fi->ipos)
        icache_remove(fs, fi);
    fi->ipos = ipos;
    if (ipos) {
        fi->vfs.ino = ipos;
        fi->hash_next = *bucket(fs, ipos);
        *bucket(fs, ipos) = fi;
    }
}

static uint32_t fat_make_mode(struct fat_sb *fs, uint8_t attr)
{
    if (attr & FAT_ATTR_DIR)
        return S_IFDIR | (0777 & ~fs->opt.dmask);
    uint32_t mode = S_IFREG | (0777 & ~fs->opt.fmask);
    if (attr & FAT_ATTR_RO)
        mode &= ~0222u;
    return mode;
}

/* FAT keeps the modification time to 2 seconds and the access time to the day. */
static void round_time(struct vfs_timespec *ts, bool day_only)
{
    uint16_t date, time;
    fat_time_from_vfs(ts, &date, &time, NULL);
    fat_time_to_vfs(date, day_only ? 0 : time, 0, ts);
}

void fat_touch(struct inode *inode)
{
    vfs_now(&inode->mtime);
    round_time(&inode->mtime, false);
    inode->ctime = inode->mtime;
}

static struct fat_inode *alloc_inode(struct super_block *sb, uint8_t attr, uint32_t start)
{
    struct fat_sb *fs = FAT_SB(sb);
    struct fat_inode *fi = kzalloc(sizeof(*fi));
    if (!fi)
        return NULL;
    const struct inode_ops *ops = attr & FAT_ATTR_DIR ? &fat_dir_ops : &fat_file_ops;
    inode_init(&fi->vfs, sb, ops, fat_make_mode(fs, attr));
    fi->vfs.uid = fs->opt.uid;
    fi->vfs.gid = fs->opt.gid;
    fi->attr = attr;
    fi->start = start;
    return fi;
}

static void free_inode(struct fat_inode *fi)
{
    fi->vfs.sb->live_inodes--;
    kfree(fi);
}

/* A directory's size, blocks and link count (2 + its subdirectories, as on Linux). */
static int load_dir(struct fat_inode *fi)
{
    struct fat_sb *fs = FAT_SB(fi->vfs.sb);
    uint32_t clusters, subdirs;
    int err = fat_chain_length(fs, fi->start, &clusters);
    if (err)
        return err;
    fi->clusters = clusters;
    fi->vfs.size = (uint64_t)clusters * fs->cluster_size;
    fi->vfs.blocks = (uint64_t)clusters * (fs->cluster_size / 512);
    err = fat_dir_subdirs(&fi->vfs, &subdirs);
    fi->vfs.nlink = 2 + subdirs;
    return err;
}

int fat_iget(struct super_block *sb, const struct fat_slot *slot, struct inode *parent, struct inode **out)
{
    struct fat_sb *fs = FAT_SB(sb);
    struct fat_inode *fi = icache_find(fs, slot->ipos);
    if (fi) {
        *out = inode_get(&fi->vfs);
        return 0;
    }
    const struct fat_dirent *de = &slot->de;
    fi = alloc_inode(sb, de->attr, fat_dirent_start(de));
    if (!fi)
        return -ENOMEM;
    fat_time_to_vfs(de->date, de->time, 0, &fi->vfs.mtime);
    fi->vfs.ctime = fi->vfs.mtime;
    fat_time_to_vfs(de->adate, 0, 0, &fi->vfs.atime);
    int err = 0;
    if (de->attr & FAT_ATTR_DIR) {
        err = load_dir(fi);
        fi->parent = inode_get(parent);
    } else {
        fi->vfs.size = de->size;
        fi->clusters = (uint32_t)((de->size + fs->cluster_size - 1) / fs->cluster_size);
        fi->vfs.blocks = (uint64_t)fi->clusters * (fs->cluster_size / 512);
    }
    if (err) {
        if (fi->parent)
            inode_put(fi->parent);
        free_inode(fi);
        return err;
    }
    fat_rehash(fi, slot->ipos);
    *out = &fi->vfs;
    return 0;
}

struct inode *fat_root_inode(struct super_block *sb)
{
    struct fat_sb *fs = FAT_SB(sb);
    struct fat_inode *fi = alloc_inode(sb, FAT_ATTR_DIR, fs->root_cluster);
    if (!fi)
        return NULL;
    fi->vfs.ino = FAT_ROOT_INO;
    fi->parent = &fi->vfs; /* ".." of the root is the root; not a counted reference */
    fi->vfs.mtime = fi->vfs.atime = fi->vfs.ctime = (struct vfs_timespec){0, 0};
    if (load_dir(fi)) {
        free_inode(fi);
        return NULL;
    }
    return &fi->vfs;
}

static void fill_dirent(struct inode *inode, struct fat_dirent *de)
{
    struct fat_inode *fi = FAT_I(inode);
    de->attr = fi->attr;
    de->size = S_ISDIR(inode->mode) ? 0 : (uint32_t)inode->size;
    fat_dirent_set_start(de, fi->start);
    /* Through locals: the packed entry's fields may not be addressed. */
    uint16_t date, time, adate, atime;
    fat_time_from_vfs(&inode->mtime, &date, &time, NULL);
    fat_time_from_vfs(&inode->atime, &adate, &atime, NULL);
    de->date = date;
    de->time = time;
    de->adate = adate;
}

int fat_write_inode(struct inode *inode)
{
    struct fat_inode *fi = FAT_I(inode);
    if (fi->ipos == 0)
        return 0; /* the root has no entry; an unlinked file has none any more */
    struct buf *b;
    struct fat_dirent *de;
    int err = fat_dirent_get(FAT_SB(inode->sb), fi->ipos, &b, &de);
    if (err)
        return err;
    fill_dirent(inode, de);
    bcache_mark_dirty(b);
    bcache_put(b);
    return 0;
}

int fat_getattr(struct inode *inode, struct stat *st)
{
    inode_fill_stat(inode, st);
    st->st_blksize = FAT_SB(inode->sb)->cluster_size; /* Linux reports the cluster size */
    return 0;
}

/* Linux's rule for chmod on vfat: the read and execute bits cannot change (FAT cannot store
 * them), and the write bits go all or nothing, as the read-only attribute, which only files can
 * hold by default. Returns the permission bits to keep, or -EPERM. */
static int sanitize_mode(struct inode *inode, uint32_t mode)
{
    struct fat_sb *fs = FAT_SB(inode->sb);
    uint32_t mask = S_ISDIR(inode->mode) ? fs->opt.dmask : fs->opt.fmask;
    uint32_t perm = mode & 0777 & ~mask;
    if ((perm & 0555) != (inode->mode & 0555))
        return -EPERM;
    uint32_t all_w = 0222 & ~mask;
    bool can_hold_ro = !S_ISDIR(inode->mode) && all_w;
    if (can_hold_ro ? (perm & 0222) && (perm & 0222) != all_w : (perm & 0222) != all_w)
        return -EPERM;
    return (int)perm;
}

/* The checks of a setattr, before anything changes. */
static int setattr_check(struct inode *inode, const struct iattr *attr, int *perm)
{
    struct fat_sb *fs = FAT_SB(inode->sb);
    if (inode->sb->readonly)
        return -EROFS;
    if ((attr->valid & ATTR_UID) && attr->uid != fs->opt.uid)
        return -EPERM;
    if ((attr->valid & ATTR_GID) && attr->gid != fs->opt.gid)
        return -EPERM;
    if (attr->valid & ATTR_MODE) {
        *perm = sanitize_mode(inode, attr->mode);
        if (*perm < 0)
            return *perm;
    }
    return 0;
}

int fat_setattr(struct inode *inode, const struct iattr *attr)
{
    struct fat_inode *fi = FAT_I(inode);
    int perm = 0;
    int err = setattr_check(inode, attr, &perm);
    if (err)
        return err;
    if (attr->valid & ATTR_SIZE) {
        err = fat_file_truncate(inode, attr->size);
        if (err)
            return err;
    }
    if ((attr->valid & ATTR_MODE) && !S_ISDIR(inode->mode)) {
        if (perm & 0222)
            fi->attr &= (uint8_t)~FAT_ATTR_RO;
        else
            fi->attr |= FAT_ATTR_RO;
        inode->mode = fat_make_mode(FAT_SB(inode->sb), fi->attr);
    }
    if (attr->valid & ATTR_MTIME) {
        inode->mtime = attr->mtime;
        round_time(&inode->mtime, false);
    }
    if (attr->valid & ATTR_ATIME) {
        inode->atime = attr->atime;
        round_time(&inode->atime, true);
    }
    if (attr->valid & ATTR_CTIME) {
        inode->ctime = attr->ctime;
        round_time(&inode->ctime, false);
    }
    return fat_write_inode(inode);
}

void fat_release(struct inode *inode)
{
    struct fat_inode *fi = FAT_I(inode);
    struct fat_sb *fs = FAT_SB(inode->sb);
    /* Release cannot fail: if freeing the chain of a removed file meets an I/O error, its
     * clusters stay allocated, lost until fsck.fat reclaims them. */
    if (inode->nlink == 0 && fi->start)
        (void)fat_free_chain(fs, fi->start);
    if (fi->ipos)
        icache_remove(fs, fi);
    struct inode *parent = fi->parent;
    free_inode(fi);
    if (parent && parent != inode)
        inode_put(parent);
}
