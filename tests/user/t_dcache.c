/* Syscall tests: name lookups stay exact while the kernel caches them (Kestrel's dentry cache with
 * negative entries, docs/vfs.md). Each sequence first makes a name's answer known (found or not
 * found), then changes the namespace, then asks again: creating after a failed stat, unlink,
 * rename over a file and RENAME_EXCHANGE, rmdir and mkdir of the same name, a replaced directory,
 * mounts over a cached directory, a chroot, search permission on a cached path, /proc entries of
 * exited processes, and (when /mnt/fat is a vfat mount) case-insensitive names. Runs as root in a
 * scratch directory under the cwd. */
#include "check.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#define NOBODY            65534
#define MSDOS_SUPER_MAGIC 0x4d44
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static void private_namespace(void)
{
    /* Linux gets a private mount namespace so the tmpfs mounted here leaks nowhere. */
    if (unshare(CLONE_NEWNS) == 0)
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

static int put(const char *path, const char *text)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The file's first bytes as a string, or "" when it cannot be read. */
static const char *get(const char *path)
{
    static char buf[64];
    buf[0] = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return buf;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_create_after_miss(void)
{
    struct stat st;
    T_ERR("miss/file-enoent", stat("f", &st), ENOENT);
    T_OK("miss/create-file", put("f", "one"));
    T_OK("miss/file-found", stat("f", &st));
    T_ERR("miss/dir-enoent", stat("d", &st), ENOENT);
    T_OK("miss/mkdir", mkdir("d", 0755));
    T_OK("miss/dir-found", stat("d", &st));
    T_TRUE("miss/dir-is-dir", S_ISDIR(st.st_mode));
    T_ERR("miss/link-enoent", lstat("sl", &st), ENOENT);
    T_ERR("miss/dangling-target-enoent", stat("target", &st), ENOENT);
    T_OK("miss/symlink", symlink("target", "sl"));
    T_ERR("miss/symlink-dangles", stat("sl", &st), ENOENT);
    T_OK("miss/create-target", put("target", "t"));
    T_EQ("miss/symlink-resolves", strcmp(get("sl"), "t"), 0);
    T_ERR("miss/hardlink-enoent", stat("hl", &st), ENOENT);
    T_OK("miss/link", link("f", "hl"));
    T_EQ("miss/hardlink-reads", strcmp(get("hl"), "one"), 0);
    T_ERR("miss/fifo-enoent", stat("fifo", &st), ENOENT);
    T_OK("miss/mkfifo", mknod("fifo", S_IFIFO | 0644, 0));
    T_OK("miss/fifo-found", stat("fifo", &st));
    T_TRUE("miss/fifo-is-fifo", S_ISFIFO(st.st_mode));
    T_ERR("miss/excl-enoent", stat("excl", &st), ENOENT);
    int fd = open("excl", O_CREAT | O_EXCL | O_WRONLY, 0600);
    T_TRUE("miss/excl-create", fd >= 0);
    close(fd);
    T_ERR("miss/excl-again-eexist", open("excl", O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST);
}

static void test_unlink(void)
{
    struct stat st;
    T_OK("unlink/setup", put("u", "data"));
    T_OK("unlink/stat-before", stat("u", &st));
    int fd = open("u", O_RDONLY);
    T_OK("unlink/unlink", unlink("u"));
    T_ERR("unlink/stat-after-enoent", stat("u", &st), ENOENT);
    T_ERR("unlink/again-enoent", unlink("u"), ENOENT);
    T_OK("unlink/fstat-open", fstat(fd, &st));
    T_EQ("unlink/nlink-zero", st.st_nlink, 0);
    char buf[8] = {0};
    T_EQ("unlink/still-readable", read(fd, buf, sizeof(buf)), 4);
    close(fd);
    /* One of two hard links goes: the other name still finds the file. */
    T_OK("unlink/hardlinked", unlink("f"));
    T_ERR("unlink/f-gone", stat("f", &st), ENOENT);
    T_OK("unlink/hl-stays", stat("hl", &st));
    T_EQ("unlink/hl-nlink", st.st_nlink, 1);
    T_OK("unlink/recreate", put("u", "new"));
    T_EQ("unlink/recreated-reads", strcmp(get("u"), "new"), 0);
}

static void test_rename(void)
{
    struct stat st, a, b;
    T_OK("rename/setup-a", put("ra", "A"));
    T_OK("rename/setup-b", put("rb", "B"));
    T_OK("rename/stat-a", stat("ra", &a));
    T_OK("rename/stat-b", stat("rb", &b));
    T_OK("rename/over-existing", rename("ra", "rb"));
    T_ERR("rename/old-name-enoent", stat("ra", &st), ENOENT);
    T_OK("rename/new-name", stat("rb", &st));
    T_TRUE("rename/new-name-is-moved-inode", st.st_ino == a.st_ino);
    T_EQ("rename/new-name-reads", strcmp(get("rb"), "A"), 0);
    T_OK("rename/to-fresh", rename("rb", "rc"));
    T_ERR("rename/fresh-old-enoent", stat("rb", &st), ENOENT);
    T_EQ("rename/fresh-reads", strcmp(get("rc"), "A"), 0);

    T_OK("exchange/setup-x", put("xa", "X"));
    T_OK("exchange/setup-dir", mkdir("xd", 0755));
    T_OK("exchange/setup-inside", put("xd/in", "I"));
    T_OK("exchange/stat-x", stat("xa", &a));
    T_OK("exchange/stat-inside", stat("xd/in", &st));
    T_OK("exchange/swap", syscall(SYS_renameat2, AT_FDCWD, "xa", AT_FDCWD, "xd", RENAME_EXCHANGE));
    T_OK("exchange/xa-now-dir", stat("xa", &st));
    T_TRUE("exchange/xa-is-dir", S_ISDIR(st.st_mode));
    T_EQ("exchange/inside-moved", strcmp(get("xa/in"), "I"), 0);
    T_ERR("exchange/old-inside-enotdir", stat("xd/in", &st), ENOTDIR);
    T_OK("exchange/xd-now-file", stat("xd", &st));
    T_TRUE("exchange/xd-is-file", st.st_ino == a.st_ino);
    T_EQ("exchange/xd-reads", strcmp(get("xd"), "X"), 0);

    /* A directory renamed in the middle of a long path. */
    T_OK("deep/mkdirs", mkdir("p1", 0755) | mkdir("p1/p2", 0755) | mkdir("p1/p2/p3", 0755) |
                            mkdir("p1/p2/p3/p4", 0755) | mkdir("p1/p2/p3/p4/p5", 0755));
    T_OK("deep/file", put("p1/p2/p3/p4/p5/leaf", "L"));
    T_OK("deep/stat", stat("p1/p2/p3/p4/p5/leaf", &st));
    T_OK("deep/rename-middle", rename("p1/p2", "p1/q2"));
    T_ERR("deep/old-path-enoent", stat("p1/p2/p3/p4/p5/leaf", &st), ENOENT);
    T_EQ("deep/new-path-reads", strcmp(get("p1/q2/p3/p4/p5/leaf"), "L"), 0);
    T_OK("deep/move-up", rename("p1/q2/p3/p4", "p4"));
    T_ERR("deep/moved-away-enoent", stat("p1/q2/p3/p4/p5/leaf", &st), ENOENT);
    T_EQ("deep/moved-reads", strcmp(get("p4/p5/leaf"), "L"), 0);
    T_EQ("deep/dotdot-follows", strcmp(get("p4/p5/../p5/leaf"), "L"), 0);
    T_OK("deep/dotdot-is-new-parent", stat("p4/..", &st));
    T_OK("deep/cwd", stat(".", &a));
    T_TRUE("deep/dotdot-ino", st.st_ino == a.st_ino);
}

static void test_rmdir_mkdir(void)
{
    struct stat st;
    T_OK("rmdir/setup", mkdir("r", 0755));
    T_OK("rmdir/file", put("r/x", "x"));
    T_OK("rmdir/stat-x", stat("r/x", &st));
    T_ERR("rmdir/stat-y-enoent", stat("r/y", &st), ENOENT);
    T_ERR("rmdir/not-empty", rmdir("r"), ENOTEMPTY);
    T_OK("rmdir/unlink-x", unlink("r/x"));
    T_OK("rmdir/rmdir", rmdir("r"));
    T_ERR("rmdir/gone-enoent", stat("r", &st), ENOENT);
    T_ERR("rmdir/inside-enoent", stat("r/x", &st), ENOENT);
    T_OK("rmdir/mkdir-again", mkdir("r", 0700));
    T_OK("rmdir/new-dir", stat("r", &st));
    T_EQ("rmdir/new-mode", st.st_mode & 0777, 0700);
    T_ERR("rmdir/new-dir-empty-x", stat("r/x", &st), ENOENT);
    T_ERR("rmdir/new-dir-empty-y", stat("r/y", &st), ENOENT);
    T_OK("rmdir/create-y", put("r/y", "y"));
    T_EQ("rmdir/y-reads", strcmp(get("r/y"), "y"), 0);

    /* A directory replaced by rename: the names looked up in the old one mean nothing now. */
    T_OK("replace/old", mkdir("old", 0755));
    T_ERR("replace/old-miss", stat("old/n", &st), ENOENT);
    T_OK("replace/new", mkdir("new", 0755));
    T_OK("replace/new-file", put("new/n", "n"));
    T_OK("replace/rename", rename("new", "old"));
    T_EQ("replace/found", strcmp(get("old/n"), "n"), 0);
    T_ERR("replace/source-enoent", stat("new/n", &st), ENOENT);
}

/* A cached directory covered by a mount, then uncovered. */
static void test_mount_crossing(void)
{
    struct stat st;
    T_OK("mnt/setup", mkdir("m", 0755));
    T_OK("mnt/under", put("m/under", "u"));
    T_OK("mnt/stat-under", stat("m/under", &st));
    T_ERR("mnt/miss-over", stat("m/over", &st), ENOENT);
    T_OK("mnt/mount", mount("none", "m", "tmpfs", 0, NULL));
    T_ERR("mnt/under-hidden", stat("m/under", &st), ENOENT);
    T_OK("mnt/over", put("m/over", "o"));
    T_EQ("mnt/over-reads", strcmp(get("m/over"), "o"), 0);
    T_OK("mnt/umount", umount2("m", 0));
    T_ERR("mnt/over-gone", stat("m/over", &st), ENOENT);
    T_EQ("mnt/under-back", strcmp(get("m/under"), "u"), 0);
}

/* Inside a chroot "/" and ".." stop at the new root: names cached outside it must not answer for
 * the same spellings inside. */
static void in_chroot(void *arg)
{
    (void)arg;
    if (chroot("c") != 0 || chdir("/") != 0) {
        printf("FAIL chroot/enter\n");
        _exit(1);
    }
    T_EQ("chroot/x-is-inner", strcmp(get("/x"), "inner"), 0);
    T_EQ("chroot/dotdot-stops", strcmp(get("/../x"), "inner"), 0);
    T_EQ("chroot/relative", strcmp(get("x"), "inner"), 0);
    struct stat st;
    T_ERR("chroot/outer-only-enoent", stat("/only-outside", &st), ENOENT);
}

static void test_chroot(void)
{
    struct stat st;
    T_OK("chroot/setup-outer", put("x", "outer"));
    T_OK("chroot/setup-only", put("only-outside", "o"));
    T_OK("chroot/setup-dir", mkdir("c", 0755));
    T_OK("chroot/setup-inner", put("c/x", "inner"));
    T_OK("chroot/stat-outer", stat("x", &st));
    T_ERR("chroot/miss-inner", stat("c/only-outside", &st), ENOENT);
    T_EQ("chroot/child", run_child(in_chroot, NULL), 0);
    T_EQ("chroot/outer-unchanged", strcmp(get("x"), "outer"), 0);
}

/* A path another user could walk a moment ago: once a directory loses its search permission the
 * walk fails there, cached or not. fds[0] tells the parent the first walks are done, fds[1] says
 * the directory has changed. */
static void walk_as_nobody(const int *fds)
{
    struct stat st;
    if (setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY)) {
        printf("FAIL perm/setresuid\n");
        _exit(1);
    }
    T_OK("perm/walk-open", stat("pd/f", &st));
    T_ERR("perm/miss-open", stat("pd/missing", &st), ENOENT);
    T_OK("perm/walk-again", stat("pd/f", &st));
    fflush(stdout);
    char c = 'x';
    if (write(fds[0], &c, 1) != 1 || read(fds[1], &c, 1) != 1)
        _exit(1);
    T_ERR("perm/walk-eacces", stat("pd/f", &st), EACCES);
    T_ERR("perm/miss-eacces", stat("pd/missing", &st), EACCES);
    T_ERR("perm/open-eacces", open("pd/f", O_RDONLY), EACCES);
}

static void test_search_permission(void)
{
    T_OK("perm/setup", mkdir("pd", 0755));
    T_OK("perm/file", put("pd/f", "f"));
    T_OK("perm/scratch-searchable", chmod(".", 0755));
    int done[2], go[2];
    if (pipe(done) != 0 || pipe(go) != 0)
        return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        check_failures = 0;
        walk_as_nobody((const int[]){done[1], go[0]});
        fflush(stdout);
        _exit(check_failures ? 1 : 0);
    }
    char c = 'x';
    T_EQ("perm/child-walked", read(done[0], &c, 1), 1);
    T_OK("perm/chmod", chmod("pd", 0700));
    ssize_t woke = write(go[1], &c, 1); /* reported after the child's lines, which come first */
    int status = -1;
    waitpid(pid, &status, 0);
    T_EQ("perm/wake", woke, 1);
    T_EQ("perm/child", status, 0);
    close(done[0]);
    close(done[1]);
    close(go[0]);
    close(go[1]);
}

/* procfs changes without anyone renaming anything: a reaped process's directory goes. */
static void test_proc(void)
{
    int p[2];
    if (pipe(p) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        read(p[0], &c, 1);
        _exit(0);
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    struct stat st;
    T_OK("proc/live-child", stat(path, &st));
    T_OK("proc/live-child-again", stat(path, &st));
    write(p[1], "x", 1);
    waitpid(pid, NULL, 0);
    T_ERR("proc/reaped-enoent", stat(path, &st), ENOENT);
    close(p[0]);
    close(p[1]);
}

/* Like check_report, but silent on success: the host has no FAT volume, so a passing run must
 * print what the host prints (nothing). */
#define FAT_CHECK(name, ok)                                                                                  \
    do {                                                                                                     \
        if (!(ok))                                                                                           \
            check_report(name, 0, "");                                                                       \
    } while (0)

static void test_fat_case(void)
{
    struct statfs sf;
    if (statfs("/mnt/fat", &sf) != 0 || sf.f_type != MSDOS_SUPER_MAGIC)
        return;
    struct stat st, st2;
    FAT_CHECK("fat/setup", mkdir("/mnt/fat/t_dcache", 0755) == 0);
    FAT_CHECK("fat/miss-mixed", stat("/mnt/fat/t_dcache/Notes.txt", &st) == -1 && errno == ENOENT);
    FAT_CHECK("fat/miss-upper", stat("/mnt/fat/t_dcache/NOTES.TXT", &st) == -1 && errno == ENOENT);
    FAT_CHECK("fat/create-lower", put("/mnt/fat/t_dcache/notes.txt", "n") == 0);
    FAT_CHECK("fat/found-mixed", stat("/mnt/fat/t_dcache/Notes.txt", &st) == 0);
    FAT_CHECK("fat/found-upper", stat("/mnt/fat/t_dcache/NOTES.TXT", &st2) == 0 && st2.st_ino == st.st_ino);
    FAT_CHECK("fat/found-dot", stat("/mnt/fat/t_dcache/notes.txt.", &st2) == 0 && st2.st_ino == st.st_ino);
    FAT_CHECK("fat/unlink-other-case", unlink("/mnt/fat/t_dcache/NoTeS.tXt") == 0);
    FAT_CHECK("fat/gone-mixed", !exists("/mnt/fat/t_dcache/Notes.txt"));
    FAT_CHECK("fat/gone-upper", !exists("/mnt/fat/t_dcache/NOTES.TXT"));
    FAT_CHECK("fat/mkdir", mkdir("/mnt/fat/t_dcache/Dir", 0755) == 0);
    FAT_CHECK("fat/miss-inside", !exists("/mnt/fat/t_dcache/DIR/x"));
    FAT_CHECK("fat/create-inside", put("/mnt/fat/t_dcache/dir/X", "x") == 0);
    FAT_CHECK("fat/found-inside", strcmp(get("/mnt/fat/t_dcache/DIR/x"), "x") == 0);
    FAT_CHECK("fat/rename-case", rename("/mnt/fat/t_dcache/dIR", "/mnt/fat/t_dcache/Other") == 0);
    FAT_CHECK("fat/renamed-old-gone", !exists("/mnt/fat/t_dcache/dir"));
    FAT_CHECK("fat/renamed-found", strcmp(get("/mnt/fat/t_dcache/OTHER/x"), "x") == 0);
    FAT_CHECK("fat/unlink-inside", unlink("/mnt/fat/t_dcache/other/X") == 0);
    FAT_CHECK("fat/rmdir", rmdir("/mnt/fat/t_dcache/oThEr") == 0);
    FAT_CHECK("fat/rmdir-gone", !exists("/mnt/fat/t_dcache/Other"));
    FAT_CHECK("fat/mkdir-again", mkdir("/mnt/fat/t_dcache/other", 0755) == 0);
    FAT_CHECK("fat/new-dir-empty", !exists("/mnt/fat/t_dcache/OTHER/X"));
    FAT_CHECK("fat/cleanup", rmdir("/mnt/fat/t_dcache/other") == 0 && rmdir("/mnt/fat/t_dcache") == 0);
}

int main(void)
{
    check_init();
    private_namespace();
    mkdir("t_dcache.d", 0755);
    if (chdir("t_dcache.d") != 0)
        return 1;
    test_create_after_miss();
    test_unlink();
    test_rename();
    test_rmdir_mkdir();
    test_mount_crossing();
    test_chroot();
    test_search_permission();
    test_proc();
    test_fat_case();
    return check_done("t_dcache");
}
