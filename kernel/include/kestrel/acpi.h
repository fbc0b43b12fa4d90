/* What the ACPI tables told us at boot: interrupt controllers (MADT), the HPET, and the few FADT fields
 * the kernel uses. Parsed once by acpi_init(); everything here is a copy, so the tables can be unmapped. */
#pragma once
#include <kestrel/types.h>

#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_CPUS    64
#define ACPI_ISA_IRQS    16

/* MPS INTI flags (MADT interrupt source overrides): polarity in bits 0-1, trigger mode in bits 2-3. */
#define ACPI_INTI_POLARITY_MASK 0x3
#define ACPI_INTI_ACTIVE_HIGH   0x1
#define ACPI_INTI_ACTIVE_LOW    0x3
#define ACPI_INTI_TRIGGER_MASK  0xc
#define ACPI_INTI_TRIGGER_EDGE  0x4
#define ACPI_INTI_TRIGGER_LEVEL 0xc

struct acpi_ioapic {
    uint8_t id;
    paddr_t phys;
    uint32_t gsi_base;
};

/* Where one ISA IRQ arrives: the GSI and its electrical properties (ACPI_INTI_* flags). */
struct acpi_isa_route {
    uint32_t gsi;
    uint16_t flags;
};

struct acpi_info {
    bool present;     /* false: no usable RSDP/MADT; the fields hold standard-PC defaults */
    uint8_t revision; /* RSDP revision: 0 means RSDT only, 2 means XSDT */
    char oem_id[7];
    paddr_t lapic_phys;
    uint8_t cpu_apic_ids[ACPI_MAX_CPUS];
    size_t ncpus;
    int lapic_nmi_lint; /* LINT pin (0 or 1) wired to NMI, or -1 when the MADT names none */
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    size_t nioapics;
    struct acpi_isa_route isa[ACPI_ISA_IRQS];
    bool has_hpet;
    paddr_t hpet_phys;
    bool has_fadt;
    uint16_t pm1a_cnt_port; /* PM1a control block I/O port (0 when unknown) */
    uint8_t century_reg;    /* CMOS register holding the century, 0 when there is none */
    bool has_8042;          /* FADT IA-PC boot flags; true when the FADT does not say */
};

/* Finds and validates the tables; falls back to standard-PC defaults (logged) when there are none.
 * Returns 0, or -ENOENT when the defaults are in use. */
int acpi_init(void);
const struct acpi_info *acpi_get(void);
/* Physical address of the index-th checksummed table with this signature ("MCFG", ...), or 0. */
paddr_t acpi_find_table(const char sig[4], unsigned index);
