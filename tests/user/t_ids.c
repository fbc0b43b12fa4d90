/* Syscall tests: credentials (uid/gid families, groups, EPERM once unprivileged), resource limits,
 * umask, working directory (getcwd, chdir, fchdir), arch_prctl, set_tid_address. Expects to start
 * as root, like /init's children in Kestrel and the test runner on the host. */
#include "check.h"
#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define ARCH_SET_FS 0x1002 /* Linux asm/prctl.h; musl ships no kernel headers */
#define ARCH_GET_FS 0x1003

static void test_root_ids(void)
{
    T_EQ("getuid/root", getuid(), 0);
    T_EQ("geteuid/root", geteuid(), 0);
    T_EQ("getgid/root", getgid(), 0);
    T_EQ("getegid/root", getegid(), 0);
    uid_t r, e, s;
    T_OK("getresuid", getresuid(&r, &e, &s));
    T_TRUE("getresuid/all-root", r == 0 && e == 0 && s == 0);
    T_ERR("getresuid/efault", syscall(SYS_getresuid, BAD_KERNEL, &e, &s), EFAULT);
    gid_t groups[4] = {10, 20, 30, 40};
    T_OK("setgroups/root", setgroups(3, groups));
    gid_t got[8];
    T_EQ("getgroups/count", getgroups(8, got), 3);
    T_TRUE("getgroups/values", got[0] == 10 && got[1] == 20 && got[2] == 30);
    T_EQ("getgroups/size-query", getgroups(0, NULL), 3);
    T_ERR("getgroups/too-small", getgroups(1, got), EINVAL);
    T_ERR("setgroups/too-many", syscall(SYS_setgroups, 1 << 20, groups), EINVAL);
    T_ERR("setgroups/efault", syscall(SYS_setgroups, 2, BAD_KERNEL), EFAULT);
}

/* Runs in a child: drops root and checks that privileged calls now fail with EPERM. */
static void child_unprivileged(void *arg)
{
    (void)arg;
    T_OK("setresgid/drop", setresgid(1000, 1000, 1000));
    T_OK("setgroups/clear", setgroups(0, NULL));
    T_OK("setresuid/drop", setresuid(1000, 1000, 1000));
    T_EQ("getuid/dropped", getuid(), 1000);
    T_EQ("geteuid/dropped", geteuid(), 1000);
    T_EQ("getgid/dropped", getgid(), 1000);
    T_ERR("setuid/eperm", setuid(0), EPERM);
    T_ERR("setgid/eperm", setgid(0), EPERM);
    T_ERR("setreuid/eperm", setreuid(0, 0), EPERM);
    T_ERR("setresuid/eperm", setresuid(-1, 0, -1), EPERM);
    gid_t g = 0;
    T_ERR("setgroups/eperm", setgroups(1, &g), EPERM);
    T_OK("setuid/same", setuid(1000));
    T_ERR("kill/init-eperm", kill(1, 0), EPERM);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_max += 1;
    T_ERR("setrlimit/raise-hard-eperm", setrlimit(RLIMIT_NOFILE, &rl), EPERM);
    T_ERR("open/root-only-file", open("t_ids.secret", O_RDONLY), EACCES);
    T_ERR("access/root-only-file", access("t_ids.secret", R_OK), EACCES);
    T_ERR("chmod/not-owner", chmod("t_ids.secret", 0777), EPERM);
    T_ERR("unlink/in-root-dir", unlink("t_ids.d/x"), EACCES);
    T_ERR("mkdir/in-root-dir", mkdir("t_ids.d/y", 0755), EACCES);
}

/* setuid as root with a saved set-user-id: the effective id can go back and forth. */
static void child_saved_ids(void *arg)
{
    (void)arg;
    T_OK("setresuid/keep-saved-root", setresuid(1000, 1000, 0));
    T_OK("seteuid/back-to-saved", seteuid(0));
    T_EQ("geteuid/restored", geteuid(), 0);
    T_OK("setreuid/swap", setreuid(-1, 1000));
    T_EQ("geteuid/swapped", geteuid(), 1000);
    T_OK("setuid/unprivileged-to-saved", setuid(0));
    T_EQ("geteuid/after-setuid", geteuid(), 0);
}

static void test_creds(void)
{
    int fd = open("t_ids.secret", O_CREAT | O_WRONLY | O_TRUNC, 0600);
    close(fd);
    mkdir("t_ids.d", 0755);
    fd = open("t_ids.d/x", O_CREAT | O_WRONLY, 0644);
    close(fd);
    T_EQ("unprivileged/child", run_child(child_unprivileged, NULL), 0);
    T_EQ("saved-ids/child", run_child(child_saved_ids, NULL), 0);
    unlink("t_ids.d/x");
    rmdir("t_ids.d");
    unlink("t_ids.secret");
}

static void test_limits(void)
{
    struct rlimit rl;
    T_OK("getrlimit/nofile", getrlimit(RLIMIT_NOFILE, &rl));
    T_TRUE("getrlimit/nofile-sane", rl.rlim_cur >= 64 && rl.rlim_cur <= rl.rlim_max);
    T_OK("getrlimit/stack", getrlimit(RLIMIT_STACK, &rl));
    T_ERR("getrlimit/bad-resource", syscall(SYS_getrlimit, 99, &rl), EINVAL);
    T_ERR("getrlimit/efault", syscall(SYS_getrlimit, RLIMIT_NOFILE, BAD_KERNEL), EFAULT);
    struct rlimit lower = {100, 200}, old;
    T_OK("prlimit64/set", syscall(SYS_prlimit64, 0, RLIMIT_CORE, &lower, &old));
    T_OK("prlimit64/get", syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &rl));
    T_TRUE("prlimit64/values", rl.rlim_cur == 100 && rl.rlim_max == 200);
    struct rlimit inverted = {300, 200};
    T_ERR("prlimit64/cur-above-max", syscall(SYS_prlimit64, 0, RLIMIT_CORE, &inverted, NULL), EINVAL);
    T_ERR("prlimit64/esrch", syscall(SYS_prlimit64, 0x3fffffff, RLIMIT_CORE, NULL, &rl), ESRCH);
    syscall(SYS_prlimit64, 0, RLIMIT_CORE, &old, NULL);
    mode_t old_mask = umask(027);
    T_EQ("umask/set-returns-old", umask(old_mask), 027);
    T_EQ("umask/high-bits-ignored", (umask(0777777), umask(old_mask)), 0777);
}

static void test_cwd(void)
{
    char buf[4096], start[4096];
    T_TRUE("getcwd", getcwd(start, sizeof(start)) != NULL);
    T_OK("chdir/root", chdir("/"));
    T_TRUE("getcwd/root", getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"));
    T_ERR("getcwd/erange", syscall(SYS_getcwd, buf, 1), ERANGE);
    T_ERR("getcwd/efault", syscall(SYS_getcwd, BAD_KERNEL, sizeof(buf)), EFAULT);
    T_ERR("chdir/enoent", chdir("/nonexistent"), ENOENT);
    T_OK("chdir/back", chdir(start));
    mkdir("t_ids.cwd", 0755);
    int fd = open("t_ids.cwd/file", O_CREAT | O_WRONLY, 0644);
    close(fd);
    T_ERR("chdir/enotdir", chdir("t_ids.cwd/file"), ENOTDIR);
    T_OK("chdir/relative", chdir("t_ids.cwd"));
    T_TRUE("getcwd/relative", getcwd(buf, sizeof(buf)) && strlen(buf) == strlen(start) + 10 &&
                                  !strcmp(buf + strlen(start), "/t_ids.cwd"));
    int dfd = open("..", O_RDONLY | O_DIRECTORY);
    T_OK("fchdir", fchdir(dfd));
    T_TRUE("getcwd/after-fchdir", getcwd(buf, sizeof(buf)) && !strcmp(buf, start));
    close(dfd);
    fd = open("t_ids.cwd/file", O_RDONLY);
    T_ERR("fchdir/enotdir", fchdir(fd), ENOTDIR);
    close(fd);
    T_ERR("fchdir/ebadf", fchdir(999), EBADF);
    unlink("t_ids.cwd/file");
    rmdir("t_ids.cwd");
}

static void test_arch(void)
{
    unsigned long fs = 0;
    T_OK("arch_prctl/get-fs", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
    T_TRUE("arch_prctl/fs-is-tls", fs != 0);
    T_ERR("arch_prctl/bad-code", syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);
    T_ERR("arch_prctl/noncanonical", syscall(SYS_arch_prctl, ARCH_SET_FS, BAD_NONCANON), EPERM);
    T_ERR("arch_prctl/get-efault", syscall(SYS_arch_prctl, ARCH_GET_FS, BAD_KERNEL), EFAULT);
    static int tid_word;
    T_EQ("set_tid_address/returns-tid", syscall(SYS_set_tid_address, &tid_word), syscall(SYS_gettid));
}

int main(void)
{
    check_init();
    test_root_ids();
    test_creds();
    test_limits();
    test_cwd();
    test_arch();
    return check_done("t_ids");
}
