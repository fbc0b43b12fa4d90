/* Checking helpers for the user-space syscall tests: one stable line per check ("ok NAME" or
 * "FAIL NAME ..."), no pids, addresses or times, so the host's output is the expected output. */
#pragma once
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int check_failures;

/* Bad user pointers of every kind the kernel must answer with EFAULT. */
#define BAD_NULL      ((void *)0)
#define BAD_KERNEL    ((void *)0xffffffff80000000ul)
#define BAD_NONCANON  ((void *)0x0000800000000000ul)
#define BAD_NONCANON2 ((void *)0x8000000000000000ul)
#define BAD_HIGHUSER  ((void *)0x00007ffffffff000ul) /* canonical, user half, never mapped */

#define E(x)                                                                                                 \
    {                                                                                                        \
        x, #x                                                                                                \
    }
static const struct {
    int e;
    const char *name;
} errnames[] = {
    E(EPERM),     E(ENOENT),  E(ESRCH),      E(EINTR),        E(EIO),     E(ENXIO),     E(E2BIG),
    E(ENOEXEC),   E(EBADF),   E(ECHILD),     E(EAGAIN),       E(ENOMEM),  E(EACCES),    E(EFAULT),
    E(EBUSY),     E(EEXIST),  E(EXDEV),      E(ENODEV),       E(ENOTDIR), E(EISDIR),    E(EINVAL),
    E(ENFILE),    E(EMFILE),  E(ENOTTY),     E(EFBIG),        E(ENOSPC),  E(ESPIPE),    E(EROFS),
    E(EMLINK),    E(EPIPE),   E(ERANGE),     E(ENAMETOOLONG), E(ENOSYS),  E(ENOTEMPTY), E(ELOOP),
    E(EOVERFLOW), E(ETXTBSY), E(EOPNOTSUPP), E(ETIMEDOUT),
};
#undef E

static const char *errname(int e)
{
    static char buf[16];
    for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
        if (errnames[i].e == e)
            return errnames[i].name;
    snprintf(buf, sizeof(buf), "E%d", e);
    return buf;
}

/* Line-buffered output, so a failing check is visible even if a later one crashes the program. */
static inline void check_init(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline void check_report(const char *name, int ok, const char *detail)
{
    if (ok) {
        printf("ok %s\n", name);
        return;
    }
    check_failures++;
    printf("FAIL %s%s%s\n", name, detail[0] ? ": " : "", detail);
}

/* The call must fail (-1) with errno e. */
#define T_ERR(name, call, e)                                                                                 \
    do {                                                                                                     \
        errno = 0;                                                                                           \
        long r_ = (long)(call);                                                                              \
        int e_ = errno;                                                                                      \
        char d_[96];                                                                                         \
        snprintf(d_, sizeof(d_), "got %ld %s, want %s", r_, r_ == -1 ? errname(e_) : "", #e);                \
        check_report(name, r_ == -1 && e_ == (e), d_);                                                       \
    } while (0)

/* The call must succeed (not -1). */
#define T_OK(name, call)                                                                                     \
    do {                                                                                                     \
        errno = 0;                                                                                           \
        long r_ = (long)(call);                                                                              \
        char d_[64];                                                                                         \
        snprintf(d_, sizeof(d_), "failed with %s", errname(errno));                                          \
        check_report(name, r_ != -1, d_);                                                                    \
    } while (0)

/* Two integers must be equal. */
#define T_EQ(name, got, want)                                                                                \
    do {                                                                                                     \
        long g_ = (long)(got), w_ = (long)(want);                                                            \
        char d_[80];                                                                                         \
        snprintf(d_, sizeof(d_), "got %ld, want %ld", g_, w_);                                               \
        check_report(name, g_ == w_, d_);                                                                    \
    } while (0)

#define T_TRUE(name, cond) check_report(name, (cond) ? 1 : 0, "condition false: " #cond)

/* Runs fn in a forked child and returns its wait status (-1 if fork failed). */
static inline int run_child(void (*fn)(void *), void *arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        check_failures = 0; /* the child's verdict covers its own checks only */
        fn(arg);
        fflush(stdout);
        _exit(check_failures ? 1 : 0);
    }
    int status = -1;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

/* The exit status of a test program: 0 when every check passed. */
static inline int check_done(const char *prog)
{
    printf("%s: %s\n", prog, check_failures ? "FAILED" : "all passed");
    fflush(stdout);
    return check_failures ? 1 : 0;
}
