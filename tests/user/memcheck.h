/* Exact leak checks for the stress programs (fuzz, forkstress): the work runs in a child process and
 * the free memory is measured by its parent, before the fork and after every process the work
 * started is gone. The parent does nothing else in between, so its own pages (stack, heap, stdio
 * buffers) cannot move the count; Kestrel's sysinfo finishes deferred frees before it counts
 * (docs/memory.md), so what is left is exact: one page missing is a leak. */
#pragma once
#include "check.h"
#include <sys/sysinfo.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SETTLE_POLLS 3000 /* at 10 ms each: orphans reparented to init may take that long to be reaped */

struct mem_count {
    long free_pages;
    long procs;
};

/* Cached file data is free memory in all but timing: a run on a disk root reads blocks and pages
 * that stay cached after it (on Linux too). Written back and dropped before each count, as one does
 * on Linux before measuring, what is left is exact. Without /proc/sys (or the right to write it)
 * nothing is dropped. */
static inline void drop(const char *what)
{
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd >= 0) {
        if (write(fd, what, strlen(what)) != (ssize_t)strlen(what))
            perror("drop_caches");
        close(fd);
    }
}

/* The cached names go first (2): the inodes they release are written back into the buffer cache,
 * which sync then writes out, so that dropping everything clean (3) leaves nothing behind. */
static inline void drop_caches(void)
{
    drop("2\n");
    sync();
    drop("3\n");
}

static inline struct mem_count mem_count_now(void)
{
    drop_caches();
    struct sysinfo si;
    if (sysinfo(&si) != 0)
        return (struct mem_count){-1, -1};
    return (struct mem_count){(long)(si.freeram * si.mem_unit / 4096), si.procs};
}

/* Runs work(arg) in a child; returns its exit status (or -1) and the counts before and after. The
 * "after" count waits until the number of processes is back to the baseline: processes the work
 * orphaned are reaped by init, asynchronously. */
static inline int run_measured(int (*work)(void *), void *arg, struct mem_count *before,
                               struct mem_count *after)
{
    /* Kestrel starts its interval-timer thread the first time any timer is armed, and keeps it: a
     * one-time allocation, not a leak. Arming one here makes it part of the baseline. */
    alarm(1000);
    alarm(0);
    *before = mem_count_now();
    pid_t pid = fork();
    if (pid == 0) {
        fflush(stdout);
        _exit(work(arg));
    }
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    struct timespec poll = {0, 10 * 1000 * 1000};
    struct sysinfo si;
    for (int i = 0; i < SETTLE_POLLS && sysinfo(&si) == 0 && si.procs > before->procs; i++)
        nanosleep(&poll, NULL);
    *after = mem_count_now();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The verdicts: the work passed, no process is left, and not one page is missing. */
static inline void report_measured(const char *prog, int status, struct mem_count before,
                                   struct mem_count after)
{
    char name[64];
    printf("%s: free pages before %ld, after %ld; processes before %ld, after %ld\n", prog, before.free_pages,
           after.free_pages, before.procs, after.procs);
    snprintf(name, sizeof(name), "%s/work-passed", prog);
    T_TRUE(name, status == 0);
    snprintf(name, sizeof(name), "%s/no-process-left", prog);
    T_TRUE(name, before.procs >= 0 && after.procs == before.procs);
    snprintf(name, sizeof(name), "%s/no-page-leaked", prog);
    T_TRUE(name, before.free_pages >= 0 && after.free_pages == before.free_pages);
}
