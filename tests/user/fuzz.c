/* Syscall fuzzer: random system-call numbers with random arguments (bad, kernel, unmapped and
 * non-canonical pointers, huge lengths, bad fds, random flags) from unprivileged forked children,
 * seeded and reproducible. The kernel must survive, and once every child is gone and the scratch
 * directory removed, the free memory must be back at its baseline, to the page (memcheck.h).
 * Usage: fuzz [-n CALLS] [-s SEED] [-c CALLS_PER_CHILD] [-q] [-t] [-m]. Defaults: 1,000,000 calls,
 * seed 1, 10,000 per child; -t traces every call (to reproduce a crash: same -s, -c, -n); -m runs the
 * fuzzing in a child and checks that no page and no process is left over (only meaningful where
 * nothing else runs: in Kestrel). Calls that would end the fuzzer or the machine are never made. */
#include "check.h"
#include "memcheck.h"
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>

#define MAX_NR         340
#define PROGRESS_FD    100 /* children report progress here; the fuzzer never picks this fd */
#define PROGRESS_EVERY 256
#define NUDGE_MS       100  /* a child silent this long is blocked in a call: interrupt it (SIGUSR1) */
#define STALL_MS       3000 /* silent this long (it blocked SIGUSR1 too): kill it */
#define TRACE_FD       101  /* -t: each call is printed here (a copy of stderr) before it is made */

static uint64_t rng;
static int trace;

static uint64_t next(void)
{
    /* xorshift64*: tiny, fast, and the same sequence everywhere for a given seed */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

/* Calls the fuzzer must not make: they end the child or the machine, make more processes, block
 * without a timeout, or reach other processes. Everything else is fair game. */
static int excluded(long nr)
{
    static const short never[] = {
        SYS_exit,
        SYS_exit_group,
        SYS_reboot,
        SYS_kill,
        SYS_tkill,
        SYS_tgkill,
        SYS_rt_sigqueueinfo,
        SYS_rt_tgsigqueueinfo,
        SYS_rt_sigreturn,
        SYS_fork,
        SYS_vfork,
        SYS_clone,
        SYS_pause,
        SYS_rt_sigsuspend,
        SYS_nanosleep,
        SYS_clock_nanosleep,
        SYS_select,
        SYS_pselect6,
        SYS_poll,
        SYS_ppoll,
        SYS_futex,
        SYS_epoll_wait,
        SYS_epoll_pwait,
        SYS_ptrace,
        SYS_prctl,
        SYS_seccomp,
        SYS_perf_event_open,
        SYS_bpf,
        SYS_userfaultfd,
        SYS_mount,
        SYS_umount2,
        SYS_swapon,
        SYS_swapoff,
        SYS_kexec_load,
        SYS_init_module,
        SYS_finit_module,
        SYS_delete_module,
        SYS_vhangup,
        SYS_acct,
        SYS_wait4,
        SYS_waitid,
        SYS_setsid,
        SYS_rt_sigtimedwait,
        SYS_msgrcv,
        SYS_semop,
        SYS_semtimedop,
        SYS_accept,
        SYS_accept4,
        SYS_recvfrom,
        SYS_recvmsg,
        SYS_recvmmsg,
        SYS_sendfile,
        SYS_splice,
        SYS_tee,
        SYS_vmsplice,
        SYS_flock,
        SYS_fcntl,
        SYS_mq_timedreceive,
        SYS_mq_timedsend,
        SYS_io_getevents,
        SYS_process_vm_writev,
        SYS_execveat,
        SYS_rseq,
        SYS_shmat,
        SYS_remap_file_pages,
        SYS_pkey_mprotect,
        335,
        336, /* Linux's uretprobe and uprobe: outside their trampolines they answer with SIGILL */
    };
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        if (never[i] == nr)
            return 1;
    return 0;
}

static char *scratch; /* one mapped page pair the fuzzer passes as a "good" buffer */
static const char *paths[] = {"f",           "d",         "d/f",          "l",    ".", "..", "/",
                              "/etc/passwd", "/dev/null", "/nonexistent", "/etc", ""};

static uint64_t pick_pointer(void)
{
    switch (next() % 10) {
    case 0:
        return 0;
    case 1:
        return 0xffffffff80000000ull + (next() & 0xffffff);
    case 2:
        return 0x0000800000000000ull + (next() & 0xffff);
    case 3:
        return 0x8000000000000000ull | next();
    case 4:
        return 0x00007ffffffff000ull + (next() & 0xfff);
    case 5:
        return (uint64_t)paths[next() % (sizeof(paths) / sizeof(paths[0]))];
    case 6:
        return 4096 * (next() % 1024); /* below the program's image (non-PIE, at 4 MiB): unmapped */
    default:
        return (uint64_t)scratch + (next() % 8000);
    }
}

static uint64_t pick_arg(void)
{
    switch (next() % 8) {
    case 0:
        return next() % 64 == PROGRESS_FD ? 3 : next() % 64; /* small numbers: fds, flags, sizes */
    case 1:
        return (uint64_t)-1 - (next() % 4096); /* -1 and negative errno-like values */
    case 2:
        return next(); /* anything */
    case 3:
        return 1ull << (next() % 64); /* single flag bits, huge lengths */
    case 4:
        return next() & 0xffff;
    default:
        return pick_pointer();
    }
}

static long pick_nr(void)
{
    for (;;) {
        long nr = next() % 16 == 0 ? (long)(next() % 1000) - 100 : (long)(next() % MAX_NR);
        if (!excluded(nr))
            return nr;
    }
}

#define RESERVE (1ul << 20) /* PROT_NONE region around the scratch buffer */

static int is_memory_call(long nr)
{
    return nr == SYS_mmap || nr == SYS_munmap || nr == SYS_mprotect || nr == SYS_mremap ||
           nr == SYS_madvise || nr == SYS_mlock || nr == SYS_munlock || nr == SYS_msync || nr == SYS_mincore;
}

/* Keeps a child alive long enough to make its calls: the kernel still sees every kind of bad argument,
 * but the child does not unmap its own code or stack, install handlers at random addresses, move its
 * TLS, or get killed by a CPU-time limit. */
static void sanitize(long nr, uint64_t a[6])
{
    if (is_memory_call(nr)) {
        if (a[0] >= (uint64_t)scratch - RESERVE / 2 && a[0] < (uint64_t)scratch + RESERVE / 2) {
            a[1] %= RESERVE / 4; /* stays inside the reservation around scratch */
            a[4] = a[0];         /* mremap's new address, if MREMAP_FIXED */
        } else if (a[0] < 0x0000800000000000ull && a[0] != 0) {
            a[0] |= 0x0000700000000000ull; /* far from the program, its heap and its stack */
        }
        if (nr == SYS_mremap)
            a[4] = a[0];
    }
    if (nr == SYS_mmap && a[0] == 0)
        a[3] &= ~0x10ull; /* MAP_FIXED at 0 is fine, but keep the hint-free case simple */
    if (nr == SYS_brk)
        a[0] = 0;
    if (nr == SYS_rt_sigaction && a[1] != 0)
        a[1] = 0xffffffff80000000ull; /* queries and EFAULT only: no handler at a random address */
    if (nr == SYS_arch_prctl && (a[0] == 0x1002 || a[0] == 0x1012))
        a[0] = 0x1003; /* ARCH_SET_FS, ARCH_SET_CPUID: would break TLS / cpuid; use ARCH_GET_FS */
    if ((nr == SYS_setrlimit && a[0] == 0) || (nr == SYS_prlimit64 && a[1] == 0))
        nr == SYS_setrlimit ? (a[0] = 1) : (a[1] = 1); /* RLIMIT_CPU would end the child */
    if (nr == SYS_execve && a[0] != 0 && a[0] < 0x0000800000000000ull)
        a[0] = (uint64_t) "/etc/passwd"; /* execve must fail (random bytes could name a real program) */
}

static void nudged(int sig)
{
    (void)sig;
}

/* Every catchable signal ignored: SIGPIPE, SIGALRM, SIGXFSZ and the signals of timers the fuzzer
 * created must not end a child. A real fault still does: the kernel forces it past SIG_IGN. */
static void ignore_signals(void)
{
    for (int sig = 1; sig < 65; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_IGN);
    struct sigaction sa = {.sa_handler = nudged}; /* no SA_RESTART: a blocked call returns EINTR */
    sigaction(SIGUSR1, &sa, NULL);
}

static void child(uint64_t seed, long calls)
{
    rng = seed;
    if (setresgid(65534, 65534, 65534) == 0)
        setgroups(0, NULL);
    setresuid(65534, 65534, 65534);
    ignore_signals();
    char *reserve = mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    scratch = reserve + RESERVE / 2;
    mprotect(scratch, 8192, PROT_READ | PROT_WRITE);
    for (int i = 0; i < 8192; i++)
        scratch[i] = (char)next();
    for (long i = 1; i <= calls; i++) {
        long nr = pick_nr();
        uint64_t a[6];
        for (int k = 0; k < 6; k++)
            a[k] = pick_arg();
        sanitize(nr, a);
        if (trace)
            dprintf(TRACE_FD, "fuzz-trace %ld %ld(%llx, %llx, %llx, %llx, %llx, %llx)\n", i, nr,
                    (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
                    (unsigned long long)a[3], (unsigned long long)a[4], (unsigned long long)a[5]);
        syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (i % PROGRESS_EVERY == 0)
            write(PROGRESS_FD, "p", 1);
    }
    _exit(0);
}

/* Runs one child to the end; returns the calls it reported and classifies how it ended. */
static long run_one(uint64_t seed, long calls, int *signaled, int *stalled)
{
    int p[2];
    if (pipe(p) != 0)
        return 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], PROGRESS_FD);
        close(p[0]);
        close(p[1]);
        if (trace)
            dup2(2, TRACE_FD);
        int null = open("/dev/null", O_RDWR); /* random writes to fds 0-2 must not reach the log */
        for (int fd = 0; fd < 3; fd++)
            dup2(null, fd);
        child(seed, calls);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    long reported = 0, quiet_ms = 0;
    int status = 0, killed = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        char buf[256];
        long n = read(p[0], buf, sizeof(buf));
        if (n > 0) {
            reported += n;
            quiet_ms = 0;
            continue;
        }
        usleep(2000);
        quiet_ms += 2;
        if (quiet_ms % NUDGE_MS == 0)
            kill(pid, SIGUSR1);
        if (quiet_ms >= STALL_MS && !killed) {
            kill(pid, SIGKILL);
            killed = 1;
            (*stalled)++;
        }
    }
    long n;
    char buf[256];
    while ((n = read(p[0], buf, sizeof(buf))) > 0)
        reported += n;
    close(p[0]);
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
        (*signaled)++;
    if (trace && WIFSIGNALED(status))
        printf("fuzz: child seed %llu: signal %d\n", (unsigned long long)seed, WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? calls : reported * PROGRESS_EVERY;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    chmod(path, 0700);
    remove(path);
    return 0;
}

struct fuzz_run {
    long total, per_child;
    uint64_t seed;
    int quiet, exact;
};

/* The files that existed before the fuzzing, sorted. A child may chdir("..") and create f, d or l
 * in /tmp; with the exact memory check everything the fuzzing created, wherever, must be removed,
 * since a file left behind holds memory that is not a leak. */
static char **known;
static size_t nknown, known_cap;
static const char *const skipped[] = {"/proc", "/sys", "/dev"}; /* not files anybody creates */

static int is_skipped(const char *path)
{
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
        size_t n = strlen(skipped[i]);
        if (!strncmp(path, skipped[i], n) && (path[n] == 0 || path[n] == '/'))
            return 1;
    }
    return 0;
}

static int note_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (is_skipped(path))
        return 0;
    if (nknown == known_cap) {
        known_cap = known_cap ? 2 * known_cap : 256;
        known = realloc(known, known_cap * sizeof(*known));
        if (!known)
            return -1;
    }
    known[nknown++] = strdup(path);
    return 0;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static long created_files;

static int remove_new_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (is_skipped(path) || bsearch(&path, known, nknown, sizeof(*known), by_string))
        return 0;
    created_files++;
    return remove_entry(path, st, flag, ftw);
}

/* The fuzzing itself, in its own process (run_measured): children making the calls, one after
 * another, in a scratch directory removed at the end. */
static int fuzz_work(void *arg)
{
    const struct fuzz_run *r = arg;
    if (r->exact) {
        T_OK("fuzz/files-listed", nftw("/", note_file, 16, FTW_PHYS));
        qsort(known, nknown, sizeof(*known), by_string);
    }
    mkdir("fuzz.d", 0777);
    chmod("fuzz.d", 0777);
    T_OK("fuzz/chdir-scratch", chdir("fuzz.d"));
    long done = 0;
    int children = 0, signaled = 0, stalled = 0;
    while (done < r->total) {
        long calls = r->total - done < r->per_child ? r->total - done : r->per_child;
        done += run_one(r->seed * 1000003 + (uint64_t)children, calls, &signaled, &stalled);
        children++;
        if (!r->quiet && children % 10 == 0)
            printf("fuzz: %ld calls, %d children\n", done, children);
        if (children > 4 * (r->total / r->per_child + 1))
            break; /* children keep dying early: stop rather than loop forever */
    }
    chdir("..");
    nftw("fuzz.d", remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    T_ERR("fuzz/scratch-removed", access("fuzz.d", F_OK), ENOENT);
    if (r->exact) {
        T_OK("fuzz/created-files-removed", nftw("/", remove_new_file, 16, FTW_DEPTH | FTW_PHYS));
        printf("fuzz: %ld files created outside the scratch directory removed\n", created_files);
    }
    printf("fuzz: seed %llu: %ld calls in %d children, %d killed by a signal, %d stalled\n",
           (unsigned long long)r->seed, done, children, signaled, stalled);
    T_TRUE("fuzz/all-calls-made", done >= r->total);
    int fd = open("fuzz.check", O_CREAT | O_RDWR | O_TRUNC, 0600);
    char buf[4] = {0};
    T_TRUE("fuzz/kernel-still-works",
           write(fd, "ok!", 3) == 3 && pread(fd, buf, 3, 0) == 3 && !strcmp(buf, "ok!"));
    close(fd);
    unlink("fuzz.check");
    return check_done("fuzz");
}

int main(int argc, char **argv)
{
    struct fuzz_run r = {.total = 1000000, .per_child = 10000, .seed = 1};
    int opt;
    while ((opt = getopt(argc, argv, "n:s:c:mqt")) != -1) {
        if (opt == 'n')
            r.total = atol(optarg);
        else if (opt == 's')
            r.seed = strtoull(optarg, NULL, 0);
        else if (opt == 'c')
            r.per_child = atol(optarg);
        else if (opt == 'm')
            r.exact = 1;
        else if (opt == 'q')
            r.quiet = 1;
        else if (opt == 't')
            trace = 1;
    }
    check_init();
    if (!r.exact)
        return fuzz_work(&r);
    struct mem_count before, after;
    int status = run_measured(fuzz_work, &r, &before, &after);
    report_measured("fuzz", status, before, after);
    return check_done("fuzz-memory");
}
