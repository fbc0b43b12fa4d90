/* ext2 symbolic links: a target shorter than i_block (60 bytes, NUL included) lives in i_block
 * itself (a "fast" link, no data block); a longer one, up to a block, in one data block. */
#include "ext2.h"

int ext2_symlink_store(struct inode *link, const char *target, size_t len)
{
    struct ext2_fs *fs = EXT2_FS(link->sb);
    if (len + 1 > fs->block_size)
        return -ENAMETOOLONG; /* as Linux's ext2: the NUL must fit in the block too */
    link->size = len;
    if (len <= EXT2_FAST_LINK_MAX) {
        memcpy(EXT2_I(link)->block, target, len); /* the rest of i_block is zero: the NUL */
        return ext2_write_inode(link);
    }
    uint32_t blk;
    int err = ext2_bmap(link, 0, true, &blk);
    struct buf *b;
    if (!err)
        err = bcache_get(fs->cache, blk, &b);
    if (err)
        return err;
    memcpy(b->data, target, len); /* the block came zeroed: the NUL is there */
    bcache_mark_dirty(b);
    bcache_put(b);
    return ext2_write_inode(link);
}

ssize_t ext2_readlink(struct inode *link, char *buf, size_t size)
{
    struct ext2_fs *fs = EXT2_FS(link->sb);
    size_t n = MIN(size, link->size);
    if (!ext2_has_blocks(link)) {
        n = MIN(n, sizeof(EXT2_I(link)->block));
        memcpy(buf, EXT2_I(link)->block, n);
        return (ssize_t)n;
    }
    uint32_t blk;
    int err = ext2_bmap(link, 0, false, &blk);
    if (!err && blk == 0)
        err = -EIO;
    struct buf *b;
    if (!err)
        err = bcache_get(fs->cache, blk, &b);
    if (err)
        return err;
    memcpy(buf, b->data, MIN(n, fs->block_size));
    bcache_put(b);
    return (ssize_t)MIN(n, fs->block_size);
}
