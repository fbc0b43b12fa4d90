/* Host tests for the VFS and tmpfs: the path walk, every call in vfs.h with its success and error
 * cases (the errno values Linux gives for the same call), getdents64 records byte by byte, sparse
 * files, and a leak check (live kmalloc blocks before mount == after unmount) in every test. */
#include "htest.h"
#include "kshim.h"
#include <kestrel/tmpfs.h>
#include <kestrel/vfs.h>
#include <stdlib.h>
#include <string.h>

struct fx {
    struct super_block *sb;
    long allocs;
};

static void fx_setup(struct fx *fx)
{
    fx->allocs = kshim_live_allocs();
    if (tmpfs_mount(&fx->sb) != 0)
        abort();
    vfs_set_root(fx->sb->root);
}

static void fx_teardown(struct htest *t, struct fx *fx)
{
    vfs_set_root(NULL);
    tmpfs_unmount(fx->sb);
    HEXPECT_EQ(t, kshim_live_allocs(), fx->allocs);
}

/* Creates (or truncates) path with the given contents. */
static int put_file(const char *path, const char *data)
{
    struct file *f;
    int err = vfs_open(NULL, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
    if (err)
        return err;
    ssize_t n = vfs_write(f, data, strlen(data));
    vfs_close(f);
    return n < 0 ? (int)n : 0;
}

/* Reads all of path into buf (NUL-terminated); returns the length or a negative errno. */
static ssize_t get_file(const char *path, char *buf, size_t size)
{
    struct file *f;
    int err = vfs_open(NULL, path, O_RDONLY, 0, &f);
    if (err)
        return err;
    ssize_t n = vfs_read(f, buf, size - 1);
    vfs_close(f);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static bool file_is(const char *path, const char *want)
{
    char buf[256];
    return get_file(path, buf, sizeof(buf)) >= 0 && strcmp(buf, want) == 0;
}

static int open_close(const char *path, int flags)
{
    struct file *f;
    int err = vfs_open(NULL, path, flags, 0644, &f);
    if (!err)
        vfs_close(f);
    return err;
}

static uint64_t ino_of(const char *path)
{
    struct stat st;
    return vfs_lstat(NULL, path, &st) ? 0 : st.st_ino;
}

HTEST(vfs_abi_layouts_match_linux_x86_64)
{
    HEXPECT_EQ(t, sizeof(struct stat), 144);
    HEXPECT_EQ(t, offsetof(struct stat, st_nlink), 16);
    HEXPECT_EQ(t, offsetof(struct stat, st_mode), 24);
    HEXPECT_EQ(t, offsetof(struct stat, st_uid), 28);
    HEXPECT_EQ(t, offsetof(struct stat, st_rdev), 40);
    HEXPECT_EQ(t, offsetof(struct stat, st_size), 48);
    HEXPECT_EQ(t, offsetof(struct stat, st_blksize), 56);
    HEXPECT_EQ(t, offsetof(struct stat, st_blocks), 64);
    HEXPECT_EQ(t, offsetof(struct stat, st_atime), 72);
    HEXPECT_EQ(t, offsetof(struct stat, st_mtime), 88);
    HEXPECT_EQ(t, offsetof(struct stat, st_ctime_nsec), 112);
    HEXPECT_EQ(t, offsetof(struct linux_dirent64, d_off), 8);
    HEXPECT_EQ(t, offsetof(struct linux_dirent64, d_reclen), 16);
    HEXPECT_EQ(t, offsetof(struct linux_dirent64, d_type), 18);
    HEXPECT_EQ(t, offsetof(struct linux_dirent64, d_name), 19);
    HEXPECT_EQ(t, O_CREAT, 0x40);
    HEXPECT_EQ(t, O_EXCL, 0x80);
    HEXPECT_EQ(t, O_TRUNC, 0x200);
    HEXPECT_EQ(t, O_APPEND, 0x400);
    HEXPECT_EQ(t, O_DIRECTORY, 0x10000);
    HEXPECT_EQ(t, O_NOFOLLOW, 0x20000);
    HEXPECT_EQ(t, O_CLOEXEC, 0x80000);
    HEXPECT_EQ(t, O_PATH, 0x200000);
    HEXPECT_EQ(t, O_TMPFILE, 0x410000);
    HEXPECT_EQ(t, AT_FDCWD, -100);
    HEXPECT_EQ(t, AT_SYMLINK_NOFOLLOW, 0x100);
    HEXPECT_EQ(t, AT_REMOVEDIR, 0x200);
    HEXPECT_EQ(t, AT_EMPTY_PATH, 0x1000);
    HEXPECT_EQ(t, S_IFMT, 0xf000);
    HEXPECT_EQ(t, S_IFDIR, 0x4000);
    HEXPECT_EQ(t, S_IFLNK, 0xa000);
    HEXPECT_EQ(t, IFTODT(S_IFREG), DT_REG);
    HEXPECT_EQ(t, IFTODT(S_IFLNK), DT_LNK);
    HEXPECT_EQ(t, IFTODT(S_IFSOCK), DT_SOCK);
    HEXPECT_EQ(t, vfs_mkdev(8, 1), 0x801);
    HEXPECT_EQ(t, vfs_mkdev(259, 0x12345), 0x12310345);
    HEXPECT_EQ(t, vfs_major(0x12310345), 259);
    HEXPECT_EQ(t, vfs_minor(0x12310345), 0x12345);
}

HTEST(vfs_create_write_read_stat)
{
    struct fx fx;
    fx_setup(&fx);
    HEXPECT_EQ(t, put_file("/hello", "hello, world"), 0);
    HEXPECT(t, file_is("/hello", "hello, world"));
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(NULL, "/hello", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 0644);
    HEXPECT_EQ(t, st.st_size, 12);
    HEXPECT_EQ(t, st.st_nlink, 1);
    HEXPECT_EQ(t, st.st_blocks, 8);
    HEXPECT_EQ(t, st.st_blksize, 4096);
    HEXPECT_EQ(t, st.st_dev, fx.sb->dev);
    HEXPECT(t, st.st_ino > 1);
    HEXPECT_EQ(t, vfs_stat(NULL, "/", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFDIR | 0755);
    HEXPECT_EQ(t, st.st_ino, 1);
    HEXPECT_EQ(t, st.st_nlink, 2);
    /* open without O_CREAT, and O_CREAT|O_EXCL on an existing name */
    HEXPECT_EQ(t, open_close("/missing", O_RDONLY), -ENOENT);
    HEXPECT_EQ(t, open_close("/hello", O_RDONLY | O_CREAT | O_EXCL), -EEXIST);
    HEXPECT_EQ(t, open_close("/hello", O_RDONLY | O_CREAT), 0);
    HEXPECT_EQ(t, open_close("/missing/x", O_RDONLY | O_CREAT), -ENOENT);
    fx_teardown(t, &fx);
}

HTEST(vfs_path_dots_and_slashes)
{
    struct fx fx;
    fx_setup(&fx);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/a", 0755), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "a/b", 0755), 0);
    HEXPECT_EQ(t, put_file("/a/b/f", "x"), 0);
    uint64_t f = ino_of("/a/b/f");
    HEXPECT(t, f != 0);
    HEXPECT_EQ(t, ino_of("//a///b//f"), f);
    HEXPECT_EQ(t, ino_of("/a/./b/../b/./f"), f);
    HEXPECT_EQ(t, ino_of("/../../a/b/f"), f); /* ".." at the root stays there */
    HEXPECT_EQ(t, ino_of("/a/b/../.."), 1);
    HEXPECT_EQ(t, ino_of("/a/b/"), ino_of("/a/b"));
    HEXPECT_EQ(t, ino_of("///"), 1);
    HEXPECT_EQ(t, ino_of("."), 1);
    /* Relative to a directory other than the root. */
    struct inode *cwd;
    HEXPECT_EQ(t, vfs_lookup(NULL, "/a", 0, &cwd), 0);
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(cwd, "b/f", &st), 0);
    HEXPECT_EQ(t, st.st_ino, f);
    HEXPECT_EQ(t, vfs_stat(cwd, "./b/./f", &st), 0);
    HEXPECT_EQ(t, vfs_stat(cwd, "..", &st), 0);
    HEXPECT_EQ(t, st.st_ino, 1);
    HEXPECT_EQ(t, vfs_stat(cwd, "/a/b/f", &st), 0); /* absolute ignores cwd */
    HEXPECT_EQ(t, st.st_ino, f);
    HEXPECT_EQ(t, vfs_stat(cwd, "f", &st), -ENOENT);
    inode_put(cwd);
    /* The start directory must be a directory. */
    struct inode *file;
    HEXPECT_EQ(t, vfs_lookup(NULL, "/a/b/f", 0, &file), 0);
    HEXPECT_EQ(t, vfs_stat(file, "x", &st), -ENOTDIR);
    inode_put(file);
    fx_teardown(t, &fx);
}

HTEST(vfs_path_enoent_enotdir)
{
    struct fx fx;
    fx_setup(&fx);
    struct stat st;
    HEXPECT_EQ(t, put_file("/file", "x"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "", &st), -ENOENT);
    HEXPECT_EQ(t, vfs_stat(NULL, "/missing", &st), -ENOENT);
    HEXPECT_EQ(t, vfs_stat(NULL, "/missing/x", &st), -ENOENT);
    HEXPECT_EQ(t, vfs_stat(NULL, "/file/x", &st), -ENOTDIR);
    HEXPECT_EQ(t, vfs_stat(NULL, "/file/.", &st), -ENOTDIR);
    HEXPECT_EQ(t, vfs_stat(NULL, "/file/..", &st), -ENOTDIR);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/file/d", 0755), -ENOTDIR);
    HEXPECT_EQ(t, open_close("/file/new", O_CREAT | O_WRONLY), -ENOTDIR);
    fx_teardown(t, &fx);
}

HTEST(vfs_path_trailing_slash)
{
    struct fx fx;
    fx_setup(&fx);
    struct stat st;
    HEXPECT_EQ(t, put_file("/file", "x"), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/dir", 0755), 0);
    HEXPECT_EQ(t, vfs_symlink("dir", NULL, "/ldir"), 0);
    HEXPECT_EQ(t, vfs_symlink("file", NULL, "/lfile"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/file/", &st), -ENOTDIR);
    HEXPECT_EQ(t, vfs_stat(NULL, "/dir/", &st), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/dir//", &st), 0);
    /* A trailing slash follows a link even for lstat, and needs a directory at the end. */
    HEXPECT_EQ(t, vfs_lstat(NULL, "/ldir/", &st), 0);
    HEXPECT(t, S_ISDIR(st.st_mode));
    HEXPECT_EQ(t, vfs_lstat(NULL, "/lfile/", &st), -ENOTDIR);
    HEXPECT_EQ(t, open_close("/file/", O_RDONLY), -ENOTDIR);
    HEXPECT_EQ(t, open_close("/ldir/", O_RDONLY | O_NOFOLLOW), 0);
    /* Creating: mkdir accepts "new/", the others refuse a slash after a new name. */
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/new/", 0755), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/new", &st), 0);
    HEXPECT_EQ(t, open_close("/nf/", O_CREAT | O_WRONLY), -EISDIR);
    HEXPECT_EQ(t, open_close("/dir/", O_CREAT | O_RDONLY), -EISDIR);
    HEXPECT_EQ(t, vfs_symlink("x", NULL, "/nl/"), -ENOENT);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/nn/", S_IFIFO | 0644, 0), -ENOENT);
    HEXPECT_EQ(t, vfs_link(NULL, "/file", NULL, "/hl/", 0), -ENOENT);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/file/", S_IFIFO | 0644, 0), -EEXIST);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/file/"), -ENOTDIR);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/lfile/"), -ENOTDIR);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/dir/"), -EISDIR);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/dir/"), 0);
    fx_teardown(t, &fx);
}

HTEST(vfs_path_name_too_long)
{
    struct fx fx;
    fx_setup(&fx);
    char name[300];
    memset(name, 'n', sizeof(name));
    name[0] = '/';
    name[256] = 0; /* a 255-byte component */
    HEXPECT_EQ(t, put_file(name, "x"), 0);
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(NULL, name, &st), 0);
    name[256] = 'n';
    name[257] = 0; /* 256 bytes */
    HEXPECT_EQ(t, put_file(name, "x"), -ENAMETOOLONG);
    HEXPECT_EQ(t, vfs_stat(NULL, name, &st), -ENAMETOOLONG);
    HEXPECT_EQ(t, vfs_mkdir(NULL, name, 0755), -ENAMETOOLONG);
    name[257] = '/';
    name[258] = 'x';
    name[259] = 0; /* too long in the middle of the path */
    HEXPECT_EQ(t, vfs_stat(NULL, name, &st), -ENAMETOOLONG);

    /* 4095 bytes and a NUL is the longest path; 4096 without a NUL is too long. */
    char *path = malloc(PATH_MAX + 1);
    memset(path, '/', PATH_MAX + 1);
    path[PATH_MAX - 2] = 'f';
    path[PATH_MAX - 1] = 0;
    HEXPECT_EQ(t, put_file("/f", "x"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, path, &st), 0);
    path[PATH_MAX - 1] = '/';
    path[PATH_MAX] = 0;
    HEXPECT_EQ(t, vfs_stat(NULL, path, &st), -ENAMETOOLONG);
    HEXPECT_EQ(t, vfs_symlink(path, NULL, "/l"), -ENAMETOOLONG);
    free(path);
    fx_teardown(t, &fx);
}

HTEST(vfs_symlinks_follow_and_readlink)
{
    struct fx fx;
    fx_setup(&fx);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d/e", 0755), 0);
    HEXPECT_EQ(t, put_file("/d/e/f", "data"), 0);
    HEXPECT_EQ(t, vfs_symlink("/d/e", NULL, "/abs"), 0);
    HEXPECT_EQ(t, vfs_symlink("e/f", NULL, "/d/rel"), 0);
    HEXPECT_EQ(t, vfs_symlink("../../d", NULL, "/d/e/up"), 0);
    HEXPECT_EQ(t, vfs_symlink("/", NULL, "/root"), 0);
    HEXPECT(t, file_is("/abs/f", "data"));
    HEXPECT(t, file_is("/d/rel", "data"));
    HEXPECT(t, file_is("/d/e/up/e/up/rel", "data"));
    HEXPECT(t, file_is("/root/root/d/e/f", "data"));
    HEXPECT_EQ(t, ino_of("/abs/.."), ino_of("/d"));

    struct stat st;
    HEXPECT_EQ(t, vfs_lstat(NULL, "/d/rel", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFLNK | 0777);
    HEXPECT_EQ(t, st.st_size, 3);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/rel", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 0644);

    char buf[16];
    HEXPECT_EQ(t, vfs_readlink(NULL, "/abs", buf, sizeof(buf)), 4);
    HEXPECT(t, memcmp(buf, "/d/e", 4) == 0);
    HEXPECT_EQ(t, vfs_readlink(NULL, "/abs", buf, 2), 2); /* truncated, no NUL */
    HEXPECT(t, memcmp(buf, "/d", 2) == 0);
    HEXPECT_EQ(t, vfs_readlink(NULL, "/abs", buf, 0), -EINVAL);
    HEXPECT_EQ(t, vfs_readlink(NULL, "/d", buf, sizeof(buf)), -EINVAL);
    HEXPECT_EQ(t, vfs_readlink(NULL, "/nothing", buf, sizeof(buf)), -ENOENT);

    /* Dangling links, empty targets, existing names. */
    HEXPECT_EQ(t, vfs_symlink("/nowhere", NULL, "/dangle"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/dangle", &st), -ENOENT);
    HEXPECT_EQ(t, vfs_lstat(NULL, "/dangle", &st), 0);
    HEXPECT_EQ(t, vfs_symlink("", NULL, "/empty"), -ENOENT);
    HEXPECT_EQ(t, vfs_symlink("x", NULL, "/dangle"), -EEXIST);
    HEXPECT_EQ(t, vfs_symlink("x", NULL, "/d"), -EEXIST);
    HEXPECT_EQ(t, vfs_symlink("x", NULL, "/"), -EEXIST);
    fx_teardown(t, &fx);
}

HTEST(vfs_open_through_symlinks)
{
    struct fx fx;
    fx_setup(&fx);
    HEXPECT_EQ(t, put_file("/f", "data"), 0);
    HEXPECT_EQ(t, vfs_symlink("f", NULL, "/l"), 0);
    HEXPECT_EQ(t, open_close("/l", O_RDONLY), 0);
    HEXPECT_EQ(t, open_close("/l", O_RDONLY | O_NOFOLLOW), -ELOOP);
    /* O_PATH|O_NOFOLLOW opens the link itself. */
    struct file *f;
    struct stat st;
    HEXPECT_EQ(t, vfs_open(NULL, "/l", O_PATH | O_NOFOLLOW, 0, &f), 0);
    HEXPECT_EQ(t, vfs_fstat(f, &st), 0);
    HEXPECT(t, S_ISLNK(st.st_mode));
    char c;
    HEXPECT_EQ(t, vfs_read(f, &c, 1), -EBADF);
    vfs_close(f);
    /* O_CREAT through a dangling link creates the target; with O_EXCL the link itself exists. */
    HEXPECT_EQ(t, vfs_symlink("target", NULL, "/dangle"), 0);
    HEXPECT_EQ(t, open_close("/dangle", O_WRONLY | O_CREAT | O_EXCL), -EEXIST);
    HEXPECT_EQ(t, vfs_stat(NULL, "/target", &st), -ENOENT);
    HEXPECT_EQ(t, open_close("/dangle", O_WRONLY | O_CREAT), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/target", &st), 0);
    HEXPECT(t, S_ISREG(st.st_mode));
    HEXPECT_EQ(t, vfs_symlink("/nodir/x", NULL, "/dangle2"), 0);
    HEXPECT_EQ(t, open_close("/dangle2", O_WRONLY | O_CREAT), -ENOENT);
    fx_teardown(t, &fx);
}

HTEST(vfs_symlink_loops_eloop)
{
    struct fx fx;
    fx_setup(&fx);
    struct stat st;
    HEXPECT_EQ(t, vfs_symlink("self", NULL, "/self"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/self", &st), -ELOOP);
    HEXPECT_EQ(t, vfs_lstat(NULL, "/self", &st), 0);
    HEXPECT_EQ(t, vfs_symlink("b", NULL, "/a"), 0);
    HEXPECT_EQ(t, vfs_symlink("a", NULL, "/b"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/a", &st), -ELOOP);
    HEXPECT_EQ(t, vfs_stat(NULL, "/a/x", &st), -ELOOP);
    HEXPECT_EQ(t, open_close("/a", O_RDONLY | O_CREAT), -ELOOP);

    /* A chain of 40 links resolves; 41 is one too many. */
    HEXPECT_EQ(t, put_file("/end", "e"), 0);
    char name[32], target[32];
    for (int i = 0; i <= 40; i++) {
        snprintf(name, sizeof(name), "/c%d", i);
        if (i == 40)
            snprintf(target, sizeof(target), "end");
        else
            snprintf(target, sizeof(target), "c%d", i + 1);
        HEXPECT_EQ(t, vfs_symlink(target, NULL, name), 0);
    }
    HEXPECT_EQ(t, vfs_stat(NULL, "/c1", &st), 0);
    HEXPECT_EQ(t, st.st_size, 1);
    HEXPECT_EQ(t, vfs_stat(NULL, "/c0", &st), -ELOOP);

    /* Nested in the middle of paths: n0 -> d, nK -> n(K-1)/. ; following nK nests K+1 deep. */
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), 0);
    HEXPECT_EQ(t, put_file("/d/f", "f"), 0);
    HEXPECT_EQ(t, vfs_symlink("d", NULL, "/n0"), 0);
    for (int i = 1; i <= 40; i++) {
        snprintf(name, sizeof(name), "/n%d", i);
        snprintf(target, sizeof(target), "n%d/.", i - 1);
        HEXPECT_EQ(t, vfs_symlink(target, NULL, name), 0);
    }
    HEXPECT_EQ(t, vfs_stat(NULL, "/n39/f", &st), 0);
    HEXPECT(t, file_is("/n39/f", "f"));
    HEXPECT_EQ(t, vfs_stat(NULL, "/n40/f", &st), -ELOOP);
    HEXPECT_EQ(t, vfs_stat(NULL, "/n40", &st), -ELOOP);
    fx_teardown(t, &fx);
}

HTEST(vfs_mkdir_and_rmdir_errors)
{
    struct fx fx;
    fx_setup(&fx);
    struct stat st;
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), -EEXIST);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/", 0755), -EEXIST);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d/.", 0755), -EEXIST);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d/..", 0755), -EEXIST);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/no/d", 0755), -ENOENT);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d/sub", 07777), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/sub", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFDIR | 01777); /* set-id bits do not come from mkdir's mode */
    HEXPECT_EQ(t, vfs_stat(NULL, "/d", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 3);
    HEXPECT_EQ(t, vfs_stat(NULL, "/", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 3);
    HEXPECT_EQ(t, put_file("/f", "x"), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/f", 0755), -EEXIST);
    HEXPECT_EQ(t, vfs_symlink("d", NULL, "/ld"), 0);

    HEXPECT_EQ(t, vfs_rmdir(NULL, "/d"), -ENOTEMPTY);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/d/sub/."), -EINVAL);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/d/sub/.."), -ENOTEMPTY);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/"), -EBUSY);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/f"), -ENOTDIR);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/ld"), -ENOTDIR);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/missing"), -ENOENT);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/f/x"), -ENOTDIR);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/d/sub"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 2);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/d"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d", &st), -ENOENT);
    HEXPECT_EQ(t, vfs_stat(NULL, "/", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 2);
    fx_teardown(t, &fx);
}

HTEST(vfs_removed_cwd_stays_empty)
{
    struct fx fx;
    fx_setup(&fx);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/p", 0755), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/p/gone", 0755), 0);
    struct inode *cwd;
    HEXPECT_EQ(t, vfs_lookup(NULL, "/p/gone", 0, &cwd), 0);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/p/gone"), 0);
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(cwd, ".", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 0);
    HEXPECT_EQ(t, vfs_mkdir(cwd, "x", 0755), -ENOENT);
    struct file *f;
    HEXPECT_EQ(t, vfs_open(cwd, "x", O_CREAT | O_WRONLY, 0644, &f), -ENOENT);
    HEXPECT_EQ(t, vfs_stat(cwd, "..", &st), 0); /* ".." still leads to the old parent */
    HEXPECT_EQ(t, st.st_ino, ino_of("/p"));
    /* The parent can go too while the removed directory is held. */
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/p"), 0);
    inode_put(cwd);
    fx_teardown(t, &fx);
}

HTEST(vfs_unlink_rules_and_open_unlinked_file)
{
    struct fx fx;
    fx_setup(&fx);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), 0);
    HEXPECT_EQ(t, put_file("/f", "still here"), 0);
    HEXPECT_EQ(t, vfs_symlink("f", NULL, "/l"), 0);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/d"), -EISDIR);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/"), -EISDIR);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/d/."), -EISDIR);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/d/.."), -EISDIR);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/missing"), -ENOENT);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/f/x"), -ENOTDIR);
    /* Unlinking a link removes the link, not its target. */
    HEXPECT_EQ(t, vfs_unlink(NULL, "/l"), 0);
    struct stat st;
    HEXPECT_EQ(t, vfs_lstat(NULL, "/l", &st), -ENOENT);
    HEXPECT(t, file_is("/f", "still here"));
    /* An open file outlives its name; the data goes at the last close (the leak check). */
    struct file *f;
    HEXPECT_EQ(t, vfs_open(NULL, "/f", O_RDWR, 0, &f), 0);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/f"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/f", &st), -ENOENT);
    HEXPECT_EQ(t, vfs_fstat(f, &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 0);
    char buf[32] = {0};
    HEXPECT_EQ(t, vfs_read(f, buf, sizeof(buf)), 10);
    HEXPECT(t, strcmp(buf, "still here") == 0);
    HEXPECT_EQ(t, vfs_write(f, "!", 1), 1);
    vfs_close(f);
    fx_teardown(t, &fx);
}

HTEST(vfs_rename_files_and_replace)
{
    struct fx fx;
    fx_setup(&fx);
    struct stat st;
    HEXPECT_EQ(t, put_file("/a", "A"), 0);
    HEXPECT_EQ(t, put_file("/b", "B"), 0);
    uint64_t a = ino_of("/a");
    HEXPECT_EQ(t, vfs_rename(NULL, "/a", NULL, "/c", 0), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/a", &st), -ENOENT);
    HEXPECT_EQ(t, ino_of("/c"), a);
    /* Replacing: the old target stays readable through an open file, then goes. */
    struct file *f;
    HEXPECT_EQ(t, vfs_open(NULL, "/b", O_RDONLY, 0, &f), 0);
    HEXPECT_EQ(t, vfs_rename(NULL, "/c", NULL, "/b", 0), 0);
    HEXPECT(t, file_is("/b", "A"));
    HEXPECT_EQ(t, ino_of("/b"), a);
    char c = 0;
    HEXPECT_EQ(t, vfs_read(f, &c, 1), 1);
    HEXPECT_EQ(t, c, 'B');
    vfs_close(f);
    /* Two names of one inode: success, nothing changes. */
    HEXPECT_EQ(t, vfs_link(NULL, "/b", NULL, "/b2", 0), 0);
    HEXPECT_EQ(t, vfs_rename(NULL, "/b", NULL, "/b2", 0), 0);
    HEXPECT_EQ(t, ino_of("/b"), a);
    HEXPECT_EQ(t, ino_of("/b2"), a);
    HEXPECT_EQ(t, vfs_rename(NULL, "/b", NULL, "/b", 0), 0);
    /* Moving a symlink moves the link. */
    HEXPECT_EQ(t, vfs_symlink("b", NULL, "/lb"), 0);
    HEXPECT_EQ(t, vfs_rename(NULL, "/lb", NULL, "/lb2", 0), 0);
    HEXPECT_EQ(t, vfs_lstat(NULL, "/lb2", &st), 0);
    HEXPECT(t, S_ISLNK(st.st_mode));
    fx_teardown(t, &fx);
}

HTEST(vfs_rename_directories)
{
    struct fx fx;
    fx_setup(&fx);
    struct stat st;
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/x", 0755), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/y", 0755), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/x/d", 0755), 0);
    HEXPECT_EQ(t, put_file("/x/d/f", "f"), 0);
    HEXPECT_EQ(t, vfs_rename(NULL, "/x/d", NULL, "/y/d", 0), 0);
    HEXPECT(t, file_is("/y/d/f", "f"));
    HEXPECT_EQ(t, ino_of("/y/d/.."), ino_of("/y"));
    HEXPECT_EQ(t, vfs_stat(NULL, "/x", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 2);
    HEXPECT_EQ(t, vfs_stat(NULL, "/y", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 3);
    /* Over an empty directory: allowed, and the parent loses the victim's "..". */
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/x/empty", 0755), 0);
    HEXPECT_EQ(t, vfs_rename(NULL, "/y/d", NULL, "/x/empty", 0), 0);
    HEXPECT(t, file_is("/x/empty/f", "f"));
    HEXPECT_EQ(t, vfs_stat(NULL, "/x", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 3);
    HEXPECT_EQ(t, vfs_stat(NULL, "/y", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 2);
    /* Trailing slashes are fine on directories. */
    HEXPECT_EQ(t, vfs_rename(NULL, "/x/empty/", NULL, "/x/e2/", 0), 0);
    HEXPECT(t, file_is("/x/e2/f", "f"));
    fx_teardown(t, &fx);
}

HTEST(vfs_rename_errors)
{
    struct fx fx;
    fx_setup(&fx);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/a", 0755), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/a/b", 0755), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/a/b/c", 0755), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/full", 0755), 0);
    HEXPECT_EQ(t, put_file("/full/f", "x"), 0);
    HEXPECT_EQ(t, put_file("/file", "x"), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/empty", 0755), 0);
    /* Into its own subtree. */
    HEXPECT_EQ(t, vfs_rename(NULL, "/a", NULL, "/a/b/c/d", 0), -EINVAL);
    HEXPECT_EQ(t, vfs_rename(NULL, "/a", NULL, "/a/x", 0), -EINVAL);
    HEXPECT_EQ(t, vfs_rename(NULL, "/a/b", NULL, "/a/b/c", 0), -EINVAL);
    /* Over an ancestor of the source: it is not empty. */
    HEXPECT_EQ(t, vfs_rename(NULL, "/a/b/c", NULL, "/a", 0), -ENOTEMPTY);
    HEXPECT_EQ(t, vfs_rename(NULL, "/full/f", NULL, "/full", 0), -ENOTEMPTY);
    /* Type rules. */
    HEXPECT_EQ(t, vfs_rename(NULL, "/a", NULL, "/file", 0), -ENOTDIR);
    HEXPECT_EQ(t, vfs_rename(NULL, "/file", NULL, "/empty", 0), -EISDIR);
    HEXPECT_EQ(t, vfs_rename(NULL, "/a", NULL, "/full", 0), -ENOTEMPTY);
    HEXPECT_EQ(t, vfs_rename(NULL, "/file/", NULL, "/file2", 0), -ENOTDIR);
    HEXPECT_EQ(t, vfs_rename(NULL, "/file", NULL, "/file2/", 0), -ENOTDIR);
    /* Names that are not names. */
    HEXPECT_EQ(t, vfs_rename(NULL, "/a/.", NULL, "/z", 0), -EBUSY);
    HEXPECT_EQ(t, vfs_rename(NULL, "/a/b/..", NULL, "/z", 0), -EBUSY);
    HEXPECT_EQ(t, vfs_rename(NULL, "/", NULL, "/z", 0), -EBUSY);
    HEXPECT_EQ(t, vfs_rename(NULL, "/file", NULL, "/a/.", 0), -EBUSY);
    HEXPECT_EQ(t, vfs_rename(NULL, "/file", NULL, "/a/.", RENAME_NOREPLACE), -EEXIST);
    /* Missing things. */
    HEXPECT_EQ(t, vfs_rename(NULL, "/missing", NULL, "/z", 0), -ENOENT);
    HEXPECT_EQ(t, vfs_rename(NULL, "/file", NULL, "/nodir/z", 0), -ENOENT);
    HEXPECT_EQ(t, vfs_rename(NULL, "/file", NULL, "/file/z", 0), -ENOTDIR);
    HEXPECT_EQ(t, vfs_rename(NULL, "", NULL, "/z", 0), -ENOENT);
    /* Flags. */
    HEXPECT_EQ(t, vfs_rename(NULL, "/file", NULL, "/z", RENAME_WHITEOUT), -EINVAL);
    HEXPECT_EQ(t, vfs_rename(NULL, "/file", NULL, "/z", RENAME_NOREPLACE | RENAME_EXCHANGE), -EINVAL);
    HEXPECT_EQ(t, vfs_rename(NULL, "/file", NULL, "/empty", RENAME_NOREPLACE), -EEXIST);
    HEXPECT_EQ(t, vfs_rename(NULL, "/file", NULL, "/z", RENAME_EXCHANGE), -ENOENT);
    HEXPECT_EQ(t, vfs_rename(NULL, "/a", NULL, "/a/b/c", RENAME_EXCHANGE), -EINVAL);
    HEXPECT_EQ(t, vfs_rename(NULL, "/a/b/c", NULL, "/a", RENAME_EXCHANGE), -EINVAL);
    /* Nothing above changed anything. */
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(NULL, "/a/b/c", &st), 0);
    HEXPECT(t, file_is("/file", "x"));
    HEXPECT(t, file_is("/full/f", "x"));
    HEXPECT_EQ(t, vfs_stat(NULL, "/z", &st), -ENOENT);
    fx_teardown(t, &fx);
}

HTEST(vfs_rename_exchange_and_noreplace)
{
    struct fx fx;
    fx_setup(&fx);
    struct stat st;
    HEXPECT_EQ(t, put_file("/f", "F"), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d/sub", 0755), 0);
    HEXPECT_EQ(t, put_file("/d/sub/x", "X"), 0);
    HEXPECT_EQ(t, vfs_rename(NULL, "/f", NULL, "/g", RENAME_NOREPLACE), 0);
    /* Exchange a file and a directory in different parents. */
    HEXPECT_EQ(t, vfs_rename(NULL, "/g", NULL, "/d/sub", RENAME_EXCHANGE), 0);
    HEXPECT(t, file_is("/d/sub", "F"));
    HEXPECT(t, file_is("/g/x", "X"));
    HEXPECT_EQ(t, ino_of("/g/.."), 1);
    HEXPECT_EQ(t, vfs_stat(NULL, "/", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 4); /* "/", "/d" and "/g" */
    HEXPECT_EQ(t, vfs_stat(NULL, "/d", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 2);
    fx_teardown(t, &fx);
}

HTEST(vfs_hard_links)
{
    struct fx fx;
    fx_setup(&fx);
    struct stat st;
    HEXPECT_EQ(t, put_file("/f", "shared"), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), 0);
    HEXPECT_EQ(t, vfs_link(NULL, "/f", NULL, "/d/g", 0), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/f", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 2);
    HEXPECT_EQ(t, ino_of("/d/g"), ino_of("/f"));
    HEXPECT_EQ(t, put_file("/d/g", "changed"), 0);
    HEXPECT(t, file_is("/f", "changed"));
    HEXPECT_EQ(t, vfs_link(NULL, "/d", NULL, "/d2", 0), -EPERM);
    HEXPECT_EQ(t, vfs_link(NULL, "/f", NULL, "/d/g", 0), -EEXIST);
    HEXPECT_EQ(t, vfs_link(NULL, "/missing", NULL, "/h", 0), -ENOENT);
    HEXPECT_EQ(t, vfs_link(NULL, "/f", NULL, "/h", 0x1000), -EINVAL);
    /* linkat links the symlink itself unless asked to follow. */
    HEXPECT_EQ(t, vfs_symlink("f", NULL, "/l"), 0);
    HEXPECT_EQ(t, vfs_link(NULL, "/l", NULL, "/l2", 0), 0);
    HEXPECT_EQ(t, vfs_lstat(NULL, "/l2", &st), 0);
    HEXPECT(t, S_ISLNK(st.st_mode));
    HEXPECT_EQ(t, vfs_link(NULL, "/l", NULL, "/f3", AT_SYMLINK_FOLLOW), 0);
    HEXPECT_EQ(t, ino_of("/f3"), ino_of("/f"));
    HEXPECT_EQ(t, vfs_unlink(NULL, "/f"), 0);
    HEXPECT(t, file_is("/d/g", "changed"));
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/g", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 2);
    fx_teardown(t, &fx);
}

/* Decodes a getdents64 buffer into "name:type," pairs, checking each record's shape. */
static void decode_dirents(struct htest *t, const char *buf, ssize_t n, char *out, size_t outsize)
{
    size_t used = strlen(out);
    for (ssize_t off = 0; off < n;) {
        struct linux_dirent64 d;
        memcpy(&d, buf + off, sizeof(d));
        const char *name = buf + off + offsetof(struct linux_dirent64, d_name);
        size_t len = strlen(name);
        HEXPECT_EQ(t, d.d_reclen, ALIGN_UP(19 + len + 1, 8));
        HEXPECT_EQ(t, d.d_reclen % 8, 0);
        for (size_t i = 19 + len; i < d.d_reclen; i++)
            HEXPECT_EQ(t, buf[off + i], 0);
        HEXPECT(t, d.d_ino != 0);
        used += snprintf(out + used, outsize - used, "%s:%d,", name, d.d_type);
        off += d.d_reclen;
    }
}

HTEST(vfs_getdents64_records)
{
    struct fx fx;
    fx_setup(&fx);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), 0);
    HEXPECT_EQ(t, put_file("/d/file", "x"), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d/sub", 0755), 0);
    HEXPECT_EQ(t, vfs_symlink("file", NULL, "/d/link"), 0);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/d/fifo", S_IFIFO | 0600, 0), 0);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/d/null", S_IFCHR | 0666, vfs_mkdev(1, 3)), 0);

    struct file *f;
    HEXPECT_EQ(t, vfs_open(NULL, "/d", O_RDONLY | O_DIRECTORY, 0, &f), 0);
    char buf[512], names[512] = "";
    ssize_t n = vfs_getdents64(f, buf, sizeof(buf));
    HEXPECT(t, n > 0);
    decode_dirents(t, buf, n, names, sizeof(names));
    HEXPECT(t, strcmp(names, ".:4,..:4,file:8,sub:4,link:10,fifo:1,null:2,") == 0);
    /* The first record exactly: "." is 19 + 2 bytes, padded to 24; d_off leads to "..". */
    struct linux_dirent64 d;
    memcpy(&d, buf, sizeof(d));
    HEXPECT_EQ(t, d.d_reclen, 24);
    HEXPECT_EQ(t, d.d_ino, ino_of("/d"));
    HEXPECT_EQ(t, vfs_getdents64(f, buf, sizeof(buf)), 0); /* the end */
    /* Back to the start, then a buffer that holds one record at a time. */
    HEXPECT_EQ(t, vfs_lseek(f, 0, SEEK_SET), 0);
    HEXPECT_EQ(t, vfs_getdents64(f, buf, 10), -EINVAL);
    names[0] = 0;
    for (;;) {
        n = vfs_getdents64(f, buf, 24);
        if (n <= 0)
            break;
        decode_dirents(t, buf, n, names, sizeof(names));
    }
    HEXPECT_EQ(t, n, 0);
    HEXPECT(t, strcmp(names, ".:4,..:4,file:8,sub:4,link:10,fifo:1,null:2,") == 0);
    /* Resuming from a d_off after entries around it are removed and added. */
    HEXPECT_EQ(t, vfs_lseek(f, 0, SEEK_SET), 0);
    n = vfs_getdents64(f, buf, 24 * 3); /* ".", "..", "file" */
    HEXPECT_EQ(t, n, 24 * 3);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/d/file"), 0);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/d/sub"), 0);
    HEXPECT_EQ(t, put_file("/d/new", "x"), 0);
    names[0] = 0;
    n = vfs_getdents64(f, buf, sizeof(buf));
    decode_dirents(t, buf, n, names, sizeof(names));
    HEXPECT(t, strcmp(names, "link:10,fifo:1,null:2,new:8,") == 0);
    HEXPECT_EQ(t, vfs_lseek(f, 0, SEEK_END), -EINVAL);
    vfs_close(f);

    HEXPECT_EQ(t, vfs_open(NULL, "/d/new", O_RDONLY, 0, &f), 0);
    HEXPECT_EQ(t, vfs_getdents64(f, buf, sizeof(buf)), -ENOTDIR);
    vfs_close(f);
    fx_teardown(t, &fx);
}

HTEST(vfs_read_write_lseek)
{
    struct fx fx;
    fx_setup(&fx);
    struct file *f;
    HEXPECT_EQ(t, vfs_open(NULL, "/f", O_RDWR | O_CREAT, 0600, &f), 0);
    HEXPECT_EQ(t, vfs_write(f, "0123456789", 10), 10);
    HEXPECT_EQ(t, vfs_lseek(f, 0, SEEK_CUR), 10);
    HEXPECT_EQ(t, vfs_lseek(f, -4, SEEK_END), 6);
    char buf[16] = {0};
    HEXPECT_EQ(t, vfs_read(f, buf, sizeof(buf)), 4);
    HEXPECT(t, memcmp(buf, "6789", 4) == 0);
    HEXPECT_EQ(t, vfs_read(f, buf, sizeof(buf)), 0);
    HEXPECT_EQ(t, vfs_lseek(f, 2, SEEK_SET), 2);
    HEXPECT_EQ(t, vfs_lseek(f, 3, SEEK_CUR), 5);
    HEXPECT_EQ(t, vfs_lseek(f, -6, SEEK_CUR), -EINVAL);
    HEXPECT_EQ(t, vfs_lseek(f, -1, SEEK_SET), -EINVAL);
    HEXPECT_EQ(t, vfs_lseek(f, -11, SEEK_END), -EINVAL);
    HEXPECT_EQ(t, vfs_lseek(f, 0, 7), -EINVAL);
    HEXPECT_EQ(t, vfs_lseek(f, INT64_MAX, SEEK_SET), INT64_MAX);
    HEXPECT_EQ(t, vfs_lseek(f, 1, SEEK_CUR), -EINVAL); /* overflow */
    HEXPECT_EQ(t, vfs_lseek(f, 0, SEEK_CUR), INT64_MAX);
    HEXPECT_EQ(t, vfs_write(f, "x", 1), -EFBIG);
    HEXPECT_EQ(t, vfs_lseek(f, 3, SEEK_DATA), 3);
    HEXPECT_EQ(t, vfs_lseek(f, 3, SEEK_HOLE), 10);
    HEXPECT_EQ(t, vfs_lseek(f, 10, SEEK_DATA), -ENXIO);
    HEXPECT_EQ(t, vfs_lseek(f, -1, SEEK_HOLE), -ENXIO);
    /* pread/pwrite leave the offset alone. */
    HEXPECT_EQ(t, vfs_lseek(f, 1, SEEK_SET), 1);
    HEXPECT_EQ(t, vfs_pwrite(f, "AB", 2, 4), 2);
    HEXPECT_EQ(t, vfs_pread(f, buf, 3, 3), 3);
    HEXPECT(t, memcmp(buf, "3AB", 3) == 0);
    HEXPECT_EQ(t, vfs_pread(f, buf, 3, -1), -EINVAL);
    HEXPECT_EQ(t, vfs_pwrite(f, buf, 3, -1), -EINVAL);
    HEXPECT_EQ(t, vfs_pread(f, buf, 3, 100), 0);
    HEXPECT_EQ(t, vfs_lseek(f, 0, SEEK_CUR), 1);
    /* Writing past the end leaves a hole of zeroes. */
    HEXPECT_EQ(t, vfs_pwrite(f, "Z", 1, 20), 1);
    char all[32];
    HEXPECT_EQ(t, vfs_pread(f, all, sizeof(all), 0), 21);
    HEXPECT(t, memcmp(all, "0123AB6789\0\0\0\0\0\0\0\0\0\0Z", 21) == 0);
    HEXPECT_EQ(t, vfs_write(f, "", 0), 0);
    vfs_close(f);
    fx_teardown(t, &fx);
}

/* tmpfs allocates a page without clearing it when one write covers all of it: every byte that no
 * write covered must still read back as zero (holes, and the rest of partly written pages). */
HTEST(vfs_tmpfs_whole_and_partial_page_writes)
{
    struct fx fx;
    fx_setup(&fx);
    static char page[4096], back[4 * 4096];
    memset(page, 'w', sizeof(page));
    struct file *f;
    HEXPECT_EQ(t, vfs_open(NULL, "/pages", O_RDWR | O_CREAT, 0644, &f), 0);
    HEXPECT_EQ(t, vfs_pwrite(f, page, 4096, 4096), 4096);    /* page 1 whole */
    HEXPECT_EQ(t, vfs_pwrite(f, "ab", 2, 3 * 4096 + 10), 2); /* page 3 in part; page 2 a hole */
    HEXPECT_EQ(t, vfs_pwrite(f, page, 100, 4000), 100);      /* ends of pages 0 and 1 */
    HEXPECT_EQ(t, vfs_pread(f, back, sizeof(back), 0), 3 * 4096 + 12);
    for (size_t i = 0; i < 3 * 4096 + 12; i++) {
        bool written = (i >= 4000 && i < 2 * 4096) || i == 3 * 4096 + 10 || i == 3 * 4096 + 11;
        char want = !written ? 0 : i == 3 * 4096 + 10 ? 'a' : i == 3 * 4096 + 11 ? 'b' : 'w';
        if (back[i] != want) {
            HEXPECT_EQ(t, back[i], want);
            break;
        }
    }
    vfs_close(f);
    fx_teardown(t, &fx);
}

HTEST(vfs_large_file_across_pages)
{
    struct fx fx;
    fx_setup(&fx);
    enum { SIZE = 3 * 4096 * 512 + 777 }; /* beyond one radix node of pages */
    unsigned char *data = malloc(SIZE), *back = malloc(SIZE);
    for (size_t i = 0; i < SIZE; i++)
        data[i] = (unsigned char)(i * 7 + (i >> 12));
    struct file *f;
    HEXPECT_EQ(t, vfs_open(NULL, "/big", O_RDWR | O_CREAT, 0644, &f), 0);
    /* Odd-sized writes so they straddle page boundaries. */
    size_t off = 0;
    while (off < SIZE) {
        size_t n = MIN((size_t)5000, SIZE - off);
        HEXPECT_EQ(t, vfs_write(f, data + off, n), n);
        off += n;
    }
    HEXPECT_EQ(t, vfs_pread(f, back, SIZE, 0), SIZE);
    HEXPECT(t, memcmp(data, back, SIZE) == 0);
    struct stat st;
    HEXPECT_EQ(t, vfs_fstat(f, &st), 0);
    HEXPECT_EQ(t, st.st_size, SIZE);
    HEXPECT_EQ(t, st.st_blocks, (SIZE + 4095) / 4096 * 8);
    /* Shrink to a mid-page size, then grow: the cut-off bytes read back as zeroes. */
    HEXPECT_EQ(t, vfs_ftruncate(f, 4096 * 600 + 10), 0);
    HEXPECT_EQ(t, vfs_fstat(f, &st), 0);
    HEXPECT_EQ(t, st.st_blocks, 601 * 8);
    HEXPECT_EQ(t, vfs_ftruncate(f, SIZE), 0);
    HEXPECT_EQ(t, vfs_pread(f, back, SIZE, 0), SIZE);
    HEXPECT(t, memcmp(data, back, 4096 * 600 + 10) == 0);
    bool zero = true;
    for (size_t i = 4096 * 600 + 10; i < SIZE; i++)
        zero &= back[i] == 0;
    HEXPECT(t, zero);
    vfs_close(f);
    free(data);
    free(back);
    fx_teardown(t, &fx);
}

HTEST(vfs_truncate_sparse_and_errors)
{
    struct fx fx;
    fx_setup(&fx);
    struct stat st;
    HEXPECT_EQ(t, put_file("/f", "abcdef"), 0);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/f", 3), 0);
    HEXPECT(t, file_is("/f", "abc"));
    HEXPECT_EQ(t, vfs_truncate(NULL, "/f", 6), 0);
    char buf[16];
    HEXPECT_EQ(t, get_file("/f", buf, sizeof(buf)), 6);
    HEXPECT(t, memcmp(buf, "abc\0\0\0", 6) == 0);
    /* A terabyte-sized hole costs nothing, and reads as zeroes wherever it is read. */
    const int64_t tib = 1ll << 40;
    HEXPECT_EQ(t, vfs_truncate(NULL, "/f", tib), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/f", &st), 0);
    HEXPECT_EQ(t, st.st_size, tib);
    HEXPECT_EQ(t, st.st_blocks, 8);
    struct file *f;
    HEXPECT_EQ(t, vfs_open(NULL, "/f", O_RDWR, 0, &f), 0);
    memset(buf, 'x', sizeof(buf));
    HEXPECT_EQ(t, vfs_pread(f, buf, 8, tib - 4), 4);
    HEXPECT(t, memcmp(buf, "\0\0\0\0", 4) == 0);
    HEXPECT_EQ(t, vfs_pwrite(f, "end", 3, tib / 2), 3);
    HEXPECT_EQ(t, vfs_pread(f, buf, 3, tib / 2), 3);
    HEXPECT(t, memcmp(buf, "end", 3) == 0);
    HEXPECT_EQ(t, vfs_fstat(f, &st), 0);
    HEXPECT_EQ(t, st.st_blocks, 16);
    HEXPECT_EQ(t, vfs_pwrite(f, "max", 3, INT64_MAX - 1), 1); /* cut at the largest size */
    HEXPECT_EQ(t, vfs_ftruncate(f, 2), 0);
    HEXPECT_EQ(t, vfs_fstat(f, &st), 0);
    HEXPECT_EQ(t, st.st_blocks, 8);
    HEXPECT_EQ(t, vfs_ftruncate(f, -1), -EINVAL);
    vfs_close(f);

    HEXPECT_EQ(t, vfs_truncate(NULL, "/f", -1), -EINVAL);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), 0);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/d", 0), -EISDIR);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/missing", 0), -ENOENT);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/fifo", S_IFIFO | 0644, 0), 0);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/fifo", 0), -EINVAL);
    HEXPECT_EQ(t, vfs_symlink("f", NULL, "/l"), 0);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/l", 1), 0); /* follows the link */
    HEXPECT_EQ(t, vfs_stat(NULL, "/f", &st), 0);
    HEXPECT_EQ(t, st.st_size, 1);
    HEXPECT_EQ(t, vfs_open(NULL, "/f", O_RDONLY, 0, &f), 0);
    HEXPECT_EQ(t, vfs_ftruncate(f, 0), -EINVAL); /* not open for writing */
    vfs_close(f);
    fx_teardown(t, &fx);
}

HTEST(vfs_open_flags)
{
    struct fx fx;
    fx_setup(&fx);
    struct file *f;
    char buf[16];
    HEXPECT_EQ(t, put_file("/f", "abc"), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), 0);
    /* O_TRUNC empties, O_APPEND writes at the end whatever the offset. */
    HEXPECT_EQ(t, vfs_open(NULL, "/f", O_WRONLY | O_APPEND, 0, &f), 0);
    HEXPECT_EQ(t, vfs_write(f, "de", 2), 2);
    HEXPECT_EQ(t, vfs_lseek(f, 0, SEEK_SET), 0);
    HEXPECT_EQ(t, vfs_write(f, "f", 1), 1);
    HEXPECT_EQ(t, vfs_pwrite(f, "g", 1, 0), 1);
    vfs_close(f);
    HEXPECT(t, file_is("/f", "abcdefg"));
    HEXPECT_EQ(t, open_close("/f", O_RDONLY | O_TRUNC), 0);
    HEXPECT(t, file_is("/f", ""));
    /* Access modes. */
    HEXPECT_EQ(t, vfs_open(NULL, "/f", O_WRONLY, 0, &f), 0);
    HEXPECT_EQ(t, vfs_read(f, buf, 1), -EBADF);
    vfs_close(f);
    HEXPECT_EQ(t, vfs_open(NULL, "/f", O_RDONLY, 0, &f), 0);
    HEXPECT_EQ(t, vfs_write(f, "x", 1), -EBADF);
    vfs_close(f);
    /* Directories. */
    HEXPECT_EQ(t, open_close("/f", O_RDONLY | O_DIRECTORY), -ENOTDIR);
    HEXPECT_EQ(t, open_close("/d", O_WRONLY), -EISDIR);
    HEXPECT_EQ(t, open_close("/d", O_RDWR), -EISDIR);
    HEXPECT_EQ(t, open_close("/d", O_RDONLY | O_TRUNC), -EISDIR);
    HEXPECT_EQ(t, open_close("/d", O_RDONLY | O_CREAT), -EISDIR);
    HEXPECT_EQ(t, open_close("/", O_RDONLY | O_CREAT), -EISDIR);
    HEXPECT_EQ(t, open_close("/d/.", O_RDONLY | O_CREAT), -EISDIR);
    HEXPECT_EQ(t, open_close("/d/new", O_RDONLY | O_CREAT | O_DIRECTORY), -EINVAL);
    HEXPECT_EQ(t, open_close("/d", O_RDONLY | O_TMPFILE), -EOPNOTSUPP);
    HEXPECT_EQ(t, vfs_open(NULL, "/d", O_RDONLY | O_DIRECTORY, 0, &f), 0);
    HEXPECT_EQ(t, vfs_read(f, buf, 1), -EISDIR);
    HEXPECT_EQ(t, vfs_write(f, buf, 1), -EBADF);
    vfs_close(f);
    /* O_PATH: a handle for fstat and as a base, not for I/O. */
    HEXPECT_EQ(t, vfs_open(NULL, "/f", O_PATH | O_RDWR, 0, &f), 0);
    HEXPECT_EQ(t, vfs_write(f, "x", 1), -EBADF);
    HEXPECT_EQ(t, vfs_lseek(f, 0, SEEK_SET), -EBADF);
    HEXPECT_EQ(t, vfs_ftruncate(f, 0), -EBADF);
    vfs_close(f);
    /* Special files have no driver yet. */
    HEXPECT_EQ(t, vfs_mknod(NULL, "/fifo", S_IFIFO | 0644, 0), 0);
    HEXPECT_EQ(t, open_close("/fifo", O_RDONLY), -ENXIO);
    /* The creation mode: permission bits only, the type is forced to regular. */
    HEXPECT_EQ(t, vfs_open(NULL, "/m", O_CREAT | O_WRONLY, S_IFDIR | 04751, &f), 0);
    struct stat st;
    HEXPECT_EQ(t, vfs_fstat(f, &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 04751);
    vfs_close(f);
    /* Shared descriptions share the offset. */
    HEXPECT_EQ(t, vfs_open(NULL, "/m", O_RDWR, 0, &f), 0);
    struct file *dup = vfs_file_get(f);
    HEXPECT_EQ(t, vfs_write(f, "12", 2), 2);
    HEXPECT_EQ(t, vfs_lseek(dup, 0, SEEK_CUR), 2);
    vfs_close(dup);
    vfs_close(f);
    fx_teardown(t, &fx);
}

HTEST(vfs_mknod_types)
{
    struct fx fx;
    fx_setup(&fx);
    struct stat st;
    HEXPECT_EQ(t, vfs_mknod(NULL, "/c", S_IFCHR | 0620, vfs_mkdev(4, 1)), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/c", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFCHR | 0620);
    HEXPECT_EQ(t, st.st_rdev, vfs_mkdev(4, 1));
    HEXPECT_EQ(t, vfs_mknod(NULL, "/r", 0600, 0), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/r", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 0600);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/s", S_IFSOCK | 0600, 5), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/s", &st), 0);
    HEXPECT_EQ(t, st.st_rdev, 0); /* only device files keep a device number */
    HEXPECT_EQ(t, vfs_mknod(NULL, "/x", S_IFDIR | 0755, 0), -EPERM);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/x", 0170000, 0), -EINVAL);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/c", S_IFIFO, 0), -EEXIST);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/no/x", S_IFIFO, 0), -ENOENT);
    fx_teardown(t, &fx);
}

static int64_t fake_now = 1000;
static void fake_clock(struct vfs_timespec *ts)
{
    ts->sec = fake_now;
    ts->nsec = 500;
}

HTEST(vfs_attributes_and_times)
{
    struct fx fx;
    vfs_set_clock(fake_clock);
    fake_now = 1000;
    fx_setup(&fx);
    struct stat st;
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), 0);
    fake_now = 2000;
    HEXPECT_EQ(t, put_file("/d/f", "x"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/f", &st), 0);
    HEXPECT_EQ(t, st.st_mtime, 2000);
    HEXPECT_EQ(t, st.st_mtime_nsec, 500);
    HEXPECT_EQ(t, st.st_atime, 2000);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d", &st), 0);
    HEXPECT_EQ(t, st.st_mtime, 2000); /* a new entry changes the directory */
    HEXPECT_EQ(t, st.st_ctime, 2000);
    fake_now = 3000;
    HEXPECT_EQ(t, put_file("/d/f", "y"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/f", &st), 0);
    HEXPECT_EQ(t, st.st_mtime, 3000);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d", &st), 0);
    HEXPECT_EQ(t, st.st_mtime, 2000); /* rewriting a file does not */

    /* chmod keeps the type; chown clears set-id bits on files. */
    HEXPECT_EQ(t, vfs_chmod(NULL, "/d/f", S_IFDIR | 06755), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/f", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 06755);
    HEXPECT_EQ(t, vfs_chown(NULL, "/d/f", 1000, (uint32_t)-1, 0), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/f", &st), 0);
    HEXPECT_EQ(t, st.st_uid, 1000);
    HEXPECT_EQ(t, st.st_gid, 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 0755);
    HEXPECT_EQ(t, vfs_chmod(NULL, "/d/f", 02745), 0); /* set-gid without group exec: a lock flag */
    HEXPECT_EQ(t, vfs_chown(NULL, "/d/f", (uint32_t)-1, 50, 0), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/f", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 02745);
    HEXPECT_EQ(t, st.st_gid, 50);
    HEXPECT_EQ(t, vfs_chmod(NULL, "/d", 03775), 0);
    HEXPECT_EQ(t, vfs_chown(NULL, "/d", 1, 1, 0), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFDIR | 03775);
    HEXPECT_EQ(t, vfs_chmod(NULL, "/missing", 0), -ENOENT);
    /* chown on a link itself, or on its target. */
    HEXPECT_EQ(t, vfs_symlink("d/f", NULL, "/l"), 0);
    HEXPECT_EQ(t, vfs_chown(NULL, "/l", 7, 7, AT_SYMLINK_NOFOLLOW), 0);
    HEXPECT_EQ(t, vfs_lstat(NULL, "/l", &st), 0);
    HEXPECT_EQ(t, st.st_uid, 7);
    HEXPECT_EQ(t, vfs_stat(NULL, "/l", &st), 0);
    HEXPECT_EQ(t, st.st_uid, 1000);

    /* utimensat: explicit, UTIME_OMIT, UTIME_NOW, NULL, bad nanoseconds. */
    struct vfs_timespec ts[2] = {{111, 1}, {222, 2}};
    fake_now = 4000;
    HEXPECT_EQ(t, vfs_utimens(NULL, "/d/f", ts, 0), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/f", &st), 0);
    HEXPECT_EQ(t, st.st_atime, 111);
    HEXPECT_EQ(t, st.st_atime_nsec, 1);
    HEXPECT_EQ(t, st.st_mtime, 222);
    HEXPECT_EQ(t, st.st_ctime, 4000);
    ts[0].nsec = UTIME_OMIT;
    ts[1].nsec = UTIME_NOW;
    HEXPECT_EQ(t, vfs_utimens(NULL, "/d/f", ts, 0), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/f", &st), 0);
    HEXPECT_EQ(t, st.st_atime, 111);
    HEXPECT_EQ(t, st.st_mtime, 4000);
    fake_now = 5000;
    HEXPECT_EQ(t, vfs_utimens(NULL, "/d/f", NULL, 0), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/f", &st), 0);
    HEXPECT_EQ(t, st.st_atime, 5000);
    ts[0].nsec = 1000000000;
    HEXPECT_EQ(t, vfs_utimens(NULL, "/d/f", ts, 0), -EINVAL);
    ts[0].nsec = -1;
    HEXPECT_EQ(t, vfs_utimens(NULL, "/d/f", ts, 0), -EINVAL);
    HEXPECT_EQ(t, vfs_utimens(NULL, "/missing", NULL, 0), -ENOENT);
    HEXPECT_EQ(t, vfs_lookup(NULL, "/d", 0x8000, &(struct inode *){NULL}), -EINVAL);
    fx_teardown(t, &fx);
    vfs_set_clock(NULL);
}

HTEST(vfs_unmount_frees_deep_trees)
{
    struct fx fx;
    fx_setup(&fx);
    /* A deep chain of directories, each with a file, a link, and a hard link elsewhere. */
    char path[PATH_MAX] = "";
    size_t len = 0;
    HEXPECT_EQ(t, put_file("/top", "t"), 0);
    for (int i = 0; i < 500; i++) {
        len += snprintf(path + len, sizeof(path) - len, "/d");
        HEXPECT_EQ(t, vfs_mkdir(NULL, path, 0755), 0);
        char name[PATH_MAX + 8];
        snprintf(name, sizeof(name), "%s/f", path);
        HEXPECT_EQ(t, put_file(name, "data"), 0);
        snprintf(name, sizeof(name), "%s/l", path);
        HEXPECT_EQ(t, vfs_symlink("f", NULL, name), 0);
        snprintf(name, sizeof(name), "%s/h", path);
        HEXPECT_EQ(t, vfs_link(NULL, "/top", NULL, name, 0), 0);
    }
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(NULL, "/top", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 501);
    HEXPECT(t, kshim_live_allocs() > fx.allocs + 2000);
    fx_teardown(t, &fx);
}

HTEST(vfs_cross_filesystem_is_exdev)
{
    struct fx fx;
    fx_setup(&fx);
    struct super_block *other;
    HASSERT(t, tmpfs_mount(&other) == 0);
    HEXPECT(t, other->dev != fx.sb->dev);
    HEXPECT_EQ(t, put_file("/f", "x"), 0);
    HEXPECT_EQ(t, vfs_mkdir(other->root, "d", 0755), 0);
    HEXPECT_EQ(t, vfs_rename(NULL, "/f", other->root, "g", 0), -EXDEV);
    HEXPECT_EQ(t, vfs_link(NULL, "/f", other->root, "g", 0), -EXDEV);
    HEXPECT_EQ(t, vfs_rename(other->root, "d", other->root, "e", 0), 0);
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(other->root, "e", &st), 0);
    HEXPECT_EQ(t, st.st_dev, other->dev);
    /* ".." at the top of a filesystem that is not the root stays there too. */
    HEXPECT_EQ(t, vfs_stat(other->root, "..", &st), 0);
    HEXPECT_EQ(t, st.st_dev, other->dev);
    HEXPECT_EQ(t, vfs_rmdir(other->root, "e"), 0);
    tmpfs_unmount(other);
    fx_teardown(t, &fx);
}

HTEST(vfs_symlink_corner_cases)
{
    struct fx fx;
    fx_setup(&fx);
    struct stat st;
    char buf[16];
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), 0);
    HEXPECT_EQ(t, put_file("/d/f", "old"), 0);
    HEXPECT_EQ(t, vfs_symlink("d", NULL, "/ld"), 0);
    HEXPECT_EQ(t, vfs_symlink("d/f", NULL, "/lf"), 0);
    /* O_NOFOLLOW only concerns the last component. */
    HEXPECT_EQ(t, open_close("/ld/f", O_RDONLY | O_NOFOLLOW), 0);
    /* O_CREAT|O_TRUNC through a link to an existing file truncates the target. */
    HEXPECT_EQ(t, open_close("/lf", O_WRONLY | O_CREAT | O_TRUNC), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/f", &st), 0);
    HEXPECT_EQ(t, st.st_size, 0);
    /* readlink and the other no-follow calls still follow with a trailing slash. */
    HEXPECT_EQ(t, vfs_readlink(NULL, "/ld/", buf, sizeof(buf)), -EINVAL);
    HEXPECT_EQ(t, vfs_readlink(NULL, "/ld", buf, sizeof(buf)), 1);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/ld"), -ENOTDIR);
    /* A link whose body ends in a slash asks for a directory. */
    HEXPECT_EQ(t, vfs_symlink("d/f/", NULL, "/lslash"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/lslash", &st), -ENOTDIR);
    HEXPECT_EQ(t, vfs_symlink("d/", NULL, "/ldslash"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/ldslash/f", &st), 0);
    /* Links in the middle of a link's body, and a link to "/" in the middle of a path. */
    HEXPECT_EQ(t, vfs_symlink("/ld/../ld/f", NULL, "/d/deep"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/d/deep", &st), 0);
    HEXPECT_EQ(t, st.st_ino, ino_of("/d/f"));
    HEXPECT_EQ(t, vfs_symlink("/", NULL, "/r"), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/r/r/r/d/f", &st), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/r/", &st), 0);
    HEXPECT_EQ(t, st.st_ino, 1);
    fx_teardown(t, &fx);
}

HTEST(vfs_getdents64_of_removed_directory)
{
    struct fx fx;
    fx_setup(&fx);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/gone", 0755), 0);
    struct file *f;
    HEXPECT_EQ(t, vfs_open(NULL, "/gone", O_RDONLY | O_DIRECTORY, 0, &f), 0);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/gone"), 0);
    char buf[256];
    HEXPECT_EQ(t, vfs_getdents64(f, buf, sizeof(buf)), 48); /* "." and ".." */
    HEXPECT_EQ(t, vfs_getdents64(f, buf, sizeof(buf)), 0);
    vfs_close(f);
    fx_teardown(t, &fx);
}
