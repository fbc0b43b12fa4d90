/* Device interrupts: bringing up the interrupt controllers and routing ISA (and other GSI) interrupts
 * to vectors. ISA IRQ n conventionally uses vector VEC_ISA_BASE + n (arch/apic.h has the map). */
#pragma once
#include <arch/trap.h>
#include <kestrel/types.h>

#define ISA_IRQ_COUNT 16

/* Masks the 8259s, enables the local APIC (with the EOI hook) and masks every IOAPIC input. Panics
 * when there is no local APIC or IOAPIC to use. Interrupts stay disabled. */
void irq_init(void);
/* Routes ISA IRQ isa_irq to vector on the boot CPU through the ACPI overrides (IRQ 0 usually arrives
 * on GSI 2) and unmasks it. Returns 0 or -EINVAL. */
int irq_route_isa(unsigned isa_irq, uint8_t vector);
/* Installs fn on vector VEC_ISA_BASE + isa_irq, then routes and unmasks the IRQ. */
int irq_install_isa(unsigned isa_irq, trap_handler_t fn);
int irq_mask_isa(unsigned isa_irq);
int irq_unmask_isa(unsigned isa_irq);
/* Routes a GSI (a PCI INTx line, say) with explicit trigger and polarity, and unmasks it. */
int irq_route_gsi(uint32_t gsi, uint8_t vector, bool level, bool active_low);
/* The GSI an ISA IRQ arrives on, or -EINVAL. */
int irq_isa_to_gsi(unsigned isa_irq);
/* Hands out a free vector from the dynamic range (arch/apic.h) for PCI and MSI interrupts; vectors
 * are never given back (devices are probed once). Returns the vector or -ENOSPC. */
int irq_alloc_vector(void);
