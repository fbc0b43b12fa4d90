/* Syscall tests: the file-descriptor table (dup, dup2, dup3, fcntl, close-on-exec, sharing of the
 * open file across fork, EMFILE under RLIMIT_NOFILE). */
#include "check.h"
#include <fcntl.h>
#include <sys/resource.h>

#define FILE_NAME "t_fds.tmp"

static void test_dup(void)
{
    int fd = open(FILE_NAME, O_CREAT | O_RDWR | O_TRUNC, 0600);
    int low = dup(fd);
    T_EQ("dup/lowest-free", low, fd + 1);
    T_EQ("dup/shares-offset", (write(fd, "abcd", 4), lseek(low, 0, SEEK_CUR)), 4);
    close(low);
    T_ERR("dup/ebadf", dup(999), EBADF);
    T_ERR("dup/negative", dup(-1), EBADF);
    T_EQ("dup2/target", dup2(fd, 50), 50);
    T_EQ("dup2/same-offset", lseek(50, 0, SEEK_CUR), 4);
    T_EQ("dup2/same-fd", dup2(fd, fd), fd);
    T_ERR("dup2/ebadf-old", dup2(999, 51), EBADF);
    T_ERR("dup2/ebadf-same", dup2(999, 999), EBADF);
    T_ERR("dup2/too-big", dup2(fd, 1 << 30), EBADF);
    T_EQ("dup2/replaces-open", dup2(0, 50), 50);
    T_ERR("dup3/same-fd", syscall(SYS_dup3, fd, fd, 0), EINVAL);
    T_ERR("dup3/bad-flags", syscall(SYS_dup3, fd, 52, 0x1234), EINVAL);
    T_EQ("dup3/cloexec", syscall(SYS_dup3, fd, 52, O_CLOEXEC), 52);
    T_EQ("fcntl/getfd-cloexec", fcntl(52, F_GETFD), FD_CLOEXEC);
    T_EQ("fcntl/getfd-plain", fcntl(fd, F_GETFD), 0);
    T_OK("fcntl/setfd", fcntl(52, F_SETFD, 0));
    T_EQ("fcntl/setfd-cleared", fcntl(52, F_GETFD), 0);
    T_EQ("fcntl/dupfd-min", fcntl(fd, F_DUPFD, 60), 60);
    T_EQ("fcntl/dupfd-next", fcntl(fd, F_DUPFD, 60), 61);
    T_EQ("fcntl/dupfd-cloexec", fcntl(fd, F_DUPFD_CLOEXEC, 70), 70);
    T_EQ("fcntl/dupfd-cloexec-flag", fcntl(70, F_GETFD), FD_CLOEXEC);
    T_ERR("fcntl/dupfd-negative", fcntl(fd, F_DUPFD, -1), EINVAL);
    T_EQ("fcntl/getfl", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK), O_RDWR);
    T_OK("fcntl/setfl", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
    T_EQ("fcntl/setfl-shared", fcntl(60, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK),
         O_RDWR | O_APPEND | O_NONBLOCK);
    T_OK("fcntl/setfl-clear", fcntl(fd, F_SETFL, 0));
    T_ERR("fcntl/ebadf", fcntl(999, F_GETFD), EBADF);
    T_ERR("fcntl/bad-cmd", fcntl(fd, 9999), EINVAL);
    close(50);
    close(52);
    close(60);
    close(61);
    close(70);
    close(fd);
}

static void child_shares_offset(void *arg)
{
    int fd = *(int *)arg;
    write(fd, "child", 5);
}

static void test_fork_sharing(void)
{
    int fd = open(FILE_NAME, O_RDWR | O_TRUNC);
    T_EQ("fork/child-exit", run_child(child_shares_offset, &fd), 0);
    T_EQ("fork/offset-shared", lseek(fd, 0, SEEK_CUR), 5);
    close(fd);
}

/* Re-executes this program with "probe FD": it reports whether FD survived execve. */
static void test_cloexec(const char *self)
{
    int keep = open(FILE_NAME, O_RDONLY);
    int drop = open(FILE_NAME, O_RDONLY | O_CLOEXEC);
    dup2(keep, 40);
    dup2(drop, 41);
    fcntl(41, F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)self, "probe", NULL};
        execve(self, argv, (char *[]){NULL});
        _exit(99);
    }
    int status;
    waitpid(pid, &status, 0);
    T_EQ("cloexec/probe-status", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
    close(keep);
    close(drop);
    close(40);
    close(41);
}

static int probe(void)
{
    T_OK("cloexec/kept-open", fcntl(40, F_GETFD));
    T_ERR("cloexec/closed", fcntl(41, F_GETFD), EBADF);
    return check_failures ? 1 : 0;
}

static void child_emfile(void *arg)
{
    (void)arg;
    struct rlimit rl = {16, 16};
    T_OK("emfile/setrlimit", setrlimit(RLIMIT_NOFILE, &rl));
    int last = -1, err = 0;
    for (int i = 0; i < 40; i++) {
        int fd = open(FILE_NAME, O_RDONLY);
        if (fd < 0) {
            err = errno;
            break;
        }
        last = fd;
    }
    T_EQ("emfile/last-fd", last, 15);
    T_EQ("emfile/errno", err, EMFILE);
    T_ERR("emfile/dup2-beyond-limit", dup2(0, 16), EBADF);
    T_ERR("emfile/fcntl-dupfd-beyond", fcntl(0, F_DUPFD, 16), EINVAL);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "probe"))
        return probe();
    check_init();
    test_dup();
    test_fork_sharing();
    test_cloexec(argv[0]);
    T_EQ("emfile/child", run_child(child_emfile, NULL), 0);
    unlink(FILE_NAME);
    return check_done("t_fds");
}
