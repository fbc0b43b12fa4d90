/* KTAP tests of FAT32 in the running kernel: a volume formatted here on a RAM disk registered with
 * the block layer, so every sector goes through block_read/block_write, the request queue and the
 * kernel's allocators. Files with long names, directories, rename, unlink, a full disk, a remount,
 * both FAT copies identical, and every page given back at unmount. (The host tests check the
 * format against mkfs.fat, fsck.fat and mtools.) */
#include <kestrel/blkdev.h>
#include <kestrel/fat.h>
#include <kestrel/kmalloc.h>
#include <kestrel/ktest.h>
#include <kestrel/page.h>
#include <kestrel/string.h>
#include <kestrel/vfs.h>
#include <uapi/dirent.h>
#include <uapi/statfs.h>

#define DISK_SECTORS 4096 /* 2 MiB */
#define RESERVED     32
#define FAT_SECTORS  32 /* 4096 entries: enough for the 4000 clusters left */
#define DATA_START   (RESERVED + 2 * FAT_SECTORS)
#define CLUSTERS     (DISK_SECTORS - DATA_START)

struct ram_disk {
    struct block_device bd;
    uint8_t *data;
};

static int ram_submit(struct block_device *disk, bool write, uint64_t sector, void *buf, uint32_t count)
{
    uint8_t *at = ((struct ram_disk *)disk->driver)->data + sector * SECTOR_SIZE;
    if (write)
        memcpy(at, buf, (size_t)count * SECTOR_SIZE);
    else
        memcpy(buf, at, (size_t)count * SECTOR_SIZE);
    return 0;
}

static const struct block_ops ram_ops = {.submit = ram_submit};

static void put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* What mkfs.fat -F 32 -s 1 would write: BPB, FSInfo, both FATs with the root's chain. */
static void format(uint8_t *d)
{
    memset(d, 0, DISK_SECTORS * SECTOR_SIZE);
    d[0] = 0xeb, d[1] = 0x58, d[2] = 0x90;
    memcpy(d + 3, "KESTREL ", 8);
    put16(d + 0x0b, SECTOR_SIZE);
    d[0x0d] = 1;
    put16(d + 0x0e, RESERVED);
    d[0x10] = 2;
    d[0x15] = 0xf8;
    put32(d + 0x20, DISK_SECTORS);
    put32(d + 0x24, FAT_SECTORS);
    put32(d + 0x2c, 2); /* the root directory's cluster */
    put16(d + 0x30, 1); /* FSInfo */
    d[0x42] = 0x29;
    memcpy(d + 0x52, "FAT32   ", 8);
    d[510] = 0x55, d[511] = 0xaa;
    uint8_t *info = d + SECTOR_SIZE;
    put32(info, 0x41615252);
    put32(info + 484, 0x61417272);
    put32(info + 488, 0xffffffff); /* free count unknown: the mount counts */
    put32(info + 492, 3);
    put32(info + 508, 0xaa550000);
    for (int copy = 0; copy < 2; copy++) {
        uint8_t *fat = d + (RESERVED + copy * FAT_SECTORS) * SECTOR_SIZE;
        put32(fat, 0x0ffffff8);
        put32(fat + 4, 0x0fffffff);
        put32(fat + 8, 0x0fffffff); /* the root: one cluster */
    }
}

/* The RAM disk, registered once (the registry never shrinks) and reformatted by each test. */
static struct ram_disk *disk(void)
{
    static struct ram_disk *rd;
    if (rd)
        return rd;
    struct ram_disk *r = kzalloc(sizeof(*r));
    uint8_t *data = kmalloc(DISK_SECTORS * SECTOR_SIZE);
    if (!r || !data) {
        kfree(r);
        kfree(data);
        return NULL;
    }
    r->data = data;
    format(data);
    strlcpy(r->bd.name, "ktfat0", sizeof(r->bd.name));
    r->bd.dev = vfs_mkdev(241, 0);
    r->bd.sectors = DISK_SECTORS;
    r->bd.ops = &ram_ops;
    r->bd.driver = r;
    if (block_register_disk(&r->bd)) {
        kfree(data);
        kfree(r);
        return NULL;
    }
    rd = r;
    return rd;
}

static bool fats_identical(const uint8_t *d)
{
    return memcmp(d + RESERVED * SECTOR_SIZE, d + (RESERVED + FAT_SECTORS) * SECTOR_SIZE,
                  FAT_SECTORS * SECTOR_SIZE) == 0;
}

static int put_file(struct inode *dir, const char *path, const void *data, size_t len)
{
    struct file *f;
    int err = vfs_open(dir, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
    if (err)
        return err;
    ssize_t n = vfs_write(f, data, len);
    vfs_close(f);
    return n == (ssize_t)len ? 0 : n < 0 ? (int)n : -ENOSPC;
}

static bool file_holds(struct inode *dir, const char *path, const uint8_t *want, size_t len)
{
    struct file *f;
    if (vfs_open(dir, path, O_RDONLY, 0, &f))
        return false;
    uint8_t *buf = kmalloc(len + 1);
    ssize_t n = buf ? vfs_read(f, buf, len + 1) : -ENOMEM;
    vfs_close(f);
    bool ok = n == (ssize_t)len && memcmp(buf, want, len) == 0;
    kfree(buf);
    return ok;
}

/* Whether getdents64 on dir lists name. */
static bool lists(struct inode *dir, const char *path, const char *name)
{
    struct file *f;
    if (vfs_open(dir, path, O_RDONLY | O_DIRECTORY, 0, &f))
        return false;
    char *buf = kmalloc(1024);
    bool found = false;
    ssize_t n;
    while (buf && !found && (n = vfs_getdents64(f, buf, 1024)) > 0) {
        for (ssize_t off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            found |= strcmp(d->d_name, name) == 0;
        }
    }
    kfree(buf);
    vfs_close(f);
    return found;
}

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

static void fat_files_on_a_ram_disk(struct ktest *t)
{
    struct ram_disk *rd = disk();
    KTEST_ASSERT(t, rd != NULL);
    format(rd->data);
    enum { SIZE = 20000 }; /* 40 clusters */
    uint8_t *data = kmalloc(SIZE);
    KTEST_ASSERT(t, data != NULL);
    fill(data, SIZE, 1);
    size_t before = pmm_free_pages();
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, fat_fs_type.mount(&rd->bd, 0, NULL, &sb), 0);
    struct inode *root = sb->root;
    KTEST_EXPECT_EQ(t, vfs_mkdir(root, "A Directory With A Long Name", 0755), 0);
    KTEST_EXPECT_EQ(t, put_file(root, "A Directory With A Long Name/a file with a long name.bin", data, SIZE),
                    0);
    KTEST_EXPECT_EQ(t, put_file(root, "SHORT.TXT", "short", 5), 0);
    KTEST_EXPECT_EQ(t, put_file(root, "gone soon", "x", 1), 0);
    KTEST_EXPECT_EQ(
        t, vfs_rename(root, "SHORT.TXT", root, "A Directory With A Long Name/Renamed Short.txt", 0), 0);
    KTEST_EXPECT_EQ(t, vfs_unlink(root, "gone soon"), 0);
    struct statfs st;
    KTEST_EXPECT_EQ(t, sb->ops->statfs(sb, &st), 0);
    /* Root 1, directory 1, file 40, renamed file 1. */
    KTEST_EXPECT_EQ(t, st.f_bfree, CLUSTERS - 43);
    KTEST_EXPECT_EQ(t, st.f_type, 0x4d44);
    sb->ops->put_super(sb);
    KTEST_EXPECT(t, fats_identical(rd->data));

    KTEST_ASSERT_EQ(t, fat_fs_type.mount(&rd->bd, 0, NULL, &sb), 0);
    root = sb->root;
    KTEST_EXPECT(t, file_holds(root, "a directory with a long name/A FILE WITH A LONG NAME.BIN", data, SIZE));
    KTEST_EXPECT(
        t, file_holds(root, "A Directory With A Long Name/Renamed Short.txt", (const uint8_t *)"short", 5));
    KTEST_EXPECT(t, lists(root, "A Directory With A Long Name", "a file with a long name.bin"));
    KTEST_EXPECT(t, !lists(root, ".", "gone soon"));
    KTEST_EXPECT_EQ(t, sb->ops->statfs(sb, &st), 0);
    KTEST_EXPECT_EQ(t, st.f_bfree, CLUSTERS - 43);
    sb->ops->put_super(sb);
    KTEST_EXPECT(t, pmm_free_pages() + 16 >= before);
    kfree(data);
}

static void fat_full_ram_disk_gives_enospc(struct ktest *t)
{
    struct ram_disk *rd = disk();
    KTEST_ASSERT(t, rd != NULL);
    format(rd->data);
    enum { CHUNK = 4096 };
    uint8_t *chunk = kmalloc(CHUNK);
    KTEST_ASSERT(t, chunk != NULL);
    fill(chunk, CHUNK, 2);
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, fat_fs_type.mount(&rd->bd, 0, NULL, &sb), 0);
    struct file *f;
    KTEST_ASSERT_EQ(t, vfs_open(sb->root, "filling the disk", O_WRONLY | O_CREAT, 0644, &f), 0);
    ssize_t n;
    uint64_t written = 0;
    while ((n = vfs_write(f, chunk, CHUNK)) > 0)
        written += (uint64_t)n;
    vfs_close(f);
    KTEST_EXPECT_EQ(t, n, -ENOSPC);
    KTEST_EXPECT_EQ(t, written, (uint64_t)(CLUSTERS - 1) * SECTOR_SIZE); /* all but the root's */
    struct statfs st;
    KTEST_EXPECT_EQ(t, sb->ops->statfs(sb, &st), 0);
    KTEST_EXPECT_EQ(t, st.f_bfree, 0);
    KTEST_EXPECT_EQ(t, vfs_mkdir(sb->root, "no room", 0755), -ENOSPC); /* a directory needs a cluster */
    KTEST_EXPECT_EQ(t, vfs_unlink(sb->root, "filling the disk"), 0);
    KTEST_EXPECT_EQ(t, sb->ops->statfs(sb, &st), 0);
    KTEST_EXPECT_EQ(t, st.f_bfree, CLUSTERS - 1);
    sb->ops->put_super(sb);
    KTEST_EXPECT(t, fats_identical(rd->data));
    kfree(chunk);
}

/* vfat answers to any case and ignores trailing dots: whatever name a change goes through, the
 * dentry cache must not keep another spelling's old answer (a negative entry or a removed file). */
static void fat_case_insensitive_names_stay_exact(struct ktest *t)
{
    struct ram_disk *rd = disk();
    KTEST_ASSERT(t, rd != NULL);
    format(rd->data);
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, fat_fs_type.mount(&rd->bd, 0, NULL, &sb), 0);
    struct inode *r = sb->root;
    struct stat st;
    KTEST_EXPECT_EQ(t, vfs_stat(r, "Notes.txt", &st), -ENOENT);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "NOTES.TXT", &st), -ENOENT);
    KTEST_EXPECT_EQ(t, put_file(r, "notes.txt", "notes", 5), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "Notes.txt", &st), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "NOTES.TXT", &st), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "notes.txt.", &st), 0);
    KTEST_EXPECT_EQ(t, vfs_mkdir(r, "NOTES.TXT", 0755), -EEXIST);
    KTEST_EXPECT_EQ(t, vfs_unlink(r, "NoTeS.TxT"), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "Notes.txt", &st), -ENOENT);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "notes.txt.", &st), -ENOENT);
    /* The removed file's cluster is free again: no cached spelling kept its inode alive. */
    struct statfs sf;
    KTEST_EXPECT_EQ(t, sb->ops->statfs(sb, &sf), 0);
    KTEST_EXPECT_EQ(t, sf.f_bfree, CLUSTERS - 1);

    KTEST_EXPECT_EQ(t, vfs_mkdir(r, "Dir", 0755), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "DIR/x", &st), -ENOENT);
    KTEST_EXPECT_EQ(t, put_file(r, "dir/X", "x", 1), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "DIR/x", &st), 0);
    KTEST_EXPECT_EQ(t, vfs_rename(r, "dIR", r, "Other", 0), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "dir", &st), -ENOENT);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "OTHER/x", &st), 0);
    KTEST_EXPECT_EQ(t, vfs_rename(r, "other/X", r, "Y", 0), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "OTHER/x", &st), -ENOENT);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "y", &st), 0);
    KTEST_EXPECT_EQ(t, vfs_rmdir(r, "oThEr"), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "Other", &st), -ENOENT);
    KTEST_EXPECT_EQ(t, vfs_mkdir(r, "other", 0755), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "OTHER/X", &st), -ENOENT);
    sb->ops->put_super(sb);
}

KTEST_SUITE(fat, KTEST_CASE(fat_files_on_a_ram_disk), KTEST_CASE(fat_full_ram_disk_gives_enospc),
            KTEST_CASE(fat_case_insensitive_names_stay_exact));
