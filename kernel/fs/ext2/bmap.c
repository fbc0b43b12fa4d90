/* ext2 block mapping: file block n is found through i_block: 12 direct pointers, then a single,
 * a double and a triple indirect block, each a block full of 32-bit block numbers (0: a hole).
 * Mapping with create allocates the missing blocks on the way, zeroed; freeing walks the same
 * tree and gives back every block past a point, indirect blocks that empty included. */
#include "ext2.h"

/* How a file block is reached: levels of indirection (0: direct), the i_block slot it starts
 * from, and the index at each indirect level, outermost first. */
struct block_path {
    unsigned levels;
    unsigned slot;
    uint32_t index[3];
};

uint64_t ext2_max_file_blocks(struct ext2_fs *fs)
{
    uint64_t apb = fs->addr_per_block;
    return EXT2_NDIR_BLOCKS + apb + apb * apb + apb * apb * apb;
}

static int find_path(struct ext2_fs *fs, uint64_t lblk, struct block_path *p)
{
    uint64_t apb = fs->addr_per_block, span = 1;
    if (lblk < EXT2_NDIR_BLOCKS) {
        *p = (struct block_path){.levels = 0, .slot = (unsigned)lblk};
        return 0;
    }
    lblk -= EXT2_NDIR_BLOCKS;
    for (unsigned levels = 1; levels <= 3; levels++) {
        span *= apb; /* file blocks under the slot at this level */
        if (lblk < span) {
            p->levels = levels;
            p->slot = EXT2_IND_BLOCK + levels - 1;
            for (unsigned i = levels; i-- > 0;) {
                p->index[i] = (uint32_t)(lblk % apb);
                lblk /= apb;
            }
            return 0;
        }
        lblk -= span;
    }
    return -EFBIG;
}

/* A zeroed block for inode, counted in its i_blocks. */
static int alloc_zeroed(struct inode *inode, uint32_t goal, uint32_t *out)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    int err = ext2_alloc_block(fs, goal, out);
    if (err)
        return err;
    struct buf *b;
    err = bcache_new(fs->cache, *out, &b);
    if (err) {
        (void)ext2_free_block(fs, *out); /* cannot fail: the block was just taken */
        return err;
    }
    bcache_put(b);
    inode->blocks += fs->block_size / 512;
    return 0;
}

/* Where the inode's blocks should go: the start of its group (near its inode table). */
static uint32_t inode_goal(struct ext2_fs *fs, struct inode *inode)
{
    uint32_t group = (uint32_t)(inode->ino - 1) / fs->es->s_inodes_per_group;
    return fs->es->s_first_data_block + group * fs->es->s_blocks_per_group;
}

int ext2_bmap(struct inode *inode, uint64_t lblk, bool create, uint32_t *out)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    struct block_path p;
    int err = find_path(fs, lblk, &p);
    if (err)
        return err;
    uint32_t *slot = &EXT2_I(inode)->block[p.slot];
    struct buf *holder = NULL; /* the indirect block slot points into, or NULL for i_block */
    uint32_t goal = inode_goal(fs, inode);
    for (unsigned level = 0;; level++) {
        if (*slot == 0) {
            if (!create) {
                *out = 0;
                break;
            }
            uint32_t blk;
            err = alloc_zeroed(inode, goal, &blk);
            if (err)
                break;
            *slot = blk;
            if (holder)
                bcache_mark_dirty(holder);
            else
                ext2_write_inode(inode);
        }
        if (*slot >= fs->es->s_blocks_count) {
            err = -EIO; /* a block number past the end: a damaged filesystem */
            break;
        }
        if (level == p.levels) {
            *out = *slot;
            break;
        }
        struct buf *next;
        goal = *slot + 1;
        err = bcache_get(fs->cache, *slot, &next);
        if (err)
            break;
        if (holder)
            bcache_put(holder);
        holder = next;
        slot = (uint32_t *)holder->data + p.index[level];
    }
    if (holder)
        bcache_put(holder);
    if (create && !err)
        ext2_write_inode(inode); /* i_blocks changed with every allocation */
    return err;
}

/* Frees what *slot points to from file block first on: a data block when level is 0, else an
 * indirect block covering apb^level file blocks from base, whose entries are freed in turn and
 * which goes itself once everything it maps is gone. The caller saves the slot's block. */
static int free_tree(struct inode *inode, uint32_t *slot, unsigned level, uint64_t base, uint64_t first)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    uint32_t blk = *slot;
    if (blk == 0)
        return 0;
    if (blk >= fs->es->s_blocks_count || blk < fs->es->s_first_data_block)
        return -EIO;
    int err = 0;
    if (level > 0) {
        uint64_t span = 1;
        for (unsigned i = 1; i < level; i++)
            span *= fs->addr_per_block;
        struct buf *b;
        err = bcache_get(fs->cache, blk, &b);
        if (err)
            return err;
        uint32_t *entries = b->data;
        for (uint32_t i = 0; i < fs->addr_per_block; i++) {
            uint64_t child_base = base + i * span;
            if (child_base + span <= first || !entries[i])
                continue;
            int e = free_tree(inode, &entries[i], level - 1, child_base, first);
            if (e && !err)
                err = e;
            bcache_mark_dirty(b);
        }
        bcache_put(b);
    }
    if (base >= first && !err) {
        err = ext2_free_block(fs, blk);
        if (!err) {
            inode->blocks -= fs->block_size / 512;
            *slot = 0;
        }
    }
    return err;
}

int ext2_free_blocks_from(struct inode *inode, uint64_t first)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    uint32_t *block = EXT2_I(inode)->block;
    int err = 0;
    for (uint64_t i = first; i < EXT2_NDIR_BLOCKS; i++) {
        int e = free_tree(inode, &block[i], 0, i, first);
        if (e && !err)
            err = e;
    }
    uint64_t base = EXT2_NDIR_BLOCKS, span = 1;
    for (unsigned level = 1; level <= 3; level++) {
        span *= fs->addr_per_block;
        if (first < base + span) {
            int e = free_tree(inode, &block[EXT2_IND_BLOCK + level - 1], level, base, first);
            if (e && !err)
                err = e;
        }
        base += span;
    }
    int e = ext2_write_inode(inode);
    return err ? err : e;
}
