/* Pipes and FIFOs: a ring buffer, the two ends as open files, blocking with wait queues, polling,
 * and the FIFO open protocol (each end waits for the other). Anonymous pipes get an inode of a
 * private pipe filesystem so fstat works on them. */
#include <uapi/statfs.h>
#include <kestrel/file.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mutex.h>
#include <kestrel/pipe.h>
#include <kestrel/poll.h>
#include <kestrel/signal.h>
#include <kestrel/string.h>

struct pipe {
    struct mutex lock; /* protects the ring and serialises readers against writers */
    char *buf;
    size_t head; /* index of the oldest byte */
    /* Read without the lock by wait conditions (a stale value only costs one more check). */
    volatile size_t len;
    volatile int readers, writers;             /* open files of each end */
    volatile unsigned read_opens, write_opens; /* ends ever opened: FIFO openers wait for a change */
    struct waitqueue rwait;                    /* readers wait for data or the last writer */
    struct waitqueue wwait;                    /* writers wait for room or the last reader */
    struct poll_head poll;
    struct inode *fifo; /* the FIFO inode whose pipe this is, NULL for pipe(2) */
};

static struct super_block pipe_sb;
static bool pipe_sb_ready;

static bool is_reader(const struct file *f)
{
    uint32_t acc = f->flags & O_ACCMODE;
    return acc == O_RDONLY || acc == O_RDWR;
}

static bool is_writer(const struct file *f)
{
    uint32_t acc = f->flags & O_ACCMODE;
    return acc == O_WRONLY || acc == O_RDWR;
}

static struct pipe *pipe_alloc(void)
{
    struct pipe *p = kzalloc(sizeof(*p));
    if (!p)
        return NULL;
    p->buf = kmalloc(PIPE_SIZE);
    if (!p->buf) {
        kfree(p);
        return NULL;
    }
    mutex_init(&p->lock, "pipe");
    waitqueue_init(&p->rwait, "pipe-read");
    waitqueue_init(&p->wwait, "pipe-write");
    poll_head_init(&p->poll);
    return p;
}

static void pipe_free(struct pipe *p)
{
    kfree(p->buf);
    kfree(p);
}

/* Something changed that a reader, writer, opener or poller may be waiting for. */
static void pipe_wake(struct pipe *p)
{
    wq_wake_all(&p->rwait);
    wq_wake_all(&p->wwait);
    poll_notify(&p->poll);
}

static void ring_take(struct pipe *p, char *dst, size_t n)
{
    size_t first = MIN(n, PIPE_SIZE - p->head);
    memcpy(dst, p->buf + p->head, first);
    memcpy(dst + first, p->buf, n - first);
    p->head = (p->head + n) % PIPE_SIZE;
    p->len -= n;
}

static void ring_put(struct pipe *p, const char *src, size_t n)
{
    size_t tail = (p->head + p->len) % PIPE_SIZE;
    size_t first = MIN(n, PIPE_SIZE - tail);
    memcpy(p->buf + tail, src, first);
    memcpy(p->buf, src + first, n - first);
    p->len += n;
}

static ssize_t pipe_read(struct file *f, void *buf, size_t count, bool nowait)
{
    struct pipe *p = f->private;
    if (count == 0)
        return 0;
    mutex_lock(&p->lock);
    while (p->len == 0) {
        if (p->writers == 0) {
            mutex_unlock(&p->lock);
            return 0; /* end of file */
        }
        mutex_unlock(&p->lock);
        if (nowait)
            return -EAGAIN;
        int err = wait_event_interruptible(&p->rwait, p->len || !p->writers);
        if (err)
            return err;
        mutex_lock(&p->lock);
    }
    size_t n = MIN(count, p->len);
    ring_take(p, buf, n);
    mutex_unlock(&p->lock);
    pipe_wake(p);
    return (ssize_t)n;
}

static ssize_t pipe_write(struct file *f, const void *buf, size_t count, bool nowait)
{
    struct pipe *p = f->private;
    const char *src = buf;
    size_t done = 0;
    ssize_t err = 0;
    /* Up to PIPE_BUF bytes go in at once or not at all; larger writes may be split. */
    size_t need = count <= PIPE_BUF ? count : 1;
    if (count == 0)
        return 0;
    mutex_lock(&p->lock);
    while (done < count) {
        if (p->readers == 0) {
            signal_send_current(SIGPIPE);
            err = -EPIPE;
            break;
        }
        size_t room = PIPE_SIZE - p->len;
        if (room >= need) {
            size_t n = MIN(room, count - done);
            ring_put(p, src + done, n);
            done += n;
            pipe_wake(p);
            continue;
        }
        mutex_unlock(&p->lock);
        if (nowait) {
            err = -EAGAIN;
            goto out;
        }
        err = wait_event_interruptible(&p->wwait, PIPE_SIZE - p->len >= need || !p->readers);
        if (err)
            goto out;
        mutex_lock(&p->lock);
    }
    mutex_unlock(&p->lock);
out:
    return done ? (ssize_t)done : err;
}

static unsigned pipe_poll(struct file *f, struct poll_table *pt)
{
    struct pipe *p = f->private;
    poll_wait(f, pt, &p->poll);
    unsigned mask = 0;
    if (is_reader(f)) {
        if (p->len)
            mask |= POLLIN | POLLRDNORM;
        /* A FIFO reader that has never seen a writer is not hung up (f->pos holds the count of
         * writer opens at its own open, as on Linux). */
        if (!p->writers && f->pos != p->write_opens)
            mask |= POLLHUP;
    }
    if (is_writer(f)) {
        if (PIPE_SIZE - p->len >= PIPE_BUF)
            mask |= POLLOUT | POLLWRNORM;
        if (!p->readers)
            mask |= POLLERR;
    }
    return mask;
}

/* Drops f's end; the last end of either kind frees the pipe. */
static void pipe_release_end(struct pipe *p, bool reader, bool writer)
{
    mutex_lock(&p->lock);
    if (reader)
        p->readers--;
    if (writer)
        p->writers--;
    bool last = !p->readers && !p->writers;
    mutex_unlock(&p->lock);
    pipe_wake(p);
    if (last) {
        if (p->fifo)
            p->fifo->pipe = NULL;
        pipe_free(p);
    }
}

static void pipe_release(struct file *f)
{
    pipe_release_end(f->private, is_reader(f), is_writer(f));
}

static const struct file_ops pipe_ops = {
    .read = pipe_read,
    .write = pipe_write,
    .poll = pipe_poll,
    .release = pipe_release,
};

static void pipe_inode_release(struct inode *inode)
{
    inode->sb->live_inodes--;
    kfree(inode);
}

static const struct inode_ops pipe_inode_ops = {
    .release = pipe_inode_release,
};

static struct file *pipe_end(struct inode *inode, struct pipe *p, uint32_t flags)
{
    struct file *f = kzalloc(sizeof(*f));
    if (!f)
        return NULL;
    f->inode = inode_get(inode);
    f->flags = flags;
    f->refcount = 1;
    f->ops = &pipe_ops;
    f->private = p;
    return f;
}

int pipe_create(int flags, struct file **rd, struct file **wr)
{
    struct pipe *p = pipe_alloc();
    struct inode *inode = kzalloc(sizeof(*inode));
    if (!p || !inode) {
        kfree(inode);
        if (p)
            pipe_free(p);
        return -ENOMEM;
    }
    vfs_lock(); /* inode numbers and the superblock's counters */
    if (!pipe_sb_ready) {
        super_init(&pipe_sb);
        pipe_sb.magic = PIPEFS_MAGIC;
        pipe_sb_ready = true;
    }
    inode_init(inode, &pipe_sb, &pipe_inode_ops, S_IFIFO | 0600);
    inode->pipe = p;
    uint32_t nb = (uint32_t)flags & O_NONBLOCK;
    *rd = pipe_end(inode, p, O_RDONLY | nb);
    *wr = pipe_end(inode, p, O_WRONLY | nb);
    if (!*rd || !*wr) {
        kfree(*rd);
        kfree(*wr);
        inode_put(inode); /* the references the ends took, then ours */
        if (*rd)
            inode_put(inode);
        if (*wr)
            inode_put(inode);
        vfs_unlock();
        pipe_free(p);
        return -ENOMEM;
    }
    inode_put(inode); /* the ends hold it now */
    vfs_unlock();
    p->readers = p->writers = 1;
    p->read_opens = p->write_opens = 1;
    return 0;
}

int fifo_open(struct file *f)
{
    struct inode *inode = f->inode;
    if (!inode->pipe) {
        inode->pipe = pipe_alloc();
        if (!inode->pipe)
            return -ENOMEM;
        inode->pipe->fifo = inode;
    }
    struct pipe *p = inode->pipe;
    bool reader = is_reader(f), writer = is_writer(f);
    mutex_lock(&p->lock);
    if (reader) {
        p->readers++;
        p->read_opens++;
    }
    if (writer) {
        p->writers++;
        p->write_opens++;
    }
    f->pos = p->write_opens;
    bool orphan_writer = writer && !reader && !p->readers && (f->flags & O_NONBLOCK);
    mutex_unlock(&p->lock);
    if (orphan_writer) {
        pipe_release_end(p, reader, writer);
        return -ENXIO;
    }
    f->ops = &pipe_ops;
    f->private = p;
    pipe_wake(p);
    return 0;
}

int fifo_wait_partner(struct file *f)
{
    struct pipe *p = f->private;
    if (f->ops != &pipe_ops || !p->fifo || (f->flags & O_NONBLOCK))
        return 0;
    uint32_t acc = f->flags & O_ACCMODE;
    int err = 0;
    if (acc == O_RDONLY && !p->writers) {
        unsigned seen = p->write_opens;
        err = wait_event_interruptible(&p->rwait, p->write_opens != seen);
    } else if (acc == O_WRONLY && !p->readers) {
        unsigned seen = p->read_opens;
        err = wait_event_interruptible(&p->wwait, p->read_opens != seen);
    }
    return err;
}

int pipe_bytes_ready(struct file *f)
{
    if (f->ops != &pipe_ops)
        return -EINVAL;
    struct pipe *p = f->private;
    return (int)p->len;
}
