/* The poll machinery: poll heads on pollable objects, poll tables for pollers, and poll(2) over a
 * descriptor table (select and the system calls build on poll_files). */
#include <kestrel/file.h>
#include <kestrel/kmalloc.h>
#include <kestrel/poll.h>
#include <kestrel/sched.h>
#include <kestrel/signal.h>
#include <kestrel/time.h>

/* Protects every head's entry list. Taken with interrupts off because tty input notifies from
 * its interrupt handler; lock order: poll_lock, then the scheduler lock (inside wq_wake_all). */
static struct spinlock poll_lock = SPINLOCK_INIT("poll");

void poll_head_init(struct poll_head *h)
{
    qlist_init(&h->entries);
}

void poll_table_init(struct poll_table *pt)
{
    waitqueue_init(&pt->wq, "poll");
    pt->woken = false;
    pt->error = 0;
    pt->entries = NULL;
}

void poll_table_done(struct poll_table *pt)
{
    uint64_t flags = spin_lock_irqsave(&poll_lock);
    for (struct poll_entry *e = pt->entries; e; e = e->next)
        qlist_remove(&e->link);
    spin_unlock_irqrestore(&poll_lock, flags);
    while (pt->entries) {
        struct poll_entry *e = pt->entries;
        pt->entries = e->next;
        file_put(e->file);
        kfree(e);
    }
}

void poll_wait(struct file *f, struct poll_table *pt, struct poll_head *h)
{
    if (!pt)
        return;
    struct poll_entry *e = kmalloc(sizeof(*e));
    if (!e) {
        pt->error = -ENOMEM;
        return;
    }
    e->pt = pt;
    e->file = vfs_file_get(f);
    e->next = pt->entries;
    pt->entries = e;
    uint64_t flags = spin_lock_irqsave(&poll_lock);
    qlist_push_back(&h->entries, &e->link);
    spin_unlock_irqrestore(&poll_lock, flags);
}

void poll_notify(struct poll_head *h)
{
    uint64_t flags = spin_lock_irqsave(&poll_lock);
    qlist_for_each(l, &h->entries)
    {
        struct poll_entry *e = qlist_entry(l, struct poll_entry, link);
        /* Set before the wake-up: the sleeper tests woken under the scheduler lock. */
        e->pt->woken = true;
        wq_wake_all(&e->pt->wq);
    }
    spin_unlock_irqrestore(&poll_lock, flags);
}

int poll_table_sleep(struct poll_table *pt, long ticks)
{
    int err = wait_event_interruptible_timeout(&pt->wq, pt->woken, ticks);
    pt->woken = false;
    /* poll and select restart only when no handler runs (Linux's ERESTARTNOHAND). */
    return err == -ERESTARTSYS ? -ERESTARTNOHAND : err;
}

unsigned file_poll(struct file *f, struct poll_table *pt)
{
    if (f->ops && f->ops->poll)
        return f->ops->poll(f, pt);
    return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

long poll_ns_to_ticks(int64_t ns)
{
    const int64_t tick_ns = 1000000000 / TICK_HZ;
    if (ns <= 0)
        return 0;
    if (ns / tick_ns >= INT32_MAX)
        return WAIT_FOREVER; /* months: the same as no limit in practice */
    return (long)((ns + tick_ns - 1) / tick_ns);
}

/* One pass over the descriptors; returns how many have events. */
static int poll_scan(struct files *files, struct pollfd *fds, size_t nfds, struct poll_table *pt)
{
    int ready = 0;
    for (size_t i = 0; i < nfds; i++) {
        fds[i].revents = 0;
        if (fds[i].fd < 0)
            continue;
        struct file *f = fd_get(files, fds[i].fd);
        unsigned mask = POLLNVAL;
        if (f) {
            /* POLLERR and POLLHUP are reported whether asked for or not. */
            mask = file_poll(f, pt) & ((uint16_t)fds[i].events | POLLERR | POLLHUP);
            file_put(f);
        }
        fds[i].revents = (int16_t)mask;
        if (mask)
            ready++;
    }
    return ready;
}

int poll_files(struct files *files, struct pollfd *fds, size_t nfds, int64_t timeout_ns)
{
    long ticks = timeout_ns < 0 ? WAIT_FOREVER : poll_ns_to_ticks(timeout_ns);
    uint64_t start = sched_ticks();
    struct poll_table pt;
    poll_table_init(&pt);
    /* Only the first pass registers: the entries stay until the end. */
    int ready = poll_scan(files, fds, nfds, ticks ? &pt : NULL);
    while (!ready && ticks) {
        if (pt.error) {
            ready = pt.error;
            break;
        }
        long left = WAIT_FOREVER;
        if (ticks != WAIT_FOREVER) {
            long used = (long)(sched_ticks() - start);
            if (used >= ticks)
                break;
            left = ticks - used;
        }
        int err = poll_table_sleep(&pt, left);
        if (err == -ERESTARTNOHAND) {
            ready = err;
            break;
        }
        ready = poll_scan(files, fds, nfds, NULL);
        if (err == -ETIMEDOUT)
            break;
    }
    poll_table_done(&pt);
    return ready;
}
