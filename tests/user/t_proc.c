/* Syscall tests: process life cycle (fork, vfork, execve, exit, exit_group, wait4, waitid), process
 * groups and sessions, uname. */
#include "check.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>

static const char *self;

static void test_fork_wait(void)
{
    fflush(stdout);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        _exit(getppid() == parent ? 42 : 1);
    T_TRUE("fork/returns-pid", pid > 0 && pid != parent);
    int status = 0;
    T_EQ("wait4/returns-pid", wait4(pid, &status, 0, NULL), pid);
    T_TRUE("wait4/exited", WIFEXITED(status));
    T_EQ("wait4/exit-code", WEXITSTATUS(status), 42);
    T_ERR("wait4/echild", wait4(-1, &status, 0, NULL), ECHILD);
    T_ERR("wait4/echild-pid", wait4(pid, &status, 0, NULL), ECHILD);
    T_ERR("wait4/bad-options", wait4(-1, &status, 0x1000000, NULL), EINVAL);

    pid = fork();
    if (pid == 0) {
        syscall(SYS_exit_group, 300);
        _exit(1);
    }
    waitpid(pid, &status, 0);
    T_EQ("exit/code-masked", WEXITSTATUS(status), 300 & 0xff);

    pid = fork();
    if (pid == 0) {
        pause();
        _exit(1);
    }
    T_EQ("wnohang/running", waitpid(pid, &status, WNOHANG), 0);
    kill(pid, SIGKILL);
    T_EQ("wait/killed-pid", waitpid(pid, &status, 0), pid);
    T_TRUE("wait/signaled", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    pid = fork();
    if (pid == 0)
        _exit(7);
    struct rusage ru;
    T_EQ("wait4/rusage", wait4(pid, &status, 0, &ru), pid);
    T_ERR("wait4/bad-status-ptr", (pid = fork()) == 0 ? (_exit(0), 0) : wait4(pid, BAD_KERNEL, 0, NULL),
          EFAULT);
    waitpid(pid, NULL, 0);
}

static void test_waitid(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(5);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    T_OK("waitid/exited", waitid(P_PID, pid, &si, WEXITED));
    T_EQ("waitid/si_pid", si.si_pid, pid);
    T_EQ("waitid/si_code", si.si_code, CLD_EXITED);
    T_EQ("waitid/si_status", si.si_status, 5);
    T_EQ("waitid/si_signo", si.si_signo, SIGCHLD);
    T_ERR("waitid/echild", waitid(P_ALL, 0, &si, WEXITED), ECHILD);
    T_ERR("waitid/no-options", waitid(P_ALL, 0, &si, 0), EINVAL);
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    memset(&si, 0, sizeof(si));
    T_OK("waitid/wnohang", waitid(P_PID, pid, &si, WEXITED | WNOHANG));
    T_EQ("waitid/wnohang-nothing", si.si_pid, 0);
    kill(pid, SIGTERM);
    T_OK("waitid/killed", waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    T_EQ("waitid/killed-code", si.si_code, CLD_KILLED);
    T_EQ("waitid/killed-status", si.si_status, SIGTERM);
    T_EQ("waitid/nowait-left-zombie", waitpid(pid, NULL, 0), pid);
}

static void test_exec(void)
{
    int fd = open("t_proc.notexec", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "plain text\n", 11);
    close(fd);
    char *argv[] = {"x", NULL};
    char *envp[] = {NULL};
    T_ERR("execve/enoent", execve("/nonexistent/prog", argv, envp), ENOENT);
    T_ERR("execve/eacces-mode", execve("t_proc.notexec", argv, envp), EACCES);
    chmod("t_proc.notexec", 0755);
    T_ERR("execve/enoexec", execve("t_proc.notexec", argv, envp), ENOEXEC);
    T_ERR("execve/dir", execve("/", argv, envp), EACCES);
    T_ERR("execve/efault-path", execve(BAD_KERNEL, argv, envp), EFAULT);
    T_ERR("execve/efault-argv", execve(self, BAD_NONCANON, envp), EFAULT);
    char *bad_argv[] = {"x", BAD_KERNEL, NULL};
    T_ERR("execve/efault-arg", execve(self, bad_argv, envp), EFAULT);
    unlink("t_proc.notexec");

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *a[] = {(char *)self, "child-args", "two", NULL};
        char *e[] = {"KESTREL_TEST=yes", NULL};
        execve(self, a, e);
        _exit(99);
    }
    int status;
    waitpid(pid, &status, 0);
    T_EQ("execve/child-status", WEXITSTATUS(status), 33);
}

/* The exec'd side of test_exec: checks its arguments and environment, exits 33 when right. */
static int exec_child(int argc, char **argv)
{
    const char *env = getenv("KESTREL_TEST");
    return argc == 3 && !strcmp(argv[2], "two") && env && !strcmp(env, "yes") ? 33 : 1;
}

static void test_vfork(void)
{
    volatile int touched = 0;
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        touched = 1; /* shares the parent's memory until _exit */
        _exit(3);
    }
    int status;
    waitpid(pid, &status, 0);
    T_EQ("vfork/shared-memory", touched, 1);
    T_EQ("vfork/status", WEXITSTATUS(status), 3);
}

static void child_sessions(void *arg)
{
    (void)arg;
    pid_t me = getpid();
    T_OK("setpgid/self", setpgid(0, 0));
    T_EQ("getpgid/self", getpgid(0), me);
    T_EQ("getpgrp", getpgrp(), me);
    T_ERR("setsid/group-leader", setsid(), EPERM);
    T_ERR("getpgid/esrch", getpgid(0x3fffffff), ESRCH);
    T_ERR("setpgid/negative", setpgid(0, -1), EINVAL);
    T_ERR("setpgid/esrch", setpgid(0x3fffffff, 0), ESRCH);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        check_failures = 0;
        pid_t sid = setsid();
        T_EQ("setsid/new", sid, getpid());
        T_EQ("getsid/new", getsid(0), getpid());
        T_EQ("getpgid/after-setsid", getpgid(0), getpid());
        T_ERR("setpgid/other-session", setpgid(0, getppid()), EPERM);
        fflush(stdout);
        _exit(check_failures ? 1 : 0);
    }
    int status;
    waitpid(pid, &status, 0);
    T_EQ("setsid/child", status, 0);
    T_ERR("setpgid/child-other-session", setpgid(pid, pid), ESRCH);
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    T_OK("setpgid/child", setpgid(pid, pid));
    T_EQ("getpgid/child", getpgid(pid), pid);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void test_uname(void)
{
    struct utsname u;
    T_OK("uname", uname(&u));
    T_TRUE("uname/machine", !strcmp(u.machine, "x86_64"));
    T_TRUE("uname/sysname-set", u.sysname[0] != 0);
    T_TRUE("uname/release-set", u.release[0] != 0);
    T_ERR("uname/efault", syscall(SYS_uname, BAD_KERNEL), EFAULT);
    T_TRUE("getpid/positive", getpid() > 0);
    T_EQ("gettid/main-thread", syscall(SYS_gettid), getpid());
}

/* A grandchild orphaned by its parent's exit gets a new parent (init, or a subreaper on the host). */
static void test_orphan(void)
{
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pid_t middle = getpid();
        if (fork() == 0) {
            while (getppid() == middle)
                usleep(1000);
            write(p[1], "R", 1);
            _exit(0);
        }
        _exit(0);
    }
    close(p[1]);
    waitpid(pid, NULL, 0);
    char c = 0;
    T_EQ("orphan/reparented", read(p[0], &c, 1), 1);
    close(p[0]);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child-args"))
        return exec_child(argc, argv);
    self = argv[0];
    check_init();
    test_fork_wait();
    test_waitid();
    test_exec();
    test_vfork();
    T_EQ("sessions/child", run_child(child_sessions, NULL), 0);
    test_uname();
    test_orphan();
    return check_done("t_proc");
}
