/* /init, the first user process: sets up the console and mounts, then either keeps shells running on
 * the terminals listed in /etc/init.conf (reaping every orphan), or, for tools/krun and the in-Kestrel
 * test suites, runs programs with their output framed on the console and powers the machine off.
 * The framing and the command-line contract are described in docs/userland.md. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS        64
#define MAX_RESPAWN     8
#define FRAME_DATA      64 /* payload bytes per framed line: 128 hex digits */
#define KRUN_ARGV       "/krun/argv"
#define KRUN_TESTS      "/krun/tests"
#define TESTS_DIR       "/tests"
#define CMDLINE_SIZE    1024
#define TEST_TIME_LIMIT 60 /* seconds one /tests program may run in tests mode */

static char *child_env[] = {
    "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root", "USER=root", "SHELL=/bin/sh", "TERM=vt100", NULL};

/* Writes all of buf to fd, retrying short writes (the console may take it in pieces). */
static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void say(const char *fmt, const char *arg)
{
    char line[256];
    int n = snprintf(line, sizeof(line), fmt, arg);
    write_all(1, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* fds 0-2 on /dev/console when it opens; otherwise whatever the kernel gave us stays. */
static void setup_console(void)
{
    int fd = open("/dev/console", O_RDWR | O_NOCTTY);
    if (fd < 0)
        return;
    for (int i = 0; i < 3; i++)
        if (fd != i)
            dup2(fd, i);
    if (fd > 2)
        close(fd);
}

/* Mounts are best effort: a kernel without mount(2) or without a filesystem type is fine. */
static void setup_mounts(void)
{
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    if (access("/dev/null", F_OK) != 0)
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
}

/* The value of key=VALUE from the kernel command line (/proc/cmdline), the environment (Linux hands
 * unknown key=value parameters to init there) or argv; NULL when absent. */
static const char *param(const char *key, int argc, char **argv)
{
    static char cmdline[CMDLINE_SIZE];
    static int loaded;
    size_t klen = strlen(key);
    if (!loaded) {
        loaded = 1;
        int fd = open("/proc/cmdline", O_RDONLY);
        if (fd >= 0) {
            ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);
            cmdline[n > 0 ? n : 0] = 0;
            close(fd);
        }
    }
    for (char *p = cmdline; (p = strstr(p, key)) != NULL; p += klen)
        if ((p == cmdline || p[-1] == ' ') && p[klen] == '=') {
            static char value[CMDLINE_SIZE];
            size_t n = strcspn(p + klen + 1, " \n");
            memcpy(value, p + klen + 1, n);
            value[n] = 0;
            return value;
        }
    const char *env = getenv(key);
    if (env)
        return env;
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], key, klen) && argv[i][klen] == '=')
            return argv[i] + klen + 1;
    return NULL;
}

/* Reads a whole small file into buf (NUL-terminated); the length, or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t total = 0, n;
    while (total < (ssize_t)size - 1 && (n = read(fd, buf + total, size - 1 - total)) > 0)
        total += n;
    close(fd);
    buf[total] = 0;
    return total;
}

/* One framed line on the console: "@@KRUN <tag> <hex payload>". Each line is one write, so lines from
 * the stdout and stderr relays never interleave within a line. */
static void frame(char tag, const unsigned char *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char line[16 + 2 * FRAME_DATA];
    size_t n = (size_t)snprintf(line, sizeof(line), "@@KRUN %c ", tag);
    for (size_t i = 0; i < len; i++) {
        line[n++] = hex[data[i] >> 4];
        line[n++] = hex[data[i] & 15];
    }
    line[n++] = '\n';
    write_all(1, line, n);
}

/* A relay process: copies the pipe to the console as frames of the given tag until end of file. It
 * closes the other pipe ends it inherited (fds[]), or its own copy of a write end would keep the
 * end of file from ever coming. */
static pid_t start_relay(int rfd, char tag, const int fds[4])
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    for (int i = 0; i < 4; i++)
        if (fds[i] != rfd)
            close(fds[i]);
    unsigned char buf[FRAME_DATA];
    ssize_t n;
    while ((n = read(rfd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        frame(tag, buf, (size_t)n);
    }
    _exit(0);
}

/* Waits for pid, reaping any orphan that exits meanwhile; returns pid's wait status. */
static int wait_for(pid_t pid)
{
    int status;
    for (;;) {
        pid_t got = wait(&status);
        if (got == pid)
            return status;
        if (got < 0 && errno != EINTR)
            return -1;
    }
}

static void exec_with_shell(char *const argv[])
{
    char *args[MAX_ARGS + 2] = {"/bin/sh"};
    int n = 1;
    for (int i = 0; argv[i] && n < MAX_ARGS + 1; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    execve(args[0], args, child_env);
}

static void child_exec(char *const argv[], int out, int err)
{
    int null = open("/dev/null", O_RDONLY);
    dup2(null >= 0 ? null : 0, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (chdir("/tmp") != 0)
        chdir("/");
    execve(argv[0], argv, child_env);
    if (errno == ENOEXEC) /* a script without "#!": run it with the shell, as sh itself would */
        exec_with_shell(argv);
    char msg[160];
    int n = snprintf(msg, sizeof(msg), "init: cannot execute %s: %s\n", argv[0], strerror(errno));
    write_all(2, msg, (size_t)n);
    _exit(127);
}

/* A process that kills pid after `seconds` unless it is killed first: one hung test must not keep
 * the tests after it from running. */
static pid_t start_watchdog(pid_t pid, int seconds)
{
    pid_t dog = fork();
    if (dog != 0)
        return dog;
    sleep((unsigned)seconds);
    kill(pid, SIGKILL);
    _exit(0);
}

/* Runs argv with stdout and stderr framed (tags O and E), then reports "@@KRUN X <label> exit N" or
 * "... signal N". A positive time_limit (seconds) kills it when it runs longer. Returns the wait
 * status. */
static int run_framed(const char *label, char *const argv[], int time_limit)
{
    int out[2], err[2];
    /* Close-on-exec, so the program keeps only the copies dup2 makes on fds 1 and 2. */
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        say("@@KRUN X %s error pipe\n", label);
        return -1;
    }
    int fds[4] = {out[0], out[1], err[0], err[1]};
    pid_t relay_out = start_relay(out[0], 'O', fds);
    pid_t relay_err = start_relay(err[0], 'E', fds);
    pid_t pid = fork();
    if (pid == 0)
        child_exec(argv, out[1], err[1]);
    for (int i = 0; i < 2; i++) {
        close(out[i]);
        close(err[i]);
    }
    pid_t dog = pid > 0 && time_limit > 0 ? start_watchdog(pid, time_limit) : -1;
    int status = pid > 0 ? wait_for(pid) : -1;
    if (dog > 0) {
        kill(dog, SIGKILL);
        wait_for(dog);
    }
    wait_for(relay_out);
    wait_for(relay_err);
    char line[160];
    if (status == -1)
        snprintf(line, sizeof(line), "@@KRUN X %s error fork\n", label);
    else if (WIFSIGNALED(status))
        snprintf(line, sizeof(line), "@@KRUN X %s signal %d\n", label, WTERMSIG(status));
    else
        snprintf(line, sizeof(line), "@@KRUN X %s exit %d\n", label, WEXITSTATUS(status));
    write_all(1, line, strlen(line));
    return status;
}

static void power_off(void)
{
    sync();
    say("@@KRUN END%s\n", "");
    reboot(RB_POWER_OFF);
    for (;;)
        pause(); /* init must never exit: the kernel would have nothing left to run */
}

/* krun mode: /krun/argv holds the program's argv, NUL-separated. */
static void krun_mode(const char *argv_file)
{
    static char buf[8192];
    ssize_t len = read_file(argv_file, buf, sizeof(buf));
    char *args[MAX_ARGS + 1];
    int n = 0;
    for (ssize_t i = 0; len > 0 && i < len && n < MAX_ARGS; i += (ssize_t)strlen(buf + i) + 1)
        args[n++] = buf + i;
    args[n] = NULL;
    say("@@KRUN START%s\n", "");
    if (n == 0)
        say("@@KRUN X krun error %s\n", "no-argv");
    else
        run_framed("krun", args, 0);
    power_off();
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* tests mode: runs each named program of /tests ("all": every t_* program), one after another. */
static void tests_mode(const char *list)
{
    static char names[4096];
    char *progs[128];
    int n = 0;
    if (!strcmp(list, "all")) {
        DIR *d = opendir(TESTS_DIR);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL && n < 128)
            if (!strncmp(de->d_name, "t_", 2))
                progs[n++] = strdup(de->d_name);
        if (d)
            closedir(d);
        qsort(progs, (size_t)n, sizeof(progs[0]), by_name);
    } else {
        snprintf(names, sizeof(names), "%s", list);
        for (char *s = strtok(names, ",\n "); s && n < 128; s = strtok(NULL, ",\n "))
            progs[n++] = s;
    }
    say("@@KRUN START%s\n", "");
    for (int i = 0; i < n; i++) {
        char path[300];
        snprintf(path, sizeof(path), TESTS_DIR "/%s", progs[i]);
        char *args[] = {path, NULL};
        say("@@KRUN B %s\n", progs[i]);
        run_framed(progs[i], args, TEST_TIME_LIMIT);
    }
    power_off();
}

struct respawn {
    char tty[64];
    char prog[128];
    pid_t pid;
    time_t started;
};

static struct respawn entries[MAX_RESPAWN];
static int nentries;

static void load_config(void)
{
    static char conf[4096];
    if (read_file("/etc/init.conf", conf, sizeof(conf)) < 0)
        snprintf(conf, sizeof(conf), "respawn /dev/console -/bin/sh\n");
    for (char *line = strtok(conf, "\n"); line && nentries < MAX_RESPAWN; line = strtok(NULL, "\n")) {
        struct respawn *r = &entries[nentries];
        if (sscanf(line, "respawn %63s %127s", r->tty, r->prog) == 2 && access(r->tty, F_OK) == 0)
            nentries++;
    }
}

/* The child side of a respawned program: a new session whose controlling terminal is the tty. */
static void start_on_tty(const struct respawn *r)
{
    setsid();
    int fd = open(r->tty, O_RDWR);
    if (fd < 0)
        _exit(126);
    ioctl(fd, TIOCSCTTY, 0);
    for (int i = 0; i < 3; i++)
        dup2(fd, i);
    if (fd > 2)
        close(fd);
    const char *path = r->prog[0] == '-' ? r->prog + 1 : r->prog;
    char argv0[130];
    const char *base = strrchr(path, '/');
    snprintf(argv0, sizeof(argv0), "%s%s", r->prog[0] == '-' ? "-" : "", base ? base + 1 : path);
    char *argv[] = {argv0, NULL};
    chdir("/root");
    execve(path, argv, child_env);
    _exit(127);
}

static void spawn(struct respawn *r)
{
    time_t now = time(NULL);
    if (r->started && now - r->started < 2)
        sleep(2); /* a program that dies at once must not make init spin */
    r->started = time(NULL);
    r->pid = fork();
    if (r->pid == 0)
        start_on_tty(r);
}

/* Normal mode: keep every configured program running; every other child that exits is an orphan. */
static void supervise(void)
{
    load_config();
    if (nentries == 0) {
        say("init: no terminal to start a shell on%s\n", "");
        for (;;)
            if (wait(NULL) < 0 && errno == ECHILD)
                pause();
    }
    for (int i = 0; i < nentries; i++)
        spawn(&entries[i]);
    for (;;) {
        pid_t pid = wait(NULL);
        if (pid < 0) {
            if (errno == ECHILD)
                sleep(1);
            continue;
        }
        for (int i = 0; i < nentries; i++)
            if (entries[i].pid == pid)
                spawn(&entries[i]);
    }
}

/* The disk's second partition (FAT32 on build/disk.img, like a camera card) at /mnt/fat, when the
 * root is the disk's first partition (root=/dev/vda1 or /dev/sda1). Best effort, like the rest. */
static void mount_data_partition(int argc, char **argv)
{
    const char *root = param("root", argc, argv);
    size_t n = root ? strlen(root) : 0;
    if (n < 2 || n >= 64 || root[n - 1] != '1' || (root[n - 2] >= '0' && root[n - 2] <= '9'))
        return;
    char dev[64];
    memcpy(dev, root, n + 1);
    dev[n - 1] = '2';
    mkdir("/mnt", 0755);
    mkdir("/mnt/fat", 0755);
    if (mount(dev, "/mnt/fat", "vfat", 0, NULL) == 0)
        say("init: %s mounted on /mnt/fat\n", dev);
}

int main(int argc, char **argv)
{
    setup_console();
    setup_mounts();
    mount_data_partition(argc, argv);
    umask(022);
    say("init: Kestrel userland starting%s\n", "");
    const char *krun = param("krun", argc, argv);
    const char *tests = param("tests", argc, argv);
    static char list[4096];
    if (!krun && access(KRUN_ARGV, F_OK) == 0)
        krun = KRUN_ARGV;
    if (!tests && read_file(KRUN_TESTS, list, sizeof(list)) > 0)
        tests = list;
    if (krun)
        krun_mode(krun);
    if (tests)
        tests_mode(tests);
    supervise();
}
