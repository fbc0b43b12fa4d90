/* ext2 inode times: 32-bit signed seconds in the classic inode; in a large inode (256 bytes, with
 * i_extra_isize covering them) one more word per time holds the nanoseconds (<< 2) and two more
 * bits of seconds (past 2038), as e2fsprogs and Linux's ext4 driver write them. */
#include "ext2.h"

#define EPOCH_MASK 3u

/* What follows the classic 128 bytes in a large inode, up to the times Kestrel keeps. */
struct ext2_inode_extra {
    uint16_t i_extra_isize;
    uint16_t i_checksum_hi;
    uint32_t i_ctime_extra;
    uint32_t i_mtime_extra;
    uint32_t i_atime_extra;
};
/* i_extra_isize must reach past i_atime_extra for the extra times to be there. */
#define EXTRA_TIMES_SIZE (offsetof(struct ext2_inode_extra, i_atime_extra) + sizeof(uint32_t))

static bool has_extra_times(const struct ext2_inode_info *ei)
{
    return ei->extra_isize >= EXTRA_TIMES_SIZE;
}

static struct vfs_timespec decode(uint32_t raw, const uint32_t *extra)
{
    struct vfs_timespec ts = {.sec = (int32_t)raw, .nsec = 0};
    if (extra) {
        ts.sec += (int64_t)(*extra & EPOCH_MASK) << 32;
        ts.nsec = *extra >> 2;
    }
    return ts;
}

static uint32_t encode_extra(struct vfs_timespec ts)
{
    return (uint32_t)(((ts.sec - (int32_t)ts.sec) >> 32) & EPOCH_MASK) | (uint32_t)(ts.nsec << 2);
}

void ext2_times_from_disk(struct ext2_inode_info *ei, const struct ext2_inode *raw, const void *large)
{
    const struct ext2_inode_extra *x = large;
    ei->extra_isize = x ? x->i_extra_isize : 0;
    bool extra = has_extra_times(ei);
    ei->vfs.atime = decode(raw->i_atime, extra ? &x->i_atime_extra : NULL);
    ei->vfs.mtime = decode(raw->i_mtime, extra ? &x->i_mtime_extra : NULL);
    ei->vfs.ctime = decode(raw->i_ctime, extra ? &x->i_ctime_extra : NULL);
}

void ext2_times_to_disk(const struct ext2_inode_info *ei, struct ext2_inode *raw, void *large)
{
    raw->i_atime = (uint32_t)ei->vfs.atime.sec;
    raw->i_mtime = (uint32_t)ei->vfs.mtime.sec;
    raw->i_ctime = (uint32_t)ei->vfs.ctime.sec;
    if (!large || !has_extra_times(ei))
        return;
    struct ext2_inode_extra *x = large;
    x->i_atime_extra = encode_extra(ei->vfs.atime);
    x->i_mtime_extra = encode_extra(ei->vfs.mtime);
    x->i_ctime_extra = encode_extra(ei->vfs.ctime);
}

void ext2_trim_times(struct inode *inode)
{
    if (has_extra_times(EXT2_I(inode)))
        return;
    /* Whole seconds on disk: memory agrees, so a time does not change when the inode is reread. */
    inode->atime.nsec = inode->mtime.nsec = inode->ctime.nsec = 0;
}
