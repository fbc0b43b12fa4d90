/* The terminals as character devices: /dev/tty0 and tty1 (the screen console), ttyS0 (COM1),
 * console (the one the command line picked) and tty (the caller's controlling terminal). */
#include "tty_internal.h"
#include <kestrel/chardev.h>
#include <kestrel/printk.h>

static ssize_t dev_read(struct file *f, void *buf, size_t count, bool nowait)
{
    return tty_read(f->private, buf, count, nowait);
}

static ssize_t dev_write(struct file *f, const void *buf, size_t count, bool nowait)
{
    (void)nowait; /* output never waits: the devices take bytes synchronously */
    return tty_write(f->private, buf, count);
}

static unsigned dev_poll(struct file *f, struct poll_table *pt)
{
    return tty_poll(f->private, f, pt);
}

static long dev_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
    return tty_ioctl(f->private, f, cmd, arg);
}

static int attach(struct file *f, struct tty *tty, bool may_become_ctty)
{
    if (!tty)
        return -ENXIO;
    f->private = tty;
    if (may_become_ctty)
        tty_open_ctty(tty, f);
    return 0;
}

/* As on Linux, opening tty0 or console never makes it a controlling terminal; tty1 and ttyS0 do. */
static int open_tty0(struct file *f)
{
    return attach(f, tty_console(), false);
}

static int open_tty1(struct file *f)
{
    return attach(f, tty_console(), true);
}

static int open_ttyS0(struct file *f)
{
    return attach(f, tty_serial(), true);
}

static int open_console(struct file *f)
{
    return attach(f, tty_system_console(), false);
}

/* /dev/tty: whatever terminal controls the caller's session; ENXIO without one, as on Linux. */
static int open_current(struct file *f)
{
    struct process *p = tty_current_process();
    return attach(f, p ? tty_of_session(p->sid) : NULL, false);
}

#define TTY_FILE_OPS(opener)                                                                                 \
    {                                                                                                        \
        .open = (opener), .read = dev_read, .write = dev_write, .poll = dev_poll, .ioctl = dev_ioctl         \
    }

static const struct file_ops tty0_ops = TTY_FILE_OPS(open_tty0);
static const struct file_ops tty1_ops = TTY_FILE_OPS(open_tty1);
static const struct file_ops ttyS0_ops = TTY_FILE_OPS(open_ttyS0);
static const struct file_ops console_ops = TTY_FILE_OPS(open_console);
static const struct file_ops current_ops = TTY_FILE_OPS(open_current);

static void add(const char *name, uint32_t major, uint32_t minor, uint32_t mode, const struct file_ops *ops)
{
    int err = chardev_register(major, minor, ops);
    if (!err && name)
        err = devfs_add(name, major, minor, mode);
    if (err)
        pr_warn("tty: cannot register %s (%u, %u): %d\n", name ? name : "device", major, minor, err);
}

void tty_dev_register(void)
{
    if (tty_console()) {
        add("tty0", TTY_MAJOR, 0, 0620, &tty0_ops);
        add("tty1", TTY_MAJOR, 1, 0620, &tty1_ops);
    }
    if (tty_serial())
        add("ttyS0", TTY_MAJOR, TTY_SERIAL_MINOR, 0660, &ttyS0_ops);
    /* devfs already lists tty and console: only the drivers replace the fallbacks. */
    add(NULL, TTYAUX_MAJOR, 0, 0666, &current_ops);
    add(NULL, TTYAUX_MAJOR, 1, 0600, &console_ops);
}
