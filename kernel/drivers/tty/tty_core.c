/* The tty core: input from the device through the line discipline, blocking reads (canonical, or
 * VMIN/VTIME), serialised writes with output processing, poll, and the termios, window-size and
 * queue ioctls. Job-control ioctls are in tty_job.c. */
#include "tty_internal.h"
#include <kestrel/string.h>
#include <kestrel/time.h>
#include <kestrel/uaccess.h>
#include <uapi/poll.h>

#define WRITE_CHUNK 256 /* bytes processed per hold of the tty lock, so interrupts wait little */
#define REPLY_MAX   32

_Static_assert(LDISC_SIGINT == SIGINT && LDISC_SIGQUIT == SIGQUIT && LDISC_SIGTSTP == SIGTSTP,
               "the line discipline raises Linux's signal numbers");

static void ld_output(void *ctx, const char *s, size_t n)
{
    struct tty *tty = ctx;
    tty->driver->write(tty, s, n);
}

/* Only noted here: signals are sent once the tty lock is dropped (the sender takes other locks). */
static void ld_signal(void *ctx, int sig)
{
    struct tty *tty = ctx;
    tty->pending_sigs |= 1u << sig;
}

static const struct ldisc_ops tty_ldisc_ops = {.output = ld_output, .signal = ld_signal};

void tty_setup(struct tty *tty, const char *name, const struct tty_driver *drv, unsigned rows, unsigned cols)
{
    tty->name = name;
    tty->driver = drv;
    tty->lock = (struct spinlock)SPINLOCK_INIT(name);
    ldisc_init(&tty->ld, &tty_ldisc_ops, tty);
    tty->winsize = (struct winsize){.ws_row = (uint16_t)rows, .ws_col = (uint16_t)cols};
    waitqueue_init(&tty->read_wait, name);
    poll_head_init(&tty->poll);
    mutex_init(&tty->write_mutex, name);
}

void tty_signal_pgrp_id(int pgrp, int sig)
{
    if (pgrp > 0 && signal_send_pgrp)
        signal_send_pgrp(pgrp, sig);
}

void tty_signal_pgrp(struct tty *tty, int sig)
{
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    int pgrp = tty->pgrp;
    spin_unlock_irqrestore(&tty->lock, flags);
    tty_signal_pgrp_id(pgrp, sig);
}

static void wake_readers(struct tty *tty)
{
    wq_wake_all(&tty->read_wait);
    poll_notify(&tty->poll);
}

/* Answers the device produced (a cursor position report) arrive as if typed. */
static void feed_replies(struct tty *tty)
{
    char buf[REPLY_MAX];
    if (!tty->driver->take_replies)
        return;
    size_t n = tty->driver->take_replies(tty, buf, sizeof(buf));
    if (n)
        tty_receive(tty, buf, n);
}

void tty_receive(struct tty *tty, const char *buf, size_t n)
{
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    ldisc_receive(&tty->ld, buf, n);
    uint32_t sigs = tty->pending_sigs;
    tty->pending_sigs = 0;
    int pgrp = tty->pgrp;
    bool ready = ldisc_ready(&tty->ld) > 0;
    spin_unlock_irqrestore(&tty->lock, flags);
    for (int sig = 1; sigs; sig++) {
        if (!(sigs & (1u << sig)))
            continue;
        sigs &= ~(1u << sig);
        tty_signal_pgrp_id(pgrp, sig);
    }
    if (ready)
        wake_readers(tty);
    feed_replies(tty);
}

/* Reads what is committed now, at most n bytes; *eof is set when that was an end-of-file marker. */
static ssize_t take_input(struct tty *tty, char *buf, size_t n, bool *eof)
{
    bool line_end;
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    size_t got = ldisc_read(&tty->ld, buf, n, &line_end);
    spin_unlock_irqrestore(&tty->lock, flags);
    *eof = got == 0 && line_end;
    return (ssize_t)got;
}

/* Sleeps until at least need entries are committed, or ticks pass: 0, -ETIMEDOUT or -ERESTARTSYS. */
static int wait_input(struct tty *tty, size_t need, long ticks)
{
    return wait_event_interruptible_timeout(&tty->read_wait, ldisc_ready(&tty->ld) >= need, ticks);
}

static long vtime_ticks(cc_t vtime)
{
    return (long)vtime * (TICK_HZ / 10);
}

/* The waiting part of a non-canonical read, as POSIX describes VMIN and VTIME (tenths of a second):
 * 0, or -ERESTARTSYS. A timeout is not an error: the read returns what there is. */
static int wait_raw(struct tty *tty, size_t n, cc_t vmin, cc_t vtime)
{
    if (vmin == 0 && vtime == 0)
        return 0;
    if (vmin == 0) {
        int err = wait_input(tty, 1, vtime_ticks(vtime)); /* a read timer: a byte or the timeout */
        return err == -ERESTARTSYS ? err : 0;
    }
    size_t need = MIN((size_t)vmin, n);
    int err = wait_input(tty, vtime ? 1 : need, WAIT_FOREVER);
    if (err || vtime == 0)
        return err;
    /* An inter-byte timer: restarted by every byte, it ends the read before VMIN bytes came. */
    while (ldisc_ready(&tty->ld) < need) {
        size_t have = ldisc_ready(&tty->ld);
        err = wait_event_interruptible_timeout(&tty->read_wait, ldisc_ready(&tty->ld) != have,
                                               vtime_ticks(vtime));
        if (err == -ERESTARTSYS)
            return err;
        if (err)
            break;
    }
    return 0;
}

ssize_t tty_read(struct tty *tty, void *buf, size_t n, bool nowait)
{
    if (n == 0)
        return 0;
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    bool canon = tty->ld.termios.c_lflag & ICANON;
    cc_t vmin = tty->ld.termios.c_cc[VMIN], vtime = tty->ld.termios.c_cc[VTIME];
    spin_unlock_irqrestore(&tty->lock, flags);
    bool eof;
    int bg = tty_check_background(tty, SIGTTIN);
    if (bg)
        return bg;
    if (nowait) {
        ssize_t got = take_input(tty, buf, n, &eof);
        return got || eof ? got : -EAGAIN;
    }
    for (;;) {
        int err = canon ? wait_input(tty, 1, WAIT_FOREVER) : wait_raw(tty, n, vmin, vtime);
        if (err)
            return err;
        ssize_t got = take_input(tty, buf, n, &eof);
        /* Another reader may have taken the input first: then wait again. A timed-out
         * non-canonical read returns 0, as does an end-of-file marker. */
        if (got || eof || (!canon && (vmin == 0 || vtime > 0)))
            return got;
    }
}

ssize_t tty_write(struct tty *tty, const void *buf, size_t n)
{
    const char *s = buf;
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    bool tostop = tty->ld.termios.c_lflag & TOSTOP;
    spin_unlock_irqrestore(&tty->lock, flags);
    int bg = tostop ? tty_check_background(tty, SIGTTOU) : 0;
    if (bg)
        return bg;
    mutex_lock(&tty->write_mutex);
    for (size_t done = 0; done < n;) {
        size_t chunk = MIN(n - done, (size_t)WRITE_CHUNK);
        uint64_t flags = spin_lock_irqsave(&tty->lock);
        ldisc_write(&tty->ld, s + done, chunk);
        spin_unlock_irqrestore(&tty->lock, flags);
        done += chunk;
    }
    mutex_unlock(&tty->write_mutex);
    feed_replies(tty);
    return (ssize_t)n;
}

unsigned tty_poll(struct tty *tty, struct file *f, struct poll_table *pt)
{
    poll_wait(f, pt, &tty->poll);
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    const struct termios *t = &tty->ld.termios;
    /* Non-canonical with VMIN and no VTIME: readable once a read would not block. */
    size_t need = !(t->c_lflag & ICANON) && t->c_cc[VTIME] == 0 && t->c_cc[VMIN] ? t->c_cc[VMIN] : 1;
    bool readable = ldisc_ready(&tty->ld) >= need;
    spin_unlock_irqrestore(&tty->lock, flags);
    return POLLOUT | POLLWRNORM | (readable ? POLLIN | POLLRDNORM : 0);
}

static long get_termios(struct tty *tty, unsigned long arg)
{
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    struct termios t = tty->ld.termios;
    spin_unlock_irqrestore(&tty->lock, flags);
    return copy_to_user((void *)arg, &t, sizeof(t));
}

/* TCSETS, TCSETSW (output is synchronous: nothing to drain), TCSETSF (also discards input). */
static long set_termios(struct tty *tty, unsigned cmd, unsigned long arg)
{
    struct termios t;
    if (copy_from_user(&t, (const void *)arg, sizeof(t)))
        return -EFAULT;
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    if (cmd == TCSETSF)
        ldisc_flush_input(&tty->ld);
    ldisc_set_termios(&tty->ld, &t);
    spin_unlock_irqrestore(&tty->lock, flags);
    /* A mode change can make input readable (the edit line committed, a smaller VMIN). */
    wake_readers(tty);
    return 0;
}

static long set_winsize(struct tty *tty, unsigned long arg)
{
    struct winsize ws;
    if (copy_from_user(&ws, (const void *)arg, sizeof(ws)))
        return -EFAULT;
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    bool changed = memcmp(&ws, &tty->winsize, sizeof(ws)) != 0;
    tty->winsize = ws;
    spin_unlock_irqrestore(&tty->lock, flags);
    if (changed)
        tty_signal_pgrp(tty, SIGWINCH);
    return 0;
}

static long get_winsize(struct tty *tty, unsigned long arg)
{
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    struct winsize ws = tty->winsize;
    spin_unlock_irqrestore(&tty->lock, flags);
    return copy_to_user((void *)arg, &ws, sizeof(ws));
}

static long put_int(unsigned long arg, int v)
{
    return copy_to_user((void *)arg, &v, sizeof(v));
}

static long flush(struct tty *tty, unsigned long arg)
{
    if (arg > TCIOFLUSH)
        return -EINVAL;
    if (arg == TCIFLUSH || arg == TCIOFLUSH) {
        uint64_t flags = spin_lock_irqsave(&tty->lock);
        ldisc_flush_input(&tty->ld);
        spin_unlock_irqrestore(&tty->lock, flags);
    }
    return 0;
}

static long input_bytes(struct tty *tty, unsigned long arg)
{
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    int n = (int)ldisc_bytes(&tty->ld);
    spin_unlock_irqrestore(&tty->lock, flags);
    return put_int(arg, n);
}

long tty_ioctl(struct tty *tty, struct file *f, unsigned cmd, unsigned long arg)
{
    (void)f;
    long rc = tty_job_ioctl(tty, cmd, arg);
    if (rc != -ENOIOCTLCMD)
        return rc;
    switch (cmd) {
    case TCGETS:
        return get_termios(tty, arg);
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        rc = tty_check_background(tty, SIGTTOU);
        return rc ? rc : set_termios(tty, cmd, arg);
    case TIOCGWINSZ:
        return get_winsize(tty, arg);
    case TIOCSWINSZ:
        return set_winsize(tty, arg);
    case FIONREAD:
        return input_bytes(tty, arg);
    case TIOCOUTQ:
        return put_int(arg, 0); /* output goes straight to the device */
    case TCFLSH:
        rc = tty_check_background(tty, SIGTTOU);
        return rc ? rc : flush(tty, arg);
    case TCXONC:
        return arg <= 3 ? 0 : -EINVAL;
    case TCSBRK:
    case TCSBRKP:
    case TIOCEXCL:
    case TIOCNXCL:
        return 0; /* tcdrain, breaks and exclusive mode: nothing to do for our devices */
    }
    return -ENOTTY;
}
