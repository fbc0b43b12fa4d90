/* PCI interrupts: one vector per device, delivered as an MSI-X or MSI message straight to this
 * CPU's local APIC, or through the IOAPIC from the device's INTx line when it has neither. */
#include <arch/apic.h>
#include <kestrel/irq.h>
#include <kestrel/mm.h>
#include <kestrel/pci.h>
#include <kestrel/printk.h>
#include <uapi/errno.h>

#define PCI_COMMAND              0x04
#define PCI_COMMAND_INTX_DISABLE (1u << 10)

#define MSI_CTRL_ENABLE  (1u << 0)
#define MSI_CTRL_64BIT   (1u << 7)
#define MSIX_CTRL_ENABLE (1u << 15)
#define MSIX_CTRL_MASK   (1u << 14)
#define MSIX_VECTOR_MASK (1u << 0)

/* The message every MSI write carries: the local APIC's address with the destination APIC ID, and
 * the vector with fixed delivery and edge trigger (all zero bits). */
static uint32_t msi_address(void)
{
    return 0xfee00000u | (uint32_t)lapic_id() << 12;
}

static void disable_intx(struct pci_dev *d)
{
    pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE);
}

static int setup_msix(struct pci_dev *d, uint8_t cap, uint8_t vector)
{
    uint32_t table = pci_read32(d, cap + 4);
    uint8_t *bar = pci_map_bar(d, table & 7);
    if (!bar)
        return -ENODEV;
    volatile uint32_t *entry = (volatile uint32_t *)(bar + (table & ~7u));
    uint16_t ctrl = pci_read16(d, cap + 2);
    /* Function-masked while entry 0 is written, so no half-written message can be sent. */
    pci_write16(d, cap + 2, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_MASK);
    entry[0] = msi_address();
    entry[1] = 0;
    entry[2] = vector;
    entry[3] &= ~MSIX_VECTOR_MASK;
    disable_intx(d);
    pci_write16(d, cap + 2, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASK);
    return 0;
}

static void setup_msi(struct pci_dev *d, uint8_t cap, uint8_t vector)
{
    uint16_t ctrl = pci_read16(d, cap + 2);
    pci_write32(d, cap + 4, msi_address());
    if (ctrl & MSI_CTRL_64BIT) {
        pci_write32(d, cap + 8, 0);
        pci_write16(d, cap + 12, vector);
    } else {
        pci_write16(d, cap + 8, vector);
    }
    disable_intx(d);
    /* Multiple Message Enable (bits 6:4) left at 0: one vector. */
    pci_write16(d, cap + 2, (ctrl & ~0x70u) | MSI_CTRL_ENABLE);
}

int pci_setup_irq(struct pci_dev *d, trap_handler_t fn, uint8_t *vector)
{
    int v = irq_alloc_vector();
    if (v < 0)
        return v;
    *vector = (uint8_t)v;
    /* The handler before the source: an interrupt must never find an empty vector. */
    trap_set_handler((uint8_t)v, fn);
    uint8_t cap = pci_next_cap(d, PCI_CAP_MSIX, 0);
    if (cap && setup_msix(d, cap, (uint8_t)v) == 0)
        return PCI_IRQ_MSIX;
    cap = pci_next_cap(d, PCI_CAP_MSI, 0);
    if (cap) {
        setup_msi(d, cap, (uint8_t)v);
        return PCI_IRQ_MSI;
    }
    /* INTx: firmware wrote the interrupt line register (there is no _PRT parsing here). A line
     * below 16 is an ISA IRQ number, whose trigger and polarity the ACPI overrides give (QEMU's pc
     * lists its PCI IRQs as level, active high); above that it is a GSI, level and active low as
     * the PCI specification has it. */
    if (d->irq_pin == 0 || d->irq_line == 0xff)
        return -ENODEV;
    int err = d->irq_line < ISA_IRQ_COUNT ? irq_route_isa(d->irq_line, (uint8_t)v)
                                          : irq_route_gsi(d->irq_line, (uint8_t)v, true, true);
    return err ? err : PCI_IRQ_INTX;
}
