/* Job control on terminals: which session a tty controls (kept here, tty->session, rather than in
 * struct process: a controlling terminal belongs to a session), its foreground process group, and
 * the ioctls that read and change them with POSIX's permission rules. */
#include "tty_internal.h"
#include <kestrel/uaccess.h>
#include <kestrel/vfs.h>
#include <uapi/fcntl.h>

static struct tty *const *all_ttys(size_t *n)
{
    static struct tty *ttys[2];
    ttys[0] = tty_console();
    ttys[1] = tty_serial();
    *n = ARRAY_SIZE(ttys);
    return ttys;
}

struct tty *tty_of_session(int sid)
{
    size_t n;
    struct tty *const *ttys = all_ttys(&n);
    for (size_t i = 0; i < n; i++)
        if (ttys[i] && sid > 0 && __atomic_load_n(&ttys[i]->session, __ATOMIC_RELAXED) == sid)
            return ttys[i];
    return NULL;
}

bool tty_is_current_ctty(struct tty *tty)
{
    struct process *p = tty_current_process();
    return p && tty_of_session(p->sid) == tty;
}

/* The process tree lock keeps the process list still while it is searched. */
static uint64_t tree_lock(void)
{
#ifdef process_for_each
    return spin_lock_irqsave(&process_tree_lock);
#else
    return irq_save();
#endif
}

static void tree_unlock(uint64_t flags)
{
#ifdef process_for_each
    spin_unlock_irqrestore(&process_tree_lock, flags);
#else
    irq_restore(flags);
#endif
}

/* Whether a live process in session sid (and process group pgid, unless 0) exists. A tty whose
 * session has died can be taken over without anyone having told it. Tree lock held. */
static bool members_alive_locked(int sid, int pgid)
{
#ifdef process_for_each
    process_for_each(q)
    {
        if (q->sid == sid && (!pgid || q->pgid == pgid) && q->state == PROCESS_ALIVE)
            return true;
    }
#else
    (void)sid, (void)pgid;
#endif
    return false;
}

/* Makes tty the controlling terminal of p's session; process_tree_lock held. steal: take it from
 * another live session (TIOCSCTTY with arg 1 by root). */
static int acquire_locked(struct tty *tty, struct process *p, bool steal)
{
    if (p->pid != p->sid)
        return -EPERM; /* only a session leader */
    struct tty *mine = tty_of_session(p->sid);
    if (mine == tty)
        return 0;
    if (mine)
        return -EPERM; /* it already has one */
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    int owner = tty->session;
    spin_unlock_irqrestore(&tty->lock, flags);
    if (owner && members_alive_locked(owner, 0) && !(steal && p->cred.euid == 0))
        return -EPERM;
    flags = spin_lock_irqsave(&tty->lock);
    tty->session = p->sid;
    tty->pgrp = p->pgid;
    spin_unlock_irqrestore(&tty->lock, flags);
    return 0;
}

void tty_open_ctty(struct tty *tty, struct file *f)
{
    struct process *p = tty_current_process();
    if (!p || (f->flags & O_NOCTTY) || p->pid != p->sid)
        return;
    uint64_t fl = tree_lock();
    int owner = tty->session;
    if (!tty_of_session(p->sid) && (!owner || !members_alive_locked(owner, 0)))
        acquire_locked(tty, p, false);
    tree_unlock(fl);
}

static long set_ctty(struct tty *tty, unsigned long arg)
{
    struct process *p = tty_current_process();
    if (!p)
        return -EPERM;
    uint64_t fl = tree_lock();
    int rc = acquire_locked(tty, p, arg == 1);
    tree_unlock(fl);
    return rc;
}

/* TIOCNOTTY: a session leader gives the terminal up, and its foreground group gets SIGHUP and
 * SIGCONT as when a leader exits. Another member cannot leave alone: the terminal is the session's
 * (docs/tty.md), so that succeeds without effect. */
static long drop_ctty(struct tty *tty)
{
    struct process *p = tty_current_process();
    if (!p || !tty_is_current_ctty(tty))
        return -ENOTTY;
    if (p->pid != p->sid)
        return 0;
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    int pgrp = tty->pgrp;
    tty->session = 0;
    tty->pgrp = 0;
    spin_unlock_irqrestore(&tty->lock, flags);
    tty_signal_pgrp_id(pgrp, SIGHUP);
    tty_signal_pgrp_id(pgrp, SIGCONT);
    return 0;
}

/* Whether process group pgid of session sid is orphaned (POSIX): no live member has a parent in
 * another group of the same session, so nobody would ever continue it if it stopped. Tree lock held. */
static bool pgrp_orphaned_locked(int sid, int pgid)
{
#ifdef process_for_each
    process_for_each(q)
    {
        if (q->pgid == pgid && q->state == PROCESS_ALIVE && q->parent && q->parent->pgid != pgid &&
            q->parent->sid == sid)
            return false;
    }
#else
    (void)sid, (void)pgid;
#endif
    return true;
}

int tty_check_background(struct tty *tty, int sig)
{
    struct process *p = tty_current_process();
    if (!p || !tty_is_current_ctty(tty))
        return 0; /* job control applies to one's controlling terminal only */
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    int foreground = tty->pgrp;
    spin_unlock_irqrestore(&tty->lock, flags);
    if (!foreground || p->pgid == foreground)
        return 0;
    if (signal_current_ignores_or_blocks(sig))
        return sig == SIGTTIN ? -EIO : 0; /* a writer that ignores SIGTTOU writes anyway */
    uint64_t fl = tree_lock();
    bool orphaned = pgrp_orphaned_locked(p->sid, p->pgid);
    tree_unlock(fl);
    if (orphaned)
        return -EIO; /* a stop would be for ever */
    /* The whole group stops; the call restarts once it is continued (SIGCONT). */
    tty_signal_pgrp_id(p->pgid, sig);
    return -ERESTARTSYS;
}

static long put_int(unsigned long arg, int v)
{
    return copy_to_user((void *)arg, &v, sizeof(v));
}

static long get_pgrp(struct tty *tty, unsigned long arg)
{
    if (!tty_is_current_ctty(tty))
        return -ENOTTY;
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    int pgrp = tty->pgrp;
    spin_unlock_irqrestore(&tty->lock, flags);
    return put_int(arg, pgrp);
}

/* TIOCSPGRP: the group must exist in the caller's session. A background caller gets SIGTTOU unless
 * it blocks or ignores it (shells do, to hand the terminal over from the background). */
static long set_pgrp(struct tty *tty, unsigned long arg)
{
    int pgrp;
    if (copy_from_user(&pgrp, (const void *)arg, sizeof(pgrp)))
        return -EFAULT;
    struct process *p = tty_current_process();
    if (!p || !tty_is_current_ctty(tty))
        return -ENOTTY;
    int rc = tty_check_background(tty, SIGTTOU);
    if (rc)
        return rc;
    if (pgrp < 0)
        return -EINVAL;
    uint64_t fl = tree_lock();
    bool ok = members_alive_locked(p->sid, pgrp);
    if (ok) {
        uint64_t flags = spin_lock_irqsave(&tty->lock);
        tty->pgrp = pgrp;
        spin_unlock_irqrestore(&tty->lock, flags);
    }
    tree_unlock(fl);
    return ok ? 0 : -EPERM;
}

static long get_sid(struct tty *tty, unsigned long arg)
{
    if (!tty_is_current_ctty(tty))
        return -ENOTTY;
    return put_int(arg, tty->session);
}

/* TIOCSTI: one byte into the input as if typed; only into one's own terminal, or as root. */
static long simulate_input(struct tty *tty, unsigned long arg)
{
    struct process *p = tty_current_process();
    if (!p || (!tty_is_current_ctty(tty) && p->cred.euid != 0))
        return -EPERM;
    char c;
    if (copy_from_user(&c, (const void *)arg, 1))
        return -EFAULT;
    tty_receive(tty, &c, 1);
    return 0;
}

long tty_job_ioctl(struct tty *tty, unsigned cmd, unsigned long arg)
{
    switch (cmd) {
    case TIOCSCTTY:
        return set_ctty(tty, arg);
    case TIOCNOTTY:
        return drop_ctty(tty);
    case TIOCGPGRP:
        return get_pgrp(tty, arg);
    case TIOCSPGRP:
        return set_pgrp(tty, arg);
    case TIOCGSID:
        return get_sid(tty, arg);
    case TIOCSTI:
        return simulate_input(tty, arg);
    }
    return -ENOIOCTLCMD;
}
