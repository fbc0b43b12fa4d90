/* FAT file data: a file is its cluster chain, read and written sector by sector through the
 * buffer cache. FAT has no holes, so growing a file allocates (zeroed) clusters up to its new
 * end, and shrinking frees the clusters past it. Directories use the same mapping. */
#include <kestrel/string.h>
#include <uapi/errno.h>
#include "fat.h"

static void set_clusters(struct fat_inode *fi, uint32_t clusters)
{
    struct fat_sb *fs = FAT_SB(fi->vfs.sb);
    fi->clusters = clusters;
    fi->vfs.blocks = (uint64_t)clusters * (fs->cluster_size / 512);
    if (S_ISDIR(fi->vfs.mode))
        fi->vfs.size = (uint64_t)clusters * fs->cluster_size; /* as Linux reports directories */
}

/* Appends one cluster to the chain, whose last cluster is last (0: the chain is empty). */
static int grow_chain(struct fat_inode *fi, uint32_t last, uint32_t *out)
{
    struct fat_sb *fs = FAT_SB(fi->vfs.sb);
    int err = fat_alloc_cluster(fs, last, out);
    if (err)
        return err;
    set_clusters(fi, fi->clusters + 1);
    if (last == 0) {
        fi->start = *out;
        /* The entry must name the chain before anything else is written to it. */
        err = fat_write_inode(&fi->vfs);
    }
    return err;
}

/* The cluster at index of fi's chain, walking from the cached position when it is not past it. */
static int walk_to(struct fat_inode *fi, uint32_t index, bool grow, uint32_t *out)
{
    struct fat_sb *fs = FAT_SB(fi->vfs.sb);
    if (fi->start == 0) {
        if (!grow)
            return -ENOENT;
        int err = grow_chain(fi, 0, &fi->cache_cluster);
        if (err)
            return err;
        fi->cache_index = 0;
    }
    uint32_t i = 0, c = fi->start;
    if (fi->cache_cluster && fi->cache_index <= index) {
        i = fi->cache_index;
        c = fi->cache_cluster;
    }
    while (i < index) {
        uint32_t next;
        int err = fat_get_entry(fs, c, &next);
        if (err)
            return err;
        if (next >= FAT_EOC_MIN) {
            if (!grow)
                return -ENOENT;
            err = grow_chain(fi, c, &next);
            if (err)
                return err;
        } else if (next < FAT_FIRST_CLUS || next > fs->max_cluster) {
            return -EIO;
        }
        c = next;
        i++;
    }
    fi->cache_index = i;
    fi->cache_cluster = c;
    *out = c;
    return 0;
}

int fat_bmap(struct inode *inode, uint64_t pos, bool grow, uint64_t *sector)
{
    struct fat_sb *fs = FAT_SB(inode->sb);
    uint32_t cluster;
    int err = walk_to(FAT_I(inode), (uint32_t)(pos / fs->cluster_size), grow, &cluster);
    if (err)
        return err;
    *sector = fat_cluster_sector(fs, cluster) + (pos % fs->cluster_size) / fs->sector_size;
    return 0;
}

/* Copies between buf and the file's bytes [pos, pos + count), which lie within its chain. */
static ssize_t transfer(struct inode *inode, void *buf, size_t count, uint64_t pos, bool write)
{
    struct fat_sb *fs = FAT_SB(inode->sb);
    size_t done = 0;
    while (done < count) {
        uint64_t at = pos + done;
        size_t off = at % fs->sector_size, n = MIN(fs->sector_size - off, count - done);
        uint64_t sector;
        struct buf *b;
        int err = fat_bmap(inode, at, write, &sector);
        if (!err)
            err = bcache_get(fs->bc, sector, &b);
        if (err == -ENOENT)
            err = -EIO; /* the chain is shorter than the size says: a damaged volume */
        if (err)
            return done ? (ssize_t)done : err;
        if (write) {
            memcpy((char *)b->data + off, (const char *)buf + done, n);
            bcache_mark_dirty(b);
        } else {
            memcpy((char *)buf + done, (char *)b->data + off, n);
        }
        bcache_put(b);
        done += n;
    }
    return (ssize_t)done;
}

ssize_t fat_file_read(struct inode *inode, void *buf, size_t count, uint64_t pos)
{
    if (pos >= inode->size)
        return 0;
    return transfer(inode, buf, MIN(count, inode->size - pos), pos, false);
}

/* Zeroes [from, to) of the file: the bytes between the old end and a write or truncate past it
 * (clusters allocated on the way come zeroed; the old last cluster's tail may hold old data). */
static int zero_range(struct inode *inode, uint64_t from, uint64_t to)
{
    static const char zeroes[512];
    while (from < to) {
        size_t n = MIN(sizeof(zeroes), to - from);
        ssize_t done = transfer(inode, (void *)zeroes, n, from, true);
        if (done < 0)
            return (int)done;
        from += (size_t)done;
    }
    return 0;
}

/* The file's size as FAT can store it: 32 bits. */
#define FAT_MAX_FILE_SIZE 0xffffffffull

ssize_t fat_file_write(struct inode *inode, const void *buf, size_t count, uint64_t pos)
{
    if (inode->sb->readonly)
        return -EROFS;
    if (pos >= FAT_MAX_FILE_SIZE)
        return -EFBIG;
    count = MIN(count, FAT_MAX_FILE_SIZE - pos);
    if (pos > inode->size) {
        int err = zero_range(inode, inode->size, pos);
        if (err)
            return err;
    }
    ssize_t n = transfer(inode, (void *)buf, count, pos, true);
    if (n <= 0)
        return n;
    if (pos + (uint64_t)n > inode->size)
        inode->size = pos + (uint64_t)n;
    FAT_I(inode)->attr |= FAT_ATTR_ARCH;
    fat_touch(inode);
    int err = fat_write_inode(inode);
    return err ? err : n;
}

/* Frees the clusters after the first keep ones. */
static int shrink_chain(struct fat_inode *fi, uint32_t keep)
{
    struct fat_sb *fs = FAT_SB(fi->vfs.sb);
    if (keep >= fi->clusters)
        return 0;
    fi->cache_cluster = 0; /* the cached position may be among the freed clusters */
    if (keep == 0) {
        uint32_t first = fi->start;
        fi->start = 0;
        set_clusters(fi, 0);
        /* The entry stops naming the chain before the chain is freed. */
        int err = fat_write_inode(&fi->vfs);
        return err ? err : fat_free_chain(fs, first);
    }
    uint32_t last, rest;
    int err = fat_chain_walk(fs, fi->start, keep - 1, &last);
    if (!err)
        err = fat_get_entry(fs, last, &rest);
    if (!err)
        err = fat_set_entry(fs, last, FAT_EOC);
    if (err)
        return err;
    set_clusters(fi, keep);
    return rest >= FAT_EOC_MIN ? 0 : fat_free_chain(fs, rest);
}

int fat_file_truncate(struct inode *inode, uint64_t size)
{
    struct fat_sb *fs = FAT_SB(inode->sb);
    if (inode->sb->readonly)
        return -EROFS;
    if (size > FAT_MAX_FILE_SIZE)
        return -EFBIG;
    int err = 0;
    if (size > inode->size) {
        uint64_t old = inode->size;
        err = zero_range(inode, old, size);
        if (err) {
            /* Give back what the failed growth took (ENOSPC): the file keeps its old size. */
            shrink_chain(FAT_I(inode), (uint32_t)((old + fs->cluster_size - 1) / fs->cluster_size));
            return err;
        }
    } else {
        err = shrink_chain(FAT_I(inode), (uint32_t)((size + fs->cluster_size - 1) / fs->cluster_size));
        if (err)
            return err;
    }
    inode->size = size;
    FAT_I(inode)->attr |= FAT_ATTR_ARCH;
    return fat_write_inode(inode);
}
