/* ext2 inode allocation: one bitmap block per group, a bit per inode, with the free-inode and
 * directory counts of the group descriptors and the superblock kept in step. */
#include "ext2.h"

static uint32_t group_of_ino(struct ext2_fs *fs, uint32_t ino)
{
    return (ino - 1) / fs->es->s_inodes_per_group;
}

/* Directories go to the group with the most free inodes (spreading the tree, as Linux's older
 * allocator did); other inodes stay in their directory's group while it has room. */
static int pick_group(struct ext2_fs *fs, uint32_t dir_ino, bool is_dir, uint32_t *out)
{
    uint32_t best = fs->groups, best_free = 0;
    if (!is_dir && ext2_group(fs, group_of_ino(fs, dir_ino))->bg_free_inodes_count) {
        *out = group_of_ino(fs, dir_ino);
        return 0;
    }
    for (uint32_t g = 0; g < fs->groups; g++) {
        uint32_t free = ext2_group(fs, g)->bg_free_inodes_count;
        if (free > best_free) {
            best = g;
            best_free = free;
        }
    }
    if (best == fs->groups)
        return -ENOSPC;
    *out = best;
    return 0;
}

int ext2_alloc_ino(struct ext2_fs *fs, uint32_t dir_ino, bool is_dir, uint32_t *out)
{
    uint32_t group;
    int err = pick_group(fs, dir_ino, is_dir, &group);
    if (err)
        return err;
    struct ext2_group_desc *gd = ext2_group(fs, group);
    struct buf *b;
    err = bcache_get(fs->cache, gd->bg_inode_bitmap, &b);
    if (err)
        return err;
    uint8_t *map = b->data;
    uint32_t ipg = fs->es->s_inodes_per_group;
    for (uint32_t bit = 0; bit < ipg; bit++) {
        uint32_t ino = group * ipg + bit + 1;
        if ((map[bit / 8] & (1u << (bit % 8))) || ino < fs->first_ino)
            continue; /* the reserved inodes are never handed out, whatever the bitmap says */
        map[bit / 8] |= (uint8_t)(1u << (bit % 8));
        bcache_mark_dirty(b);
        bcache_put(b);
        gd->bg_free_inodes_count--;
        fs->es->s_free_inodes_count--;
        if (is_dir)
            gd->bg_used_dirs_count++;
        ext2_group_dirty(fs, group);
        *out = ino;
        return 0;
    }
    bcache_put(b);
    return -EIO; /* the descriptor counted a free inode the bitmap does not have */
}

void ext2_free_ino(struct ext2_fs *fs, uint32_t ino, bool is_dir)
{
    uint32_t group = group_of_ino(fs, ino), bit = (ino - 1) % fs->es->s_inodes_per_group;
    struct ext2_group_desc *gd = ext2_group(fs, group);
    struct buf *b;
    if (bcache_get(fs->cache, gd->bg_inode_bitmap, &b) != 0)
        return; /* an I/O error leaks the inode: e2fsck reclaims it, nothing is corrupted */
    uint8_t *byte = (uint8_t *)b->data + bit / 8;
    if (!(*byte & (1u << (bit % 8)))) {
        bcache_put(b); /* already free: a damaged bitmap, which the counts must not make worse */
        return;
    }
    *byte &= (uint8_t) ~(1u << (bit % 8));
    bcache_mark_dirty(b);
    bcache_put(b);
    gd->bg_free_inodes_count++;
    fs->es->s_free_inodes_count++;
    if (is_dir)
        gd->bg_used_dirs_count--;
    ext2_group_dirty(fs, group);
}
