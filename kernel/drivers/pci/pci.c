/* PCI enumeration through configuration mechanism #1 (ports 0xCF8/0xCFC): every bus, device and
 * function is probed, its BARs sized and decoded, and the first driver whose table entry matches
 * is asked to take it. */
#include <arch/io.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/pci.h>
#include <kestrel/printk.h>
#include <kestrel/spinlock.h>

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc

#define PCI_VENDOR_ID   0x00
#define PCI_COMMAND     0x04
#define PCI_STATUS      0x06
#define PCI_CLASS_REV   0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0        0x10
#define PCI_CAP_PTR     0x34
#define PCI_INTERRUPT   0x3c

#define PCI_COMMAND_IO     (1u << 0)
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_COMMAND_MASTER (1u << 2)
#define PCI_STATUS_CAPS    (1u << 4)

/* The address and data ports are one two-step access: the lock keeps another CPU or an interrupt
 * handler from moving the address between the steps. */
static struct spinlock pci_config_lock = SPINLOCK_INIT("pci-config");
static struct pci_dev *pci_devices;

extern const struct pci_driver *const pci_drivers[];

static uint32_t config_address(const struct pci_dev *d, uint16_t off)
{
    return 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->slot << 11 | (uint32_t)d->func << 8 |
           (off & 0xfc);
}

uint32_t pci_read32(const struct pci_dev *d, uint16_t off)
{
    uint64_t flags = spin_lock_irqsave(&pci_config_lock);
    outl(PCI_CONFIG_ADDRESS, config_address(d, off));
    uint32_t v = inl(PCI_CONFIG_DATA);
    spin_unlock_irqrestore(&pci_config_lock, flags);
    return v;
}

uint16_t pci_read16(const struct pci_dev *d, uint16_t off)
{
    return (uint16_t)(pci_read32(d, off) >> ((off & 2) * 8));
}

uint8_t pci_read8(const struct pci_dev *d, uint16_t off)
{
    return (uint8_t)(pci_read32(d, off) >> ((off & 3) * 8));
}

void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v)
{
    uint64_t flags = spin_lock_irqsave(&pci_config_lock);
    outl(PCI_CONFIG_ADDRESS, config_address(d, off));
    outl(PCI_CONFIG_DATA, v);
    spin_unlock_irqrestore(&pci_config_lock, flags);
}

void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v)
{
    uint64_t flags = spin_lock_irqsave(&pci_config_lock);
    outl(PCI_CONFIG_ADDRESS, config_address(d, off));
    outw(PCI_CONFIG_DATA + (off & 2), v);
    spin_unlock_irqrestore(&pci_config_lock, flags);
}

struct pci_dev *pci_first(void)
{
    return pci_devices;
}

uint8_t pci_next_cap(const struct pci_dev *d, uint8_t id, uint8_t prev)
{
    if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPS))
        return 0;
    uint8_t off = prev ? pci_read8(d, prev + 1) : pci_read8(d, PCI_CAP_PTR);
    /* A broken list could loop: 48 capabilities fill the whole 192-byte area. */
    for (int guard = 0; off >= 0x40 && guard < 48; guard++) {
        off &= 0xfc;
        if (pci_read8(d, off) == id)
            return off;
        off = pci_read8(d, off + 1);
    }
    return 0;
}

/* Sizes BAR n by writing all ones and reading back the writable bits, with decoding off so the
 * device never answers at the probe address. Returns how many BAR slots it used (2 for 64-bit). */
static unsigned decode_bar(struct pci_dev *d, unsigned n)
{
    uint16_t off = PCI_BAR0 + 4 * n;
    uint32_t lo = pci_read32(d, off);
    pci_write32(d, off, 0xffffffff);
    uint32_t mask_lo = pci_read32(d, off);
    pci_write32(d, off, lo);
    struct pci_bar *bar = &d->bars[n];
    if (lo & 1) {
        bar->io = true;
        bar->addr = lo & ~3u;
        bar->size = mask_lo ? (uint16_t)(~(mask_lo & ~3u) + 1) : 0;
        return 1;
    }
    bool is64 = ((lo >> 1) & 3) == 2;
    uint64_t addr = lo & ~0xfu, mask = mask_lo & ~0xfu;
    if (is64 && n < 5) {
        uint32_t hi = pci_read32(d, off + 4);
        pci_write32(d, off + 4, 0xffffffff);
        uint32_t mask_hi = pci_read32(d, off + 4);
        pci_write32(d, off + 4, hi);
        addr |= (uint64_t)hi << 32;
        mask |= (uint64_t)mask_hi << 32;
    } else {
        mask |= 0xffffffff00000000ull;
    }
    bar->addr = addr;
    bar->size = mask_lo ? ~mask + 1 : 0;
    return is64 ? 2 : 1;
}

static void decode_bars(struct pci_dev *d)
{
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    for (unsigned n = 0; n < 6;)
        n += decode_bar(d, n);
    pci_write16(d, PCI_COMMAND, cmd);
}

void *pci_map_bar(struct pci_dev *d, unsigned n)
{
    if (n >= 6 || d->bars[n].io || !d->bars[n].addr || !d->bars[n].size)
        return NULL;
    return ioremap(d->bars[n].addr, d->bars[n].size);
}

void pci_enable_device(struct pci_dev *d)
{
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

bool pci_driver_matches(const struct pci_driver *drv, const struct pci_dev *d)
{
    return (drv->vendor == PCI_ANY_ID || drv->vendor == d->vendor) &&
           (drv->device == PCI_ANY_ID || drv->device == d->device) &&
           (drv->class_code == PCI_ANY || drv->class_code == d->class_code) &&
           (drv->subclass == PCI_ANY || drv->subclass == d->subclass) &&
           (drv->prog_if == PCI_ANY || drv->prog_if == d->prog_if);
}

static void probe_driver(struct pci_dev *d)
{
    for (const struct pci_driver *const *drv = pci_drivers; *drv; drv++) {
        if (!pci_driver_matches(*drv, d))
            continue;
        int err = (*drv)->probe(d);
        if (!err)
            return;
        pr_warn("pci %02x:%02x.%x: %s: probe failed (%d)\n", d->bus, d->slot, d->func, (*drv)->name, err);
    }
}

/* Reads one function's identity into a new pci_dev; NULL when the function is absent. */
static struct pci_dev *add_function(uint8_t bus, uint8_t slot, uint8_t func)
{
    struct pci_dev probe = {.bus = bus, .slot = slot, .func = func};
    uint32_t id = pci_read32(&probe, PCI_VENDOR_ID);
    if ((id & 0xffff) == 0xffff)
        return NULL;
    struct pci_dev *d = kzalloc(sizeof(*d));
    if (!d)
        return NULL;
    *d = probe;
    d->vendor = id & 0xffff;
    d->device = id >> 16;
    uint32_t cls = pci_read32(d, PCI_CLASS_REV);
    d->class_code = cls >> 24;
    d->subclass = (cls >> 16) & 0xff;
    d->prog_if = (cls >> 8) & 0xff;
    uint32_t intr = pci_read32(d, PCI_INTERRUPT);
    d->irq_line = intr & 0xff;
    d->irq_pin = (intr >> 8) & 0xff;
    /* Only ordinary devices (header type 0) have six BARs; bridges are listed but not decoded. */
    if ((pci_read8(d, PCI_HEADER_TYPE) & 0x7f) == 0)
        decode_bars(d);
    pr_info("pci %02x:%02x.%x: %04x:%04x class %02x.%02x.%02x irq pin %u line %u\n", bus, slot, func,
            d->vendor, d->device, d->class_code, d->subclass, d->prog_if, d->irq_pin, d->irq_line);
    return d;
}

void pci_init(void)
{
    struct pci_dev **tail = &pci_devices;
    for (unsigned bus = 0; bus < 256; bus++) {
        for (uint8_t slot = 0; slot < 32; slot++) {
            for (uint8_t func = 0; func < 8; func++) {
                struct pci_dev *d = add_function((uint8_t)bus, slot, func);
                if (!d) {
                    if (func == 0)
                        break; /* no function 0: the slot is empty */
                    continue;
                }
                *tail = d;
                tail = &d->next;
                bool multi = pci_read8(d, PCI_HEADER_TYPE) & 0x80;
                if (func == 0 && !multi)
                    break;
            }
        }
    }
    for (struct pci_dev *d = pci_devices; d; d = d->next)
        probe_driver(d);
}
