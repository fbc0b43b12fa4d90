/* The interrupt controllers: the vector map, the local APIC (EOI, IDs, its timer), the IOAPICs, and the
 * legacy 8259 PICs that are only remapped and masked. */
#pragma once
#include <arch/trap.h>
#include <kestrel/types.h>

/* Vector map. Higher vectors have higher priority in the local APIC (vector >> 4 is the class). */
#define VEC_ISA_BASE      VEC_IRQ_BASE /* 0x20-0x2f: ISA IRQ n arrives on 0x20 + n through the IOAPIC */
#define VEC_DYNAMIC_FIRST 0x30         /* 0x30-0xdf: free for PCI and MSI */
#define VEC_DYNAMIC_LAST  0xdf
#define VEC_PIC_BASE      0xe0 /* 0xe0-0xef: the masked 8259s; only their spurious IRQ 7/15 can land */
#define VEC_LAPIC_TIMER   0xf0
#define VEC_LAPIC_ERROR   0xfe
/* VEC_SPURIOUS (0xff, arch/trap.h) is the local APIC's spurious vector. */

/* Remaps both PICs to VEC_PIC_BASE and masks every line. */
void pic_disable(void);
/* Stray interrupts that reached the PIC vectors (there should be none but spurious ones). */
uint64_t pic_stray_count(void);

/* Maps and enables this CPU's local APIC (xAPIC MMIO) and makes it the EOI target. */
void lapic_init(paddr_t phys);
void lapic_eoi(void);
uint8_t lapic_id(void);

/* The local APIC timer counts down at its input clock divided by LAPIC_TIMER_DIVIDE. */
#define LAPIC_TIMER_DIVIDE 16
/* Starts a masked one-shot count from 0xffffffff, for calibration. */
void lapic_timer_start_free(void);
uint32_t lapic_timer_current(void);
/* Fires VEC_LAPIC_TIMER every count timer-clock periods. */
void lapic_timer_periodic(uint32_t count);

/* Maps every IOAPIC the ACPI tables list and masks all their inputs. */
int ioapic_init(void);
/* Sends global system interrupt gsi to vector on the CPU with APIC ID dest; inti_flags are ACPI_INTI_*
 * (0 means ISA defaults: edge, active high). The entry stays masked until ioapic_set_masked. */
int ioapic_route(uint32_t gsi, uint8_t vector, uint16_t inti_flags, uint8_t dest);
int ioapic_set_masked(uint32_t gsi, bool masked);
