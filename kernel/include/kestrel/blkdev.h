/* Block devices: whole disks (vda, sda) and their partitions (vda1, sda2), addressed in 512-byte
 * sectors. Filesystems read and write through block_read/block_write, which sleep until the
 * transfer is done; the block layer (kernel/block) queues, merges and hands requests to the
 * driver, whose completion interrupt wakes the caller. A partition is a block_device of its own
 * whose sectors are offset into its disk's. */
#pragma once
#include <kestrel/types.h>

#define SECTOR_SIZE  512u
#define SECTOR_SHIFT 9

struct block_device;
struct blk_queue;

/* What a driver provides. submit transfers count sectors from sector on (both relative to the
 * whole disk) to or from buf, a kernel virtual address that is contiguous in physical memory
 * (kmalloc or page memory), and returns 0 or -EIO. It may sleep; it is called with no spinlock
 * held. flush makes earlier completed writes durable (may be NULL: the device has no cache). */
struct block_ops {
    int (*submit)(struct block_device *disk, bool write, uint64_t sector, void *buf, uint32_t count);
    int (*flush)(struct block_device *disk);
};

struct block_device {
    char name[16];               /* "vda", "vda1", "sda": the /dev name */
    uint32_t dev;                /* dev_t, vfs_mkdev(major, minor) */
    uint64_t sectors;            /* size in 512-byte sectors */
    uint64_t start;              /* first sector on the disk: 0 for a whole disk */
    struct block_device *disk;   /* the whole disk: itself for a disk, its disk for a partition */
    const struct block_ops *ops; /* the driver's, on the disk (partitions use disk->ops) */
    void *driver;                /* the driver's per-disk state */
    struct blk_queue *queue;     /* the disk's request queue (block layer's; partitions use disk's) */
    struct block_device *next;   /* the registry list */
};

/* Synchronous I/O on a disk or partition: sector is relative to bd, count is in sectors, buf is a
 * kernel buffer. Returns 0, -EINVAL past the end of bd, or -EIO. May sleep. */
int block_read(struct block_device *bd, uint64_t sector, void *buf, uint32_t count);
int block_write(struct block_device *bd, uint64_t sector, const void *buf, uint32_t count);
int block_flush(struct block_device *bd);

/* Adds a disk (its name, dev, sectors, ops and driver set; start/disk are filled in), reads its
 * partition table (MBR or GPT) and registers each partition as "<disk><n>" (vda1) or
 * "<disk>p<n>" when the disk name ends in a digit (nvme0n1p1), as Linux names them. */
int block_register_disk(struct block_device *disk);
/* Lookup by /dev name ("vda1", also accepted as "/dev/vda1") or by dev_t; NULL when unknown. */
struct block_device *block_find(const char *name);
struct block_device *block_find_dev(uint32_t dev);
/* Every registered device, disks and partitions, in registration order (for devfs). */
struct block_device *block_first(void);

/* What a disk's queue has done since it was registered, for tracing: requests submitted, requests
 * merged into another one (each merge saves one driver call), sectors transferred. */
struct block_stats {
    uint64_t requests, merges, sectors;
};
void block_get_stats(const struct block_device *bd, struct block_stats *out);

/* Block special files. blockdev_open opens the device f's inode names (-ENXIO when none is
 * registered); blockdev_populate makes a node in dev_dir for every registered device (existing
 * names are left alone) and returns 0 or the first error. The caller holds the VFS lock. */
struct file;
struct inode;
int blockdev_open(struct file *f);
int blockdev_populate(struct inode *dev_dir);
