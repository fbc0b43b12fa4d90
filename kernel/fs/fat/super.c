/* FAT32 volumes: the boot sector's BIOS parameter block (geometry of the FATs and the data
 * area), the FSInfo sector (free-cluster count and allocation hint, kept exact), mount options,
 * statfs, sync and unmount, and the "vfat" filesystem type. */
#include <kestrel/blkdev.h>
#include <kestrel/dcache.h>
#include <kestrel/fat.h>
#include <kestrel/kmalloc.h>
#include <kestrel/panic.h>
#include <kestrel/string.h>
#include <uapi/errno.h>
#include <uapi/statfs.h>
#include "fat.h"

#define MS_RDONLY_FLAG 1ul /* mount(2)'s MS_RDONLY */

/* Buffer-cache size per mount, in sectors: enough for a FAT region walk and a few files. */
#define FAT_CACHE_SECTORS 2048

#define FSINFO_LEAD_SIG   0x41615252u
#define FSINFO_STRUCT_SIG 0x61417272u
#define FSINFO_TRAIL_SIG  0xaa550000u
#define FSINFO_UNKNOWN    0xffffffffu

/* Linux reports FAT_LFN_LEN characters of up to NLS_MAX_CHARSET_SIZE bytes. */
#define FAT_NAMELEN (255 * 6)

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static bool power_of_two(uint32_t v)
{
    return v && !(v & (v - 1));
}

/* Reads the BIOS parameter block of a FAT32 volume (the boot sector's first 512 bytes) into fs;
 * -EINVAL when it is not one. */
static int parse_bpb(struct fat_sb *fs, const uint8_t *bs, uint64_t device_sectors)
{
    uint32_t bps = le16(bs + 0x0b), spc = bs[0x0d], reserved = le16(bs + 0x0e), nfats = bs[0x10];
    uint32_t root_entries = le16(bs + 0x11), fat16_size = le16(bs + 0x16);
    uint32_t total = le16(bs + 0x13) ? le16(bs + 0x13) : le32(bs + 0x20);
    uint32_t fat_size = le32(bs + 0x24);
    if (le16(bs + 0x1fe) != 0xaa55 || bps < 512 || bps > 4096 || !power_of_two(bps) || !power_of_two(spc))
        return -EINVAL;
    /* FAT32 is told apart by its BPB (as Linux does): no 16-bit FAT size, no fixed root. */
    if (fat16_size != 0 || root_entries != 0 || fat_size == 0 || reserved == 0 || nfats == 0)
        return -EINVAL;
    fs->sector_size = bps;
    fs->sectors_per_clus = spc;
    fs->cluster_size = bps * spc;
    fs->fat_start = reserved;
    fs->fat_sectors = fat_size;
    fs->num_fats = nfats;
    fs->data_start = reserved + nfats * fat_size;
    if ((uint64_t)total * (bps / 512) > device_sectors || total <= fs->data_start)
        return -EINVAL;
    uint32_t clusters = (total - fs->data_start) / spc;
    /* The FAT must have an entry for every cluster (plus the two reserved ones). */
    uint32_t fat_entries = (uint32_t)((uint64_t)fat_size * bps / 4);
    if (clusters == 0 || clusters + FAT_FIRST_CLUS > fat_entries || clusters >= FAT_BAD - 1)
        return -EINVAL;
    fs->max_cluster = clusters + 1;
    fs->root_cluster = le32(bs + 0x2c);
    uint32_t fsinfo = le16(bs + 0x30);
    fs->fsinfo_sector = fsinfo > 0 && fsinfo < reserved ? fsinfo : 0;
    if (fs->root_cluster < FAT_FIRST_CLUS || fs->root_cluster > fs->max_cluster)
        return -EINVAL;
    return 0;
}

/* The allocation hint from FSInfo; the free count is recounted, since a wrong one would make
 * fsck.fat complain after our first write. */
static int read_fsinfo(struct fat_sb *fs)
{
    fs->next_free = FAT_FIRST_CLUS;
    if (fs->fsinfo_sector) {
        struct buf *b;
        int err = bcache_get(fs->bc, fs->fsinfo_sector, &b);
        if (err)
            return err;
        const uint8_t *p = b->data;
        if (le32(p) == FSINFO_LEAD_SIG && le32(p + 484) == FSINFO_STRUCT_SIG) {
            uint32_t hint = le32(p + 492);
            if (hint >= FAT_FIRST_CLUS && hint <= fs->max_cluster)
                fs->next_free = hint;
        } else {
            fs->fsinfo_sector = 0; /* not a valid FSInfo: leave that sector alone */
        }
        bcache_put(b);
    }
    return fat_count_free(fs);
}

static int write_fsinfo(struct fat_sb *fs)
{
    if (!fs->fsinfo_sector || !fs->fsinfo_dirty)
        return 0;
    struct buf *b;
    int err = bcache_get(fs->bc, fs->fsinfo_sector, &b);
    if (err)
        return err;
    uint8_t *p = b->data;
    put_le32(p + 488, fs->free_clusters);
    put_le32(p + 492, fs->next_free <= fs->max_cluster ? fs->next_free : FAT_FIRST_CLUS);
    put_le32(p + 508, FSINFO_TRAIL_SIG);
    bcache_mark_dirty(b);
    bcache_put(b);
    fs->fsinfo_dirty = false;
    return 0;
}

static int parse_number(const char *s, size_t len, uint32_t base, uint32_t *out)
{
    uint32_t v = 0;
    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        uint32_t d = (uint32_t)(s[i] - '0');
        if (d >= base || v > (UINT32_MAX - d) / base)
            return -EINVAL;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

static bool key_is(const char *s, size_t klen, const char *key)
{
    return strlen(key) == klen && memcmp(s, key, klen) == 0;
}

/* One "key=value" option: uid and gid in decimal, masks in octal (as Linux reads them). */
static int parse_option(struct fat_options *opt, const char *s, size_t len)
{
    size_t klen = 0;
    while (klen < len && s[klen] != '=')
        klen++;
    if (klen == len)
        return -EINVAL;
    const char *val = s + klen + 1;
    size_t vlen = len - klen - 1;
    uint32_t v;
    if (key_is(s, klen, "uid") || key_is(s, klen, "gid")) {
        int err = parse_number(val, vlen, 10, &v);
        if (!err)
            *(s[0] == 'u' ? &opt->uid : &opt->gid) = v;
        return err;
    }
    bool fmask = key_is(s, klen, "fmask") || key_is(s, klen, "umask");
    bool dmask = key_is(s, klen, "dmask") || key_is(s, klen, "umask");
    if (!fmask && !dmask)
        return -EINVAL; /* an option vfat does not know, or one Kestrel does not support */
    int err = parse_number(val, vlen, 8, &v);
    if (err)
        return err;
    if (fmask)
        opt->fmask = v & 0777;
    if (dmask)
        opt->dmask = v & 0777;
    return 0;
}

static int parse_options(struct fat_options *opt, const char *data)
{
    opt->uid = opt->gid = 0;
    opt->fmask = opt->dmask = 022; /* Linux's defaults come from the mounter's umask */
    while (data && *data) {
        const char *comma = strchr(data, ',');
        size_t len = comma ? (size_t)(comma - data) : strlen(data);
        if (len) {
            int err = parse_option(opt, data, len);
            if (err)
                return err;
        }
        data += len + (comma != NULL);
    }
    return 0;
}

static int fat_statfs(struct super_block *sb, struct statfs *st)
{
    struct fat_sb *fs = FAT_SB(sb);
    memset(st, 0, sizeof(*st));
    st->f_type = MSDOS_SUPER_MAGIC;
    st->f_bsize = fs->cluster_size;
    st->f_frsize = fs->cluster_size;
    st->f_blocks = fs->max_cluster - 1;
    st->f_bfree = fs->free_clusters;
    st->f_bavail = fs->free_clusters;
    st->f_namelen = FAT_NAMELEN;
    return 0;
}

static int fat_sync(struct super_block *sb)
{
    struct fat_sb *fs = FAT_SB(sb);
    int err = write_fsinfo(fs);
    int err2 = bcache_sync(fs->bc);
    return err ? err : err2;
}

static void free_fs(struct super_block *sb)
{
    struct fat_sb *fs = FAT_SB(sb);
    if (fs->bc)
        bcache_destroy(fs->bc);
    kfree(fs);
    kfree(sb);
}

static void fat_put_super(struct super_block *sb)
{
    struct fat_sb *fs = FAT_SB(sb);
    dcache_prune_sb(sb);
    /* put_super cannot fail: an I/O error here leaves the volume as the device last took it. */
    (void)write_fsinfo(fs);
    inode_put(sb->root);
    if (sb->live_inodes)
        panic("fat: unmount with %llu inode(s) still referenced", (unsigned long long)sb->live_inodes);
    free_fs(sb);
}

static const struct super_ops fat_super_ops = {
    .statfs = fat_statfs,
    .sync = fat_sync,
    .put_super = fat_put_super,
};

/* Reads and checks the boot sector, then sets up the buffer cache in the volume's sector size. */
static int load_volume(struct fat_sb *fs, struct block_device *bd)
{
    uint8_t *bs = kmalloc(SECTOR_SIZE);
    if (!bs)
        return -ENOMEM;
    int err = block_read(bd, 0, bs, 1);
    if (!err)
        err = parse_bpb(fs, bs, bd->sectors);
    kfree(bs);
    if (err)
        return err;
    fs->bc = bcache_create(bd, fs->sector_size, FAT_CACHE_SECTORS);
    if (!fs->bc)
        return -ENOMEM;
    return read_fsinfo(fs);
}

static int fat_mount(struct block_device *bd, unsigned long flags, const char *data, struct super_block **out)
{
    if (!bd)
        return -ENOTBLK;
    struct super_block *sb = kmalloc(sizeof(*sb));
    struct fat_sb *fs = kzalloc(sizeof(*fs));
    if (!sb || !fs) {
        kfree(sb);
        kfree(fs);
        return -ENOMEM;
    }
    super_init(sb);
    sb->fs_info = fs;
    sb->ops = &fat_super_ops;
    sb->type = &fat_fs_type;
    sb->bdev = bd;
    sb->dev = bd->dev;
    sb->magic = MSDOS_SUPER_MAGIC;
    sb->names_fold_case = true;
    sb->readonly = flags & MS_RDONLY_FLAG;
    int err = parse_options(&fs->opt, data);
    if (!err)
        err = load_volume(fs, bd);
    if (!err && !(sb->root = fat_root_inode(sb)))
        err = -ENOMEM;
    if (err) {
        free_fs(sb);
        return err;
    }
    *out = sb;
    return 0;
}

struct fs_type fat_fs_type = {
    .name = "vfat",
    .needs_device = true,
    .fixed_owner = true,
    .mount = fat_mount,
};

void fat_init(void)
{
    fs_type_register(&fat_fs_type);
}
