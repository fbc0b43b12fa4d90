/* Reads the PVH start info (QEMU's -kernel path, as Xen defines it) into struct boot_info. */
#include <kestrel/bootinfo.h>
#include <kestrel/mm.h>
#include <kestrel/string.h>

#define PVH_MAGIC 0x336ec578

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr; /* version 1 and later */
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

bool pvh_parse(uint64_t info_phys, struct boot_info *bi)
{
    const struct hvm_start_info *si = phys_to_virt(info_phys);
    if (si->magic != PVH_MAGIC)
        return false;
    bi->loader = "pvh";
    if (si->cmdline_paddr)
        strlcpy(bi->cmdline, phys_to_virt(si->cmdline_paddr), sizeof(bi->cmdline));
    if (si->rsdp_paddr) {
        bi->has_rsdp = true;
        memcpy(bi->rsdp, phys_to_virt(si->rsdp_paddr), sizeof(bi->rsdp));
    }
    const struct hvm_modlist_entry *mods = phys_to_virt(si->modlist_paddr);
    for (uint32_t i = 0; i < si->nr_modules && bi->nmodules < BOOT_MAX_MODULES; i++) {
        struct boot_module *m = &bi->modules[bi->nmodules++];
        m->start = mods[i].paddr;
        m->end = mods[i].paddr + mods[i].size;
        if (mods[i].cmdline_paddr)
            strlcpy(m->cmdline, phys_to_virt(mods[i].cmdline_paddr), sizeof(m->cmdline));
    }
    if (si->version < 1)
        return false; /* no memory map: we would not know where RAM is */
    const struct hvm_memmap_entry *mm = phys_to_virt(si->memmap_paddr);
    for (uint32_t i = 0; i < si->memmap_entries && bi->nregions < BOOT_MAX_REGIONS; i++)
        bi->regions[bi->nregions++] = (struct mem_region){mm[i].addr, mm[i].size, mm[i].type};
    return true;
}
