/* Interrupt routing policy: which controller is used (the APICs, never the 8259s) and how ISA IRQs map
 * to IOAPIC inputs (the ACPI interrupt source overrides). */
#include <arch/apic.h>
#include <kestrel/acpi.h>
#include <kestrel/irq.h>
#include <kestrel/panic.h>
#include <uapi/errno.h>

void irq_init(void)
{
    const struct acpi_info *acpi = acpi_get();
    /* The PICs first: once the local APIC is on, a PIC interrupt would arrive on a vector that
     * is still an exception number. */
    pic_disable();
    lapic_init(acpi->lapic_phys);
    int err = ioapic_init();
    if (err)
        panic("irq: no usable IOAPIC (%d)", err);
}

int irq_isa_to_gsi(unsigned isa_irq)
{
    if (isa_irq >= ISA_IRQ_COUNT)
        return -EINVAL;
    return (int)acpi_get()->isa[isa_irq].gsi;
}

int irq_route_isa(unsigned isa_irq, uint8_t vector)
{
    if (isa_irq >= ISA_IRQ_COUNT)
        return -EINVAL;
    const struct acpi_isa_route *r = &acpi_get()->isa[isa_irq];
    int err = ioapic_route(r->gsi, vector, r->flags, lapic_id());
    return err ? err : ioapic_set_masked(r->gsi, false);
}

int irq_install_isa(unsigned isa_irq, trap_handler_t fn)
{
    if (isa_irq >= ISA_IRQ_COUNT)
        return -EINVAL;
    /* The handler before the route: an interrupt must never find an empty vector. */
    trap_set_handler(VEC_ISA_BASE + isa_irq, fn);
    return irq_route_isa(isa_irq, VEC_ISA_BASE + isa_irq);
}

static int set_isa_masked(unsigned isa_irq, bool masked)
{
    int gsi = irq_isa_to_gsi(isa_irq);
    return gsi < 0 ? gsi : ioapic_set_masked(gsi, masked);
}

int irq_mask_isa(unsigned isa_irq)
{
    return set_isa_masked(isa_irq, true);
}

int irq_unmask_isa(unsigned isa_irq)
{
    return set_isa_masked(isa_irq, false);
}

int irq_route_gsi(uint32_t gsi, uint8_t vector, bool level, bool active_low)
{
    uint16_t flags = (level ? ACPI_INTI_TRIGGER_LEVEL : ACPI_INTI_TRIGGER_EDGE) |
                     (active_low ? ACPI_INTI_ACTIVE_LOW : ACPI_INTI_ACTIVE_HIGH);
    int err = ioapic_route(gsi, vector, flags, lapic_id());
    return err ? err : ioapic_set_masked(gsi, false);
}

int irq_alloc_vector(void)
{
    static unsigned next = VEC_DYNAMIC_FIRST;
    unsigned v = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
    return v <= VEC_DYNAMIC_LAST ? (int)v : -ENOSPC;
}
