/* bench: Kestrel's micro-benchmarks, one static musl binary that runs unchanged on the host, as
 * /init on Linux in QEMU and as /init on Kestrel. Every figure is the median of several
 * repetitions and prints one line: "BENCH <name> <median> <unit> reps=<n> min=<x> max=<y>".
 * docs/performance.md explains each figure; bench/run_bench.py parses the lines. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE_SIZE       4096 /* x86-64: the unit of an anonymous page fault */
#define IO_CHUNK        (64 * 1024)
#define SMALL_FILE_SIZE 4096
#define MAX_REPS        101
#define SHELL_PROMPT    "bench-prompt$ "

struct config {
    int reps;
    int quick;
    size_t big_bytes;     /* the anonymous mapping and the tmpfs file */
    const char *dir;      /* where the file figures create their files */
    const char *ext2_dir; /* an ext2 mount for the ext2 figures; NULL: they report an error */
    const char *ext2_dev; /* its device, to remount it for cold reads; NULL: reads stay warm */
    char hello[256];      /* the program fork_execve_wait executes */
    const char *shell;
    const char *only; /* -f: run just this figure (for profiling one figure) */
};

struct figure {
    const char *name;
    const char *unit;
    long iters;       /* inner loop count of one repetition (1 for the size-based figures) */
    long quick_iters; /* the same in quick mode (-q): just enough to prove the figure works */
    int (*run)(const struct config *cfg, long iters, double *value);
};

static char io_buf[IO_CHUNK];

/* 0 when the kernel lacks the clock. */
static uint64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
    return now_ns(CLOCK_MONOTONIC);
}

/* Waits for pid and fails unless it exited with status 0; a child that could not execve exits 127. */
static int reap(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    errno = (WIFEXITED(status) && WEXITSTATUS(status) == 127) ? ENOENT : ECHILD;
    return -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static void path_in(const struct config *cfg, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", cfg->dir, name);
}

/* syscall(SYS_getpid) goes to the kernel every time: musl does not cache getpid, and the raw
 * syscall() makes that explicit. */
static int fig_getpid(const struct config *cfg, long iters, double *value)
{
    (void)cfg;
    uint64_t t0 = mono_ns();
    for (long i = 0; i < iters; i++)
        syscall(SYS_getpid);
    *value = (double)(mono_ns() - t0) / (double)iters;
    return 0;
}

/* One byte to the child over one pipe, one byte back over another: a round trip is two pipe
 * writes, two reads, and two wake-ups of a blocked process, so two context switches. *rt_ns gets
 * the time of one round trip. */
static int pingpong(long iters, double *rt_ns)
{
    int to_child[2], to_parent[2];
    char c = 'x';
    if (pipe(to_child) < 0)
        return -1;
    if (pipe(to_parent) < 0)
        goto out_close_child;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        goto out_close_all;
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        while (read(to_child[0], &c, 1) == 1)
            if (write(to_parent[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    int err = 0;
    uint64_t t0 = 0;
    /* The first round trips are warm-up: the child may not have run yet. */
    for (long i = -8; i < iters && !err; i++) {
        if (i == 0)
            t0 = mono_ns();
        err = write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1;
    }
    uint64_t t1 = mono_ns();
    close(to_child[1]); /* EOF ends the child */
    close(to_parent[0]);
    if (reap(pid) < 0 || err)
        return -1;
    *rt_ns = (double)(t1 - t0) / (double)iters;
    return 0;
out_close_all:
    close(to_parent[0]);
    close(to_parent[1]);
out_close_child:
    close(to_child[0]);
    close(to_child[1]);
    return -1;
}

static int fig_pipe(const struct config *cfg, long iters, double *value)
{
    (void)cfg;
    return pingpong(iters, value);
}

/* A context switch the way lmbench's lat_ctx measures it: the ping-pong above, less what its four
 * pipe calls cost when no switch happens (one process writing a byte to its own pipe and reading
 * it back), halved. Pipes rather than sched_yield, because blocking forces the switch on every
 * scheduler; Linux's CFS lets a yield return to the caller when the other process has had more
 * than its share, so two yielding processes do not reliably alternate there. */
static int fig_ctxswitch(const struct config *cfg, long iters, double *value)
{
    (void)cfg;
    int p[2];
    char c = 'x';
    if (pipe(p) < 0)
        return -1;
    int err = 0;
    uint64_t t0 = mono_ns();
    for (long i = 0; i < iters && !err; i++)
        err = write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1;
    double pair_ns = (double)(mono_ns() - t0) / (double)iters;
    close(p[0]);
    close(p[1]);
    double rt_ns;
    if (err || pingpong(iters, &rt_ns) < 0)
        return -1;
    *value = (rt_ns - 2 * pair_ns) / 2;
    return 0;
}

static int fig_fork(const struct config *cfg, long iters, double *value)
{
    (void)cfg;
    fflush(stdout);
    uint64_t t0 = mono_ns();
    for (long i = 0; i < iters; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0)
            _exit(0);
        if (reap(pid) < 0)
            return -1;
    }
    *value = (double)(mono_ns() - t0) / (double)iters / 1000.0;
    return 0;
}

static int fig_exec(const struct config *cfg, long iters, double *value)
{
    char *argv[] = {(char *)cfg->hello, NULL};
    char *envp[] = {NULL};
    fflush(stdout);
    uint64_t t0 = mono_ns();
    for (long i = 0; i < iters; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            execve(cfg->hello, argv, envp);
            _exit(127);
        }
        if (reap(pid) < 0)
            return -1;
    }
    *value = (double)(mono_ns() - t0) / (double)iters / 1000.0;
    return 0;
}

/* mmap, one write to every page (one fault each), munmap; the total divided by the page count.
 * Transparent huge pages are asked off so every 4 KiB page really faults; a kernel without
 * madvise simply ignores the request. */
static int fig_mmap(const struct config *cfg, long iters, double *value)
{
    (void)iters;
    size_t pages = cfg->big_bytes / PAGE_SIZE;
    uint64_t t0 = mono_ns();
    volatile char *p = mmap(NULL, cfg->big_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    madvise((void *)p, cfg->big_bytes, MADV_NOHUGEPAGE);
    for (size_t i = 0; i < pages; i++)
        p[i * PAGE_SIZE] = 1;
    if (munmap((void *)p, cfg->big_bytes) < 0)
        return -1;
    *value = (double)(mono_ns() - t0) / (double)pages;
    return 0;
}

static int fig_open(const struct config *cfg, long iters, double *value)
{
    char path[512];
    path_in(cfg, "bench-open", path, sizeof(path));
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    int err = 0;
    uint64_t t0 = mono_ns();
    for (long i = 0; i < iters && !err; i++) {
        fd = open(path, O_RDONLY);
        err = fd < 0 || close(fd) < 0;
    }
    uint64_t t1 = mono_ns();
    unlink(path);
    if (err)
        return -1;
    *value = (double)(t1 - t0) / (double)iters;
    return 0;
}

static int fig_small_file(const struct config *cfg, long iters, double *value)
{
    char path[512];
    path_in(cfg, "bench-small", path, sizeof(path));
    uint64_t t0 = mono_ns();
    for (long i = 0; i < iters; i++) {
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0)
            return -1;
        int err = write_all(fd, io_buf, SMALL_FILE_SIZE);
        if (close(fd) < 0 || err || unlink(path) < 0)
            return -1;
    }
    *value = (double)iters * 1e9 / (double)(mono_ns() - t0);
    return 0;
}

/* Writes cfg->big_bytes to path in IO_CHUNK pieces; *ns gets the time from open to close. With
 * durable, fsync before the close is timed too: the data is on the disk when the clock stops. */
static int write_big(const struct config *cfg, const char *path, bool durable, uint64_t *ns)
{
    uint64_t t0 = mono_ns();
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    int err = 0;
    for (size_t done = 0; done < cfg->big_bytes && !err; done += IO_CHUNK)
        err = write_all(fd, io_buf, IO_CHUNK);
    if (!err && durable)
        err = fsync(fd);
    if (close(fd) < 0 || err)
        return -1;
    *ns = mono_ns() - t0;
    return 0;
}

static double mb_per_s(size_t bytes, uint64_t ns)
{
    return (double)bytes / 1e6 / ((double)ns / 1e9);
}

static int fig_tmpfs_write(const struct config *cfg, long iters, double *value)
{
    (void)iters;
    char path[512];
    uint64_t ns;
    path_in(cfg, "bench-big", path, sizeof(path));
    int err = write_big(cfg, path, false, &ns);
    unlink(path);
    if (err)
        return -1;
    *value = mb_per_s(cfg->big_bytes, ns);
    return 0;
}

/* Reads path (cfg->big_bytes written before) with IO_CHUNK reads, timed, then removes it; the
 * rate in *value. */
static int read_big(const struct config *cfg, const char *path, double *value)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        unlink(path);
        return -1;
    }
    size_t total = 0;
    ssize_t n;
    uint64_t t0 = mono_ns();
    while ((n = read(fd, io_buf, IO_CHUNK)) > 0)
        total += (size_t)n;
    uint64_t t1 = mono_ns();
    close(fd);
    unlink(path);
    if (n < 0 || total != cfg->big_bytes) {
        errno = n < 0 ? errno : EIO;
        return -1;
    }
    *value = mb_per_s(total, t1 - t0);
    return 0;
}

static int fig_tmpfs_read(const struct config *cfg, long iters, double *value)
{
    (void)iters;
    char path[512];
    uint64_t ns;
    path_in(cfg, "bench-big", path, sizeof(path));
    if (write_big(cfg, path, false, &ns) < 0) {
        unlink(path);
        return -1;
    }
    return read_big(cfg, path, value);
}

/* Remounts the ext2 filesystem so the next read comes from the disk, not from a cache. */
static int remount_ext2(const struct config *cfg)
{
    if (!cfg->ext2_dev)
        return 0;
    if (umount(cfg->ext2_dir) < 0)
        return -1;
    return mount(cfg->ext2_dev, cfg->ext2_dir, "ext2", 0, NULL);
}

static int ext2_path(const struct config *cfg, char *path, size_t size)
{
    if (!cfg->ext2_dir) {
        errno = ENODEV;
        return -1;
    }
    snprintf(path, size, "%s/bench-big", cfg->ext2_dir);
    return 0;
}

static int fig_ext2_write(const struct config *cfg, long iters, double *value)
{
    (void)iters;
    char path[512];
    uint64_t ns;
    if (ext2_path(cfg, path, sizeof(path)) < 0)
        return -1;
    int err = write_big(cfg, path, true, &ns);
    unlink(path);
    if (err)
        return -1;
    *value = mb_per_s(cfg->big_bytes, ns);
    return 0;
}

/* Reads a file written and synced beforehand, after a remount: from the disk. */
static int fig_ext2_read(const struct config *cfg, long iters, double *value)
{
    (void)iters;
    char path[512];
    uint64_t ns;
    if (ext2_path(cfg, path, sizeof(path)) < 0 || write_big(cfg, path, true, &ns) < 0)
        return -1;
    if (remount_ext2(cfg) < 0) {
        unlink(path);
        return -1;
    }
    return read_big(cfg, path, value);
}

/* Five nested directories and a file under the ext2 figures' directory: path gets the file's path
 * (six components below the mount), missing a name that does not exist beside it. */
#define DEEP_DIRS 5
static int make_deep(const struct config *cfg, char *path, size_t size, char *missing, size_t msize)
{
    if (!cfg->ext2_dir) {
        errno = ENOENT;
        return -1;
    }
    int n = snprintf(path, size, "%s", cfg->ext2_dir);
    for (int i = 1; i <= DEEP_DIRS; i++) {
        n += snprintf(path + n, size - (size_t)n, "/bench-d%d", i);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -1;
    }
    snprintf(missing, msize, "%s/missing", path);
    snprintf(path + n, size - (size_t)n, "/file");
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    return fd < 0 ? -1 : close(fd);
}

/* Removes what make_deep made, the deepest first. */
static void remove_deep(char *path)
{
    unlink(path);
    for (int i = 0; i < DEEP_DIRS; i++) {
        *strrchr(path, '/') = '\0';
        rmdir(path);
    }
}

/* stat(2) of one path, iters times: want_ok says whether it names a file or must be ENOENT. */
static int stat_loop(char *path, const char *target, bool want_ok, long iters, double *value)
{
    struct stat st;
    int err = 0;
    uint64_t t0 = mono_ns();
    for (long i = 0; i < iters && !err; i++)
        err = want_ok ? stat(target, &st) < 0 : !(stat(target, &st) < 0 && errno == ENOENT);
    uint64_t t1 = mono_ns();
    remove_deep(path);
    if (err)
        return -1;
    *value = (double)(t1 - t0) / (double)iters;
    return 0;
}

/* Path resolution on ext2: every component is a directory lookup (the dentry cache's case). */
static int fig_ext2_stat_deep(const struct config *cfg, long iters, double *value)
{
    char path[512], missing[512];
    if (make_deep(cfg, path, sizeof(path), missing, sizeof(missing)) < 0)
        return -1;
    return stat_loop(path, path, true, iters, value);
}

/* The same walk ending at a name that does not exist (a negative entry once cached). */
static int fig_ext2_stat_missing(const struct config *cfg, long iters, double *value)
{
    char path[512], missing[512];
    if (make_deep(cfg, path, sizeof(path), missing, sizeof(missing)) < 0)
        return -1;
    return stat_loop(path, missing, false, iters, value);
}

/* The default counts give each repetition roughly 20-100 ms on Linux under QEMU's TCG. */
static const struct figure figures[] = {
    {"syscall_getpid", "ns", 20000, 20, fig_getpid},
    {"pipe_pingpong", "ns", 2000, 10, fig_pipe},
    {"ctxswitch_pipe", "ns", 2000, 10, fig_ctxswitch},
    {"fork_exit_wait", "us", 100, 3, fig_fork},
    {"fork_execve_wait", "us", 50, 3, fig_exec},
    {"mmap_fault", "ns", 1, 1, fig_mmap},
    {"open_close", "ns", 2000, 10, fig_open},
    {"file_create_write_unlink", "ops/s", 500, 5, fig_small_file},
    {"tmpfs_write", "MB/s", 1, 1, fig_tmpfs_write},
    {"tmpfs_read", "MB/s", 1, 1, fig_tmpfs_read},
    {"ext2_write", "MB/s", 1, 1, fig_ext2_write},
    {"ext2_read", "MB/s", 1, 1, fig_ext2_read},
    {"ext2_stat_deep", "ns", 2000, 10, fig_ext2_stat_deep},
    {"ext2_stat_missing", "ns", 2000, 10, fig_ext2_stat_missing},
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_figure(const char *name, const char *unit, double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    printf("BENCH %s %.3f %s reps=%d min=%.3f max=%.3f\n", name, median, unit, n, v[0], v[n - 1]);
}

static void run_figure(const struct config *cfg, const struct figure *f)
{
    double values[MAX_REPS];
    long iters = cfg->quick ? f->quick_iters : f->iters;
    for (int r = 0; r < cfg->reps; r++) {
        if (f->run(cfg, iters, &values[r]) < 0) {
            printf("BENCH-ERROR %s %s\n", f->name, strerror(errno));
            return;
        }
    }
    print_figure(f->name, f->unit, values, cfg->reps);
}

/* Both kernels compare on one CPU: QEMU runs -smp 1, and on a multi-core host the pipe figures
 * only switch context if both processes share a CPU. A kernel without affinity calls runs on. */
static void pin_to_one_cpu(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &set)) {
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            sched_setaffinity(0, sizeof(set), &set);
            return;
        }
    }
}

/* As /init the standard descriptors may be missing: Linux opens /dev/console for init only if the
 * initramfs has one, and ours has no device nodes (cpio runs unprivileged), so mount devtmpfs. */
static void init_console(void)
{
    if (fcntl(1, F_GETFD) >= 0)
        return;
    mkdir("/dev", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int fd = open("/dev/console", O_RDWR | O_NOCTTY);
    if (fd < 0)
        return;
    for (int i = 0; i < 3; i++)
        if (fd != i)
            dup2(fd, i);
    if (fd > 2)
        close(fd);
}

/* The file figures are about tmpfs: give /tmp one, whatever the root filesystem is. */
static void init_tmpfs(void)
{
    mkdir("/tmp", 01777);
    if (mount("tmpfs", "/tmp", "tmpfs", 0, NULL) < 0)
        printf("# mount tmpfs on /tmp: %s; using the root filesystem\n", strerror(errno));
}

/* The ext2 figures' filesystem, as /init: the benchmark's disk (the first virtio disk, ext2 on the
 * whole disk) mounted on /mnt/ext2. A kernel with the drivers as modules (Debian's Linux) gets them
 * from /modules, loaded in the order /modules/order lists; Kestrel has them built in and answers
 * finit_module with ENOSYS. Device nodes appear asynchronously on Linux (devtmpfs), so the mount
 * is retried for a while; any failure leaves the ext2 figures reporting errors. */
static void init_ext2(struct config *cfg)
{
    FILE *order = fopen("/modules/order", "r");
    char line[256];
    while (order && fgets(line, sizeof(line), order)) {
        line[strcspn(line, "\n")] = 0;
        char path[300];
        snprintf(path, sizeof(path), "/modules/%s", line);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST && errno != ENOSYS))
            printf("# finit_module %s: %s\n", line, strerror(errno));
        close(fd);
    }
    if (order)
        fclose(order);
    /* Linux's own built-in initramfs gave /dev a console node, so init_console found its
     * descriptors open and mounted nothing: the disk's node needs devtmpfs. */
    if (access("/dev/null", F_OK) < 0)
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mkdir("/mnt", 0755);
    mkdir("/mnt/ext2", 0755);
    for (int tries = 0; tries < 500; tries++) { /* up to 5 s for the disk's node */
        if (mount("/dev/vda", "/mnt/ext2", "ext2", 0, NULL) == 0) {
            cfg->ext2_dir = "/mnt/ext2";
            cfg->ext2_dev = "/dev/vda";
            return;
        }
        if (errno != ENOENT && errno != ENXIO && errno != ENODEV)
            break;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    printf("# mount /dev/vda on /mnt/ext2: %s; no ext2 figures\n", strerror(errno));
}

/* Boot to shell prompt: start an interactive shell as an init would, with its prompt on the
 * console where the harness timestamps it, and stdin at end of file so it exits at once. */
static void shell_prompt(const char *shell)
{
    int in[2];
    if (access(shell, X_OK) < 0 || pipe(in) < 0) {
        printf("BENCH-ERROR shell_prompt %s: %s\n", shell, strerror(errno));
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"sh", "-i", NULL};
        char *envp[] = {"PS1=" SHELL_PROMPT, "PATH=/bin", NULL};
        dup2(in[0], 0);
        close(in[0]);
        close(in[1]);
        execve(shell, argv, envp);
        _exit(127);
    }
    close(in[0]);
    close(in[1]);
    if (pid < 0 || reap(pid) < 0)
        printf("BENCH-ERROR shell_prompt %s\n", strerror(errno));
    printf("\n");
}

static __attribute__((noreturn)) void power_off(void)
{
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    printf("# reboot(RB_POWER_OFF): %s\n", strerror(errno));
    fflush(stdout);
    for (;;)
        pause();
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-q] [-r reps] [-m MiB] [-d dir] [-e dir] [-x program] [-s shell] [-f figure]\n"
            "  -q  quick mode: tiny counts and sizes, proves that every figure works\n"
            "  -r  repetitions per figure; each figure prints their median (default 5)\n"
            "  -m  size of the anonymous mapping and of the tmpfs file in MiB (default 64, quick 1)\n"
            "  -d  directory for the file figures (default /tmp)\n"
            "  -e  directory for the ext2 figures (as /init: /dev/vda mounted on /mnt/ext2)\n"
            "  -x  the tiny program fork_execve_wait runs (default: hello beside this program)\n"
            "  -s  shell whose prompt marks the end of boot (default /bin/sh when run as init)\n"
            "  -f  run only this figure (bench/run_bench.py --profile uses it)\n",
            prog);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    long mib = 0;
    int opt;
    const char *slash = strrchr(argv[0], '/');
    if (slash)
        snprintf(cfg->hello, sizeof(cfg->hello), "%.*s/hello", (int)(slash - argv[0]), argv[0]);
    else
        snprintf(cfg->hello, sizeof(cfg->hello), "./hello");
    while ((opt = getopt(argc, argv, "qr:m:d:e:x:s:f:")) != -1) {
        switch (opt) {
        case 'q':
            cfg->quick = 1;
            break;
        case 'r':
            cfg->reps = atoi(optarg);
            break;
        case 'm':
            mib = atol(optarg);
            break;
        case 'd':
            cfg->dir = optarg;
            break;
        case 'e':
            cfg->ext2_dir = optarg;
            break;
        case 'x':
            snprintf(cfg->hello, sizeof(cfg->hello), "%s", optarg);
            break;
        case 's':
            cfg->shell = optarg;
            break;
        case 'f':
            cfg->only = optarg;
            break;
        default:
            return -1;
        }
    }
    if (cfg->reps < 1 || cfg->reps > MAX_REPS || mib < 0 || optind != argc)
        return -1;
    if (!mib)
        mib = cfg->quick ? 1 : 64;
    cfg->big_bytes = (size_t)mib << 20;
    return 0;
}

int main(int argc, char **argv)
{
    /* Read first: the closest the program gets to "the first instruction of /init". */
    uint64_t boottime = now_ns(CLOCK_BOOTTIME);
    int is_init = getpid() == 1;
    struct config cfg = {.reps = 5, .dir = "/tmp", .shell = is_init ? "/bin/sh" : NULL};

    if (is_init)
        init_console();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (parse_args(argc, argv, &cfg) < 0) {
        usage(argv[0]);
        if (is_init)
            power_off(); /* init must not exit: Linux would panic */
        return 2;
    }
    printf("BENCH-START pid=%d reps=%d quick=%d\n", getpid(), cfg.reps, cfg.quick);
    if (boottime)
        print_figure("boottime_at_start", "ms", (double[]){boottime / 1e6}, 1);
    else
        printf("BENCH-ERROR boottime_at_start clock_gettime(CLOCK_BOOTTIME): %s\n", strerror(errno));
    if (is_init) {
        init_tmpfs();
        init_ext2(&cfg);
    }
    if (cfg.shell)
        shell_prompt(cfg.shell);
    pin_to_one_cpu();
    memset(io_buf, 0xa5, sizeof(io_buf));
    for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
        if (!cfg.only || strcmp(cfg.only, figures[i].name) == 0)
            run_figure(&cfg, &figures[i]);
    printf("BENCH-END\n");
    if (is_init)
        power_off();
    return 0;
}
