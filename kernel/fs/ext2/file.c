/* ext2 regular files: reads and writes block by block through the buffer cache (holes read as
 * zeroes and get a block when written), and truncation. */
#include "ext2.h"
#include <kestrel/blkdev.h>

/* The largest file: what the triple indirect block reaches, and what i_blocks (32 bits of
 * 512-byte units) can count. */
static uint64_t max_file_size(struct ext2_fs *fs)
{
    uint64_t reach = ext2_max_file_blocks(fs) * fs->block_size;
    uint64_t countable = (0xffffffffull * 512) & ~(uint64_t)(fs->block_size - 1);
    return MIN(reach, countable);
}

/* Sequential reads of whole blocks that follow each other on the disk go to the device as one
 * request of up to READ_RUN bytes, bypassing the cache (which would take them one block, one
 * device command, at a time and evict the metadata it is there for). A block the cache holds may
 * be dirty there, so a run stops before it. */
#define READ_RUN (256 * 1024) /* the page cache's largest readahead window */

/* How many blocks from lblk (on disk at blk) form such a run, at most max. */
static uint32_t run_length(struct inode *inode, struct ext2_fs *fs, uint64_t lblk, uint32_t blk, uint32_t max)
{
    uint32_t n = 0;
    while (n < max && !bcache_contains(fs->cache, blk + n)) {
        uint32_t next;
        if (n && (ext2_bmap(inode, lblk + n, false, &next) || next != blk + n))
            break;
        n++;
    }
    return n;
}

/* Reads the run into dst through a physically contiguous buffer (the block layer's DMA needs one;
 * dst may be anywhere). Returns the bytes read, 0 when no run applies, or an error. */
static ssize_t read_run(struct inode *inode, struct ext2_fs *fs, uint64_t lblk, uint32_t blk, char *dst,
                        size_t room)
{
    uint32_t max = (uint32_t)MIN(room, (size_t)READ_RUN) / fs->block_size;
    uint32_t n = max > 1 ? run_length(inode, fs, lblk, blk, max) : 0;
    if (n < 2)
        return 0;
    size_t bytes = (size_t)n * fs->block_size;
    void *tmp = kmalloc(bytes);
    if (!tmp)
        return 0; /* the block-by-block path needs no buffer */
    uint32_t spb = fs->block_size / SECTOR_SIZE;
    int err = block_read(inode->sb->bdev, (uint64_t)blk * spb, tmp, n * spb);
    if (!err)
        memcpy(dst, tmp, bytes);
    kfree(tmp);
    return err ? err : (ssize_t)bytes;
}

ssize_t ext2_file_read(struct inode *inode, void *buf, size_t count, uint64_t pos)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    if (pos >= inode->size)
        return 0;
    count = MIN(count, inode->size - pos);
    for (size_t done = 0; done < count;) {
        uint64_t at = pos + done;
        uint32_t off = at % fs->block_size;
        size_t n = MIN(fs->block_size - off, count - done);
        uint32_t blk;
        int err = ext2_bmap(inode, at / fs->block_size, false, &blk);
        if (err)
            return done ? (ssize_t)done : err;
        ssize_t run = off == 0 && blk
                          ? read_run(inode, fs, at / fs->block_size, blk, (char *)buf + done, count - done)
                          : 0;
        if (run < 0)
            return done ? (ssize_t)done : run;
        if (run > 0) {
            done += (size_t)run;
            continue;
        }
        if (blk == 0) {
            memset((char *)buf + done, 0, n);
        } else {
            struct buf *b;
            err = bcache_get(fs->cache, blk, &b);
            if (err)
                return done ? (ssize_t)done : err;
            memcpy((char *)buf + done, (char *)b->data + off, n);
            bcache_put(b);
        }
        done += n;
    }
    return (ssize_t)count;
}

/* Files over 2 GiB need the large_file feature; the first one turns it on, as Linux does. */
static void note_large_file(struct ext2_fs *fs, uint64_t size)
{
    if (size <= 0x7fffffff || (fs->es->s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE))
        return;
    fs->es->s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
    bcache_mark_dirty(fs->super_buf);
}

ssize_t ext2_file_write(struct inode *inode, const void *buf, size_t count, uint64_t pos)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    if (inode->sb->readonly)
        return -EROFS;
    uint64_t max = max_file_size(fs);
    if (pos >= max)
        return -EFBIG;
    count = MIN(count, max - pos);
    size_t done = 0;
    int err = 0;
    while (done < count) {
        uint64_t at = pos + done;
        uint32_t off = at % fs->block_size;
        size_t n = MIN(fs->block_size - off, count - done);
        uint32_t blk;
        struct buf *b;
        err = ext2_bmap(inode, at / fs->block_size, true, &blk);
        if (!err)
            err = bcache_get(fs->cache, blk, &b);
        if (err)
            break; /* ENOSPC and friends: what was written so far stays, as on Linux */
        memcpy((char *)b->data + off, (const char *)buf + done, n);
        bcache_mark_dirty(b);
        bcache_put(b);
        done += n;
    }
    if (err) /* blocks the failed step allocated past the end (an indirect block) go back */
        ext2_free_blocks_from(inode, (MAX(inode->size, pos + done) + fs->block_size - 1) / fs->block_size);
    if (done == 0)
        return err;
    if (pos + done > inode->size) {
        inode->size = pos + done;
        note_large_file(fs, inode->size);
    }
    ext2_touch(inode, true);
    return (ssize_t)done;
}

/* Zeroes the file's last block past size, so that growing the file again reads zeroes there. */
static int zero_tail(struct inode *inode, uint64_t size)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    uint32_t off = size % fs->block_size, blk;
    if (off == 0)
        return 0;
    int err = ext2_bmap(inode, size / fs->block_size, false, &blk);
    if (err || blk == 0)
        return err;
    struct buf *b;
    err = bcache_get(fs->cache, blk, &b);
    if (err)
        return err;
    memset((char *)b->data + off, 0, fs->block_size - off);
    bcache_mark_dirty(b);
    bcache_put(b);
    return 0;
}

int ext2_truncate(struct inode *inode, uint64_t size)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    if (inode->sb->readonly)
        return -EROFS;
    if (size > max_file_size(fs))
        return -EFBIG;
    if (size < inode->size) {
        int err = zero_tail(inode, size);
        if (!err)
            err = ext2_free_blocks_from(inode, (size + fs->block_size - 1) / fs->block_size);
        if (err)
            return err;
    }
    inode->size = size; /* growing only moves the end: the new range is a hole */
    note_large_file(fs, size);
    return ext2_write_inode(inode);
}
