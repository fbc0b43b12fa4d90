/* KTAP tests of pipes, FIFOs, poll and the character devices: data and end-of-file, EPIPE,
 * O_NONBLOCK, PIPE_BUF atomicity, blocking readers and writers woken by kernel threads, poll
 * wake-ups and timeouts, the FIFO open protocol, /dev/null, zero and full, and no leaked pages. */
#include <kestrel/chardev.h>
#include <kestrel/file.h>
#include <kestrel/ktest.h>
#include <kestrel/page.h>
#include <kestrel/pipe.h>
#include <kestrel/poll.h>
#include <kestrel/sched.h>
#include <kestrel/string.h>
#include <kestrel/thread.h>
#include <kestrel/tmpfs.h>

static char big[PIPE_SIZE];

static void file_pipe_data_and_eof(struct ktest *t)
{
    size_t before = pmm_free_pages();
    struct file *rd, *wr;
    char buf[16];
    KTEST_ASSERT_EQ(t, pipe_create(0, &rd, &wr), 0);
    KTEST_EXPECT_EQ(t, vfs_write(wr, "hello", 5), 5);
    KTEST_EXPECT_EQ(t, pipe_bytes_ready(rd), 5);
    KTEST_EXPECT_EQ(t, vfs_read(rd, buf, 3), 3);
    KTEST_EXPECT_EQ(t, memcmp(buf, "hel", 3), 0);
    KTEST_EXPECT_EQ(t, vfs_read(rd, buf, sizeof(buf)), 2);
    KTEST_EXPECT_EQ(t, memcmp(buf, "lo", 2), 0);
    /* The wrong end, seeking and positioned I/O. */
    KTEST_EXPECT_EQ(t, vfs_read(wr, buf, 1), -EBADF);
    KTEST_EXPECT_EQ(t, vfs_write(rd, "x", 1), -EBADF);
    KTEST_EXPECT_EQ(t, vfs_lseek(rd, 0, SEEK_SET), -ESPIPE);
    KTEST_EXPECT_EQ(t, vfs_pread(rd, buf, 1, 0), -ESPIPE);
    KTEST_EXPECT_EQ(t, vfs_pwrite(wr, "x", 1, 0), -ESPIPE);
    KTEST_EXPECT_EQ(t, vfs_ftruncate(wr, 0), -EINVAL);
    struct stat st;
    KTEST_EXPECT_EQ(t, vfs_fstat(rd, &st), 0);
    KTEST_EXPECT_EQ(t, st.st_mode, S_IFIFO | 0600);
    /* Empty, writer open, O_NONBLOCK asked per call. */
    KTEST_EXPECT_EQ(t, vfs_read_nowait(rd, buf, 1), -EAGAIN);
    KTEST_EXPECT_EQ(t, vfs_read(rd, buf, 0), 0);
    file_put(wr);
    KTEST_EXPECT_EQ(t, vfs_read(rd, buf, sizeof(buf)), 0); /* end of file */
    file_put(rd);
    KTEST_EXPECT(t, pmm_free_pages() + 4 >= before);
}

static void file_pipe_epipe_nonblock_atomic(struct ktest *t)
{
    struct file *rd, *wr;
    KTEST_ASSERT_EQ(t, pipe_create(O_NONBLOCK, &rd, &wr), 0);
    KTEST_EXPECT_EQ(t, vfs_read(rd, big, 1), -EAGAIN);
    /* 1000-byte writes are atomic: the last one that would not fit whole waits (EAGAIN). */
    ssize_t total = 0, n;
    while ((n = vfs_write(wr, big, 1000)) > 0)
        total += n;
    KTEST_EXPECT_EQ(t, n, -EAGAIN);
    KTEST_EXPECT_EQ(t, total, 65000);
    KTEST_EXPECT_EQ(t, vfs_write(wr, big, 536), 536);
    KTEST_EXPECT_EQ(t, vfs_write(wr, big, 1), -EAGAIN);
    KTEST_EXPECT_EQ(t, pipe_bytes_ready(rd), PIPE_SIZE);
    /* Make 100 bytes of room: a 200-byte write still waits; 100 fits. */
    KTEST_EXPECT_EQ(t, vfs_read(rd, big, 100), 100);
    KTEST_EXPECT_EQ(t, vfs_write(wr, big, 200), -EAGAIN);
    KTEST_EXPECT_EQ(t, vfs_write(wr, big, 100), 100);
    /* Above PIPE_BUF a write may be split: it takes what fits. */
    KTEST_EXPECT_EQ(t, vfs_read(rd, big, 5000), 5000);
    KTEST_EXPECT_EQ(t, vfs_write(wr, big, 8000), 5000);
    file_put(rd);
    KTEST_EXPECT_EQ(t, vfs_write(wr, "x", 1), -EPIPE);
    KTEST_EXPECT_EQ(t, vfs_write(wr, "x", 0), 0);
    file_put(wr);
}

struct pipe_peer {
    struct file *f;
    size_t bytes;
    int delay_ms;
    ssize_t result;
};

static int slow_writer(void *arg)
{
    struct pipe_peer *p = arg;
    thread_sleep_ms((uint64_t)p->delay_ms);
    p->result = vfs_write(p->f, big, p->bytes);
    return 0;
}

static int draining_reader(void *arg)
{
    struct pipe_peer *p = arg;
    thread_sleep_ms((uint64_t)p->delay_ms);
    size_t got = 0;
    char buf[512];
    ssize_t n;
    while ((n = vfs_read(p->f, buf, sizeof(buf))) > 0)
        got += (size_t)n;
    p->result = n == 0 ? (ssize_t)got : n;
    return 0;
}

/* A reader blocks until a writer comes; a writer larger than the pipe blocks until drained. */
static void file_pipe_blocking(struct ktest *t)
{
    struct file *rd, *wr;
    KTEST_ASSERT_EQ(t, pipe_create(0, &rd, &wr), 0);
    struct pipe_peer w = {.f = wr, .bytes = 10, .delay_ms = 20};
    struct thread *th = thread_create("pipe-writer", slow_writer, &w, PRIO_DEFAULT);
    KTEST_ASSERT(t, th != NULL);
    uint64_t start = sched_ticks();
    KTEST_EXPECT_EQ(t, vfs_read(rd, big, sizeof(big)), 10);
    KTEST_EXPECT(t, sched_ticks() - start >= 15);
    thread_join(th);
    KTEST_EXPECT_EQ(t, w.result, 10);

    struct pipe_peer r = {.f = rd, .delay_ms = 10};
    th = thread_create("pipe-reader", draining_reader, &r, PRIO_DEFAULT);
    KTEST_ASSERT(t, th != NULL);
    for (int i = 0; i < 3; i++)
        KTEST_EXPECT_EQ(t, vfs_write(wr, big, sizeof(big)), (ssize_t)sizeof(big));
    file_put(wr);
    thread_join(th);
    KTEST_EXPECT_EQ(t, r.result, 3 * (ssize_t)sizeof(big));
    file_put(rd);
}

/* poll: immediate answers, a wake-up from another thread, a timeout, and POLLNVAL/POLLHUP. */
static void file_pipe_poll(struct ktest *t)
{
    struct files *ft = files_create();
    struct file *rd, *wr;
    KTEST_ASSERT(t, ft != NULL);
    KTEST_ASSERT_EQ(t, pipe_create(0, &rd, &wr), 0);
    KTEST_EXPECT_EQ(t, fd_install(ft, rd, 0, 1024, false), 0);
    KTEST_EXPECT_EQ(t, fd_install(ft, wr, 0, 1024, false), 1);
    struct pollfd fds[3] = {
        {.fd = 0, .events = POLLIN}, {.fd = 1, .events = POLLOUT}, {.fd = 7, .events = 0}};
    KTEST_EXPECT_EQ(t, poll_files(ft, fds, 3, 0), 2);
    KTEST_EXPECT_EQ(t, fds[0].revents, 0);
    KTEST_EXPECT_EQ(t, fds[1].revents, POLLOUT);
    KTEST_EXPECT_EQ(t, fds[2].revents, POLLNVAL);
    /* Only the read end, nothing written: a 30 ms timeout runs out. */
    uint64_t start = sched_ticks();
    KTEST_EXPECT_EQ(t, poll_files(ft, fds, 1, 30000000), 0);
    KTEST_EXPECT(t, sched_ticks() - start >= 30);
    /* A writer 20 ms later wakes the poller well before its 5 s limit. */
    struct pipe_peer w = {.f = wr, .bytes = 1, .delay_ms = 20};
    struct thread *th = thread_create("poll-writer", slow_writer, &w, PRIO_DEFAULT);
    KTEST_ASSERT(t, th != NULL);
    start = sched_ticks();
    KTEST_EXPECT_EQ(t, poll_files(ft, fds, 1, 5000000000ll), 1);
    KTEST_EXPECT(t, sched_ticks() - start < 2000);
    KTEST_EXPECT_EQ(t, fds[0].revents, POLLIN);
    thread_join(th);
    /* The writer gone: POLLHUP even when not asked for. */
    KTEST_EXPECT_EQ(t, fd_close(ft, 1), 0);
    fds[0].events = 0;
    KTEST_EXPECT_EQ(t, poll_files(ft, fds, 1, -1), 1);
    KTEST_EXPECT_EQ(t, fds[0].revents, POLLHUP);
    files_put(ft);
}

struct fifo_opener {
    struct inode *dir;
    int flags;
    struct file *f;
    int result;
    volatile bool done;
};

static int fifo_open_thread(void *arg)
{
    struct fifo_opener *o = arg;
    vfs_lock();
    o->result = vfs_open(o->dir, "fifo", o->flags, 0, &o->f);
    vfs_unlock();
    if (!o->result)
        o->result = fifo_wait_partner(o->f);
    o->done = true;
    return 0;
}

static void file_pipe_fifo(struct ktest *t)
{
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, tmpfs_mount(&sb), 0);
    struct inode *r = sb->root;
    struct file *rd, *wr;
    KTEST_ASSERT_EQ(t, vfs_mknod(r, "fifo", S_IFIFO | 0600, 0), 0);
    KTEST_EXPECT_EQ(t, vfs_open(r, "fifo", O_WRONLY | O_NONBLOCK, 0, &wr), -ENXIO);
    KTEST_ASSERT_EQ(t, vfs_open(r, "fifo", O_RDONLY | O_NONBLOCK, 0, &rd), 0);
    char buf[8];
    KTEST_EXPECT_EQ(t, vfs_read(rd, buf, sizeof(buf)), 0); /* no writer yet: end of file */
    KTEST_ASSERT_EQ(t, vfs_open(r, "fifo", O_WRONLY | O_NONBLOCK, 0, &wr), 0);
    KTEST_EXPECT_EQ(t, vfs_write(wr, "abc", 3), 3);
    KTEST_EXPECT_EQ(t, vfs_read(rd, buf, sizeof(buf)), 3);
    vfs_close(rd);
    vfs_close(wr);
    /* A blocking reader waits for a writer to open. */
    struct fifo_opener o = {.dir = r, .flags = O_RDONLY};
    struct thread *th = thread_create("fifo-reader", fifo_open_thread, &o, PRIO_DEFAULT);
    KTEST_ASSERT(t, th != NULL);
    thread_sleep_ms(20);
    KTEST_EXPECT(t, !o.done);
    vfs_lock();
    KTEST_EXPECT_EQ(t, vfs_open(r, "fifo", O_WRONLY, 0, &wr), 0);
    vfs_unlock();
    KTEST_EXPECT_EQ(t, fifo_wait_partner(wr), 0);
    thread_join(th);
    KTEST_EXPECT_EQ(t, o.result, 0);
    KTEST_EXPECT_EQ(t, vfs_write(wr, "z", 1), 1);
    KTEST_EXPECT_EQ(t, vfs_read(o.f, buf, sizeof(buf)), 1);
    file_put(o.f);
    file_put(wr);
    struct inode *fifo;
    KTEST_ASSERT_EQ(t, vfs_lookup(r, "fifo", 0, &fifo), 0);
    KTEST_EXPECT(t, fifo->pipe == NULL); /* freed with its last end */
    inode_put(fifo);
    tmpfs_unmount(sb);
}

static void file_pipe_devices(struct ktest *t)
{
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, tmpfs_mount(&sb), 0);
    struct inode *r = sb->root;
    KTEST_ASSERT_EQ(t, devfs_populate(r), 0);
    KTEST_EXPECT_EQ(t, devfs_populate(r), 0); /* again: existing nodes are fine */
    struct file *f;
    char buf[8] = "xxxxxxx";
    KTEST_ASSERT_EQ(t, vfs_open(r, "null", O_RDWR, 0, &f), 0);
    KTEST_EXPECT_EQ(t, vfs_read(f, buf, sizeof(buf)), 0);
    KTEST_EXPECT_EQ(t, vfs_write(f, buf, sizeof(buf)), 8);
    KTEST_EXPECT_EQ(t, vfs_lseek(f, 100, SEEK_SET), 0);
    KTEST_EXPECT_EQ(t, vfs_pread(f, buf, 1, 5), 0);
    vfs_close(f);
    KTEST_ASSERT_EQ(t, vfs_open(r, "zero", O_RDONLY, 0, &f), 0);
    KTEST_EXPECT_EQ(t, vfs_read(f, buf, sizeof(buf)), 8);
    KTEST_EXPECT_EQ(t, buf[0] | buf[7], 0);
    KTEST_EXPECT_EQ(t, vfs_write(f, buf, 1), -EBADF);
    vfs_close(f);
    KTEST_ASSERT_EQ(t, vfs_open(r, "full", O_WRONLY, 0, &f), 0);
    KTEST_EXPECT_EQ(t, vfs_write(f, buf, 1), -ENOSPC);
    vfs_close(f);
    /* Two 64-byte draws from urandom differ (a 2^-512 chance of a false failure). */
    static char r1[64], r2[64];
    KTEST_ASSERT_EQ(t, vfs_open(r, "urandom", O_RDWR, 0, &f), 0);
    KTEST_EXPECT_EQ(t, vfs_read(f, r1, sizeof(r1)), 64);
    KTEST_EXPECT_EQ(t, vfs_read(f, r2, sizeof(r2)), 64);
    KTEST_EXPECT(t, memcmp(r1, r2, sizeof(r1)) != 0);
    KTEST_EXPECT_EQ(t, vfs_write(f, "seed", 4), 4);
    vfs_close(f);
    struct stat st;
    KTEST_EXPECT_EQ(t, vfs_stat(r, "console", &st), 0);
    KTEST_EXPECT_EQ(t, st.st_mode, S_IFCHR | 0600);
    KTEST_EXPECT_EQ(t, st.st_rdev, vfs_mkdev(5, 1));
    /* A number nobody registered. */
    KTEST_EXPECT_EQ(t, vfs_mknod(r, "nodev", S_IFCHR | 0600, vfs_mkdev(250, 3)), 0);
    KTEST_EXPECT_EQ(t, vfs_open(r, "nodev", O_RDONLY, 0, &f), -ENXIO);
    KTEST_EXPECT_EQ(t, chardev_register(1, 3, chardev_lookup(vfs_mkdev(1, 5))), -EBUSY);
    tmpfs_unmount(sb);
}

KTEST_SUITE(file_pipe, KTEST_CASE(file_pipe_data_and_eof), KTEST_CASE(file_pipe_epipe_nonblock_atomic),
            KTEST_CASE(file_pipe_blocking), KTEST_CASE(file_pipe_poll), KTEST_CASE(file_pipe_fifo),
            KTEST_CASE(file_pipe_devices));
