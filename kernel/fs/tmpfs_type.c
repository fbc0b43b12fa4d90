/* tmpfs and devtmpfs as filesystem types mount(2) can name. devtmpfs is a tmpfs that starts out
 * holding the device nodes (devfs_populate). Kernel only: statfs sizes tmpfs from the RAM. */
#include <kestrel/chardev.h>
#include <kestrel/mount.h>
#include <kestrel/page.h>
#include <kestrel/tmpfs.h>
#include <uapi/statfs.h>
#include "internal.h"

/* Like Linux's default size= and nr_inodes=: half the RAM, in pages and in inodes. */
static int tmpfs_statfs(struct super_block *sb, struct statfs *st)
{
    uint64_t half = pmm_total_pages() / 2, used = tmpfs_pages_used(sb);
    st->f_bsize = 4096;
    st->f_blocks = half;
    st->f_bfree = st->f_bavail = used < half ? half - used : 0;
    st->f_files = half;
    st->f_ffree = sb->live_inodes < half ? half - sb->live_inodes : 0;
    st->f_namelen = NAME_MAX;
    return 0;
}

static const struct super_ops tmpfs_super_ops = {.statfs = tmpfs_statfs, .put_super = tmpfs_unmount};

static int tmpfs_type_mount(struct block_device *bd, unsigned long flags, const char *data,
                            struct super_block **out)
{
    (void)bd, (void)flags, (void)data; /* size= and mode= options are not supported */
    int err = tmpfs_mount(out);
    if (!err) {
        (*out)->ops = &tmpfs_super_ops;
        (*out)->magic = TMPFS_MAGIC;
    }
    return err;
}

static int devtmpfs_type_mount(struct block_device *bd, unsigned long flags, const char *data,
                               struct super_block **out)
{
    int err = tmpfs_type_mount(bd, flags, data, out);
    if (err)
        return err;
    err = devfs_populate((*out)->root);
    if (err)
        tmpfs_unmount(*out);
    return err;
}

static struct fs_type tmpfs_type = {.name = "tmpfs", .mount = tmpfs_type_mount};
static struct fs_type devtmpfs_type = {.name = "devtmpfs", .mount = devtmpfs_type_mount};

static void add_pages(struct super_block *sb, void *ctx)
{
    if (sb->magic == TMPFS_MAGIC)
        *(uint64_t *)ctx += tmpfs_pages_used(sb);
}

uint64_t tmpfs_mounted_pages(void)
{
    uint64_t pages = 0;
    mount_for_each_sb(add_pages, &pages);
    return pages;
}

void tmpfs_register(void)
{
    fs_type_register(&tmpfs_type);
    fs_type_register(&devtmpfs_type);
}
