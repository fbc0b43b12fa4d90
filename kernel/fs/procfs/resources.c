/* /proc/[pid]/limits: the resource limits in Linux's table, so that scripts and tools that read
 * another process's limits (prlimit needs rights; this file does not) parse it as on Linux. And
 * /proc/[pid]/io, the process's I/O accounting (struct process_io). */
#include "internal.h"

/* Linux's names and units, in resource number order (RLIMIT_CPU = 0 ... RLIMIT_RTTIME = 15). */
static const struct {
    const char *name, *unit;
} limit_rows[RLIMIT_COUNT] = {
    {"Max cpu time", "seconds"},    {"Max file size", "bytes"},      {"Max data size", "bytes"},
    {"Max stack size", "bytes"},    {"Max core file size", "bytes"}, {"Max resident set", "bytes"},
    {"Max processes", "processes"}, {"Max open files", "files"},     {"Max locked memory", "bytes"},
    {"Max address space", "bytes"}, {"Max file locks", "locks"},     {"Max pending signals", "signals"},
    {"Max msgqueue size", "bytes"}, {"Max nice priority", ""},       {"Max realtime priority", ""},
    {"Max realtime timeout", "us"},
};

static void limit_value(struct pbuf *b, uint64_t v)
{
    if (v == UINT64_MAX)
        pb_printf(b, "%-20s ", "unlimited");
    else
        pb_printf(b, "%-20llu ", (unsigned long long)v);
}

int proc_show_limits(struct pbuf *b, int pid)
{
    struct proc_snap s;
    int err = proc_snapshot(pid, 0, &s);
    if (err)
        return err;
    pb_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    for (int i = 0; i < RLIMIT_COUNT; i++) {
        pb_printf(b, "%-25s ", limit_rows[i].name);
        limit_value(b, s.rlimits[i].cur);
        limit_value(b, s.rlimits[i].max);
        pb_printf(b, "%-10s\n", limit_rows[i].unit);
    }
    proc_snap_release(&s);
    return 0;
}

/* Only the owner and root may read it (Linux asks for ptrace rights), as for environ. Kestrel has
 * no write-back cancelling, so cancelled_write_bytes is 0. */
int proc_show_io(struct pbuf *b, int pid)
{
    struct proc_snap s;
    int err = proc_snapshot(pid, 0, &s);
    if (err)
        return err;
    if (!proc_may_inspect(&s))
        err = -EACCES;
    else
        pb_printf(b,
                  "rchar: %llu\nwchar: %llu\nsyscr: %llu\nsyscw: %llu\nread_bytes: %llu\nwrite_bytes: %llu\n"
                  "cancelled_write_bytes: 0\n",
                  (unsigned long long)s.io.rchar, (unsigned long long)s.io.wchar,
                  (unsigned long long)s.io.syscr, (unsigned long long)s.io.syscw,
                  (unsigned long long)s.io.read_bytes, (unsigned long long)s.io.write_bytes);
    proc_snap_release(&s);
    return err;
}
