/* The built-in character devices (null, zero, full, random, urandom, kmsg, and the console until the tty
 * layer registers its own) and devfs_populate, which makes the /dev nodes for every known device. */
#include <kestrel/blkdev.h>
#include <kestrel/chardev.h>
#include <kestrel/console.h>
#include <kestrel/file.h>
#include <kestrel/keyboard.h>
#include <kestrel/poll.h>
#include <kestrel/random.h>
#include <kestrel/serial.h>
#include <kestrel/signal.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <kestrel/thread.h>

/* Devices without a position accept any lseek and stay at 0, as Linux's memory devices do. */
static int64_t devnull_lseek(struct file *f, int64_t offset, int whence)
{
    (void)f;
    (void)offset;
    (void)whence;
    return 0;
}

static ssize_t null_read(struct file *f, void *buf, size_t count, bool nowait)
{
    (void)f;
    (void)buf;
    (void)count;
    (void)nowait;
    return 0;
}

static ssize_t sink_write(struct file *f, const void *buf, size_t count, bool nowait)
{
    (void)f;
    (void)buf;
    (void)nowait;
    return (ssize_t)count;
}

static ssize_t zero_read(struct file *f, void *buf, size_t count, bool nowait)
{
    (void)f;
    (void)nowait;
    memset(buf, 0, count);
    return (ssize_t)count;
}

static ssize_t full_write(struct file *f, const void *buf, size_t count, bool nowait)
{
    (void)f;
    (void)buf;
    (void)count;
    (void)nowait;
    return -ENOSPC;
}

/* /dev/random and /dev/urandom are the same never-blocking generator (as on Linux since 5.6, once
 * seeded; ours seeds itself at first use). Writes mix into it. */
static ssize_t random_read(struct file *f, void *buf, size_t count, bool nowait)
{
    (void)f;
    (void)nowait;
    random_bytes(buf, count);
    return (ssize_t)count;
}

static ssize_t random_write(struct file *f, const void *buf, size_t count, bool nowait)
{
    (void)f;
    (void)nowait;
    random_mix(buf, count);
    return (ssize_t)count;
}

static const struct file_ops null_ops = {.read = null_read, .write = sink_write, .lseek = devnull_lseek};
static const struct file_ops zero_ops = {.read = zero_read, .write = sink_write, .lseek = devnull_lseek};
static const struct file_ops full_ops = {.read = zero_read, .write = full_write, .lseek = devnull_lseek};
static const struct file_ops random_ops = {
    .read = random_read, .write = random_write, .lseek = devnull_lseek};

/* The console before the tty layer: output to every console, input polled from the keyboard and
 * the serial port with no line editing (Enter becomes '\n' and is echoed). Serialised by a
 * spinlock because console_write_all wants one caller at a time. */
static struct spinlock fallback_console_lock = SPINLOCK_INIT("console-fallback");

static ssize_t console_write(struct file *f, const void *buf, size_t count, bool nowait)
{
    (void)f;
    (void)nowait;
    uint64_t flags = spin_lock_irqsave(&fallback_console_lock);
    console_write_all(buf, count);
    spin_unlock_irqrestore(&fallback_console_lock, flags);
    return (ssize_t)count;
}

static int console_getc(void)
{
    int c = keyboard_getchar();
    if (c < 0)
        c = serial_getc();
    if (c == '\r')
        c = '\n';
    return c;
}

static ssize_t console_read(struct file *f, void *buf, size_t count, bool nowait)
{
    char *out = buf;
    size_t n = 0;
    if (count == 0)
        return 0;
    while (n == 0) {
        int c;
        while (n < count && (c = console_getc()) >= 0)
            out[n++] = (char)c;
        if (n)
            break;
        if (nowait)
            return -EAGAIN;
        if (signal_pending_current())
            return -ERESTARTSYS;
        thread_sleep_ms(10); /* no input interrupt reaches us here: poll at 100 Hz */
    }
    console_write(f, buf, n, false);
    return (ssize_t)n;
}

static const struct file_ops console_fallback_ops = {.read = console_read, .write = console_write};

struct devfs_node {
    char name[16];
    uint32_t major, minor, mode;
};

#define DEVFS_MAX 32
static struct devfs_node devfs_nodes[DEVFS_MAX] = {
    {"null", 1, 3, 0666},    {"zero", 1, 5, 0666}, {"full", 1, 7, 0666},    {"random", 1, 8, 0666},
    {"urandom", 1, 9, 0666}, {"tty", 5, 0, 0666},  {"console", 5, 1, 0600}, {"kmsg", 1, 11, 0644},
};
static size_t devfs_count = 8;
static struct spinlock devfs_lock = SPINLOCK_INIT("devfs");

void chardev_init_builtin(void)
{
    static bool done;
    if (__atomic_exchange_n(&done, true, __ATOMIC_ACQ_REL))
        return;
    chardev_register(1, 3, &null_ops);
    chardev_register(1, 5, &zero_ops);
    chardev_register(1, 7, &full_ops);
    chardev_register(1, 8, &random_ops);
    chardev_register(1, 9, &random_ops);
    kmsg_register();
    chardev_register_fallback(5, 0, &console_fallback_ops);
    chardev_register_fallback(5, 1, &console_fallback_ops);
}

int devfs_add(const char *name, uint32_t major, uint32_t minor, uint32_t mode)
{
    if (strlen(name) >= sizeof(devfs_nodes[0].name))
        return -ENAMETOOLONG;
    int ret = -ENOSPC;
    uint64_t flags = spin_lock_irqsave(&devfs_lock);
    if (devfs_count < DEVFS_MAX) {
        struct devfs_node *n = &devfs_nodes[devfs_count++];
        strlcpy(n->name, name, sizeof(n->name));
        n->major = major;
        n->minor = minor;
        n->mode = mode & 07777;
        ret = 0;
    }
    spin_unlock_irqrestore(&devfs_lock, flags);
    return ret;
}

/* The links every Linux /dev has: descriptors through procfs. */
static const char *const devfs_links[][2] = {
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

/* An existing name is left alone: populating twice, or over an initramfs's /dev, is fine. */
static int keep_first_error(int ret, int err)
{
    return err && err != -EEXIST && !ret ? err : ret;
}

int devfs_populate(struct inode *dev_dir)
{
    chardev_init_builtin();
    int ret = 0;
    for (size_t i = 0; i < __atomic_load_n(&devfs_count, __ATOMIC_ACQUIRE); i++) {
        const struct devfs_node *n = &devfs_nodes[i];
        ret = keep_first_error(ret,
                               vfs_mknod(dev_dir, n->name, S_IFCHR | n->mode, vfs_mkdev(n->major, n->minor)));
    }
    for (size_t i = 0; i < ARRAY_SIZE(devfs_links); i++)
        ret = keep_first_error(ret, vfs_symlink(devfs_links[i][1], dev_dir, devfs_links[i][0]));
    return keep_first_error(ret, blockdev_populate(dev_dir));
}
