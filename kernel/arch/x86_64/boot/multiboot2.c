/* Reads the Multiboot2 boot information (GRUB) into struct boot_info. Tag layouts are from the
 * Multiboot2 specification. */
#include <kestrel/bootinfo.h>
#include <kestrel/mm.h>
#include <kestrel/string.h>

enum {
    TAG_END = 0,
    TAG_CMDLINE = 1,
    TAG_MODULE = 3,
    TAG_MMAP = 6,
    TAG_FRAMEBUFFER = 8,
    TAG_ACPI_OLD = 14,
    TAG_ACPI_NEW = 15,
};

struct mb2_tag {
    uint32_t type;
    uint32_t size;
};

struct mb2_mmap {
    struct mb2_tag tag;
    uint32_t entry_size;
    uint32_t entry_version;
    uint8_t entries[];
};

struct mb2_mmap_entry {
    uint64_t base, length;
    uint32_t type, reserved;
};

struct mb2_module {
    struct mb2_tag tag;
    uint32_t start, end;
    char cmdline[];
};

struct mb2_framebuffer {
    struct mb2_tag tag;
    uint64_t addr;
    uint32_t pitch, width, height;
    uint8_t bpp, type;
    uint16_t reserved;
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

#define FB_TYPE_RGB 1

static void parse_mmap(const struct mb2_mmap *m, struct boot_info *bi)
{
    for (uint32_t off = 0; off + m->entry_size <= m->tag.size - sizeof(*m); off += m->entry_size) {
        const struct mb2_mmap_entry *e = (const void *)(m->entries + off);
        if (bi->nregions < BOOT_MAX_REGIONS)
            bi->regions[bi->nregions++] = (struct mem_region){e->base, e->length, e->type};
    }
}

static void parse_framebuffer(const struct mb2_framebuffer *f, struct boot_info *bi)
{
    if (f->type != FB_TYPE_RGB || f->bpp != 32)
        return; /* only direct-colour 32 bpp; otherwise the VGA text console serves */
    bi->has_framebuffer = true;
    bi->fb = (struct boot_framebuffer){
        .phys = f->addr,
        .pitch = f->pitch,
        .width = f->width,
        .height = f->height,
        .bpp = f->bpp,
        .red_pos = f->red_pos,
        .red_size = f->red_size,
        .green_pos = f->green_pos,
        .green_size = f->green_size,
        .blue_pos = f->blue_pos,
        .blue_size = f->blue_size,
    };
}

static void parse_tag(const struct mb2_tag *tag, struct boot_info *bi)
{
    switch (tag->type) {
    case TAG_CMDLINE:
        strlcpy(bi->cmdline, (const char *)(tag + 1), sizeof(bi->cmdline));
        break;
    case TAG_MODULE: {
        const struct mb2_module *m = (const void *)tag;
        if (bi->nmodules < BOOT_MAX_MODULES) {
            struct boot_module *bm = &bi->modules[bi->nmodules++];
            bm->start = m->start;
            bm->end = m->end;
            strlcpy(bm->cmdline, m->cmdline, sizeof(bm->cmdline));
        }
        break;
    }
    case TAG_MMAP:
        parse_mmap((const void *)tag, bi);
        break;
    case TAG_FRAMEBUFFER:
        parse_framebuffer((const void *)tag, bi);
        break;
    case TAG_ACPI_OLD:
    case TAG_ACPI_NEW:
        bi->has_rsdp = true;
        memcpy(bi->rsdp, tag + 1, MIN(sizeof(bi->rsdp), tag->size - sizeof(*tag)));
        break;
    }
}

bool multiboot2_parse(uint64_t info_phys, struct boot_info *bi)
{
    const uint8_t *base = phys_to_virt(info_phys);
    uint32_t total = *(const uint32_t *)base;
    bi->loader = "multiboot2";
    for (uint32_t off = 8; off + sizeof(struct mb2_tag) <= total;) {
        const struct mb2_tag *tag = (const void *)(base + off);
        if (tag->type == TAG_END)
            return true;
        parse_tag(tag, bi);
        off += ALIGN_UP(tag->size, 8);
    }
    return false;
}
