/* The tty layer's shared structures: struct tty and what its files (tty_core.c, tty_job.c,
 * tty_dev.c, tty_drivers.c) call in each other. */
#pragma once
#include "ldisc.h"
#include <kestrel/mutex.h>
#include <kestrel/poll.h>
#include <kestrel/process.h>
#include <kestrel/signal.h>
#include <kestrel/spinlock.h>
#include <kestrel/tty.h>
#include <kestrel/waitqueue.h>

/* BRIDGE (issue 4, removed when the process core and signals are both in): interruptible sleeps
 * (kestrel/waitqueue.h) and the process list (kestrel/process.h) are landing in parallel. Until
 * they do, sleeps are plain ones, job control finds no processes, and typed signals go nowhere. */
#ifndef wait_event_interruptible_timeout
#define wait_event_interruptible_timeout(wq, cond, t) wait_event_timeout((wq), (cond), (t))
#endif
int signal_send_pgrp(int pgid, int sig) __attribute__((weak));
struct process *current_process(void) __attribute__((weak));
static inline struct process *tty_current_process(void)
{
    return current_process ? current_process() : NULL;
}

struct tty_driver {
    /* Sends bytes to the device. Any context; called with the tty lock held, so it must not sleep. */
    void (*write)(struct tty *tty, const char *s, size_t n);
    /* Takes answers the device wants typed back (the screen's reply to CSI 6n); may be NULL. */
    size_t (*take_replies)(struct tty *tty, char *buf, size_t n);
};

struct tty {
    const char *name;
    const struct tty_driver *driver;
    /* Protects ld, winsize, pgrp, session and pending_sigs. A spinlock with interrupts off because
     * keyboard and serial interrupts feed input; it nests outside the screen lock (echo draws) and
     * inside process_tree_lock (tty_job.c), and is never held while signals are sent. */
    struct spinlock lock;
    struct ldisc ld;
    struct winsize winsize;
    int pgrp;              /* foreground process group; 0 none */
    int session;           /* the session this is the controlling terminal of; 0 none */
    uint32_t pending_sigs; /* typed signal characters (bit n: signal n), sent after unlocking */
    struct waitqueue read_wait;
    struct poll_head poll;
    struct mutex write_mutex; /* one write(2) at a time, so that writers' bytes do not interleave */
};

/* tty_core.c */
void tty_setup(struct tty *tty, const char *name, const struct tty_driver *drv, unsigned rows, unsigned cols);
/* Sends the signal to tty's foreground process group, if it has one; or to group pgrp (if > 0). */
void tty_signal_pgrp(struct tty *tty, int sig);
void tty_signal_pgrp_id(int pgrp, int sig);

/* tty_dev.c: registers the character devices and their /dev nodes. */
void tty_dev_register(void);

/* tty_job.c: controlling terminal and foreground group ioctls (TIOCSCTTY, TIOCNOTTY, TIOCGPGRP,
 * TIOCSPGRP, TIOCGSID, TIOCSTI's permission); -ENOIOCTLCMD for other commands. */
#define ENOIOCTLCMD 515
long tty_job_ioctl(struct tty *tty, unsigned cmd, unsigned long arg);
/* An open by a session leader without a controlling terminal makes tty its own (unless O_NOCTTY
 * or another live session has it), as Linux does for ttys other than tty0 and console. */
void tty_open_ctty(struct tty *tty, struct file *f);
/* Job control for a caller in a background process group of its controlling terminal: 0 to go
 * ahead; else -ERESTARTSYS after sending sig (SIGTTIN for reads, SIGTTOU for writes with TOSTOP
 * and for changing the terminal) to the caller's group, or -EIO when sig cannot stop it (an
 * orphaned group, or SIGTTIN ignored or blocked). A blocked or ignored SIGTTOU lets it go ahead. */
int tty_check_background(struct tty *tty, int sig);
/* Whether tty is the calling process's controlling terminal. */
bool tty_is_current_ctty(struct tty *tty);
