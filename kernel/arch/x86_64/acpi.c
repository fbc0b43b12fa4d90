/* ACPI table discovery: the RSDP (from the loader or the BIOS areas), the RSDT/XSDT with checksums, and
 * the MADT, HPET and FADT facts the interrupt and timer code needs. No AML: nothing here runs bytecode. */
#include <arch/cpu.h>
#include <kestrel/acpi.h>
#include <kestrel/bootinfo.h>
#include <uapi/errno.h>
#include <kestrel/mm.h>
#include <kestrel/printk.h>
#include <kestrel/string.h>

struct rsdp {
    char sig[8];
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt;
    uint32_t length; /* revision 2 and later from here on */
    uint64_t xsdt;
    uint8_t ext_checksum;
    uint8_t reserved[3];
} __packed;

struct sdt_header {
    char sig[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __packed;

struct madt {
    struct sdt_header h;
    uint32_t lapic_addr;
    uint32_t flags;
    uint8_t entries[];
} __packed;

enum madt_type {
    MADT_LAPIC = 0,
    MADT_IOAPIC = 1,
    MADT_ISO = 2,
    MADT_LAPIC_NMI = 4,
    MADT_LAPIC_ADDR = 5,
};

struct madt_entry {
    uint8_t type, length;
    union {
        struct {
            uint8_t acpi_id, apic_id;
            uint32_t flags;
        } __packed lapic;
        struct {
            uint8_t id, reserved;
            uint32_t addr, gsi_base;
        } __packed ioapic;
        struct {
            uint8_t bus, source;
            uint32_t gsi;
            uint16_t flags;
        } __packed iso;
        struct {
            uint8_t acpi_id;
            uint16_t flags;
            uint8_t lint;
        } __packed nmi;
        struct {
            uint16_t reserved;
            uint64_t addr;
        } __packed lapic_addr;
    };
} __packed;

#define MADT_LAPIC_ENABLED        0x1
#define MADT_LAPIC_ONLINE_CAPABLE 0x2
#define MADT_NMI_ALL_CPUS         0xff

#define HPET_BASE_OFFSET    44 /* the address field of the base-address GAS */
#define FADT_PM1A_CNT       64
#define FADT_CENTURY        108
#define FADT_BOOT_ARCH      109 /* IA-PC boot architecture flags, FADT revision 2 and later */
#define FADT_BOOT_ARCH_8042 0x2

#define MSR_APIC_BASE    0x1b
#define DEFAULT_IOAPIC   0xfec00000ull
#define BIOS_AREA_START  0xe0000ull
#define BIOS_AREA_END    0x100000ull
#define BDA_EBDA_SEGMENT 0x40e

static struct acpi_info info;
static paddr_t root_phys;      /* RSDT or XSDT, 0 when there is none */
static size_t root_entry_size; /* 4 for the RSDT, 8 for the XSDT */

static bool checksum_ok(const void *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += ((const uint8_t *)p)[i];
    return sum == 0;
}

static bool rsdp_valid(const struct rsdp *r)
{
    if (memcmp(r->sig, "RSD PTR ", 8) != 0 || !checksum_ok(r, 20))
        return false;
    return r->revision < 2 || checksum_ok(r, sizeof(*r));
}

/* RSDPs sit on 16-byte boundaries. */
static const struct rsdp *scan_for_rsdp(paddr_t start, size_t len)
{
    const uint8_t *p = ioremap(start, len);
    if (!p)
        return NULL;
    for (size_t off = 0; off + sizeof(struct rsdp) <= len; off += 16)
        if (rsdp_valid((const struct rsdp *)(p + off)))
            return (const struct rsdp *)(p + off);
    return NULL;
}

static const struct rsdp *find_rsdp(void)
{
    if (boot_info.has_rsdp && rsdp_valid((const struct rsdp *)boot_info.rsdp))
        return (const struct rsdp *)boot_info.rsdp;
    const uint16_t *bda_ebda = ioremap(BDA_EBDA_SEGMENT, sizeof(uint16_t));
    paddr_t ebda = bda_ebda ? (paddr_t)*bda_ebda << 4 : 0;
    const struct rsdp *r = NULL;
    /* The spec says: the first KiB of the EBDA, then the BIOS read-only area below 1 MiB. */
    if (ebda >= 0x80000 && ebda < 0xa0000)
        r = scan_for_rsdp(ebda, 1024);
    return r ? r : scan_for_rsdp(BIOS_AREA_START, BIOS_AREA_END - BIOS_AREA_START);
}

/* Maps a whole table and checks its checksum; NULL when it is unreadable or corrupt. */
static const struct sdt_header *map_table(paddr_t phys)
{
    const struct sdt_header *h = ioremap(phys, sizeof(*h));
    if (!h || h->length < sizeof(*h))
        return NULL;
    h = ioremap(phys, h->length);
    if (!h || !checksum_ok(h, h->length)) {
        pr_warn("acpi: table at %#llx has a bad checksum, ignored\n", (unsigned long long)phys);
        return NULL;
    }
    return h;
}

static paddr_t root_entry(const struct sdt_header *root, size_t i)
{
    const uint8_t *e = (const uint8_t *)(root + 1) + i * root_entry_size;
    if (root_entry_size == 8) {
        uint64_t v;
        memcpy(&v, e, 8); /* XSDT entries are only 4-byte aligned */
        return v;
    }
    uint32_t v;
    memcpy(&v, e, 4);
    return v;
}

paddr_t acpi_find_table(const char sig[4], unsigned index)
{
    const struct sdt_header *root = root_phys ? map_table(root_phys) : NULL;
    if (!root)
        return 0;
    size_t n = (root->length - sizeof(*root)) / root_entry_size;
    for (size_t i = 0; i < n; i++) {
        paddr_t p = root_entry(root, i);
        const struct sdt_header *h = p ? ioremap(p, sizeof(*h)) : NULL;
        if (!h || memcmp(h->sig, sig, 4) != 0)
            continue;
        if (map_table(p) && index-- == 0)
            return p;
    }
    return 0;
}

static void add_cpu(const struct madt_entry *e)
{
    /* Disabled entries without the online-capable bit are CPUs that can never be started. */
    if (!(e->lapic.flags & (MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAPABLE)))
        return;
    if (info.ncpus < ACPI_MAX_CPUS)
        info.cpu_apic_ids[info.ncpus++] = e->lapic.apic_id;
}

static void add_ioapic(const struct madt_entry *e)
{
    if (info.nioapics == ACPI_MAX_IOAPICS) {
        pr_warn("acpi: more than %d IOAPICs, ignoring id %u\n", ACPI_MAX_IOAPICS, e->ioapic.id);
        return;
    }
    info.ioapics[info.nioapics++] = (struct acpi_ioapic){e->ioapic.id, e->ioapic.addr, e->ioapic.gsi_base};
}

static void add_override(const struct madt_entry *e)
{
    if (e->iso.bus != 0 || e->iso.source >= ACPI_ISA_IRQS)
        return;
    info.isa[e->iso.source] = (struct acpi_isa_route){e->iso.gsi, e->iso.flags};
}

static void parse_madt_entry(const struct madt_entry *e)
{
    switch (e->type) {
    case MADT_LAPIC:
        add_cpu(e);
        break;
    case MADT_IOAPIC:
        add_ioapic(e);
        break;
    case MADT_ISO:
        add_override(e);
        break;
    case MADT_LAPIC_NMI:
        if (e->nmi.acpi_id == MADT_NMI_ALL_CPUS || e->nmi.acpi_id == 0)
            info.lapic_nmi_lint = e->nmi.lint;
        break;
    case MADT_LAPIC_ADDR:
        info.lapic_phys = e->lapic_addr.addr;
        break;
    }
}

static void identity_isa_routes(void)
{
    for (unsigned i = 0; i < ACPI_ISA_IRQS; i++)
        info.isa[i] = (struct acpi_isa_route){i, 0};
}

static int parse_madt(void)
{
    paddr_t p = acpi_find_table("APIC", 0);
    const struct madt *m = p ? (const struct madt *)map_table(p) : NULL;
    if (!m)
        return -ENOENT;
    info.lapic_phys = m->lapic_addr;
    const uint8_t *end = (const uint8_t *)m + m->h.length;
    for (const uint8_t *q = m->entries; q + 2 <= end;) {
        const struct madt_entry *e = (const struct madt_entry *)q;
        if (e->length < 2 || q + e->length > end)
            break; /* a malformed entry: stop rather than walk off the table */
        parse_madt_entry(e);
        q += e->length;
    }
    return info.nioapics ? 0 : -ENOENT;
}

static void parse_hpet(void)
{
    paddr_t p = acpi_find_table("HPET", 0);
    const struct sdt_header *h = p ? map_table(p) : NULL;
    if (!h || h->length < HPET_BASE_OFFSET + 8)
        return;
    memcpy(&info.hpet_phys, (const uint8_t *)h + HPET_BASE_OFFSET, 8);
    info.has_hpet = info.hpet_phys != 0;
}

static void parse_fadt(void)
{
    paddr_t p = acpi_find_table("FACP", 0);
    const struct sdt_header *h = p ? map_table(p) : NULL;
    if (!h || h->length < FADT_BOOT_ARCH + 2)
        return;
    const uint8_t *f = (const uint8_t *)h;
    uint32_t pm1a;
    memcpy(&pm1a, f + FADT_PM1A_CNT, 4);
    info.has_fadt = true;
    info.pm1a_cnt_port = pm1a <= 0xffff ? (uint16_t)pm1a : 0;
    info.century_reg = f[FADT_CENTURY];
    /* Before revision 2 the boot-architecture field was reserved: assume a PC with an 8042. */
    if (h->revision >= 2) {
        uint16_t arch;
        memcpy(&arch, f + FADT_BOOT_ARCH, 2);
        info.has_8042 = arch & FADT_BOOT_ARCH_8042;
    }
}

/* What every PC since the IOAPIC looks like: used when the firmware gives us no MADT. */
static void use_pc_defaults(void)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    info.cpu_apic_ids[0] = b >> 24; /* the boot CPU's initial APIC ID; other CPUs stay unknown */
    info.ncpus = 1;
    info.lapic_phys = rdmsr(MSR_APIC_BASE) & ~0xfffull;
    info.ioapics[0] = (struct acpi_ioapic){0, DEFAULT_IOAPIC, 0};
    info.nioapics = 1;
    identity_isa_routes();
    info.isa[0].gsi = 2; /* the PIT is wired to pin 2 on practically every chipset */
}

static void reset_info(void)
{
    memset(&info, 0, sizeof(info));
    info.lapic_nmi_lint = -1;
    info.has_8042 = true;
    identity_isa_routes();
}

static void set_root(const struct rsdp *r)
{
    info.revision = r->revision;
    memcpy(info.oem_id, r->oem_id, 6);
    bool xsdt = r->revision >= 2 && r->xsdt;
    root_phys = xsdt ? r->xsdt : r->rsdt;
    root_entry_size = xsdt ? 8 : 4;
}

int acpi_init(void)
{
    reset_info();
    const struct rsdp *r = find_rsdp();
    if (r)
        set_root(r);
    if (!r || parse_madt() < 0) {
        reset_info();
        use_pc_defaults();
        pr_warn("acpi: %s; assuming a standard PC\n", r ? "no usable MADT" : "no RSDP found");
        return -ENOENT;
    }
    info.present = true;
    parse_hpet();
    parse_fadt();
    pr_info("acpi: rev %u OEM \"%s\", %zu CPU(s), %zu IOAPIC(s), LAPIC at %#llx%s\n", info.revision,
            info.oem_id, info.ncpus, info.nioapics, (unsigned long long)info.lapic_phys,
            info.has_hpet ? ", HPET" : "");
    return 0;
}

const struct acpi_info *acpi_get(void)
{
    return &info;
}
