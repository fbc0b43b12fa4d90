/* The character-device registry and the opening of special files (devices and FIFOs). */
#include <kestrel/blkdev.h>
#include <kestrel/chardev.h>
#include <kestrel/pipe.h>
#include <kestrel/spinlock.h>

#define CHARDEV_MAX 64

struct chardev {
    uint32_t dev;
    const struct file_ops *ops; /* NULL: a free slot */
    bool fallback;
};

/* Protects the table; lookups copy the ops pointer out under it. */
static struct spinlock chardev_lock = SPINLOCK_INIT("chardev");
static struct chardev chardevs[CHARDEV_MAX];

static int do_register(uint32_t major, uint32_t minor, const struct file_ops *ops, bool fallback)
{
    uint32_t dev = vfs_mkdev(major, minor);
    int ret = -ENOSPC;
    uint64_t flags = spin_lock_irqsave(&chardev_lock);
    struct chardev *free = NULL, *same = NULL;
    for (size_t i = 0; i < CHARDEV_MAX; i++) {
        if (chardevs[i].ops && chardevs[i].dev == dev)
            same = &chardevs[i];
        else if (!chardevs[i].ops && !free)
            free = &chardevs[i];
    }
    if (same) {
        ret = fallback ? 0 : same->fallback ? 0 : -EBUSY;
        if (!fallback && same->fallback) {
            same->ops = ops;
            same->fallback = false;
        }
    } else if (free) {
        *free = (struct chardev){.dev = dev, .ops = ops, .fallback = fallback};
        ret = 0;
    }
    spin_unlock_irqrestore(&chardev_lock, flags);
    return ret;
}

int chardev_register(uint32_t major, uint32_t minor, const struct file_ops *ops)
{
    return do_register(major, minor, ops, false);
}

int chardev_register_fallback(uint32_t major, uint32_t minor, const struct file_ops *ops)
{
    return do_register(major, minor, ops, true);
}

const struct file_ops *chardev_lookup(uint32_t dev)
{
    chardev_init_builtin();
    const struct file_ops *ops = NULL;
    uint64_t flags = spin_lock_irqsave(&chardev_lock);
    for (size_t i = 0; i < CHARDEV_MAX; i++) {
        if (chardevs[i].ops && chardevs[i].dev == dev)
            ops = chardevs[i].ops;
    }
    spin_unlock_irqrestore(&chardev_lock, flags);
    return ops;
}

int vfs_open_special(struct file *f)
{
    struct inode *inode = f->inode;
    if (S_ISFIFO(inode->mode))
        return fifo_open(f);
    if (S_ISBLK(inode->mode))
        return blockdev_open(f);
    const struct file_ops *ops = chardev_lookup(inode->rdev);
    if (!ops)
        return -ENXIO;
    f->ops = ops;
    if (ops->open) {
        int err = ops->open(f);
        if (err) {
            f->ops = NULL; /* vfs_open frees f without a release */
            return err;
        }
    }
    return 0;
}
