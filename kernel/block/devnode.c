/* Block special files: /dev/vda, /dev/vda1... are created for every registered device, and reading
 * or writing one moves bytes at the file position through a bounce buffer, a whole sector at a
 * time (a partial sector is read, patched and written back). There is no buffer cache. */
#include <kestrel/blkdev.h>
#include <kestrel/chardev.h>
#include <kestrel/file.h>
#include <kestrel/fs.h>
#include <kestrel/kmalloc.h>
#include <kestrel/string.h>
#include <kestrel/uaccess.h>
#include <uapi/fcntl.h>

#define BOUNCE_BYTES (64u * 1024)

/* ioctl numbers from Linux's <linux/fs.h>: _IO(0x12, 96), _IO(0x12, 104), _IOR(0x12, 114, size_t). */
#define BLKGETSIZE   0x1260
#define BLKSSZGET    0x1268
#define BLKGETSIZE64 0x80081272

static uint64_t device_bytes(const struct block_device *bd)
{
    return bd->sectors * SECTOR_SIZE;
}

/* Moves n bytes at byte offset pos between buf and the device, n not crossing BOUNCE_BYTES of
 * sectors. Returns 0 or a negative errno. */
static int transfer_chunk(struct block_device *bd, uint8_t *bounce, uint64_t pos, void *buf, size_t n,
                          bool write)
{
    uint64_t first = pos / SECTOR_SIZE;
    size_t skip = pos % SECTOR_SIZE;
    uint32_t sectors = (uint32_t)((skip + n + SECTOR_SIZE - 1) / SECTOR_SIZE);
    bool partial = skip || (skip + n) % SECTOR_SIZE;
    if (!write || partial) {
        int err = block_read(bd, first, bounce, sectors);
        if (err)
            return err;
    }
    if (!write) {
        memcpy(buf, bounce + skip, n);
        return 0;
    }
    memcpy(bounce + skip, buf, n);
    return block_write(bd, first, bounce, sectors);
}

/* Moves up to count bytes at byte offset pos; returns how many, or an error when none moved. */
static ssize_t blockdev_rw(struct block_device *bd, void *buf, size_t count, uint64_t pos, bool write)
{
    uint64_t size = device_bytes(bd);
    if (pos >= size)
        return write && count ? -ENOSPC : 0;
    count = MIN(count, size - pos);
    uint8_t *bounce = kmalloc(BOUNCE_BYTES);
    if (!bounce)
        return -ENOMEM;
    size_t done = 0;
    int err = 0;
    while (done < count) {
        size_t skip = (pos + done) % SECTOR_SIZE;
        size_t n = MIN(count - done, BOUNCE_BYTES - skip);
        err = transfer_chunk(bd, bounce, pos + done, (uint8_t *)buf + done, n, write);
        if (err)
            break;
        done += n;
    }
    kfree(bounce);
    return done ? (ssize_t)done : err;
}

/* read and write move the file position; pread and pwrite leave it. */
static ssize_t blockdev_read(struct file *f, void *buf, size_t count, bool nowait)
{
    (void)nowait;
    ssize_t n = blockdev_rw(f->private, buf, count, f->pos, false);
    if (n > 0)
        f->pos += (uint64_t)n;
    return n;
}

static ssize_t blockdev_write(struct file *f, const void *buf, size_t count, bool nowait)
{
    (void)nowait;
    /* Only a write reads from buf; blockdev_rw has one pointer for both directions. */
    ssize_t n = blockdev_rw(f->private, (void *)buf, count, f->pos, true);
    if (n > 0)
        f->pos += (uint64_t)n;
    return n;
}

static ssize_t blockdev_pread(struct file *f, void *buf, size_t count, uint64_t pos)
{
    return blockdev_rw(f->private, buf, count, pos, false);
}

static ssize_t blockdev_pwrite(struct file *f, const void *buf, size_t count, uint64_t pos)
{
    return blockdev_rw(f->private, (void *)buf, count, pos, true);
}

static int blockdev_fsync(struct file *f)
{
    return block_flush(f->private);
}

static int64_t blockdev_lseek(struct file *f, int64_t offset, int whence)
{
    struct block_device *bd = f->private;
    int64_t base;
    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = (int64_t)f->pos;
        break;
    case SEEK_END:
        base = (int64_t)device_bytes(bd);
        break;
    default:
        return -EINVAL;
    }
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0)
        return -EINVAL;
    f->pos = (uint64_t)(base + offset);
    return (int64_t)f->pos;
}

static long blockdev_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
    struct block_device *bd = f->private;
    switch (cmd) {
    case BLKGETSIZE64: {
        uint64_t bytes = device_bytes(bd);
        return copy_to_user((void *)arg, &bytes, sizeof(bytes));
    }
    case BLKGETSIZE: {
        unsigned long sectors = bd->sectors;
        return copy_to_user((void *)arg, &sectors, sizeof(sectors));
    }
    case BLKSSZGET: {
        int size = SECTOR_SIZE;
        return copy_to_user((void *)arg, &size, sizeof(size));
    }
    default:
        return -ENOTTY;
    }
}

static const struct file_ops blockdev_ops = {.read = blockdev_read,
                                             .write = blockdev_write,
                                             .lseek = blockdev_lseek,
                                             .pread = blockdev_pread,
                                             .pwrite = blockdev_pwrite,
                                             .fsync = blockdev_fsync,
                                             .ioctl = blockdev_ioctl};

int blockdev_open(struct file *f)
{
    struct block_device *bd = block_find_dev(f->inode->rdev);
    if (!bd)
        return -ENXIO;
    f->private = bd;
    f->ops = &blockdev_ops;
    return 0;
}

int blockdev_populate(struct inode *dev_dir)
{
    int ret = 0;
    for (struct block_device *bd = block_first(); bd; bd = bd->next) {
        int err = vfs_mknod(dev_dir, bd->name, S_IFBLK | 0660, bd->dev);
        if (err && err != -EEXIST && !ret)
            ret = err;
    }
    return ret;
}
