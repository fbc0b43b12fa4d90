/* The IOAPICs: each owns a range of global system interrupts (GSIs) starting at its gsi_base and turns
 * an input pin into a message for one local APIC through its redirection table. */
#include <arch/apic.h>
#include <kestrel/acpi.h>
#include <kestrel/mm.h>
#include <kestrel/printk.h>
#include <kestrel/spinlock.h>
#include <uapi/errno.h>

#define IOREGSEL 0x00 /* byte offsets of the two MMIO registers; everything else is indirect */
#define IOWIN    0x10

#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_REDIR   0x10 /* entry n: low half at 0x10 + 2n, high half (destination) at + 1 */

#define REDIR_ACTIVE_LOW (1u << 13)
#define REDIR_LEVEL      (1u << 15)
#define REDIR_MASKED     (1u << 16)

struct ioapic {
    volatile uint32_t *mmio;
    uint32_t gsi_base;
    unsigned pins;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static size_t nioapics;
/* Protects the IOREGSEL/IOWIN pairs: a select followed by another context's select would read or
 * write the wrong register. */
static struct spinlock ioapic_lock = SPINLOCK_INIT("ioapic");

static uint32_t rd(const struct ioapic *io, uint32_t reg)
{
    io->mmio[IOREGSEL / 4] = reg;
    return io->mmio[IOWIN / 4];
}

static void wr(const struct ioapic *io, uint32_t reg, uint32_t v)
{
    io->mmio[IOREGSEL / 4] = reg;
    io->mmio[IOWIN / 4] = v;
}

static struct ioapic *owner(uint32_t gsi)
{
    for (size_t i = 0; i < nioapics; i++)
        if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].pins)
            return &ioapics[i];
    return NULL;
}

static int add_ioapic(const struct acpi_ioapic *a)
{
    struct ioapic *io = &ioapics[nioapics];
    io->mmio = ioremap(a->phys, 4096);
    if (!io->mmio)
        return -ENOMEM;
    io->gsi_base = a->gsi_base;
    io->pins = ((rd(io, IOAPIC_REG_VERSION) >> 16) & 0xff) + 1;
    for (unsigned pin = 0; pin < io->pins; pin++)
        wr(io, IOAPIC_REG_REDIR + 2 * pin, REDIR_MASKED);
    pr_info("ioapic: id %u at %#llx, GSIs %u-%u\n", a->id, (unsigned long long)a->phys, io->gsi_base,
            io->gsi_base + io->pins - 1);
    nioapics++;
    return 0;
}

int ioapic_init(void)
{
    const struct acpi_info *acpi = acpi_get();
    for (size_t i = 0; i < acpi->nioapics; i++) {
        int err = add_ioapic(&acpi->ioapics[i]);
        if (err)
            return err;
    }
    return nioapics ? 0 : -ENODEV;
}

static uint32_t redir_low(uint8_t vector, uint16_t flags)
{
    /* Fixed delivery, physical destination; "conforms to the bus" (0) means ISA: edge, active high. */
    uint32_t low = vector | REDIR_MASKED;
    if ((flags & ACPI_INTI_POLARITY_MASK) == ACPI_INTI_ACTIVE_LOW)
        low |= REDIR_ACTIVE_LOW;
    if ((flags & ACPI_INTI_TRIGGER_MASK) == ACPI_INTI_TRIGGER_LEVEL)
        low |= REDIR_LEVEL;
    return low;
}

int ioapic_route(uint32_t gsi, uint8_t vector, uint16_t inti_flags, uint8_t dest)
{
    struct ioapic *io = owner(gsi);
    if (!io || vector < VEC_IRQ_BASE)
        return -EINVAL;
    uint32_t reg = IOAPIC_REG_REDIR + 2 * (gsi - io->gsi_base);
    uint64_t flags = spin_lock_irqsave(&ioapic_lock);
    /* Masked while it changes, so the pin never fires with half an entry written. */
    wr(io, reg, REDIR_MASKED);
    wr(io, reg + 1, (uint32_t)dest << 24);
    wr(io, reg, redir_low(vector, inti_flags));
    spin_unlock_irqrestore(&ioapic_lock, flags);
    return 0;
}

int ioapic_set_masked(uint32_t gsi, bool masked)
{
    struct ioapic *io = owner(gsi);
    if (!io)
        return -EINVAL;
    uint32_t reg = IOAPIC_REG_REDIR + 2 * (gsi - io->gsi_base);
    uint64_t flags = spin_lock_irqsave(&ioapic_lock);
    uint32_t low = rd(io, reg);
    wr(io, reg, masked ? low | REDIR_MASKED : low & ~REDIR_MASKED);
    spin_unlock_irqrestore(&ioapic_lock, flags);
    return 0;
}
