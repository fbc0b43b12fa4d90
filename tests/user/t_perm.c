/* Syscall tests: file permissions as Linux enforces them for an unprivileged user. Search
 * permission on every directory of a path, read/write/execute on files, write and search on a
 * directory to add or remove names, the sticky bit, the owner and group of new files (set-group-ID
 * directories), set-user-ID and set-group-ID executables, access(2) with the real ids, and root's
 * override. Expects to start as root; runs in a scratch directory under the cwd.
 * Run with "--ids" it only prints its ids, for the set-id checks. */
#include "check.h"
#include <fcntl.h>
#include <grp.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#define DIR_NAME "t_perm.d"
#define USER     1000
#define OTHER    1001
#define GROUP    1000

static const char *self_path;

static void make_file(const char *path, int mode, uid_t uid, gid_t gid)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd >= 0) {
        write(fd, "data\n", 5);
        close(fd);
    }
    chown(path, uid, gid);
    chmod(path, mode);
}

static void make_dir(const char *path, int mode, uid_t uid, gid_t gid)
{
    mkdir(path, 0700);
    chown(path, uid, gid);
    chmod(path, mode);
}

/* Copies this program to path (the set-id checks run copies of it with "--ids"). */
static int copy_self(const char *path)
{
    int in = open(self_path, O_RDONLY), out = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0755);
    char buf[4096];
    ssize_t n = in < 0 || out < 0 ? -1 : 0;
    while (n >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            n = -1;
    close(in);
    close(out);
    return n < 0 ? -1 : 0;
}

static void become(uid_t uid)
{
    if (setgroups(0, NULL) || setresgid(GROUP, GROUP, GROUP) || setresuid(uid, uid, uid)) {
        printf("FAIL become/%u\n", (unsigned)uid);
        _exit(1);
    }
}

static void test_search(void *arg)
{
    (void)arg;
    become(USER);
    T_ERR("stat/through-0700-dir", access("private/f", F_OK), EACCES);
    T_ERR("open/through-0700-dir", open("private/f", O_RDONLY), EACCES);
    T_ERR("open/0700-dir-itself", open("private", O_RDONLY | O_DIRECTORY), EACCES);
    T_ERR("chdir/0700-dir", chdir("private"), EACCES);
    T_ERR("stat/deep-through-0700", access("private/sub/g", F_OK), EACCES);
    struct stat st;
    T_OK("stat/through-0711-dir", stat("exec_only/f", &st));
    T_ERR("open/0711-dir-list", open("exec_only", O_RDONLY | O_DIRECTORY), EACCES);
    T_OK("open/file-in-0711-dir", close(open("exec_only/f", O_RDONLY)));
    T_OK("open/0744-dir-list", close(open("read_only", O_RDONLY | O_DIRECTORY)));
    T_ERR("stat/through-0744-dir", stat("read_only/f", &st), EACCES);
    T_ERR("stat/dotdot-through-0744", stat("read_only/..", &st), EACCES);
    T_OK("stat/0700-dir-itself", stat("private", &st));
}

static void test_files(void *arg)
{
    (void)arg;
    become(USER);
    T_ERR("open/0600-root-read", open("secret", O_RDONLY), EACCES);
    T_ERR("open/0600-root-write", open("secret", O_WRONLY), EACCES);
    T_OK("open/0644-root-read", close(open("public", O_RDONLY)));
    T_ERR("open/0644-root-write", open("public", O_WRONLY), EACCES);
    T_ERR("open/0644-root-trunc", open("public", O_RDONLY | O_TRUNC), EACCES);
    T_ERR("truncate/0644-root", truncate("public", 0), EACCES);
    T_ERR("access/0600-root-R", access("secret", R_OK), EACCES);
    T_OK("access/0644-root-R", access("public", R_OK));
    T_ERR("access/0644-root-W", access("public", W_OK), EACCES);
    T_ERR("access/0644-root-X", access("public", X_OK), EACCES);
    T_OK("open/group-readable", close(open("group_file", O_RDONLY)));
    T_ERR("open/owner-denied-despite-other", open("own_0077", O_RDONLY), EACCES);
    T_ERR("open/dir-write-eisdir-first", open("private", O_WRONLY), EISDIR);
    T_ERR("open/create-existing-excl", open("secret", O_CREAT | O_EXCL | O_RDONLY, 0600), EEXIST);
    T_ERR("execve/not-executable", execl("public", "public", (char *)NULL), EACCES);
}

static void test_dir_changes(void *arg)
{
    (void)arg;
    become(USER);
    T_ERR("creat/in-0755-root-dir", open("locked/new", O_CREAT | O_WRONLY, 0644), EACCES);
    T_ERR("mkdir/in-0755-root-dir", mkdir("locked/d", 0755), EACCES);
    T_ERR("mkdir/existing-eexist-first", mkdir("locked/f", 0755), EEXIST);
    T_ERR("symlink/in-0755-root-dir", symlink("x", "locked/l"), EACCES);
    T_ERR("mknod/fifo-in-0755-root-dir", mknod("locked/p", S_IFIFO | 0644, 0), EACCES);
    T_ERR("unlink/in-0755-root-dir", unlink("locked/f"), EACCES);
    T_ERR("unlink/dir-after-permission", unlink("locked/sub"), EACCES);
    T_ERR("rmdir/in-0755-root-dir", rmdir("locked/sub"), EACCES);
    T_ERR("rename/out-of-0755-root-dir", rename("locked/f", "mine/f"), EACCES);
    T_ERR("rename/into-0755-root-dir", rename("mine/own", "locked/own"), EACCES);
    T_ERR("link/into-0755-root-dir", link("mine/own", "locked/own2"), EACCES);
    T_ERR("unlink/trailing-slash-first", unlink("locked/f/"), ENOTDIR);
    T_OK("rename/within-own-dir", rename("mine/own", "mine/own2"));
    T_OK("mkdir/own-subdir", mkdir("mine/d", 0755));
    T_OK("chmod/own-subdir-0555", chmod("mine/d", 0555));
    T_ERR("rename/unwritable-dir-to-new-parent", rename("mine/d", "mine2/d"), EACCES);
    T_OK("rename/unwritable-dir-same-parent", rename("mine/d", "mine/e"));
    T_OK("chmod/own-subdir-0755", chmod("mine/e", 0755));
    T_OK("rename/writable-dir-to-new-parent", rename("mine/e", "mine2/e"));
}

static void test_owners(void *arg)
{
    (void)arg;
    become(USER);
    struct stat st;
    int fd = open("mine/created", O_CREAT | O_WRONLY, 0644);
    T_TRUE("creat/own-dir", fd >= 0);
    close(fd);
    T_OK("stat/created", stat("mine/created", &st));
    T_EQ("creat/owner-uid", st.st_uid, USER);
    T_EQ("creat/owner-gid", st.st_gid, GROUP);
    T_OK("mkdir/owner", mkdir("mine/newdir", 0755));
    T_OK("stat/newdir", stat("mine/newdir", &st));
    T_EQ("mkdir/owner-uid", st.st_uid, USER);
    T_OK("symlink/owner", symlink("created", "mine/link"));
    T_OK("lstat/link", lstat("mine/link", &st));
    T_EQ("symlink/owner-uid", st.st_uid, USER);
    T_OK("mknod/fifo-owner", mknod("mine/fifo", S_IFIFO | 0644, 0));
    T_OK("stat/fifo", stat("mine/fifo", &st));
    T_EQ("mknod/owner-uid", st.st_uid, USER);
    fd = open("setgid_dir/f", O_CREAT | O_WRONLY, 0644);
    T_TRUE("creat/in-setgid-dir", fd >= 0);
    close(fd);
    T_OK("stat/setgid-file", stat("setgid_dir/f", &st));
    T_EQ("creat/setgid-dir-group", st.st_gid, 3000);
    T_OK("mkdir/in-setgid-dir", mkdir("setgid_dir/d", 0755));
    T_OK("stat/setgid-subdir", stat("setgid_dir/d", &st));
    T_EQ("mkdir/setgid-dir-group", st.st_gid, 3000);
    T_TRUE("mkdir/setgid-bit-inherited", (st.st_mode & S_ISGID) != 0);
}

static void test_sticky_owner(void *arg)
{
    (void)arg;
    become(USER);
    T_ERR("unlink/sticky-others-file", unlink("sticky/rootfile"), EPERM);
    T_ERR("rename/sticky-others-file", rename("sticky/rootfile", "sticky/x"), EPERM);
    T_ERR("rmdir/sticky-others-dir", rmdir("sticky/rootdir"), EPERM);
    int fd = open("sticky/userfile", O_CREAT | O_WRONLY, 0644);
    T_TRUE("creat/sticky-dir", fd >= 0);
    close(fd);
    T_OK("rename/sticky-own-file", rename("sticky/userfile", "sticky/userfile2"));
    fd = open("sticky/keep", O_CREAT | O_WRONLY, 0644);
    close(fd);
    T_OK("unlink/sticky-own-file", unlink("sticky/userfile2"));
}

static void test_sticky_other(void *arg)
{
    (void)arg;
    become(OTHER);
    T_ERR("unlink/sticky-other-users-file", unlink("sticky/keep"), EPERM);
    T_OK("unlink/sticky-file-in-own-dir", unlink("sticky_owned/rootfile"));
}

/* Runs a copy of this program with "--ids" and checks the ids it printed. */
static void check_ids(const char *name, const char *path, const char *want)
{
    int fds[2];
    if (pipe(fds)) {
        check_report(name, 0, "pipe failed");
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        execl(path, path, "--ids", (char *)NULL);
        printf("exec failed: %s\n", errname(errno));
        fflush(stdout);
        _exit(1);
    }
    close(fds[1]);
    char buf[128] = {0};
    ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    if (n > 0 && buf[n - 1] == '\n')
        buf[n - 1] = 0;
    char detail[200];
    snprintf(detail, sizeof(detail), "got \"%s\", want \"%s\"", buf, want);
    check_report(name, strcmp(buf, want) == 0, detail);
}

static void test_setid_exec(void *arg)
{
    (void)arg;
    become(USER);
    check_ids("execve/setuid", "suid_prog", "uid=1000 euid=2000 gid=1000 egid=1000 secure=1");
    check_ids("execve/setgid", "sgid_prog", "uid=1000 euid=1000 gid=1000 egid=3000 secure=1");
    check_ids("execve/setgid-not-group-exec", "sgid_noexec_prog",
              "uid=1000 euid=1000 gid=1000 egid=1000 secure=0");
    check_ids("execve/exec-only-file", "exec_only_prog", "uid=1000 euid=1000 gid=1000 egid=1000 secure=0");
    T_ERR("open/exec-only-file-read", open("exec_only_prog", O_RDONLY), EACCES);
}

/* Root with a real uid of USER: open goes by the effective id, access(2) by the real one. */
static void test_access_real_ids(void *arg)
{
    (void)arg;
    if (setresuid(USER, 0, 0)) {
        printf("FAIL setresuid\n");
        return;
    }
    T_OK("open/effective-root", close(open("secret", O_RDONLY)));
    T_ERR("access/real-user", access("secret", R_OK), EACCES);
    T_ERR("access/real-user-search", access("private/f", F_OK), EACCES);
    T_OK("faccessat/eaccess-root", faccessat(AT_FDCWD, "secret", R_OK, AT_EACCESS));
}

static void test_root(void)
{
    T_OK("root/open-0000-file", close(open("nobody", O_RDWR)));
    T_ERR("root/exec-no-x-bits", access("nobody", X_OK), EACCES);
    T_OK("root/search-0000-dir", access("closed/f", F_OK));
    T_OK("root/unlink-in-sticky", unlink("sticky/keep"));
}

static void build_tree(void)
{
    make_dir("private", 0700, 0, 0);
    make_file("private/f", 0644, 0, 0);
    make_dir("private/sub", 0755, 0, 0);
    make_file("private/sub/g", 0644, 0, 0);
    make_dir("exec_only", 0711, 0, 0);
    make_file("exec_only/f", 0644, 0, 0);
    make_dir("read_only", 0744, 0, 0);
    make_file("read_only/f", 0644, 0, 0);
    make_file("secret", 0600, 0, 0);
    make_file("public", 0644, 0, 0);
    make_file("group_file", 0640, 0, GROUP);
    make_file("own_0077", 0077, USER, GROUP);
    make_file("nobody", 0000, 0, 0);
    make_dir("closed", 0000, 0, 0);
    make_file("closed/f", 0644, 0, 0);
    make_dir("locked", 0755, 0, 0);
    make_file("locked/f", 0644, 0, 0);
    make_dir("locked/sub", 0755, 0, 0);
    make_dir("mine", 0755, USER, GROUP);
    make_file("mine/own", 0644, USER, GROUP);
    make_dir("mine2", 0755, USER, GROUP);
    make_dir("setgid_dir", 02777, 0, 3000);
    make_dir("sticky", 01777, 0, 0);
    make_file("sticky/rootfile", 0666, 0, 0);
    make_dir("sticky/rootdir", 0777, 0, 0);
    make_dir("sticky_owned", 01777, OTHER, 0);
    make_file("sticky_owned/rootfile", 0666, 0, 0);
    const struct {
        const char *name;
        int mode;
        uid_t uid;
        gid_t gid;
    } progs[] = {
        {"suid_prog", 04755, 2000, 2000},
        {"sgid_prog", 02755, 2000, 3000},
        {"sgid_noexec_prog", 02745, 2000, 3000},
        {"exec_only_prog", 0711, 0, 0},
    };
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        if (copy_self(progs[i].name))
            printf("FAIL copy %s\n", progs[i].name);
        chown(progs[i].name, progs[i].uid, progs[i].gid); /* before chmod: chown clears set-id bits */
        chmod(progs[i].name, progs[i].mode);
    }
}

static void run(const char *name, void (*fn)(void *))
{
    int status = run_child(fn, NULL);
    check_report(name, status == 0, "a check in the child failed");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--ids") == 0) {
        printf("uid=%u euid=%u gid=%u egid=%u secure=%lu\n", (unsigned)getuid(), (unsigned)geteuid(),
               (unsigned)getgid(), (unsigned)getegid(), getauxval(AT_SECURE));
        return 0;
    }
    check_init();
    self_path = argv[0];
    char cwd[4096];
    if (self_path[0] != '/' && getcwd(cwd, sizeof(cwd))) {
        static char abs[8192];
        snprintf(abs, sizeof(abs), "%s/%s", cwd, self_path);
        self_path = abs;
    }
    umask(022);
    mkdir(DIR_NAME, 0755);
    if (chdir(DIR_NAME)) {
        printf("FAIL chdir %s\n", DIR_NAME);
        return 1;
    }
    build_tree();
    run("child/search", test_search);
    run("child/files", test_files);
    run("child/dir-changes", test_dir_changes);
    run("child/owners", test_owners);
    run("child/sticky-owner", test_sticky_owner);
    run("child/sticky-other", test_sticky_other);
    run("child/setid-exec", test_setid_exec);
    run("child/access-real-ids", test_access_real_ids);
    test_root();
    return check_done("t_perm");
}
