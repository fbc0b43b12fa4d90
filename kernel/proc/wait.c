/* wait4 and waitid: finding a child whose state change the caller asked about, reporting it and, for a
 * zombie, freeing it. One loop serves both calls. */
#include "internal.h"
#include <kestrel/signal.h>
#include <kestrel/string.h>
#include <kestrel/uaccess.h>

/* waitid's idtype, and the options both calls know (Linux's values). */
#define P_ALL  0
#define P_PID  1
#define P_PGID 2

#define WNOHANG     0x00000001
#define WUNTRACED   0x00000002 /* = WSTOPPED */
#define WEXITED     0x00000004
#define WCONTINUED  0x00000008
#define WNOWAIT     0x01000000
#define __WNOTHREAD 0x20000000
#define __WALL      0x40000000
#define __WCLONE    0x80000000

#define CLD_EXITED    1
#define CLD_KILLED    2
#define CLD_DUMPED    3
#define CLD_STOPPED   5
#define CLD_CONTINUED 6

struct wait_result {
    int pid;
    int status; /* the wait4 status word */
    uint32_t uid;
    int code;      /* CLD_* for waitid */
    int si_status; /* exit code or signal number for waitid */
    uint64_t utime_ns, stime_ns;
};

static bool child_matches(const struct process *c, int idtype, int id)
{
    switch (idtype) {
    case P_PID:
        return c->pid == id;
    case P_PGID:
        return c->pgid == id;
    default:
        return true;
    }
}

/* Whether c has something to report under options; fills r. Lock held. */
static bool child_report(struct process *c, int options, struct wait_result *r)
{
    if (c->state == PROCESS_ZOMBIE && (options & WEXITED)) {
        int st = c->exit_status;
        r->status = st;
        if ((st & 0x7f) == 0) {
            r->code = CLD_EXITED;
            r->si_status = (st >> 8) & 0xff;
        } else {
            r->code = st & 0x80 ? CLD_DUMPED : CLD_KILLED;
            r->si_status = st & 0x7f;
        }
    } else if (c->stopped_report && c->stop_status != 0xffff && (options & WUNTRACED)) {
        r->status = c->stop_status;
        r->code = CLD_STOPPED;
        r->si_status = (c->stop_status >> 8) & 0xff;
    } else if (c->stopped_report && c->stop_status == 0xffff && (options & WCONTINUED)) {
        r->status = 0xffff;
        r->code = CLD_CONTINUED;
        r->si_status = SIGCONT;
    } else {
        return false;
    }
    r->pid = c->pid;
    r->uid = c->cred.uid;
    r->utime_ns = c->utime_ns + c->cutime_ns;
    r->stime_ns = c->stime_ns + c->cstime_ns;
    return true;
}

/* Takes the reported state out of c (unless WNOWAIT): a zombie is freed, a stop report cleared. */
static void child_consume_locked(struct process *self, struct process *c, int options)
{
    if (options & WNOWAIT)
        return;
    if (c->state != PROCESS_ZOMBIE) {
        c->stopped_report = false;
        return;
    }
    self->cutime_ns += c->utime_ns + c->cutime_ns;
    self->cstime_ns += c->stime_ns + c->cstime_ns;
    process_free_locked(c);
}

/* Returns the reported pid, 0 (WNOHANG, nothing to report) or -ECHILD. */
static long do_wait(int idtype, int id, int options, struct wait_result *r)
{
    struct process *self = current_process();
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&process_tree_lock);
        uint32_t seen = self->child_events;
        bool any = false, found = false;
        qlist_for_each(l, &self->children)
        {
            struct process *c = qlist_entry(l, struct process, sibling);
            if (!child_matches(c, idtype, id))
                continue;
            any = true;
            if (child_report(c, options, r)) {
                child_consume_locked(self, c, options);
                found = true;
                break;
            }
        }
        spin_unlock_irqrestore(&process_tree_lock, flags);
        if (found)
            return r->pid;
        if (!any)
            return -ECHILD;
        if (options & WNOHANG)
            return 0;
        /* child_events changes (under the tree lock, before the wake-up) with every child state change,
         * so a change after the scan above cannot be missed. */
        if (wait_event_interruptible(&self->child_wait, self->child_events != seen))
            return -ERESTARTSYS; /* a signal to handle: EINTR, or a restart under SA_RESTART */
    }
}

/* struct rusage: two timevals and fourteen longs, of which Kestrel fills only the times. */
struct rusage_k {
    int64_t utime_sec, utime_usec, stime_sec, stime_usec;
    int64_t rest[14];
};

int proc_put_rusage(void *urusage, uint64_t utime_ns, uint64_t stime_ns)
{
    struct rusage_k ru;
    memset(&ru, 0, sizeof(ru));
    ru.utime_sec = (int64_t)(utime_ns / 1000000000);
    ru.utime_usec = (int64_t)(utime_ns % 1000000000 / 1000);
    ru.stime_sec = (int64_t)(stime_ns / 1000000000);
    ru.stime_usec = (int64_t)(stime_ns % 1000000000 / 1000);
    return copy_to_user(urusage, &ru, sizeof(ru));
}

long proc_wait4(int pid, int *ustatus, int options, void *urusage)
{
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
        return -EINVAL;
    if (pid == INT32_MIN)
        return -ESRCH; /* it has no positive group id */
    int idtype = P_PID, id = pid;
    if (pid == -1) {
        idtype = P_ALL;
    } else if (pid < 0) {
        idtype = P_PGID;
        id = -pid;
    } else if (pid == 0) {
        idtype = P_PGID;
        id = current_process()->pgid;
    }
    struct wait_result r;
    memset(&r, 0, sizeof(r));
    long ret = do_wait(idtype, id, options | WEXITED, &r);
    if (ret <= 0)
        return ret;
    if (ustatus && copy_to_user(ustatus, &r.status, sizeof(int)))
        return -EFAULT;
    if (urusage && proc_put_rusage(urusage, r.utime_ns, r.stime_ns))
        return -EFAULT;
    return ret;
}

/* The siginfo fields waitid writes (Linux leaves the rest of the 128 bytes alone). */
struct waitid_info {
    int32_t signo, errno_, code, pad;
    int32_t pid;
    uint32_t uid;
    int32_t status;
};

static long waitid_check(int idtype, int *id, int options)
{
    if (options & ~(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE))
        return -EINVAL;
    if (!(options & (WEXITED | WUNTRACED | WCONTINUED)))
        return -EINVAL;
    if (idtype == P_PGID && *id == 0)
        *id = current_process()->pgid;
    if ((idtype != P_ALL && idtype != P_PID && idtype != P_PGID) || (idtype != P_ALL && *id <= 0))
        return -EINVAL;
    return 0;
}

long proc_waitid(int idtype, int id, void *uinfo, int options, void *urusage)
{
    struct wait_result r;
    memset(&r, 0, sizeof(r));
    long ret = waitid_check(idtype, &id, options);
    if (ret == 0)
        ret = do_wait(idtype, id, options, &r);
    if (ret > 0 && urusage && proc_put_rusage(urusage, r.utime_ns, r.stime_ns))
        return -EFAULT;
    /* Like Linux, the fields are written whatever the outcome: zeroes when nothing was reported. */
    if (uinfo) {
        struct waitid_info wi = {ret > 0 ? SIGCHLD : 0, 0, r.code, 0, r.pid, r.uid, r.si_status};
        if (copy_to_user(uinfo, &wi, 12) || copy_to_user((char *)uinfo + 16, &wi.pid, 12))
            return -EFAULT;
    }
    return ret < 0 ? ret : 0;
}
