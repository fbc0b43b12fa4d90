/* Process groups and sessions: setpgid, getpgid, getpgrp, setsid, getsid, with Linux's rules on who
 * may move which process where. */
#include "../proc/internal.h"
#include <kestrel/syscall.h>

/* The caller or one of its children, or NULL. Lock held. */
static struct process *self_or_child_locked(struct process *self, int pid)
{
    if (pid == 0 || pid == self->pid)
        return self;
    struct process *p = process_find(pid);
    return p && p->parent == self ? p : NULL;
}

static long setpgid_locked(struct process *self, int pid, int pgid)
{
    struct process *p = self_or_child_locked(self, pid);
    if (!p || p->state == PROCESS_ZOMBIE)
        return -ESRCH;
    if (pgid == 0)
        pgid = p->pid;
    if (p != self) {
        if (p->sid != self->sid)
            return -EPERM;
        if (p->did_exec)
            return -EACCES;
    }
    if (p->sid == p->pid)
        return -EPERM; /* a session leader stays in its group */
    if (pgid != p->pid && !pgrp_exists_in_session_locked(pgid, self->sid))
        return -EPERM;
    if (p->pgid != pgid)
        process_set_pgid_locked(p, pgid);
    return 0;
}

SYSCALL_DEFINE2(setpgid, int, pid, int, pgid)
{
    if (pgid < 0)
        return -EINVAL;
    if (pid < 0)
        return -ESRCH;
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    long ret = setpgid_locked(current_process(), pid, pgid);
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return ret;
}

/* pgid (want_sid false) or sid of pid (0: the caller); -ESRCH when there is no such process. */
static long get_id(int pid, bool want_sid)
{
    if (pid < 0)
        return -ESRCH;
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    struct process *p = pid ? process_find(pid) : current_process();
    long ret = !p ? -ESRCH : want_sid ? p->sid : p->pgid;
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return ret;
}

SYSCALL_DEFINE1(getpgid, int, pid)
{
    return get_id(pid, false);
}

SYSCALL_DEFINE0(getpgrp)
{
    return get_id(0, false);
}

SYSCALL_DEFINE1(getsid, int, pid)
{
    return get_id(pid, true);
}

SYSCALL_DEFINE0(setsid)
{
    struct process *self = current_process();
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    long ret;
    /* Refused to a group leader, and whenever any process still uses our pid as its group: the new
     * session's group would otherwise merge with it. Our own pid is the one use we may see. */
    bool used_elsewhere = false;
    process_for_each(q)
    {
        if (q != self && (q->pgid == self->pid || q->sid == self->pid)) {
            used_elsewhere = true;
            break;
        }
    }
    if (self->pgid == self->pid || used_elsewhere) {
        ret = -EPERM;
    } else {
        process_set_sid_locked(self, self->pid);
        process_set_pgid_locked(self, self->pid);
        ret = self->pid;
    }
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return ret;
}
