/* The block-device registry and the synchronous I/O calls filesystems use: bounds are checked
 * against the disk or partition, partition sectors are shifted onto the disk, and the transfer
 * goes through the disk's request queue. */
#include "internal.h"
#include <kestrel/format.h>
#include <kestrel/fs.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>
#include <kestrel/process.h>
#include <kestrel/string.h>

/* Protects the list. Devices are only ever added, so a pointer read from it stays valid. */
static struct spinlock registry_lock = SPINLOCK_INIT("blk-registry");
static struct block_device *registry_head, **registry_tail = &registry_head;

static void registry_add(struct block_device *bd)
{
    bd->next = NULL;
    uint64_t flags = spin_lock_irqsave(&registry_lock);
    *registry_tail = bd;
    registry_tail = &bd->next;
    spin_unlock_irqrestore(&registry_lock, flags);
}

struct block_device *block_first(void)
{
    uint64_t flags = spin_lock_irqsave(&registry_lock);
    struct block_device *bd = registry_head;
    spin_unlock_irqrestore(&registry_lock, flags);
    return bd;
}

struct block_device *block_find(const char *name)
{
    if (strncmp(name, "/dev/", 5) == 0)
        name += 5;
    for (struct block_device *bd = block_first(); bd; bd = bd->next) {
        if (strcmp(bd->name, name) == 0)
            return bd;
    }
    return NULL;
}

struct block_device *block_find_dev(uint32_t dev)
{
    for (struct block_device *bd = block_first(); bd; bd = bd->next) {
        if (bd->dev == dev)
            return bd;
    }
    return NULL;
}

/* Drivers hand buffers to DMA by physical address, so a buffer must be one physically contiguous
 * run: kmalloc or page memory (the direct map) or the kernel image. A kernel stack is neither (its
 * pages are scattered), and passing one is a caller's bug that would corrupt memory: panic. */
static void check_dma_buffer(const struct block_device *bd, const void *buf, uint32_t count)
{
    const uint8_t *first = buf, *last = first + (size_t)count * SECTOR_SIZE - 1;
    bool image = (uint64_t)first >= KERNEL_VIRT_BASE;
    if (!image && (!virt_to_page(first) || !virt_to_page(last)))
        panic("blk: %s: buffer %p is not physically contiguous memory (kmalloc, pages or the image)",
              bd->name, buf);
}

static int block_rw(struct block_device *bd, bool write, uint64_t sector, void *buf, uint32_t count)
{
    if (sector > bd->sectors || count > bd->sectors - sector)
        return -EINVAL;
    if (count == 0)
        return 0;
    check_dma_buffer(bd, buf, count);
    struct blk_request rq = {.write = write, .sector = bd->start + sector, .count = count, .buf = buf};
    qlist_init(&rq.link);
    return blk_queue_submit(bd->disk, &rq);
}

int block_read(struct block_device *bd, uint64_t sector, void *buf, uint32_t count)
{
    int err = block_rw(bd, false, sector, buf, count);
    if (!err)
        io_account_disk_read((size_t)count * SECTOR_SIZE);
    return err;
}

int block_write(struct block_device *bd, uint64_t sector, const void *buf, uint32_t count)
{
    /* The driver only reads from buf on a write; the request type has one pointer for both. */
    return block_rw(bd, true, sector, (void *)buf, count);
}

int block_flush(struct block_device *bd)
{
    struct block_device *disk = bd->disk;
    /* block_write returns only once the device has the data, so a flush issued now covers every
     * write that has returned. */
    return disk->ops->flush ? disk->ops->flush(disk) : 0;
}

void block_get_stats(const struct block_device *bd, struct block_stats *out)
{
    struct blk_queue *q = bd->disk->queue;
    uint64_t flags = spin_lock_irqsave(&q->lock);
    *out = q->stats;
    spin_unlock_irqrestore(&q->lock, flags);
}

static int add_partition(struct block_device *disk, const struct partition *p)
{
    struct block_device *part = kzalloc(sizeof(*part));
    if (!part)
        return -ENOMEM;
    size_t len = strlen(disk->name);
    bool digit = len && disk->name[len - 1] >= '0' && disk->name[len - 1] <= '9';
    ksnprintf(part->name, sizeof(part->name), "%s%s%u", disk->name, digit ? "p" : "", p->number);
    part->dev = vfs_mkdev(vfs_major(disk->dev), vfs_minor(disk->dev) + p->number);
    part->sectors = p->sectors;
    part->start = p->start;
    part->disk = disk;
    part->ops = disk->ops;
    part->driver = disk->driver;
    part->queue = disk->queue;
    registry_add(part);
    pr_info("blk: %s: partition %s, sectors %llu+%llu\n", disk->name, part->name,
            (unsigned long long)p->start, (unsigned long long)p->sectors);
    return 0;
}

int block_register_disk(struct block_device *disk)
{
    disk->start = 0;
    disk->disk = disk;
    int err = blk_queue_init(disk);
    if (err)
        return err;
    registry_add(disk);
    pr_info("blk: %s: %llu sectors (%llu MiB)\n", disk->name, (unsigned long long)disk->sectors,
            (unsigned long long)(disk->sectors >> 11));
    struct partition parts[BLK_MAX_PARTITIONS];
    int n = block_parse_partitions(disk, parts, BLK_MAX_PARTITIONS);
    if (n < 0) {
        pr_warn("blk: %s: unreadable partition table (%d)\n", disk->name, n);
        return 0; /* the whole disk is still usable */
    }
    for (int i = 0; i < n; i++) {
        err = add_partition(disk, &parts[i]);
        if (err)
            return err;
    }
    return 0;
}
