/* KTAP tests of ext2 in the running kernel: a 1 MiB disk in memory behind the real block layer
 * (its queue, its buffer checks), formatted here with the smallest valid ext2 (one group, as
 * mke2fs lays it out), then files and directories through the VFS on the kernel's allocators,
 * a remount, and every block and inode given back. The host tests (tests/host/test_ext2.c) check
 * the format itself against e2fsck; this checks that the same code works inside Kestrel. */
#include <kestrel/blkdev.h>
#include <kestrel/ktest.h>
#include <kestrel/vfs.h>
#include <uapi/statfs.h>
#include "ext2.h"

#define DISK_BLOCKS  1024 /* of 1 KiB */
#define INODES       128
#define BLOCK_BITMAP 3
#define INODE_BITMAP 4
#define INODE_TABLE  5 /* 128 inodes of 128 bytes: blocks 5 to 20 */
#define ROOT_DIR     21
#define FIRST_FREE   22

static int ram_submit(struct block_device *disk, bool write, uint64_t sector, void *buf, uint32_t count)
{
    uint8_t *at = (uint8_t *)disk->driver + sector * SECTOR_SIZE;
    memcpy(write ? at : buf, write ? buf : at, (size_t)count * SECTOR_SIZE);
    return 0;
}

static const struct block_ops ram_ops = {.submit = ram_submit};

static void *block_at(uint8_t *disk, uint32_t block)
{
    return disk + (size_t)block * 1024;
}

static void set_bits(uint8_t *map, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        map[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* Blocks 1 to 21 and inodes 1 to 10 in use; the root directory holds "." and "..". */
static void format(uint8_t *disk)
{
    struct ext2_super_block *es = block_at(disk, 1);
    *es = (struct ext2_super_block){.s_inodes_count = INODES,
                                    .s_blocks_count = DISK_BLOCKS,
                                    .s_free_blocks_count = DISK_BLOCKS - FIRST_FREE,
                                    .s_free_inodes_count = INODES - 10,
                                    .s_first_data_block = 1,
                                    .s_blocks_per_group = 8192,
                                    .s_frags_per_group = 8192,
                                    .s_inodes_per_group = INODES,
                                    .s_magic = EXT2_MAGIC,
                                    .s_state = EXT2_VALID_FS,
                                    .s_rev_level = EXT2_DYNAMIC_REV,
                                    .s_first_ino = 11,
                                    .s_inode_size = 128,
                                    .s_feature_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE,
                                    .s_feature_ro_compat = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER |
                                                           EXT2_FEATURE_RO_COMPAT_LARGE_FILE};
    struct ext2_group_desc *gd = block_at(disk, 2);
    *gd = (struct ext2_group_desc){.bg_block_bitmap = BLOCK_BITMAP,
                                   .bg_inode_bitmap = INODE_BITMAP,
                                   .bg_inode_table = INODE_TABLE,
                                   .bg_free_blocks_count = DISK_BLOCKS - FIRST_FREE,
                                   .bg_free_inodes_count = INODES - 10,
                                   .bg_used_dirs_count = 1};
    set_bits(block_at(disk, BLOCK_BITMAP), FIRST_FREE - 1); /* bit 0 is block 1 */
    set_bits(block_at(disk, INODE_BITMAP), 10);
    struct ext2_inode *root = (struct ext2_inode *)block_at(disk, INODE_TABLE) + 1;
    *root = (struct ext2_inode){.i_mode = S_IFDIR | 0755, .i_size = 1024, .i_links_count = 2, .i_blocks = 2};
    root->i_block[0] = ROOT_DIR;
    struct ext2_dir_entry *dot = block_at(disk, ROOT_DIR);
    *dot = (struct ext2_dir_entry){.inode = 2, .rec_len = 12, .name_len = 1, .file_type = EXT2_FT_DIR};
    dot->name[0] = '.';
    struct ext2_dir_entry *dotdot = (void *)((uint8_t *)dot + 12);
    *dotdot = (struct ext2_dir_entry){.inode = 2, .rec_len = 1012, .name_len = 2, .file_type = EXT2_FT_DIR};
    memcpy(dotdot->name, "..", 2);
}

static struct block_device *ram_disk(void)
{
    static struct block_device bd; /* registered for good: the block layer has no unregister */
    if (bd.driver)
        return &bd;
    uint8_t *data = kzalloc(DISK_BLOCKS * 1024);
    if (!data)
        return NULL;
    format(data);
    strlcpy(bd.name, "ext2test", sizeof(bd.name));
    bd.sectors = DISK_BLOCKS * 2;
    bd.ops = &ram_ops;
    bd.driver = data;
    return block_register_disk(&bd) == 0 ? &bd : NULL;
}

static void counts(struct super_block *sb, uint64_t *blocks, uint64_t *inodes)
{
    struct statfs st;
    sb->ops->statfs(sb, &st);
    *blocks = st.f_bfree;
    *inodes = st.f_ffree;
}

static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 7 + i / 1024);
}

/* A file of size bytes of pattern, written in pieces of piece bytes. */
static int write_file(struct inode *dir, const char *path, size_t size, size_t piece)
{
    struct file *f;
    int err = vfs_open(dir, path, O_WRONLY | O_CREAT | O_EXCL, 0644, &f);
    if (err)
        return err;
    uint8_t *buf = kmalloc(piece);
    for (size_t done = 0; buf && done < size && !err;) {
        size_t n = MIN(piece, size - done);
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(done + i);
        err = vfs_write(f, buf, n) == (ssize_t)n ? 0 : -EIO;
        done += n;
    }
    kfree(buf);
    vfs_close(f);
    return buf ? err : -ENOMEM;
}

static bool file_has_pattern(struct inode *dir, const char *path, size_t size)
{
    struct file *f;
    if (vfs_open(dir, path, O_RDONLY, 0, &f))
        return false;
    uint8_t *buf = kmalloc(4096);
    bool ok = buf != NULL;
    size_t done = 0;
    ssize_t n;
    while (ok && (n = vfs_read(f, buf, 4096)) > 0) {
        for (ssize_t i = 0; i < n && ok; i++)
            ok = buf[i] == pattern(done + (size_t)i);
        done += (size_t)n;
    }
    kfree(buf);
    vfs_close(f);
    return ok && done == size;
}

static void ext2_files_on_a_ram_disk(struct ktest *t)
{
    struct block_device *bd = ram_disk();
    KTEST_ASSERT(t, bd != NULL);
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, ext2_fs_type.mount(bd, 0, NULL, &sb), 0);
    uint64_t blocks0, inodes0, blocks, inodes;
    counts(sb, &blocks0, &inodes0);
    KTEST_EXPECT_EQ(t, blocks0, DISK_BLOCKS - FIRST_FREE);
    KTEST_EXPECT_EQ(t, inodes0, INODES - 10);
    struct inode *r = sb->root;
    KTEST_EXPECT_EQ(t, vfs_mkdir(r, "d", 0755), 0);
    /* 300 KiB: past the 12 direct and 256 single-indirect blocks, so a double-indirect one too. */
    KTEST_EXPECT_EQ(t, write_file(r, "d/big", 300 * 1024, 3000), 0);
    KTEST_EXPECT_EQ(t, vfs_symlink("e/big", r, "link"), 0); /* dangles until the rename */
    KTEST_EXPECT_EQ(t, vfs_link(r, "d/big", r, "hard", 0), 0);
    KTEST_EXPECT_EQ(t, vfs_rename(r, "d", r, "e", 0), 0);
    KTEST_EXPECT(t, file_has_pattern(r, "link", 300 * 1024));
    sb->ops->put_super(sb);

    KTEST_ASSERT_EQ(t, ext2_fs_type.mount(bd, 0, NULL, &sb), 0);
    r = sb->root;
    KTEST_EXPECT(t, file_has_pattern(r, "e/big", 300 * 1024));
    struct stat st;
    KTEST_EXPECT_EQ(t, vfs_stat(r, "hard", &st), 0);
    KTEST_EXPECT_EQ(t, st.st_nlink, 2);
    KTEST_EXPECT_EQ(t, st.st_blocks, (300 + 1 + 2) * 2); /* data, single, double and its one child */
    counts(sb, &blocks, &inodes);
    KTEST_EXPECT_EQ(t, blocks, blocks0 - 303 - 1); /* and e's directory block */
    KTEST_EXPECT_EQ(t, inodes, inodes0 - 3);       /* e, big, link */
    KTEST_EXPECT_EQ(t, vfs_unlink(r, "e/big"), 0);
    KTEST_EXPECT_EQ(t, vfs_unlink(r, "hard"), 0);
    KTEST_EXPECT_EQ(t, vfs_unlink(r, "link"), 0);
    /* A name cached in e (a negative entry) must not keep the removed directory's inode. */
    KTEST_EXPECT_EQ(t, vfs_stat(r, "e/nothing", &st), -ENOENT);
    KTEST_EXPECT_EQ(t, vfs_rmdir(r, "e"), 0);
    counts(sb, &blocks, &inodes);
    KTEST_EXPECT_EQ(t, blocks, blocks0);
    KTEST_EXPECT_EQ(t, inodes, inodes0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "..", &st), 0);
    KTEST_EXPECT_EQ(t, st.st_nlink, 2);
    sb->ops->put_super(sb);
}

KTEST_SUITE(ext2, KTEST_CASE(ext2_files_on_a_ram_disk));
