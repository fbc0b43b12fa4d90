/* Waiting for any of several files: each pollable object owns a poll_head and calls poll_notify
 * when its readiness may have changed; a poller registers one entry per head it looked at and
 * sleeps on its own wait queue until any of them fires, a signal arrives or the time runs out. */
#pragma once
#include <kestrel/waitqueue.h>
#include <uapi/poll.h>

struct file;
struct files;

struct poll_head {
    struct qlink entries; /* of struct poll_entry, by link; protected by the global poll lock */
};

#define POLL_HEAD_INIT(h)                                                                                    \
    {                                                                                                        \
        QLIST_INIT((h).entries)                                                                              \
    }

struct poll_entry {
    struct qlink link; /* in head->entries */
    struct poll_table *pt;
    struct file *file;       /* a reference: keeps the head's owner alive while registered */
    struct poll_entry *next; /* in the poll table's list */
};

struct poll_table {
    struct waitqueue wq; /* the poller sleeps here */
    volatile bool woken; /* a head fired since the poller last cleared it */
    int error;           /* -ENOMEM when an entry could not be registered */
    struct poll_entry *entries;
};

void poll_head_init(struct poll_head *h);
void poll_table_init(struct poll_table *pt);
/* Unregisters every entry; the table may then be freed. */
void poll_table_done(struct poll_table *pt);
/* Called by f's poll op for each head that may change its answer; pt may be NULL (no wait). */
void poll_wait(struct file *f, struct poll_table *pt, struct poll_head *h);
/* Wakes every poller registered on h. Any context, interrupt handlers included. */
void poll_notify(struct poll_head *h);
/* Sleeps until a head fires, a signal is pending or ticks pass (WAIT_FOREVER: no limit);
 * returns 0, -ERESTARTNOHAND (kestrel/signal.h) or -ETIMEDOUT. Clears pt->woken. */
int poll_table_sleep(struct poll_table *pt, long ticks);

/* The events f is ready for now (registering pt on its heads): f->ops->poll, or always readable
 * and writable for regular files and directories. */
unsigned file_poll(struct file *f, struct poll_table *pt);

/* poll(2) on kernel copies of the pollfds: fills revents and returns how many are ready, 0 on
 * timeout, -ERESTARTNOHAND or -ENOMEM. timeout_ns < 0 waits forever. */
int poll_files(struct files *files, struct pollfd *fds, size_t nfds, int64_t timeout_ns);

/* Nanoseconds to scheduler ticks, rounded up (a timeout never ends early). */
long poll_ns_to_ticks(int64_t ns);
