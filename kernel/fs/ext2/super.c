/* ext2 mounting: the superblock and group descriptors are checked and kept in the buffer cache
 * (held for the whole mount, changed in place), statfs, sync and unmount. */
#include <kestrel/blkdev.h>
#include <kestrel/dcache.h>
#include <uapi/statfs.h>
#include "ext2.h"

#define MS_RDONLY         1
/* The buffer cache's bound per mount: 1 MiB of 1 KiB blocks, 4 MiB of 4 KiB ones. */
#define EXT2_CACHE_BLOCKS 1024

static const struct super_ops ext2_super_ops;

struct ext2_group_desc *ext2_group(struct ext2_fs *fs, uint32_t group)
{
    BUG_ON(group >= fs->groups);
    uint32_t per_block = fs->block_size / sizeof(struct ext2_group_desc);
    return (struct ext2_group_desc *)fs->gdt_bufs[group / per_block]->data + group % per_block;
}

void ext2_group_dirty(struct ext2_fs *fs, uint32_t group)
{
    uint32_t per_block = fs->block_size / sizeof(struct ext2_group_desc);
    bcache_mark_dirty(fs->gdt_bufs[group / per_block]);
    bcache_mark_dirty(fs->super_buf);
}

static bool is_power_of(uint32_t n, uint32_t base)
{
    while (n > 1 && n % base == 0)
        n /= base;
    return n == 1;
}

/* Whether group holds a copy of the superblock and descriptors: every group, or with
 * sparse_super only 0, 1 and the powers of 3, 5 and 7. */
static bool group_has_super(struct ext2_fs *fs, uint32_t group)
{
    if (group <= 1 || !(fs->es->s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER))
        return true;
    return is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
}

/* What the superblock promises that the rest of the code relies on. */
static int check_super(const struct ext2_super_block *es, uint64_t device_bytes)
{
    if (es->s_magic != EXT2_MAGIC || es->s_rev_level > EXT2_DYNAMIC_REV || es->s_log_block_size > 2)
        return -EINVAL;
    uint32_t bs = 1024u << es->s_log_block_size;
    if (es->s_blocks_per_group == 0 || es->s_blocks_per_group > 8 * bs || es->s_inodes_per_group == 0 ||
        es->s_inodes_per_group > 8 * bs || es->s_first_data_block >= es->s_blocks_count ||
        es->s_first_data_block != (bs == 1024 ? 1u : 0u))
        return -EINVAL;
    if ((uint64_t)es->s_blocks_count * bs > device_bytes)
        return -EINVAL;
    if (es->s_rev_level == EXT2_DYNAMIC_REV) {
        uint32_t isz = es->s_inode_size;
        if (isz < EXT2_GOOD_OLD_ISIZE || isz > bs || (isz & (isz - 1)) || es->s_first_ino < 11)
            return -EINVAL;
        if (es->s_feature_incompat & ~EXT2_INCOMPAT_SUPPORTED)
            return -EINVAL;
    }
    return 0;
}

static int check_groups(struct ext2_fs *fs)
{
    uint32_t itable_blocks = fs->es->s_inodes_per_group * fs->inode_size / fs->block_size;
    for (uint32_t g = 0; g < fs->groups; g++) {
        struct ext2_group_desc *gd = ext2_group(fs, g);
        if (gd->bg_block_bitmap >= fs->es->s_blocks_count || gd->bg_inode_bitmap >= fs->es->s_blocks_count ||
            gd->bg_inode_table + itable_blocks > fs->es->s_blocks_count)
            return -EINVAL;
    }
    return 0;
}

static int read_group_descs(struct ext2_fs *fs)
{
    fs->gdt_blocks = (fs->groups * sizeof(struct ext2_group_desc) + fs->block_size - 1) / fs->block_size;
    fs->gdt_bufs = kzalloc(fs->gdt_blocks * sizeof(struct buf *));
    if (!fs->gdt_bufs)
        return -ENOMEM;
    for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
        int err = bcache_get(fs->cache, fs->es->s_first_data_block + 1 + i, &fs->gdt_bufs[i]);
        if (err)
            return err;
    }
    return check_groups(fs);
}

/* Drops what load_fs took, in reverse. */
static void unload_fs(struct ext2_fs *fs)
{
    if (fs->gdt_bufs) {
        for (uint32_t i = 0; i < fs->gdt_blocks; i++)
            if (fs->gdt_bufs[i])
                bcache_put(fs->gdt_bufs[i]);
        kfree(fs->gdt_bufs);
    }
    if (fs->super_buf)
        bcache_put(fs->super_buf);
    if (fs->cache)
        bcache_destroy(fs->cache);
    kfree(fs);
}

/* Reads and checks the superblock and the group descriptors. */
static int load_fs(struct block_device *bd, struct ext2_fs **out)
{
    struct ext2_super_block *raw = kmalloc(sizeof(*raw));
    if (!raw)
        return -ENOMEM;
    int err = block_read(bd, EXT2_SUPER_OFFSET / SECTOR_SIZE, raw, sizeof(*raw) / SECTOR_SIZE);
    if (!err)
        err = check_super(raw, bd->sectors * SECTOR_SIZE);
    uint32_t bs = 1024u << raw->s_log_block_size;
    kfree(raw);
    if (err)
        return err;
    struct ext2_fs *fs = kzalloc(sizeof(*fs));
    if (!fs)
        return -ENOMEM;
    fs->block_size = bs;
    fs->addr_per_block = bs / 4;
    fs->cache = bcache_create(bd, bs, EXT2_CACHE_BLOCKS);
    err = fs->cache ? bcache_get(fs->cache, EXT2_SUPER_OFFSET / bs, &fs->super_buf) : -ENOMEM;
    if (err) {
        unload_fs(fs);
        return err;
    }
    struct ext2_super_block *es = (void *)((char *)fs->super_buf->data + EXT2_SUPER_OFFSET % bs);
    fs->es = es;
    bool dynamic = es->s_rev_level == EXT2_DYNAMIC_REV;
    fs->inode_size = dynamic ? es->s_inode_size : EXT2_GOOD_OLD_ISIZE;
    fs->first_ino = dynamic ? es->s_first_ino : 11;
    fs->groups =
        (es->s_blocks_count - es->s_first_data_block + es->s_blocks_per_group - 1) / es->s_blocks_per_group;
    if ((uint64_t)fs->groups * es->s_inodes_per_group != es->s_inodes_count)
        err = -EINVAL;
    if (!err)
        err = read_group_descs(fs);
    if (err) {
        unload_fs(fs);
        return err;
    }
    *out = fs;
    return 0;
}

/* A read-write mount marks the filesystem not clean until put_super, so a crash leaves a mark
 * that e2fsck sees (as Linux does). */
static void mark_mounted(struct ext2_fs *fs)
{
    struct vfs_timespec now;
    vfs_now(&now);
    fs->es->s_state &= (uint16_t)~EXT2_VALID_FS;
    fs->es->s_mnt_count++;
    fs->es->s_mtime = (uint32_t)now.sec;
    bcache_mark_dirty(fs->super_buf);
}

static int ext2_mount(struct block_device *bd, unsigned long flags, const char *data,
                      struct super_block **out)
{
    (void)data;
    if (!bd)
        return -ENOTBLK;
    struct ext2_fs *fs;
    int err = load_fs(bd, &fs);
    if (err)
        return err;
    struct super_block *sb = kmalloc(sizeof(*sb));
    if (!sb) {
        unload_fs(fs);
        return -ENOMEM;
    }
    super_init(sb);
    sb->dev = bd->dev;
    sb->ops = &ext2_super_ops;
    sb->type = &ext2_fs_type;
    sb->bdev = bd;
    sb->magic = EXT2_SUPER_MAGIC;
    sb->fs_info = fs;
    /* Unknown read-only-compatible features: reading is safe, writing could break them. */
    sb->readonly = (flags & MS_RDONLY) || (fs->es->s_rev_level == EXT2_DYNAMIC_REV &&
                                           (fs->es->s_feature_ro_compat & ~EXT2_RO_COMPAT_SUPPORTED));
    fs->sb = sb;
    err = ext2_iget(fs, EXT2_ROOT_INO, &sb->root);
    if (!err && !S_ISDIR(sb->root->mode)) {
        inode_put(sb->root);
        err = -EINVAL;
    }
    if (err) {
        unload_fs(fs);
        kfree(sb);
        return err;
    }
    if (!sb->readonly)
        mark_mounted(fs);
    *out = sb;
    return 0;
}

/* The metadata Linux's ext2 statfs leaves out of f_blocks: superblock and descriptor copies,
 * bitmaps and inode tables (the blocks reserved for growing the descriptors count as used). */
static uint64_t overhead_blocks(struct ext2_fs *fs)
{
    uint32_t itable_blocks = fs->es->s_inodes_per_group * fs->inode_size / fs->block_size;
    uint64_t n = fs->es->s_first_data_block;
    for (uint32_t g = 0; g < fs->groups; g++)
        n += 2 + itable_blocks + (group_has_super(fs, g) ? 1 + fs->gdt_blocks : 0);
    return n;
}

static int ext2_statfs(struct super_block *sb, struct statfs *st)
{
    struct ext2_fs *fs = EXT2_FS(sb);
    struct ext2_super_block *es = fs->es;
    memset(st, 0, sizeof(*st));
    st->f_type = EXT2_SUPER_MAGIC;
    st->f_bsize = fs->block_size;
    st->f_frsize = fs->block_size;
    st->f_blocks = es->s_blocks_count - overhead_blocks(fs);
    st->f_bfree = es->s_free_blocks_count;
    st->f_bavail =
        es->s_free_blocks_count > es->s_r_blocks_count ? es->s_free_blocks_count - es->s_r_blocks_count : 0;
    st->f_files = es->s_inodes_count;
    st->f_ffree = es->s_free_inodes_count;
    st->f_namelen = NAME_MAX;
    return 0;
}

static int ext2_sync(struct super_block *sb)
{
    struct ext2_fs *fs = EXT2_FS(sb);
    if (sb->readonly)
        return 0;
    int err = ext2_write_all_inodes(fs);
    struct vfs_timespec now;
    vfs_now(&now);
    fs->es->s_wtime = (uint32_t)now.sec;
    bcache_mark_dirty(fs->super_buf);
    int serr = bcache_sync(fs->cache);
    return err ? err : serr;
}

static void ext2_put_super(struct super_block *sb)
{
    struct ext2_fs *fs = EXT2_FS(sb);
    dcache_prune_sb(sb);
    inode_put(sb->root);
    if (sb->live_inodes)
        panic("ext2: unmount with %llu inode(s) still referenced", (unsigned long long)sb->live_inodes);
    if (!sb->readonly) {
        fs->es->s_state |= EXT2_VALID_FS;
        ext2_sync(sb);
    }
    unload_fs(fs);
    kfree(sb);
}

static const struct super_ops ext2_super_ops = {
    .statfs = ext2_statfs,
    .sync = ext2_sync,
    .put_super = ext2_put_super,
};

struct fs_type ext2_fs_type = {
    .name = "ext2",
    .needs_device = true,
    .mount = ext2_mount,
};

void ext2_init(void)
{
    fs_type_register(&ext2_fs_type);
}
