/* Signals between processes: kill(2)'s targets and permission rule, process groups (the terminal's
 * ^C), and telling a parent about its child's exit, stop or continue (SIGCHLD, wait4's reports). */
#include <kestrel/process.h>
#include <kestrel/sched.h>
#include <kestrel/thread.h>
#include <kestrel/signal.h>
#include "signal_internal.h"

/* Linux's rule: root, or the sender's real or effective uid matches the target's real or saved uid;
 * SIGCONT also within the sender's session. */
static bool may_signal(const struct process *from, const struct process *to, int sig)
{
    const struct cred *a = &from->cred, *b = &to->cred;
    if (a->euid == 0)
        return true;
    if (a->euid == b->uid || a->euid == b->suid || a->uid == b->uid || a->uid == b->suid)
        return true;
    return sig == SIGCONT && from->sid == to->sid;
}

/* Sends one kill(2) signal; tree lock held. 0, -EPERM. */
static int kill_one(struct process *self, struct process *p, int sig)
{
    if (!may_signal(self, p, sig))
        return -EPERM;
    struct sig_record rec = {.code = SI_USER, .pid = self->pid, .uid = self->cred.uid};
    return signal_send_tree_locked(p, NULL, sig, &rec);
}

/* pid -1 (every process but init and the caller) or a group (pgid > 0). ESRCH when nothing matched,
 * EPERM when nothing matched that the caller may signal. */
static int kill_many(struct process *self, int pgid, int sig)
{
    bool found = false, sent = false;
    int err = 0;
    process_for_each(p)
    {
        if (pgid > 0 ? p->pgid != pgid : (p->pid == 1 || p == self))
            continue;
        found = true;
        int r = kill_one(self, p, sig);
        if (r == 0)
            sent = true;
        else
            err = r;
    }
    return sent ? 0 : (found ? err : -ESRCH);
}

int signal_kill(int pid, int sig)
{
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    struct process *self = current_process();
    if (!self)
        return -ESRCH;
    uint64_t fl = spin_lock_irqsave(&process_tree_lock);
    int rc;
    if (pid > 0) {
        struct process *p = process_find(pid);
        if (!p) {
            /* Linux: the id of a thread other than the first names its process too. */
            struct thread *t = process_find_thread(-1, pid);
            p = t ? t->user.proc : NULL;
        }
        rc = p ? kill_one(self, p, sig) : -ESRCH;
    } else if (pid == -1) {
        rc = kill_many(self, 0, sig);
    } else {
        /* pid 0: the caller's own group; INT_MIN has no positive counterpart. */
        int pgid = pid == 0 ? self->pgid : (pid == INT32_MIN ? -1 : -pid);
        rc = pgid > 0 ? kill_many(self, pgid, sig) : -ESRCH;
    }
    spin_unlock_irqrestore(&process_tree_lock, fl);
    return rc;
}

int signal_send_pgrp(int pgid, int sig)
{
    if (pgid <= 0)
        return -ESRCH;
    int rc = -ESRCH;
    uint64_t fl = spin_lock_irqsave(&process_tree_lock);
    process_for_each(p)
    {
        if (p->pgid != pgid)
            continue;
        int r = signal_send_tree_locked(p, NULL, sig, NULL);
        if (r < 0) {
            rc = r;
            break;
        }
        rc = 0;
    }
    spin_unlock_irqrestore(&process_tree_lock, fl);
    return rc;
}

static bool parent_wants_stops(struct process *parent)
{
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    bool yes = parent->sighand && !(parent->sighand->action[SIGCHLD - 1].flags & SA_NOCLDSTOP);
    spin_unlock_irqrestore(&signal_lock, fl);
    return yes;
}

void signal_notify_parent_tree_locked(struct process *p, int code, int sig)
{
    p->stop_status = code == CLD_STOPPED ? (sig << 8) | 0x7f : 0xffff;
    p->stopped_report = true;
    struct process *parent = p->parent;
    if (!parent)
        return;
    process_notify_parent_locked(p);
    if (!parent_wants_stops(parent))
        return;
    struct sig_record rec = {.code = code, .pid = p->pid, .uid = p->cred.uid, .status = sig};
    signal_send_tree_locked(parent, NULL, SIGCHLD, &rec);
}

bool signal_child_exited(struct process *parent, struct process *child)
{
    if (!parent || !parent->sighand)
        return false;
    int st = child->exit_status;
    struct sig_record rec = {.pid = child->pid, .uid = child->cred.uid};
    if (st & 0x7f) {
        rec.code = (st & 0x80) ? CLD_DUMPED : CLD_KILLED;
        rec.status = st & 0x7f;
    } else {
        rec.code = CLD_EXITED;
        rec.status = (st >> 8) & 0xff;
    }
    int sig = child->exit_signal;
    bool autoreap = false;
    uint64_t fl = spin_lock_irqsave(&signal_lock);
    const struct k_sigaction *ka = &parent->sighand->action[SIGCHLD - 1];
    if (sig == SIGCHLD && (ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT)))
        autoreap = true;
    spin_unlock_irqrestore(&signal_lock, fl);
    if (sig_valid(sig))
        signal_send_tree_locked(parent, NULL, sig, &rec);
    return autoreap;
}

int signal_tkill(int tgid, int tid, int sig)
{
    if (tid <= 0 || (tgid != -1 && tgid <= 0) || sig < 0 || sig > NSIG)
        return -EINVAL;
    struct process *self = current_process();
    if (!self)
        return -ESRCH;
    int rc = -ESRCH;
    uint64_t fl = spin_lock_irqsave(&process_tree_lock);
    struct thread *t = process_find_thread(tgid, tid);
    if (t) {
        struct process *p = t->user.proc;
        struct sig_record rec = {.code = SI_TKILL, .pid = self->pid, .uid = self->cred.uid};
        rc = may_signal(self, p, sig) ? signal_send_tree_locked(p, t, sig, &rec) : -EPERM;
    }
    spin_unlock_irqrestore(&process_tree_lock, fl);
    return rc;
}
