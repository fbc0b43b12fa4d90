/* Syscall tests: files and directories (open, read/write, lseek, stat, getdents64, links, rename,
 * truncate, permissions), results and error cases, in a scratch directory under the cwd. */
#include "check.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define DIR_NAME "t_files.d"

static void test_open_rw(void)
{
    int fd = open("f1", O_CREAT | O_EXCL | O_RDWR, 0644);
    T_TRUE("open/create", fd >= 0);
    T_ERR("open/excl-exists", open("f1", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
    T_EQ("write/12", write(fd, "hello world\n", 12), 12);
    T_EQ("lseek/cur", lseek(fd, 0, SEEK_CUR), 12);
    T_EQ("lseek/set0", lseek(fd, 0, SEEK_SET), 0);
    char buf[32] = {0};
    T_EQ("read/12", read(fd, buf, sizeof(buf)), 12);
    T_TRUE("read/content", memcmp(buf, "hello world\n", 12) == 0);
    T_EQ("read/eof", read(fd, buf, sizeof(buf)), 0);
    T_EQ("lseek/end", lseek(fd, -6, SEEK_END), 6);
    T_EQ("read/after-seek", read(fd, buf, 5), 5);
    T_TRUE("read/after-seek-content", memcmp(buf, "world", 5) == 0);
    T_ERR("lseek/bad-whence", lseek(fd, 0, 17), EINVAL);
    T_ERR("lseek/negative", lseek(fd, -100, SEEK_SET), EINVAL);
    T_EQ("lseek/past-end", lseek(fd, 100, SEEK_SET), 100);
    T_EQ("write/hole", write(fd, "x", 1), 1);
    struct stat st;
    T_OK("fstat", fstat(fd, &st));
    T_EQ("fstat/size", st.st_size, 101);
    T_TRUE("fstat/regular", S_ISREG(st.st_mode));
    T_EQ("fstat/perm", st.st_mode & 07777, 0644);
    T_EQ("pread/hole-zero", pread(fd, buf, 4, 50), 4);
    T_TRUE("pread/hole-content", buf[0] == 0 && buf[3] == 0);
    T_EQ("pwrite", pwrite(fd, "HELLO", 5, 0), 5);
    T_EQ("pwrite/offset-unchanged", lseek(fd, 0, SEEK_CUR), 101);
    T_EQ("pread", pread(fd, buf, 11, 0), 11);
    T_TRUE("pread/content", memcmp(buf, "HELLO world", 11) == 0);
    T_ERR("pread/negative", pread(fd, buf, 1, -1), EINVAL);
    T_OK("close", close(fd));
    T_ERR("close/again", close(fd), EBADF);
    T_ERR("read/closed", read(fd, buf, 1), EBADF);
    T_ERR("write/closed", write(fd, buf, 1), EBADF);

    fd = open("f1", O_RDONLY);
    T_ERR("write/rdonly", write(fd, "x", 1), EBADF);
    close(fd);
    fd = open("f1", O_WRONLY);
    T_ERR("read/wronly", read(fd, buf, 1), EBADF);
    close(fd);
    fd = open("f1", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    T_EQ("append/write", write(fd, "Z", 1), 1);
    T_EQ("append/offset", lseek(fd, 0, SEEK_CUR), 102);
    close(fd);
    fd = open("f1", O_RDWR | O_TRUNC);
    T_OK("fstat/trunc", fstat(fd, &st));
    T_EQ("open/trunc-size", st.st_size, 0);
    close(fd);
}

static void test_vectors(void)
{
    int fd = open("v", O_CREAT | O_RDWR | O_TRUNC, 0600);
    struct iovec iov[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
    T_EQ("writev", writev(fd, iov, 3), 8);
    char a[4] = {0}, b[8] = {0};
    struct iovec rv[2] = {{a, 2}, {b, 8}};
    lseek(fd, 0, SEEK_SET);
    T_EQ("readv", readv(fd, rv, 2), 8);
    T_TRUE("readv/content", memcmp(a, "ab", 2) == 0 && memcmp(b, "cdefgh", 6) == 0);
    T_ERR("writev/negative-count", writev(fd, iov, -1), EINVAL);
    T_ERR("readv/too-many", readv(fd, rv, 100000), EINVAL);
    struct iovec bad[1] = {{BAD_KERNEL, 4}};
    T_ERR("writev/bad-base", writev(fd, bad, 1), EFAULT);
    T_ERR("writev/bad-iov", writev(fd, BAD_NONCANON, 1), EFAULT);
    T_EQ("preadv", preadv(fd, rv, 2, 3), 5);
    T_TRUE("preadv/content", memcmp(a, "de", 2) == 0);
    close(fd);
}

static void test_stat_paths(void)
{
    struct stat st;
    T_ERR("open/enoent", open("missing", O_RDONLY), ENOENT);
    T_ERR("open/enotdir", open("f1/x", O_RDONLY), ENOTDIR);
    T_ERR("open/dir-write", open(".", O_WRONLY), EISDIR);
    T_ERR("open/directory-flag-file", open("f1", O_RDONLY | O_DIRECTORY), ENOTDIR);
    T_ERR("open/empty-path", open("", O_RDONLY), ENOENT);
    T_ERR("open/bad-path", syscall(SYS_open, BAD_KERNEL, O_RDONLY), EFAULT);
    T_ERR("open/null-path", syscall(SYS_open, BAD_NULL, O_RDONLY), EFAULT);
    char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    T_ERR("open/name-too-long", open(longname, O_RDONLY), ENAMETOOLONG);
    T_OK("stat", stat("f1", &st));
    T_ERR("stat/enoent", stat("nope", &st), ENOENT);
    T_ERR("stat/bad-buf", syscall(SYS_stat, "f1", BAD_KERNEL), EFAULT);
    T_ERR("fstat/ebadf", fstat(999, &st), EBADF);
    T_OK("stat/dot", stat(".", &st));
    T_TRUE("stat/dot-is-dir", S_ISDIR(st.st_mode));
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    T_TRUE("open/dir", dfd >= 0);
    char buf[8];
    T_ERR("read/dir", read(dfd, buf, sizeof(buf)), EISDIR);
    T_OK("fstatat", fstatat(dfd, "f1", &st, 0));
    T_TRUE("fstatat/regular", S_ISREG(st.st_mode));
    int fd = openat(dfd, "at", O_CREAT | O_RDWR, 0600);
    T_TRUE("openat/create", fd >= 0);
    close(fd);
    T_ERR("openat/ebadf", openat(999, "at", O_RDONLY), EBADF);
    fd = open("f1", O_RDONLY);
    T_ERR("openat/enotdir-fd", openat(fd, "at", O_RDONLY), ENOTDIR);
    T_OK("openat/absolute-ignores-fd", close(openat(fd, "/", O_RDONLY)));
    close(fd);
    close(dfd);
    T_ERR("access/enoent", access("nope", F_OK), ENOENT);
    T_OK("access/f-ok", access("f1", F_OK));
    T_OK("access/rw", access("f1", R_OK | W_OK));
    T_ERR("access/bad-mode", access("f1", 0100), EINVAL);
}

static void test_dirs(void)
{
    T_OK("mkdir", mkdir("d", 0755));
    T_ERR("mkdir/eexist", mkdir("d", 0755), EEXIST);
    T_ERR("mkdir/enoent-parent", mkdir("nope/d", 0755), ENOENT);
    T_ERR("mkdir/enotdir-parent", mkdir("f1/d", 0755), ENOTDIR);
    T_OK("mkdir/nested", mkdir("d/e", 0755));
    T_ERR("rmdir/enotempty", rmdir("d"), ENOTEMPTY);
    T_ERR("rmdir/enotdir", rmdir("f1"), ENOTDIR);
    T_ERR("rmdir/dot", rmdir("d/e/."), EINVAL);
    T_ERR("unlink/dir", unlink("d"), EISDIR);
    T_ERR("unlink/enoent", unlink("nope"), ENOENT);
    int fd = open("d/z", O_CREAT | O_WRONLY, 0644);
    close(fd);
    fd = open("d/a", O_CREAT | O_WRONLY, 0644);
    close(fd);
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    char buf[1024];
    long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
    T_TRUE("getdents64", n > 0);
    int seen = 0, dots = 0;
    for (long off = 0; off < n;) {
        struct dirent64 *de = (struct dirent64 *)(buf + off);
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            dots++;
        else if (!strcmp(de->d_name, "a") && de->d_type == DT_REG)
            seen |= 1;
        else if (!strcmp(de->d_name, "z") && de->d_type == DT_REG)
            seen |= 2;
        else if (!strcmp(de->d_name, "e") && de->d_type == DT_DIR)
            seen |= 4;
        else
            seen |= 8;
        off += de->d_reclen;
    }
    T_EQ("getdents64/entries", seen, 7);
    T_EQ("getdents64/dots", dots, 2);
    T_EQ("getdents64/end", syscall(SYS_getdents64, dfd, buf, sizeof(buf)), 0);
    lseek(dfd, 0, SEEK_SET);
    T_ERR("getdents64/tiny-buffer", syscall(SYS_getdents64, dfd, buf, 8), EINVAL);
    T_ERR("getdents64/bad-buf", syscall(SYS_getdents64, dfd, BAD_KERNEL, sizeof(buf)), EFAULT);
    close(dfd);
    fd = open("f1", O_RDONLY);
    T_ERR("getdents64/not-dir", syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR);
    close(fd);
    T_ERR("getdents64/ebadf", syscall(SYS_getdents64, 999, buf, sizeof(buf)), EBADF);
    T_OK("unlink", unlink("d/a"));
    T_OK("unlinkat", unlinkat(AT_FDCWD, "d/z", 0));
    T_ERR("unlinkat/dir-without-flag", unlinkat(AT_FDCWD, "d/e", 0), EISDIR);
    T_OK("unlinkat/removedir", unlinkat(AT_FDCWD, "d/e", AT_REMOVEDIR));
    T_OK("rmdir", rmdir("d"));
    T_ERR("rmdir/gone", rmdir("d"), ENOENT);
}

static void test_links(void)
{
    struct stat st;
    T_OK("link", link("f1", "hard"));
    T_OK("stat/nlink", stat("f1", &st));
    T_EQ("link/nlink2", st.st_nlink, 2);
    T_ERR("link/eexist", link("f1", "hard"), EEXIST);
    T_ERR("link/enoent", link("nope", "hard2"), ENOENT);
    T_OK("symlink", symlink("f1", "sym"));
    T_ERR("symlink/eexist", symlink("f1", "sym"), EEXIST);
    char buf[64];
    long n = readlink("sym", buf, sizeof(buf));
    T_EQ("readlink/len", n, 2);
    T_TRUE("readlink/content", n == 2 && memcmp(buf, "f1", 2) == 0);
    T_EQ("readlink/truncated", readlink("sym", buf, 1), 1);
    T_ERR("readlink/not-link", readlink("f1", buf, sizeof(buf)), EINVAL);
    T_ERR("readlink/zero-size", syscall(SYS_readlink, "sym", buf, 0), EINVAL);
    T_OK("lstat", lstat("sym", &st));
    T_TRUE("lstat/is-link", S_ISLNK(st.st_mode));
    T_OK("stat/follows", stat("sym", &st));
    T_TRUE("stat/follows-regular", S_ISREG(st.st_mode));
    T_OK("symlink/dangling", symlink("nowhere", "dang"));
    T_ERR("open/dangling", open("dang", O_RDONLY), ENOENT);
    T_OK("symlink/loop-a", symlink("loopb", "loopa"));
    T_OK("symlink/loop-b", symlink("loopa", "loopb"));
    T_ERR("open/loop", open("loopa", O_RDONLY), ELOOP);
    T_ERR("open/nofollow", open("sym", O_RDONLY | O_NOFOLLOW), ELOOP);
    T_OK("rename", rename("hard", "hard2"));
    T_ERR("rename/enoent", rename("hard", "x"), ENOENT);
    T_OK("mkdir/rd", mkdir("rd", 0755));
    T_ERR("rename/file-over-dir", rename("hard2", "rd"), EISDIR);
    T_ERR("rename/dir-over-file", rename("rd", "hard2"), ENOTDIR);
    T_ERR("rename/into-self", rename("rd", "rd/sub"), EINVAL);
    T_OK("rename/replace", rename("hard2", "f1copy"));
    T_OK("renameat", renameat(AT_FDCWD, "f1copy", AT_FDCWD, "rd/f"));
    T_OK("stat/renamed", stat("rd/f", &st));
    T_EQ("unlink/nlink-after", (unlink("rd/f"), stat("f1", &st), st.st_nlink), 1);
    unlink("sym");
    unlink("dang");
    unlink("loopa");
    unlink("loopb");
    rmdir("rd");
}

static void test_truncate_chmod(void)
{
    struct stat st;
    T_OK("truncate/grow", truncate("f1", 5000));
    stat("f1", &st);
    T_EQ("truncate/size", st.st_size, 5000);
    T_ERR("truncate/negative", truncate("f1", -1), EINVAL);
    T_ERR("truncate/dir", truncate(".", 0), EISDIR);
    T_ERR("truncate/enoent", truncate("nope", 0), ENOENT);
    int fd = open("f1", O_RDWR);
    T_OK("ftruncate/shrink", ftruncate(fd, 3));
    fstat(fd, &st);
    T_EQ("ftruncate/size", st.st_size, 3);
    close(fd);
    fd = open("f1", O_RDONLY);
    T_ERR("ftruncate/rdonly", ftruncate(fd, 0), EINVAL);
    T_OK("fchmod", fchmod(fd, 0600));
    fstat(fd, &st);
    T_EQ("fchmod/mode", st.st_mode & 07777, 0600);
    close(fd);
    T_ERR("ftruncate/ebadf", ftruncate(999, 0), EBADF);
    T_OK("chmod", chmod("f1", 0751));
    stat("f1", &st);
    T_EQ("chmod/mode", st.st_mode & 07777, 0751);
    T_ERR("chmod/enoent", chmod("nope", 0644), ENOENT);
    mode_t old = umask(077);
    fd = open("masked", O_CREAT | O_WRONLY, 0666);
    fstat(fd, &st);
    T_EQ("umask/applied", st.st_mode & 0777, 0600);
    close(fd);
    T_EQ("umask/returns-old", umask(old), 077);
    unlink("masked");
    fd = creat("c", 0644);
    T_TRUE("creat", fd >= 0);
    T_ERR("creat/is-wronly", read(fd, &st, 1), EBADF);
    close(fd);
    unlink("c");
}

int main(void)
{
    check_init();
    mkdir(DIR_NAME, 0755);
    if (chdir(DIR_NAME) != 0) {
        printf("FAIL setup: chdir %s\n", errname(errno));
        return 1;
    }
    test_open_rw();
    test_vectors();
    test_stat_paths();
    test_dirs();
    test_links();
    test_truncate_chmod();
    unlink("f1");
    unlink("v");
    unlink("at");
    T_OK("chdir/up", chdir(".."));
    T_OK("rmdir/scratch", rmdir(DIR_NAME));
    return check_done("t_files");
}
