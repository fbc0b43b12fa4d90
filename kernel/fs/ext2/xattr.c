/* ext2 extended-attribute blocks, as far as Kestrel needs them: it does not read or set
 * attributes, but an inode that goes must give back its share of its attribute block (one block
 * may be shared by several inodes with the same attributes: h_refcount counts them). */
#include "ext2.h"

#define EXT2_XATTR_MAGIC 0xEA020000u

/* The start of an attribute block. */
struct ext2_xattr_header {
    uint32_t h_magic;
    uint32_t h_refcount;
};

void ext2_xattr_release(struct inode *inode)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    struct ext2_inode_info *ei = EXT2_I(inode);
    uint32_t blk = ei->file_acl;
    struct buf *b;
    if (blk == 0 || blk >= fs->es->s_blocks_count || bcache_get(fs->cache, blk, &b) != 0)
        return; /* none, or damage: leaving it is what e2fsck can repair */
    struct ext2_xattr_header *h = b->data;
    if (h->h_magic != EXT2_XATTR_MAGIC) {
        bcache_put(b);
        return;
    }
    bool last = h->h_refcount <= 1;
    if (!last) {
        h->h_refcount--;
        bcache_mark_dirty(b);
    }
    bcache_put(b);
    if (last && ext2_free_block(fs, blk) != 0)
        return;
    ei->file_acl = 0;
    inode->blocks -= fs->block_size / 512;
}
