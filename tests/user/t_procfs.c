/* Syscall tests: /proc/self and /proc/[pid] as Linux lays them out. /proc's contents differ between
 * machines, so every check relates what /proc says to what the program knows itself (its pid,
 * parent, arguments, open files, directories, credentials), and the host's run proves the
 * relations hold on Linux. */
#include "check.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/klog.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#define NOBODY 65534

/* Reads a whole /proc file into buf (NUL-terminated); returns its length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t len = 0;
    ssize_t n;
    while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    return (ssize_t)len;
}

static bool link_is(const char *path, const char *want)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    if (n < 0)
        return false;
    buf[n] = '\0';
    return strcmp(buf, want) == 0;
}

static void test_self_stat(const char *argv0)
{
    char buf[4096], want[64];
    T_TRUE("stat/read", slurp("/proc/self/stat", buf, sizeof(buf)) > 0);
    int fields = 0;
    for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n"))
        fields++;
    T_EQ("stat/52-fields", fields, 52);
    slurp("/proc/self/stat", buf, sizeof(buf));
    snprintf(want, sizeof(want), "%d (t_procfs) R %d ", getpid(), getppid());
    T_TRUE("stat/pid-comm-state-ppid", strncmp(buf, want, strlen(want)) == 0);
    slurp("/proc/self/status", buf, sizeof(buf));
    snprintf(want, sizeof(want), "\nPid:\t%d\nPPid:\t%d\n", getpid(), getppid());
    T_TRUE("status/pid-ppid", strstr(buf, want) != NULL);
    T_TRUE("status/name", strncmp(buf, "Name:\tt_procfs\n", 15) == 0);
    T_TRUE("status/uid", strstr(buf, "\nUid:\t0\t0\t0\t0\n") != NULL);
    slurp("/proc/self/comm", buf, sizeof(buf));
    T_TRUE("comm", strcmp(buf, "t_procfs\n") == 0);
    ssize_t n = slurp("/proc/self/cmdline", buf, sizeof(buf));
    T_TRUE("cmdline/argv", n == (ssize_t)strlen(argv0) + 1 && strcmp(buf, argv0) == 0);
    char self[16];
    snprintf(self, sizeof(self), "%d", getpid());
    T_TRUE("self-link", link_is("/proc/self", self));
    char real[PATH_MAX];
    T_TRUE("exe-link", realpath(argv0, real) && link_is("/proc/self/exe", real));
}

static void test_links(void)
{
    char cwd[PATH_MAX], buf[PATH_MAX + 16];
    T_TRUE("cwd-link", getcwd(cwd, sizeof(cwd)) && link_is("/proc/self/cwd", cwd));
    T_TRUE("root-link", link_is("/proc/self/root", "/"));
    int fd = open("procfs-file", O_CREAT | O_RDWR, 0644);
    snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
    char want[PATH_MAX + 16];
    snprintf(want, sizeof(want), "%s/procfs-file", strcmp(cwd, "/") ? cwd : "");
    T_TRUE("fd-link-file", link_is(buf, want));
    struct stat a, b;
    T_TRUE("fd-link-same-file", stat(buf, &a) == 0 && fstat(fd, &b) == 0 && a.st_ino == b.st_ino);
    close(fd);
    T_ERR("fd-link-closed-enoent", readlink(buf, want, sizeof(want)), ENOENT);
    unlink("procfs-file");
    int p[2];
    pipe(p);
    snprintf(buf, sizeof(buf), "/proc/self/fd/%d", p[0]);
    struct stat st;
    fstat(p[0], &st);
    snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)st.st_ino);
    T_TRUE("fd-link-pipe", link_is(buf, want));
    close(p[0]);
    close(p[1]);
    T_TRUE("dev-fd-link", link_is("/dev/fd", "/proc/self/fd"));
    T_TRUE("dev-stdin-link", link_is("/dev/stdin", "/proc/self/fd/0"));
}

/* Lists /proc/self/fd: the descriptors open right now, and only those. */
/* procfs files are generated at each read: they cannot be mapped (a regression: a fault reading
 * /proc/self/maps would lock the faulting address space twice). */
static void test_no_mmap(void)
{
    int fd = open("/proc/self/maps", O_RDONLY);
    T_ERR("mmap/proc-enodev", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0), ENODEV);
    close(fd);
}

static void test_fd_dir(void)
{
    int extra = open("/dev/null", O_RDONLY);
    DIR *d = opendir("/proc/self/fd");
    int seen_extra = 0, seen_dir = 0, others = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd == extra)
            seen_extra = 1;
        else if (fd == dirfd(d))
            seen_dir = 1;
        else if (fcntl(fd, F_GETFD) < 0)
            others++; /* listed but not open */
    }
    if (d)
        closedir(d);
    close(extra);
    T_TRUE("fd-dir/lists-open", seen_extra && seen_dir);
    T_EQ("fd-dir/only-open", others, 0);
}

/* Another user may not read root's environment, nor the kernel log (dmesg_restrict=1). */
static void as_nobody(void *arg)
{
    int parent = *(int *)arg;
    char path[64], buf[64];
    if (setuid(NOBODY) != 0)
        return;
    snprintf(path, sizeof(path), "/proc/%d/environ", parent);
    T_ERR("environ/other-user-eacces", open(path, O_RDONLY), EACCES);
    snprintf(path, sizeof(path), "/proc/%d/fd/0", parent);
    T_ERR("fd/other-user-link-eacces", readlink(path, buf, sizeof(buf)), EACCES);
    snprintf(path, sizeof(path), "/proc/%d/fd", parent);
    T_ERR("fd/other-user-dir-eacces", open(path, O_RDONLY | O_DIRECTORY), EACCES);
    snprintf(path, sizeof(path), "/proc/%d/io", parent);
    T_ERR("io/other-user-eacces", open(path, O_RDONLY), EACCES);
    T_ERR("syslog/nonroot-read-eperm", klogctl(3, buf, sizeof(buf)), EPERM);
    T_ERR("syslog/nonroot-size-eperm", klogctl(10, NULL, 0), EPERM);
}

/* The kernel log through syslog(2) and /dev/kmsg, in Linux's formats. Nothing is cleared. */
static void test_syslog(void)
{
    static char buf[1 << 16];
    T_TRUE("syslog/size-buffer", klogctl(10, NULL, 0) > 0);
    T_ERR("syslog/read-null-einval", klogctl(3, NULL, 16), EINVAL);
    T_ERR("syslog/read-negative-einval", klogctl(3, buf, -1), EINVAL);
    T_EQ("syslog/read-zero", klogctl(3, buf, 0), 0);
    T_ERR("syslog/unknown-einval", klogctl(42, NULL, 0), EINVAL);
    T_ERR("syslog/level-0-einval", klogctl(8, NULL, 0), EINVAL);
    int n = klogctl(3, buf, sizeof(buf) - 1);
    T_TRUE("syslog/read-all", n > 0 && buf[0] == '<' && buf[n - 1] == '\n');
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    n = fd >= 0 ? (int)read(fd, buf, sizeof(buf) - 1) : -1;
    buf[n > 0 ? n : 0] = '\0';
    unsigned level, seq;
    unsigned long long usec;
    char flag;
    T_TRUE("kmsg/record-format", sscanf(buf, "%u,%u,%llu,%c", &level, &seq, &usec, &flag) == 4 &&
                                     (flag == '-' || flag == 'c') && buf[n - 1] == '\n');
    T_ERR("kmsg/small-buffer-einval", read(fd, buf, 4), EINVAL);
    close(fd);
}

static void test_proc_dir(void)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d", getpid());
    struct stat st;
    T_TRUE("pid-dir", stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    T_ERR("no-such-pid-enoent", stat("/proc/999999999", &st), ENOENT);
    T_ERR("leading-zero-enoent", stat("/proc/01", &st), ENOENT);
    T_ERR("fd-leading-zero-enoent", stat("/proc/self/fd/01", &st), ENOENT);
    DIR *d = opendir("/proc");
    int found = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        found |= atoi(e->d_name) == getpid();
    if (d)
        closedir(d);
    T_TRUE("readdir-lists-self", found);
    char cwd[PATH_MAX];
    T_TRUE("getcwd-inside", chdir(path) == 0 && getcwd(cwd, sizeof(cwd)) && strcmp(cwd, path) == 0);
    chdir("/");
    int pid = getpid();
    T_EQ("nobody/child", run_child(as_nobody, &pid), 0);
}

/* prctl(PR_SET_NAME) renames the process as /proc shows it (busybox relies on it), cut to 15 bytes. */
static void test_prctl_name(void)
{
    char buf[64], name[16];
    T_OK("prctl/set-name", prctl(PR_SET_NAME, "renamed-by-prctl-long"));
    slurp("/proc/self/comm", buf, sizeof(buf));
    T_TRUE("prctl/comm", strcmp(buf, "renamed-by-prct\n") == 0);
    T_OK("prctl/get-name", prctl(PR_GET_NAME, name));
    T_TRUE("prctl/get-name-value", strcmp(name, "renamed-by-prct") == 0);
    slurp("/proc/self/stat", buf, sizeof(buf));
    T_TRUE("prctl/stat-comm", strstr(buf, " (renamed-by-prct) ") != NULL);
    T_ERR("prctl/set-name-efault", prctl(PR_SET_NAME, BAD_KERNEL), EFAULT);
}

/* Writes text to a /proc/sys file: the count written, or -errno. */
static long write_setting(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    if (fd < 0)
        return -errno;
    long n = write(fd, text, strlen(text));
    long ret = n < 0 ? -errno : n;
    close(fd);
    return ret;
}

static void sysctl_as_nobody(void *arg)
{
    (void)arg;
    if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
        return;
    T_ERR("sysctl/nobody-write-hostname-eacces", open("/proc/sys/kernel/hostname", O_WRONLY), EACCES);
    T_ERR("sysctl/nobody-drop-caches-eacces", open("/proc/sys/vm/drop_caches", O_WRONLY), EACCES);
}

/* Whether the file holds line and a newline, nothing else. */
static bool file_is_line(const char *path, const char *line)
{
    char buf[128], want[128];
    slurp(path, buf, sizeof(buf));
    snprintf(want, sizeof(want), "%s\n", line);
    return strcmp(buf, want) == 0;
}

/* /proc/sys: uname's names as files, and drop_caches with Linux's values and permissions. */
static void test_sysctl(void)
{
    struct utsname u;
    uname(&u);
    T_TRUE("sysctl/ostype-is-uname", file_is_line("/proc/sys/kernel/ostype", u.sysname));
    T_TRUE("sysctl/osrelease-is-uname", file_is_line("/proc/sys/kernel/osrelease", u.release));
    T_TRUE("sysctl/version-is-uname", file_is_line("/proc/sys/kernel/version", u.version));
    T_TRUE("sysctl/hostname-is-uname", file_is_line("/proc/sys/kernel/hostname", u.nodename));
    struct stat st;
    T_TRUE("sysctl/drop-caches-mode",
           stat("/proc/sys/vm/drop_caches", &st) == 0 && st.st_mode == (S_IFREG | 0200));
    T_TRUE("sysctl/dir", stat("/proc/sys/vm", &st) == 0 && S_ISDIR(st.st_mode));
    /* Root has no override here: a write-only setting cannot be read, a read-only one not written. */
    T_ERR("sysctl/read-drop-caches-eacces", open("/proc/sys/vm/drop_caches", O_RDONLY), EACCES);
    T_ERR("sysctl/write-ostype-eacces", open("/proc/sys/kernel/ostype", O_WRONLY), EACCES);
    T_ERR("sysctl/access-w-ostype", access("/proc/sys/kernel/ostype", W_OK), EACCES);
    /* procfs makes its names itself: creating one fails as the lookup does, with ENOENT. */
    T_ERR("sysctl/create-enoent", open("/proc/sys/vm/nosuch", O_WRONLY | O_CREAT, 0644), ENOENT);
    T_ERR("create-in-proc-enoent", open("/proc/nosuch", O_WRONLY | O_CREAT, 0644), ENOENT);
    T_ERR("create-in-pid-dir-enoent", open("/proc/self/nosuch", O_WRONLY | O_CREAT, 0644), ENOENT);
    T_ERR("mkdir-in-proc-enoent", mkdir("/proc/nosuch", 0755), ENOENT);
    T_ERR("mkdir-existing-eexist", mkdir("/proc/sys/kernel/ostype", 0755), EEXIST);
    T_EQ("sysctl/drop-caches-3", write_setting("/proc/sys/vm/drop_caches", "3\n"), 2);
    T_EQ("sysctl/drop-caches-1", write_setting("/proc/sys/vm/drop_caches", "1"), 1);
    T_EQ("sysctl/drop-caches-0", write_setting("/proc/sys/vm/drop_caches", "0"), -EINVAL);
    T_EQ("sysctl/drop-caches-text", write_setting("/proc/sys/vm/drop_caches", "x"), -EINVAL);
    T_EQ("sysctl/nobody", run_child(sysctl_as_nobody, NULL), 0);
}

/* Writing the hostname file renames the host, as sethostname does; it is put back after. On Linux
 * in a private UTS namespace, so the host keeps its name. */
static void test_sysctl_hostname(void)
{
    struct utsname u, after;
    uname(&u);
    if (strcmp(u.sysname, "Linux") == 0 && unshare(CLONE_NEWUTS) != 0) {
        printf("sysctl/hostname: no UTS namespace here, skipped\n");
        return;
    }
    T_EQ("sysctl/hostname-write", write_setting("/proc/sys/kernel/hostname", "renamed-host\n"), 13);
    uname(&after);
    T_TRUE("sysctl/hostname-renames", strcmp(after.nodename, "renamed-host") == 0);
    char buf[80];
    slurp("/proc/sys/kernel/hostname", buf, sizeof(buf));
    T_TRUE("sysctl/hostname-reads-back", strcmp(buf, "renamed-host\n") == 0);
    T_OK("sysctl/hostname-restore", sethostname(u.nodename, strlen(u.nodename)));
}

/* /proc/self/limits shows getrlimit's values in Linux's table, one row per resource in order. */
static bool limits_match(void)
{
    static char buf[4096];
    if (slurp("/proc/self/limits", buf, sizeof(buf)) <= 0 || strncmp(buf, "Limit ", 6) != 0)
        return false;
    char *line = strchr(buf, '\n');
    for (int r = 0; r < 16; r++) {
        if (!line || strlen(line) < 1 + 25 + 42)
            return false;
        line++;
        struct rlimit lim;
        char want[64];
        getrlimit(r, &lim);
        char soft[24], hard[24];
        snprintf(soft, sizeof(soft), lim.rlim_cur == RLIM_INFINITY ? "unlimited" : "%llu",
                 (unsigned long long)lim.rlim_cur);
        snprintf(hard, sizeof(hard), lim.rlim_max == RLIM_INFINITY ? "unlimited" : "%llu",
                 (unsigned long long)lim.rlim_max);
        snprintf(want, sizeof(want), "%-20s %-20s ", soft, hard);
        if (strncmp(line + 26, want, strlen(want)) != 0)
            return false;
        line = strchr(line, '\n');
    }
    return line && line[1] == '\0';
}

static void limits_child(void *arg)
{
    (void)arg;
    struct rlimit lim = {77, 99};
    T_OK("limits/setrlimit", setrlimit(RLIMIT_NOFILE, &lim));
    T_TRUE("limits/changed", limits_match());
}

/* statm's sizes are status's, in pages. */
static void test_limits_statm(void)
{
    T_TRUE("limits/table", limits_match());
    T_EQ("limits/child", run_child(limits_child, NULL), 0);
    char statm[128], status[2048];
    slurp("/proc/self/statm", statm, sizeof(statm));
    slurp("/proc/self/status", status, sizeof(status));
    unsigned long size = 0, resident = 0, shared, text = 0, vmsize = 0;
    T_EQ("statm/fields", sscanf(statm, "%lu %lu %lu %lu", &size, &resident, &shared, &text), 4);
    const char *v = strstr(status, "VmSize:");
    T_TRUE("statm/size-is-vmsize", v && sscanf(v, "VmSize: %lu kB", &vmsize) == 1 && vmsize == size * 4);
    T_TRUE("statm/resident-within-size", resident > 0 && resident <= size);
    T_TRUE("statm/text", text > 0 && text < size);
}

struct io_counts {
    unsigned long long rchar, wchar, syscr, syscw, read_bytes, write_bytes, cancelled;
};

static bool read_io(struct io_counts *c)
{
    char buf[512];
    if (slurp("/proc/self/io", buf, sizeof(buf)) <= 0)
        return false;
    return sscanf(buf,
                  "rchar: %llu\nwchar: %llu\nsyscr: %llu\nsyscw: %llu\nread_bytes: %llu\nwrite_bytes: %llu\n"
                  "cancelled_write_bytes: %llu\n",
                  &c->rchar, &c->wchar, &c->syscr, &c->syscw, &c->read_bytes, &c->write_bytes,
                  &c->cancelled) == 7;
}

/* /proc/self/io counts the calls and bytes of what the program does between two reads of it. */
static void test_io(void)
{
    struct io_counts a, b;
    static char data[10000];
    T_TRUE("io/fields", read_io(&a));
    int fd = open("io.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
    T_EQ("io/write", write(fd, data, sizeof(data)), (long)sizeof(data));
    T_EQ("io/pread", pread(fd, data, 4000, 0), 4000);
    T_EQ("io/pread-end", pread(fd, data, 4000, 8000), 2000);
    close(fd);
    unlink("io.tmp");
    T_TRUE("io/fields-again", read_io(&b));
    T_TRUE("io/wchar", b.wchar - a.wchar >= sizeof(data));
    T_TRUE("io/rchar", b.rchar - a.rchar >= 6000);
    T_TRUE("io/syscw", b.syscw - a.syscw >= 1);
    T_TRUE("io/syscr", b.syscr - a.syscr >= 2);
    T_TRUE("io/monotonic", b.read_bytes >= a.read_bytes && b.write_bytes >= a.write_bytes);
    /* A file read in pieces is the text generated at its first read, though the counters change
     * between the reads (Kestrel once regenerated it at each read and mixed two texts). */
    static char big[100000];
    char text[512];
    int null = open("/dev/null", O_WRONLY);
    T_TRUE("io/before-pieces", read_io(&a));
    fd = open("/proc/self/io", O_RDONLY);
    size_t len = read(fd, text, 1) == 1 ? 1 : 0;
    T_EQ("io/big-write", write(null, big, sizeof(big)), (long)sizeof(big));
    ssize_t n;
    while (len < sizeof(text) - 1 && (n = read(fd, text + len, 7)) > 0)
        len += (size_t)n;
    close(fd);
    close(null);
    text[len] = '\0';
    unsigned long long wchar = 0;
    const char *w = strstr(text, "\nwchar: ");
    T_TRUE("io/read-in-pieces", w && sscanf(w, "\nwchar: %llu", &wchar) == 1 && wchar >= a.wchar &&
                                    wchar < a.wchar + sizeof(big) && text[len - 1] == '\n');
}

/* /proc/[pid]/task: a directory per thread, each with the thread's view (Pid is the thread's id,
 * Tgid the process's); /proc/[tid] exists for every thread though /proc does not list it. */
static int task_pipe[2];
static volatile pid_t task_tids[2];

static void *task_thread(void *arg)
{
    task_tids[(long)arg] = (pid_t)syscall(SYS_gettid);
    char c;
    return read(task_pipe[0], &c, 1) == 1 ? NULL : (void *)1;
}

static bool dir_lists(const char *path, pid_t id)
{
    DIR *d = opendir(path);
    bool found = false;
    struct dirent *e;
    while (d && (e = readdir(d)))
        found |= atoi(e->d_name) == id;
    if (d)
        closedir(d);
    return found;
}

static int dir_count_numbers(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += atoi(e->d_name) > 0;
    if (d)
        closedir(d);
    return n;
}

static void test_task_dirs(void)
{
    pthread_t t[2];
    T_OK("task/pipe", pipe(task_pipe));
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, task_thread, (void *)i);
    while (!task_tids[0] || !task_tids[1])
        sched_yield();
    pid_t pid = getpid(), tid = task_tids[1];
    char path[96], buf[1024], want[64];
    T_EQ("task/count", dir_count_numbers("/proc/self/task"), 3);
    T_TRUE("task/lists-all", dir_lists("/proc/self/task", pid) &&
                                 dir_lists("/proc/self/task", task_tids[0]) &&
                                 dir_lists("/proc/self/task", tid));
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
    slurp(path, buf, sizeof(buf));
    snprintf(want, sizeof(want), "%d (", tid);
    T_TRUE("task/stat-pid-is-tid", strncmp(buf, want, strlen(want)) == 0);
    snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
    slurp(path, buf, sizeof(buf));
    char tgid_line[32], pid_line[32];
    snprintf(tgid_line, sizeof(tgid_line), "\nTgid:\t%d\n", pid);
    snprintf(pid_line, sizeof(pid_line), "\nPid:\t%d\n", tid);
    T_TRUE("task/status-ids", strstr(buf, tgid_line) && strstr(buf, pid_line));
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%d", tid);
    T_TRUE("task/tid-dir-exists", stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    T_TRUE("task/tid-not-listed", !dir_lists("/proc", tid));
    snprintf(path, sizeof(path), "/proc/self/task/%d/task", tid);
    T_ERR("task/no-nested-task", stat(path, &st), ENOENT);
    T_ERR("task/no-such-tid", stat("/proc/self/task/999999999", &st), ENOENT);
    char cwd[128];
    snprintf(path, sizeof(path), "/proc/%d/task/%d", pid, tid);
    T_TRUE("task/getcwd", chdir(path) == 0 && getcwd(cwd, sizeof(cwd)) && strcmp(cwd, path) == 0);
    snprintf(path, sizeof(path), "/proc/%d/task", pid);
    T_TRUE("task/dotdot", chdir("..") == 0 && getcwd(cwd, sizeof(cwd)) && strcmp(cwd, path) == 0);
    chdir("/");
    T_EQ("task/release", write(task_pipe[1], "xx", 2), 2);
    void *r0, *r1;
    pthread_join(t[0], &r0);
    pthread_join(t[1], &r1);
    T_TRUE("task/threads-done", r0 == NULL && r1 == NULL);
    T_EQ("task/count-after", dir_count_numbers("/proc/self/task"), 1);
    close(task_pipe[0]);
    close(task_pipe[1]);
}

int main(int argc, char **argv)
{
    (void)argc;
    check_init();
    test_self_stat(argv[0]);
    test_links();
    test_fd_dir();
    test_no_mmap();
    test_proc_dir();
    test_prctl_name();
    test_syslog();
    test_sysctl();
    test_limits_statm();
    test_io();
    test_task_dirs();
    test_sysctl_hostname();
    return check_done("t_procfs");
}
