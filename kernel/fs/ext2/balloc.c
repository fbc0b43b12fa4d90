/* ext2 block allocation: one bitmap block per group, a bit per block; the group descriptors and
 * the superblock keep the free counts, which change together with the bits. */
#include "ext2.h"

/* The first clear bit at or after start and below n, wrapping around to 0; -1 if none. */
static long find_clear_bit(const uint8_t *map, uint32_t n, uint32_t start)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t bit = (start + i) % n;
        if (map[bit / 8] == 0xff) { /* skip a full byte at once */
            i += 7 - bit % 8;
            continue;
        }
        if (!(map[bit / 8] & (1u << (bit % 8))))
            return bit;
    }
    return -1;
}

/* Blocks in group: the last group may be shorter. */
static uint32_t blocks_in_group(struct ext2_fs *fs, uint32_t group)
{
    struct ext2_super_block *es = fs->es;
    uint32_t first = es->s_first_data_block + group * es->s_blocks_per_group;
    return MIN(es->s_blocks_per_group, es->s_blocks_count - first);
}

/* Takes a free block of group, preferring start (an index in the group) and what follows. */
static int alloc_in_group(struct ext2_fs *fs, uint32_t group, uint32_t start, uint32_t *out)
{
    struct ext2_group_desc *gd = ext2_group(fs, group);
    struct buf *b;
    int err = bcache_get(fs->cache, gd->bg_block_bitmap, &b);
    if (err)
        return err;
    uint32_t n = blocks_in_group(fs, group);
    long bit = find_clear_bit(b->data, n, start < n ? start : 0);
    if (bit < 0) {
        /* The descriptor said there was room: the counts and the bitmap disagree. */
        bcache_put(b);
        return -EIO;
    }
    ((uint8_t *)b->data)[bit / 8] |= (uint8_t)(1u << (bit % 8));
    bcache_mark_dirty(b);
    bcache_put(b);
    gd->bg_free_blocks_count--;
    fs->es->s_free_blocks_count--;
    ext2_group_dirty(fs, group);
    *out = fs->es->s_first_data_block + group * fs->es->s_blocks_per_group + (uint32_t)bit;
    return 0;
}

int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
    struct ext2_super_block *es = fs->es;
    if (es->s_free_blocks_count == 0)
        return -ENOSPC;
    if (goal < es->s_first_data_block || goal >= es->s_blocks_count)
        goal = es->s_first_data_block;
    uint32_t first_group = (goal - es->s_first_data_block) / es->s_blocks_per_group;
    uint32_t start = (goal - es->s_first_data_block) % es->s_blocks_per_group;
    for (uint32_t i = 0; i < fs->groups; i++) {
        uint32_t g = (first_group + i) % fs->groups;
        if (ext2_group(fs, g)->bg_free_blocks_count == 0)
            continue;
        return alloc_in_group(fs, g, i == 0 ? start : 0, out);
    }
    return -ENOSPC;
}

int ext2_free_block(struct ext2_fs *fs, uint32_t block)
{
    struct ext2_super_block *es = fs->es;
    if (block < es->s_first_data_block || block >= es->s_blocks_count)
        return -EIO;
    uint32_t group = (block - es->s_first_data_block) / es->s_blocks_per_group;
    uint32_t bit = (block - es->s_first_data_block) % es->s_blocks_per_group;
    struct ext2_group_desc *gd = ext2_group(fs, group);
    struct buf *b;
    int err = bcache_get(fs->cache, gd->bg_block_bitmap, &b);
    if (err)
        return err; /* the block leaks: e2fsck reclaims it, nothing is corrupted */
    uint8_t *byte = (uint8_t *)b->data + bit / 8;
    if (!(*byte & (1u << (bit % 8)))) {
        bcache_put(b);
        return -EIO;
    }
    *byte &= (uint8_t) ~(1u << (bit % 8));
    bcache_mark_dirty(b);
    bcache_put(b);
    /* A cached copy is now garbage: writing it back would only cost time. */
    bcache_forget(fs->cache, block);
    gd->bg_free_blocks_count++;
    es->s_free_blocks_count++;
    ext2_group_dirty(fs, group);
    return 0;
}
