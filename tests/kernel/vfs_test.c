/* KTAP tests of the VFS in the running kernel: a private tmpfs (reached by relative paths, so the
 * namespace root is left alone), files through the real kmalloc and page allocator, rename,
 * unlink, getdents64, an initramfs unpack, and every page given back at unmount. */
#include <kestrel/clock.h>
#include <kestrel/format.h>
#include <kestrel/initramfs.h>
#include <kestrel/ktest.h>
#include <kestrel/page.h>
#include <kestrel/string.h>
#include <kestrel/tmpfs.h>
#include <kestrel/vfs.h>

static int put_file(struct inode *dir, const char *path, const void *data, size_t len)
{
    struct file *f;
    int err = vfs_open(dir, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
    if (err)
        return err;
    ssize_t n = vfs_write(f, data, len);
    vfs_close(f);
    return n == (ssize_t)len ? 0 : n < 0 ? (int)n : -EIO;
}

static bool file_is(struct inode *dir, const char *path, const char *want)
{
    struct file *f;
    char buf[64];
    if (vfs_open(dir, path, O_RDONLY, 0, &f))
        return false;
    ssize_t n = vfs_read(f, buf, sizeof(buf) - 1);
    vfs_close(f);
    if (n < 0)
        return false;
    buf[n] = 0;
    return strcmp(buf, want) == 0;
}

static void vfs_tmpfs_files_and_dirs(struct ktest *t)
{
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, tmpfs_mount(&sb), 0);
    struct inode *r = sb->root;
    KTEST_EXPECT_EQ(t, vfs_mkdir(r, "etc", 0755), 0);
    KTEST_EXPECT_EQ(t, put_file(r, "etc/motd", "welcome\n", 8), 0);
    KTEST_EXPECT(t, file_is(r, "etc/motd", "welcome\n"));
    KTEST_EXPECT(t, file_is(r, "./etc/../etc//motd", "welcome\n"));
    KTEST_EXPECT_EQ(t, vfs_symlink("etc/motd", r, "motd"), 0);
    KTEST_EXPECT(t, file_is(r, "motd", "welcome\n"));
    struct stat st;
    KTEST_EXPECT_EQ(t, vfs_stat(r, "etc/motd", &st), 0);
    KTEST_EXPECT_EQ(t, st.st_size, 8);
    KTEST_EXPECT_EQ(t, st.st_mode, S_IFREG | 0644);
    KTEST_EXPECT_EQ(t, vfs_rename(r, "etc/motd", r, "etc/issue", 0), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "motd", &st), -ENOENT); /* the link now dangles */
    KTEST_EXPECT_EQ(t, put_file(r, "etc/issue2", "two", 3), 0);
    KTEST_EXPECT_EQ(t, vfs_rename(r, "etc/issue2", r, "etc/issue", 0), 0);
    KTEST_EXPECT(t, file_is(r, "etc/issue", "two"));
    KTEST_EXPECT_EQ(t, vfs_rmdir(r, "etc"), -ENOTEMPTY);
    KTEST_EXPECT_EQ(t, vfs_unlink(r, "etc/issue"), 0);
    KTEST_EXPECT_EQ(t, vfs_unlink(r, "motd"), 0);
    KTEST_EXPECT_EQ(t, vfs_rmdir(r, "etc"), 0);
    KTEST_EXPECT_EQ(t, vfs_stat(r, "etc", &st), -ENOENT);
    tmpfs_unmount(sb);
}

static void vfs_tmpfs_getdents64(struct ktest *t)
{
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, tmpfs_mount(&sb), 0);
    struct inode *r = sb->root;
    KTEST_EXPECT_EQ(t, vfs_mkdir(r, "bin", 0755), 0);
    KTEST_EXPECT_EQ(t, put_file(r, "init", "", 0), 0);
    KTEST_EXPECT_EQ(t, vfs_symlink("bin", r, "sbin"), 0);
    struct file *f;
    KTEST_ASSERT_EQ(t, vfs_open(r, ".", O_RDONLY | O_DIRECTORY, 0, &f), 0);
    static char buf[512];
    ssize_t n = vfs_getdents64(f, buf, sizeof(buf));
    char names[128] = "";
    size_t used = 0;
    for (ssize_t off = 0; off < n;) {
        struct linux_dirent64 d;
        memcpy(&d, buf + off, sizeof(d));
        KTEST_EXPECT_EQ(t, d.d_reclen % 8, 0);
        used += ksnprintf(names + used, sizeof(names) - used, "%s/%u ", buf + off + 19, d.d_type);
        off += d.d_reclen;
    }
    KTEST_EXPECT(t, strcmp(names, "./4 ../4 bin/4 init/8 sbin/10 ") == 0);
    KTEST_EXPECT_EQ(t, vfs_getdents64(f, buf, sizeof(buf)), 0);
    vfs_close(f);
    tmpfs_unmount(sb);
}

/* File data lives in whole pages: they leave the page allocator while the file exists and come
 * back at unmount (up to the slab caches' one spare slab each). */
static void vfs_tmpfs_pages_come_back(struct ktest *t)
{
    enum { PAGES = 256 };
    static char chunk[4096];
    size_t before = pmm_free_pages();
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, tmpfs_mount(&sb), 0);
    struct file *f;
    KTEST_ASSERT_EQ(t, vfs_open(sb->root, "big", O_RDWR | O_CREAT, 0600, &f), 0);
    bool ok = true;
    for (int i = 0; i < PAGES; i++) {
        memset(chunk, i, sizeof(chunk));
        ok &= vfs_write(f, chunk, sizeof(chunk)) == (ssize_t)sizeof(chunk);
    }
    KTEST_EXPECT(t, ok);
    KTEST_EXPECT(t, pmm_free_pages() + PAGES <= before);
    KTEST_EXPECT_EQ(t, vfs_pread(f, chunk, sizeof(chunk), 200 * 4096), 4096);
    KTEST_EXPECT_EQ(t, (uint8_t)chunk[0], 200);
    KTEST_EXPECT_EQ(t, (uint8_t)chunk[4095], 200);
    KTEST_EXPECT_EQ(t, vfs_ftruncate(f, 1ll << 40), 0); /* a terabyte of hole costs nothing */
    KTEST_EXPECT_EQ(t, vfs_pread(f, chunk, 8, (1ll << 40) - 8), 8);
    KTEST_EXPECT_EQ(t, chunk[0], 0);
    vfs_close(f);
    tmpfs_unmount(sb);
    KTEST_EXPECT(t, pmm_free_pages() + 16 >= before);
}

/* Appends one newc entry to buf at *len. */
static void cpio_add(char *buf, size_t *len, const char *name, uint32_t mode, const char *data)
{
    size_t dlen = strlen(data), nlen = strlen(name) + 1;
    *len += ksnprintf(buf + *len, 111, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1u, mode,
                      0u, 0u, 1u, 1700000000u, (unsigned)dlen, 0u, 0u, 0u, 0u, (unsigned)nlen, 0u);
    memcpy(buf + *len, name, nlen);
    *len = ALIGN_UP(*len + nlen, 4);
    memcpy(buf + *len, data, dlen);
    *len = ALIGN_UP(*len + dlen, 4);
}

static void vfs_initramfs_unpacks_into_tmpfs(struct ktest *t)
{
    static char archive[1024];
    size_t len = 0;
    memset(archive, 0, sizeof(archive));
    cpio_add(archive, &len, "sbin", S_IFDIR | 0755, "");
    cpio_add(archive, &len, "sbin/init", S_IFREG | 0755, "#!/bin/sh\n");
    cpio_add(archive, &len, "init", S_IFLNK | 0777, "sbin/init");
    cpio_add(archive, &len, "TRAILER!!!", 0, "");
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, tmpfs_mount(&sb), 0);
    KTEST_EXPECT_EQ(t, initramfs_unpack(sb->root, archive, len), 0);
    KTEST_EXPECT(t, file_is(sb->root, "init", "#!/bin/sh\n"));
    struct stat st;
    KTEST_EXPECT_EQ(t, vfs_stat(sb->root, "sbin", &st), 0);
    KTEST_EXPECT_EQ(t, st.st_mtime, 1700000000);
    KTEST_EXPECT_EQ(t, initramfs_unpack(sb->root, archive, len - 4), -EINVAL);
    tmpfs_unmount(sb);
}

static void vfs_times_follow_the_realtime_clock(struct ktest *t)
{
    vfs_set_clock(vfs_realtime_clock);
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, tmpfs_mount(&sb), 0);
    KTEST_EXPECT_EQ(t, put_file(sb->root, "now", "", 0), 0);
    struct stat st;
    KTEST_EXPECT_EQ(t, vfs_stat(sb->root, "now", &st), 0);
    int64_t now = (int64_t)(clock_realtime_ns() / NSEC_PER_SEC);
    KTEST_EXPECT(t, st.st_mtime > 0); /* QEMU always has a CMOS clock */
    KTEST_EXPECT(t, (int64_t)st.st_mtime <= now && (int64_t)st.st_mtime + 2 >= now);
    tmpfs_unmount(sb);
}

KTEST_SUITE(vfs, KTEST_CASE(vfs_tmpfs_files_and_dirs), KTEST_CASE(vfs_tmpfs_getdents64),
            KTEST_CASE(vfs_tmpfs_pages_come_back), KTEST_CASE(vfs_initramfs_unpacks_into_tmpfs),
            KTEST_CASE(vfs_times_follow_the_realtime_clock));
