/* AHCI SATA (class 01.06.01, QEMU's ICH9 on q35): the HBA is reset into AHCI mode, each port with
 * a disk gets a command list, a received-FIS area and one command table, and runs one command at
 * a time from slot 0 (IDENTIFY, READ/WRITE DMA EXT, FLUSH CACHE EXT), completed by interrupt.
 * Disks are named sda, sdb... with major 8, 16 minors each, as Linux numbers them. */
#include <kestrel/blkdev.h>
#include <kestrel/format.h>
#include <kestrel/fs.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/mutex.h>
#include <kestrel/page.h>
#include <kestrel/pci.h>
#include <kestrel/printk.h>
#include <kestrel/string.h>
#include <kestrel/time.h>
#include <kestrel/waitqueue.h>

#define SD_MAJOR  8
#define SD_MINORS 16
#define SD_MAX    16

/* HBA registers */
#define HBA_GHC     0x04
#define HBA_IS      0x08
#define HBA_PI      0x0c
#define GHC_HR      (1u << 0)
#define GHC_IE      (1u << 1)
#define GHC_AE      (1u << 31)
#define HBA_PORT(n) (0x100 + (n)*0x80)
#define HBA_PORTS   32

/* Port registers */
#define PX_CLB  0x00
#define PX_CLBU 0x04
#define PX_FB   0x08
#define PX_FBU  0x0c
#define PX_IS   0x10
#define PX_IE   0x14
#define PX_CMD  0x18
#define PX_TFD  0x20
#define PX_SIG  0x24
#define PX_SSTS 0x28
#define PX_SERR 0x30
#define PX_CI   0x38

#define CMD_ST  (1u << 0)
#define CMD_FRE (1u << 4)
#define CMD_FR  (1u << 14)
#define CMD_CR  (1u << 15)

#define TFD_ERR          (1u << 0)
#define TFD_DRQ          (1u << 3)
#define TFD_BSY          (1u << 7)
#define IS_TFES          (1u << 30)
#define IE_ALL           0x7dc0007fu /* every completion and error interrupt the spec defines */
#define SSTS_DET_PRESENT 3
#define SIG_ATAPI        0xeb140101u

#define FIS_TYPE_H2D        0x27
#define ATA_IDENTIFY        0xec
#define ATA_READ_DMA_EXT    0x25
#define ATA_WRITE_DMA_EXT   0x35
#define ATA_FLUSH_CACHE_EXT 0xea

/* One PRD entry moves at most 4 MiB; a command carries one, so submit splits larger transfers. */
#define AHCI_MAX_SECTORS   8192u
#define AHCI_TIMEOUT_TICKS (30 * TICK_HZ)

struct ahci_cmd_header {
    uint16_t flags; /* CFL (FIS length in dwords) in bits 4:0, W (write) bit 6 */
    uint16_t prdtl;
    volatile uint32_t prdbc;
    uint32_t ctba, ctbau;
    uint32_t reserved[4];
};

struct ahci_prd {
    uint32_t dba, dbau, reserved;
    uint32_t dbc; /* byte count - 1, bit 31: interrupt on completion */
};

struct ahci_cmd_table {
    uint8_t cfis[64];
    uint8_t acmd[16];
    uint8_t reserved[48];
    struct ahci_prd prd[1];
};

/* One page per port: the 32-slot command list at 0 (1 KiB aligned), the received-FIS area at 1024
 * (256-byte aligned), slot 0's command table at 1280 (128-byte aligned). */
#define PAGE_CL_OFFSET  0
#define PAGE_FIS_OFFSET 1024
#define PAGE_CT_OFFSET  1280

struct ahci_port {
    struct block_device bd;
    volatile uint8_t *regs;
    struct ahci_cmd_header *cl;
    struct ahci_cmd_table *ct;
    struct mutex lock; /* one command at a time */
    struct waitqueue wq;
    volatile bool done; /* set by the interrupt when slot 0 finished or failed */
    volatile uint32_t irq_status;
};

struct ahci_hba {
    volatile uint8_t *abar;
    struct ahci_port *ports[HBA_PORTS];
};

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))

static struct ahci_hba *by_vector[256];
static unsigned sd_count;

static void ahci_irq(struct trap_frame *f)
{
    struct ahci_hba *hba = by_vector[f->vector];
    if (!hba)
        return;
    uint32_t pending = REG(hba->abar, HBA_IS);
    for (unsigned n = 0; n < HBA_PORTS; n++) {
        if (!(pending & (1u << n)))
            continue;
        struct ahci_port *p = hba->ports[n];
        volatile uint8_t *regs = hba->abar + HBA_PORT(n);
        uint32_t is = REG(regs, PX_IS);
        REG(regs, PX_IS) = is; /* write-1-to-clear, before the HBA bit below */
        if (p && (is & IS_TFES || !(REG(regs, PX_CI) & 1))) {
            p->irq_status |= is;
            p->done = true;
            wq_wake_all(&p->wq);
        }
    }
    REG(hba->abar, HBA_IS) = pending;
}

/* Waits (bounded: the HBA answers within microseconds) for bits in a register to clear. */
static bool wait_clear(volatile uint8_t *regs, uint32_t off, uint32_t bits)
{
    for (int i = 0; i < 1000000; i++) {
        if (!(REG(regs, off) & bits))
            return true;
    }
    return false;
}

/* After a failed command the port stops processing its list until software restarts it (AHCI
 * 1.3, 6.2.2): stop it, clear the error state, start it again. */
static void port_recover(struct ahci_port *p)
{
    volatile uint8_t *r = p->regs;
    REG(r, PX_CMD) &= ~CMD_ST;
    if (!wait_clear(r, PX_CMD, CMD_CR))
        pr_err("ahci: %s: port did not stop after an error\n", p->bd.name);
    REG(r, PX_SERR) = 0xffffffff;
    REG(r, PX_IS) = 0xffffffff;
    if (!wait_clear(r, PX_TFD, TFD_BSY | TFD_DRQ))
        pr_err("ahci: %s: device still busy after an error (no COMRESET is tried)\n", p->bd.name);
    REG(r, PX_CMD) |= CMD_ST;
}

/* Fills slot 0 with one command (buf may be NULL for none) and runs it; returns 0 or -EIO. */
static int run_command(struct ahci_port *p, uint8_t command, uint64_t lba, uint32_t count, void *buf,
                       bool write)
{
    struct ahci_cmd_table *ct = p->ct;
    memset(ct, 0, sizeof(*ct));
    uint8_t *fis = ct->cfis;
    fis[0] = FIS_TYPE_H2D;
    fis[1] = 0x80; /* C: this FIS carries a command */
    fis[2] = command;
    fis[4] = (uint8_t)lba, fis[5] = (uint8_t)(lba >> 8), fis[6] = (uint8_t)(lba >> 16);
    fis[7] = 0x40; /* device: LBA addressing */
    fis[8] = (uint8_t)(lba >> 24), fis[9] = (uint8_t)(lba >> 32), fis[10] = (uint8_t)(lba >> 40);
    fis[12] = (uint8_t)count, fis[13] = (uint8_t)(count >> 8);
    struct ahci_cmd_header *h = &p->cl[0];
    h->flags = 5 | (write ? 1u << 6 : 0);
    h->prdtl = buf ? 1 : 0;
    h->prdbc = 0;
    if (buf) {
        uint64_t pa = virt_to_phys(buf);
        uint32_t bytes = command == ATA_IDENTIFY ? SECTOR_SIZE : count * SECTOR_SIZE;
        ct->prd[0] = (struct ahci_prd){.dba = (uint32_t)pa, .dbau = (uint32_t)(pa >> 32), .dbc = bytes - 1};
    }
    p->done = false;
    p->irq_status = 0;
    /* The table must be in memory before the HBA is told to fetch it. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    REG(p->regs, PX_CI) = 1;
    int err = wait_event_timeout(&p->wq, p->done, AHCI_TIMEOUT_TICKS);
    uint32_t tfd = REG(p->regs, PX_TFD);
    if (err || (p->irq_status & IS_TFES) || (tfd & TFD_ERR)) {
        pr_err("ahci: %s: command %#x at %llu failed (%s, tfd %#x, is %#x)\n", p->bd.name, command,
               (unsigned long long)lba, err ? "timeout" : "error", tfd, p->irq_status);
        port_recover(p);
        return -EIO;
    }
    return 0;
}

static int ahci_submit(struct block_device *disk, bool write, uint64_t sector, void *buf, uint32_t count)
{
    struct ahci_port *p = disk->driver;
    int err = 0;
    mutex_lock(&p->lock);
    while (!err && count) {
        uint32_t n = MIN(count, AHCI_MAX_SECTORS);
        err = run_command(p, write ? ATA_WRITE_DMA_EXT : ATA_READ_DMA_EXT, sector, n, buf, write);
        sector += n;
        count -= n;
        buf = (uint8_t *)buf + (size_t)n * SECTOR_SIZE;
    }
    mutex_unlock(&p->lock);
    return err;
}

static int ahci_flush(struct block_device *disk)
{
    struct ahci_port *p = disk->driver;
    mutex_lock(&p->lock);
    int err = run_command(p, ATA_FLUSH_CACHE_EXT, 0, 0, NULL, false);
    mutex_unlock(&p->lock);
    return err;
}

static const struct block_ops ahci_ops = {.submit = ahci_submit, .flush = ahci_flush};

static int port_start(struct ahci_port *p)
{
    volatile uint8_t *r = p->regs;
    REG(r, PX_CMD) &= ~CMD_ST;
    if (!wait_clear(r, PX_CMD, CMD_CR))
        return -ETIMEDOUT;
    REG(r, PX_CMD) &= ~CMD_FRE;
    if (!wait_clear(r, PX_CMD, CMD_FR))
        return -ETIMEDOUT;
    uint8_t *page = alloc_zeroed_page_virt();
    if (!page)
        return -ENOMEM;
    paddr_t pa = virt_to_phys(page);
    p->cl = (struct ahci_cmd_header *)(page + PAGE_CL_OFFSET);
    p->ct = (struct ahci_cmd_table *)(page + PAGE_CT_OFFSET);
    p->cl[0].ctba = (uint32_t)(pa + PAGE_CT_OFFSET);
    p->cl[0].ctbau = (uint32_t)((pa + PAGE_CT_OFFSET) >> 32);
    REG(r, PX_CLB) = (uint32_t)pa;
    REG(r, PX_CLBU) = (uint32_t)(pa >> 32);
    REG(r, PX_FB) = (uint32_t)(pa + PAGE_FIS_OFFSET);
    REG(r, PX_FBU) = (uint32_t)((pa + PAGE_FIS_OFFSET) >> 32);
    REG(r, PX_SERR) = 0xffffffff;
    REG(r, PX_IS) = 0xffffffff;
    REG(r, PX_IE) = IE_ALL;
    REG(r, PX_CMD) |= CMD_FRE;
    if (!wait_clear(r, PX_TFD, TFD_BSY | TFD_DRQ))
        return -ETIMEDOUT;
    REG(r, PX_CMD) |= CMD_ST;
    return 0;
}

/* IDENTIFY DEVICE: the size from words 100-103 (48-bit LBA) or 60-61 (28-bit). */
static int identify(struct ahci_port *p)
{
    uint16_t *id = kmalloc(SECTOR_SIZE);
    if (!id)
        return -ENOMEM;
    int err = run_command(p, ATA_IDENTIFY, 0, 0, id, false);
    if (!err) {
        bool lba48 = id[83] & (1u << 10);
        p->bd.sectors = lba48 ? (uint64_t)id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32 |
                                    (uint64_t)id[103] << 48
                              : (uint64_t)id[60] | (uint64_t)id[61] << 16;
    }
    kfree(id);
    return err;
}

static int add_port(struct ahci_hba *hba, unsigned n)
{
    volatile uint8_t *regs = hba->abar + HBA_PORT(n);
    if ((REG(regs, PX_SSTS) & 0xf) != SSTS_DET_PRESENT)
        return 0; /* nothing attached */
    if (sd_count >= SD_MAX)
        return -ENOSPC;
    struct ahci_port *p = kzalloc(sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->regs = regs;
    mutex_init(&p->lock, "ahci-port");
    waitqueue_init(&p->wq, "ahci-port");
    ksnprintf(p->bd.name, sizeof(p->bd.name), "sd%c", 'a' + sd_count);
    int err = port_start(p);
    if (!err)
        hba->ports[n] = p;
    /* The signature arrives with the device's first FIS, once FIS receive is on. */
    if (!err && REG(regs, PX_SIG) == SIG_ATAPI) {
        pr_info("ahci: port %u: ATAPI device, not a disk\n", n);
        return 0;
    }
    if (!err)
        err = identify(p);
    if (err) {
        pr_warn("ahci: port %u: %d\n", n, err);
        return err; /* p stays: the HBA may still point at its page */
    }
    pr_info("ahci: port %u: %s, %llu sectors\n", n, p->bd.name, (unsigned long long)p->bd.sectors);
    p->bd.dev = vfs_mkdev(SD_MAJOR, sd_count * SD_MINORS);
    p->bd.ops = &ahci_ops;
    p->bd.driver = p;
    sd_count++;
    return block_register_disk(&p->bd);
}

static int ahci_probe(struct pci_dev *pci)
{
    struct ahci_hba *hba = kzalloc(sizeof(*hba));
    if (!hba)
        return -ENOMEM;
    hba->abar = pci_map_bar(pci, 5);
    if (!hba->abar) {
        kfree(hba);
        return -ENODEV;
    }
    pci_enable_device(pci);
    REG(hba->abar, HBA_GHC) |= GHC_AE;
    REG(hba->abar, HBA_GHC) |= GHC_HR;
    if (!wait_clear(hba->abar, HBA_GHC, GHC_HR))
        return -ETIMEDOUT;
    /* The reset cleared AE: back into AHCI mode before touching any port. */
    REG(hba->abar, HBA_GHC) |= GHC_AE;
    uint8_t vector;
    int kind = pci_setup_irq(pci, ahci_irq, &vector);
    if (kind < 0)
        return kind;
    by_vector[vector] = hba;
    REG(hba->abar, HBA_IS) = 0xffffffff;
    REG(hba->abar, HBA_GHC) |= GHC_IE;
    uint32_t implemented = REG(hba->abar, HBA_PI);
    pr_info("ahci: ports implemented %#x, %s interrupt on vector %#x\n", implemented,
            kind == PCI_IRQ_MSIX  ? "MSI-X"
            : kind == PCI_IRQ_MSI ? "MSI"
                                  : "INTx",
            vector);
    for (unsigned n = 0; n < HBA_PORTS; n++) {
        if (implemented & (1u << n))
            add_port(hba, n);
    }
    return 0;
}

const struct pci_driver ahci_pci_driver = {
    .name = "ahci",
    .vendor = PCI_ANY_ID,
    .device = PCI_ANY_ID,
    .class_code = 0x01,
    .subclass = 0x06,
    .prog_if = 0x01,
    .probe = ahci_probe,
};
