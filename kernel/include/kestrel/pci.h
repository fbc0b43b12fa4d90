/* PCI: configuration space through the 0xCF8/0xCFC ports, the enumerated devices with their decoded
 * BARs, capability lookup, interrupts (MSI-X, MSI, or INTx through the IOAPIC) and the table that
 * matches devices to drivers. */
#pragma once
#include <arch/trap.h>
#include <kestrel/types.h>

#define PCI_ANY_ID 0xffff
#define PCI_ANY    (-1)

#define PCI_CAP_MSI    0x05
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_MSIX   0x11

struct pci_bar {
    paddr_t addr;  /* memory address or I/O port; 0 when the BAR is unused */
    uint64_t size; /* bytes */
    bool io;       /* an I/O-port BAR */
};

struct pci_dev {
    uint8_t bus, slot, func;
    uint16_t vendor, device;
    uint8_t class_code, subclass, prog_if;
    uint8_t irq_line, irq_pin; /* INTx as the firmware routed it; pin 0: none */
    struct pci_bar bars[6];
    struct pci_dev *next; /* every device found, in bus order */
};

/* A driver claims devices matching vendor/device (PCI_ANY_ID: any) and class/subclass/prog_if
 * (PCI_ANY: any). probe returns 0 when it took the device, or a negative errno. */
struct pci_driver {
    const char *name;
    uint16_t vendor, device;
    int class_code, subclass, prog_if;
    int (*probe)(struct pci_dev *dev);
};

uint32_t pci_read32(const struct pci_dev *d, uint16_t off);
uint16_t pci_read16(const struct pci_dev *d, uint16_t off);
uint8_t pci_read8(const struct pci_dev *d, uint16_t off);
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v);

/* Scans every bus, device and function, logs one line per device and probes the matching driver.
 * Runs once at boot, in thread context (drivers sleep while they probe). */
void pci_init(void);
struct pci_dev *pci_first(void);
/* Whether drv claims d (its table entry matches). Pure; the unit tests use it. */
bool pci_driver_matches(const struct pci_driver *drv, const struct pci_dev *d);

/* The offset of the first capability with this id after offset prev (0: from the start), or 0. */
uint8_t pci_next_cap(const struct pci_dev *d, uint8_t id, uint8_t prev);
/* Maps memory BAR n (uncached) and returns its address, or NULL when it is not a memory BAR. */
void *pci_map_bar(struct pci_dev *d, unsigned n);
/* Turns on memory decoding and bus mastering (DMA). */
void pci_enable_device(struct pci_dev *d);

enum pci_irq_kind { PCI_IRQ_MSIX, PCI_IRQ_MSI, PCI_IRQ_INTX };
/* Gives the device one interrupt on a fresh vector running fn: MSI-X table entry 0 when it has
 * MSI-X, else MSI, else its INTx line (level, active low). Returns the kind used or a negative
 * errno; *vector gets the vector. */
int pci_setup_irq(struct pci_dev *d, trap_handler_t fn, uint8_t *vector);
