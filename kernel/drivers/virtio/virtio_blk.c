/* virtio-blk over the modern PCI transport (vendor 0x1af4, device 0x1042): one request queue, one
 * command in flight at a time (three descriptors: header, data, status), completion by interrupt.
 * Disks are named vda, vdb... with major 254, 16 minors each, as Linux numbers them. */
#include "virtio_pci.h"
#include <kestrel/blkdev.h>
#include <kestrel/format.h>
#include <kestrel/fs.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/mutex.h>
#include <kestrel/printk.h>
#include <kestrel/time.h>
#include <kestrel/waitqueue.h>

#define VIRTIO_BLK_MAJOR   254
#define VIRTIO_BLK_MINORS  16
#define VIRTIO_BLK_MAX     8
#define VIRTIO_BLK_F_FLUSH 9

#define VIRTIO_BLK_T_IN    0
#define VIRTIO_BLK_T_OUT   1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK    0

/* A request that the device has not answered in this long is failed with -EIO. */
#define VIRTIO_BLK_TIMEOUT_TICKS (30 * TICK_HZ)

/* What the device reads (header) and writes (status) for each command; kmalloc'd, so contiguous. */
struct virtio_blk_cmd {
    uint32_t type, reserved;
    uint64_t sector;
    uint8_t status;
};

struct virtio_blk {
    struct block_device bd;
    struct virtio_pci vp;
    struct virtq vq;
    struct virtio_blk_cmd *cmd;
    struct mutex lock; /* one command at a time: serialises submit and flush */
    struct waitqueue wq;
    bool flush;
    uint8_t vector;
};

/* The interrupt handlers find their device by vector. */
static struct virtio_blk *by_vector[256];
static unsigned disk_count;

static void virtio_blk_irq(struct trap_frame *f)
{
    struct virtio_blk *vb = by_vector[f->vector];
    if (!vb)
        return;
    if (!vb->vp.msix)
        virtio_pci_ack_irq(&vb->vp);
    wq_wake_all(&vb->wq);
}

/* Runs one command whose descriptors 0..n-1 are filled in; returns 0 or -EIO. */
static int run_command(struct virtio_blk *vb, unsigned ndesc)
{
    for (unsigned i = 0; i + 1 < ndesc; i++) {
        vb->vq.desc[i].flags |= VIRTQ_DESC_F_NEXT;
        vb->vq.desc[i].next = (uint16_t)(i + 1);
    }
    vb->cmd->status = 0xff;
    virtq_submit(&vb->vq, 0);
    int err = wait_event_timeout(&vb->wq, virtq_has_used(&vb->vq), VIRTIO_BLK_TIMEOUT_TICKS);
    if (err) {
        pr_err("virtio-blk: %s: command %u timed out\n", vb->bd.name, vb->cmd->type);
        return -EIO; /* the queue is now out of step; later commands fail the same way */
    }
    virtq_consume(&vb->vq);
    if (vb->cmd->status == VIRTIO_BLK_S_OK)
        return 0;
    pr_err("virtio-blk: %s: command %u at sector %llu failed (status %u)\n", vb->bd.name, vb->cmd->type,
           (unsigned long long)vb->cmd->sector, vb->cmd->status);
    return -EIO;
}

static void set_desc(struct virtio_blk *vb, unsigned i, const void *addr, uint32_t len, bool device_writes)
{
    vb->vq.desc[i] = (struct virtq_desc){
        .addr = virt_to_phys(addr), .len = len, .flags = device_writes ? VIRTQ_DESC_F_WRITE : 0};
}

static int virtio_blk_submit(struct block_device *disk, bool write, uint64_t sector, void *buf,
                             uint32_t count)
{
    struct virtio_blk *vb = disk->driver;
    mutex_lock(&vb->lock);
    vb->cmd->type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
    vb->cmd->sector = sector;
    set_desc(vb, 0, vb->cmd, 16, false);
    set_desc(vb, 1, buf, count * SECTOR_SIZE, !write);
    set_desc(vb, 2, &vb->cmd->status, 1, true);
    int err = run_command(vb, 3);
    mutex_unlock(&vb->lock);
    return err;
}

static int virtio_blk_flush(struct block_device *disk)
{
    struct virtio_blk *vb = disk->driver;
    if (!vb->flush)
        return 0; /* no VIRTIO_BLK_F_FLUSH: the device writes through */
    mutex_lock(&vb->lock);
    vb->cmd->type = VIRTIO_BLK_T_FLUSH;
    vb->cmd->sector = 0;
    set_desc(vb, 0, vb->cmd, 16, false);
    set_desc(vb, 1, &vb->cmd->status, 1, true);
    int err = run_command(vb, 2);
    mutex_unlock(&vb->lock);
    return err;
}

static const struct block_ops virtio_blk_ops = {.submit = virtio_blk_submit, .flush = virtio_blk_flush};

static int virtio_blk_start(struct virtio_blk *vb, struct pci_dev *pci)
{
    int err = virtio_pci_map(&vb->vp, pci);
    if (err)
        return err;
    int64_t features = virtio_pci_negotiate(&vb->vp, 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH);
    if (features < 0)
        return (int)features;
    vb->flush = features & (1ull << VIRTIO_BLK_F_FLUSH);
    int kind = pci_setup_irq(pci, virtio_blk_irq, &vb->vector);
    if (kind < 0)
        return kind;
    by_vector[vb->vector] = vb;
    vb->vp.msix = kind == PCI_IRQ_MSIX;
    err = virtio_pci_setup_queue(&vb->vp, 0, 128, &vb->vq);
    if (err)
        return err;
    vb->bd.sectors = *(volatile uint64_t *)vb->vp.device; /* capacity, the first config field */
    virtio_pci_set_status(&vb->vp, virtio_pci_status(&vb->vp) | VIRTIO_STATUS_DRIVER_OK);
    pr_info("virtio-blk: %s: %llu sectors, queue %u, %s interrupt on vector %#x%s\n", vb->bd.name,
            (unsigned long long)vb->bd.sectors, vb->vq.size,
            kind == PCI_IRQ_MSIX  ? "MSI-X"
            : kind == PCI_IRQ_MSI ? "MSI"
                                  : "INTx",
            vb->vector, vb->flush ? ", flush" : "");
    return 0;
}

static int virtio_blk_probe(struct pci_dev *pci)
{
    if (disk_count >= VIRTIO_BLK_MAX)
        return -ENOSPC;
    struct virtio_blk *vb = kzalloc(sizeof(*vb));
    struct virtio_blk_cmd *cmd = kzalloc(sizeof(*cmd));
    if (!vb || !cmd) {
        kfree(vb);
        kfree(cmd);
        return -ENOMEM;
    }
    vb->cmd = cmd;
    mutex_init(&vb->lock, "virtio-blk");
    waitqueue_init(&vb->wq, "virtio-blk");
    ksnprintf(vb->bd.name, sizeof(vb->bd.name), "vd%c", 'a' + disk_count);
    pci_enable_device(pci);
    int err = virtio_blk_start(vb, pci);
    if (err) {
        virtio_pci_set_status(&vb->vp, VIRTIO_STATUS_FAILED);
        return err; /* vb stays allocated: the vector may still point at it */
    }
    vb->bd.dev = vfs_mkdev(VIRTIO_BLK_MAJOR, disk_count * VIRTIO_BLK_MINORS);
    vb->bd.ops = &virtio_blk_ops;
    vb->bd.driver = vb;
    disk_count++;
    return block_register_disk(&vb->bd);
}

const struct pci_driver virtio_blk_pci_driver = {
    .name = "virtio-blk",
    .vendor = 0x1af4,
    .device = 0x1042,
    .class_code = PCI_ANY,
    .subclass = PCI_ANY,
    .prog_if = PCI_ANY,
    .probe = virtio_blk_probe,
};
