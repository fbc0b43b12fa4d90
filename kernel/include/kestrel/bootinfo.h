/* What the boot loader told us, copied out of loader memory into the kernel's own data so nothing
 * of the loader's needs to stay reserved (except modules, which the memory manager keeps). */
#pragma once
#include <kestrel/types.h>

enum mem_type {
    MEM_USABLE = 1,
    MEM_RESERVED = 2,
    MEM_ACPI_RECLAIMABLE = 3,
    MEM_ACPI_NVS = 4,
    MEM_BAD = 5,
};

struct mem_region {
    uint64_t base;
    uint64_t length;
    uint32_t type; /* enum mem_type, the e820 numbering */
};

struct boot_framebuffer {
    uint64_t phys;
    uint32_t pitch, width, height;
    uint8_t bpp;
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct boot_module {
    uint64_t start, end; /* physical, end exclusive */
    char cmdline[64];
};

#define BOOT_MAX_REGIONS 128
#define BOOT_MAX_MODULES 8

struct boot_info {
    const char *loader;
    char cmdline[1024];
    struct mem_region regions[BOOT_MAX_REGIONS];
    size_t nregions;
    bool has_framebuffer;
    struct boot_framebuffer fb;
    /* A copy of the ACPI RSDP when the loader gave one (36 bytes covers revision 2); ACPI code
     * otherwise searches the BIOS area for it. */
    bool has_rsdp;
    uint8_t rsdp[36];
    struct boot_module modules[BOOT_MAX_MODULES];
    size_t nmodules;
};

extern struct boot_info boot_info;

/* Fill boot_info from each protocol's structures; return false when they look wrong. */
bool multiboot2_parse(uint64_t info_phys, struct boot_info *bi);
bool pvh_parse(uint64_t info_phys, struct boot_info *bi);
