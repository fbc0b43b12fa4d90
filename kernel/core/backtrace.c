/* Symbol lookup in the table the build embeds (tools/gen_ksyms.py writes it into .ksyms after a
 * first link), and frame-pointer backtraces that print through it. */
#include <arch/boot.h>
#include <kestrel/backtrace.h>
#include <kestrel/printk.h>

struct ksym_entry {
    uint64_t addr;
    uint32_t size;
    uint32_t name_offset;
};

struct ksym_table {
    uint32_t magic; /* KSYM_MAGIC */
    uint32_t count;
    struct ksym_entry entries[]; /* sorted by addr; the names follow the entries */
};

#define KSYM_MAGIC 0x4d59534b /* "KSYM" */
#define MAX_FRAMES 32

extern const char __ksyms_start[];
extern const char __text_start[], __text_end[];

/* The table's size is known only at run time; hide the linker symbol's origin from the compiler so
 * it does not judge the entry accesses against a zero-length array. */
static const struct ksym_table *ksym_table(void)
{
    const struct ksym_table *t;
    __asm__("" : "=r"(t) : "0"(__ksyms_start));
    return t;
}

static const char *ksym_names(const struct ksym_table *t)
{
    return (const char *)&t->entries[t->count];
}

size_t ksym_count(void)
{
    const struct ksym_table *t = ksym_table();
    return t->magic == KSYM_MAGIC ? t->count : 0;
}

long ksym_index(uint64_t addr)
{
    const struct ksym_table *t = ksym_table();
    if (t->magic != KSYM_MAGIC || t->count == 0)
        return -1;
    /* Binary search for the last symbol starting at or below addr. */
    size_t lo = 0, hi = t->count;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (t->entries[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    const struct ksym_entry *e = &t->entries[lo];
    if (addr < e->addr || (e->size && addr >= e->addr + e->size))
        return -1;
    return (long)lo;
}

const char *ksym_name_at(size_t index)
{
    const struct ksym_table *t = ksym_table();
    return index < ksym_count() ? ksym_names(t) + t->entries[index].name_offset : NULL;
}

uint64_t ksym_addr_at(size_t index)
{
    return index < ksym_count() ? ksym_table()->entries[index].addr : 0;
}

const char *ksym_lookup(uint64_t addr, uint64_t *offset, uint64_t *size)
{
    long i = ksym_index(addr);
    if (i < 0)
        return NULL;
    const struct ksym_entry *e = &ksym_table()->entries[i];
    *offset = addr - e->addr;
    *size = e->size;
    return ksym_name_at((size_t)i);
}

void backtrace_print_addr(uint64_t addr)
{
    uint64_t off, size;
    const char *name = ksym_lookup(addr, &off, &size);
    if (name)
        console_print("  [<%016llx>] %s+0x%llx/0x%llx\n", (unsigned long long)addr, name,
                      (unsigned long long)off, (unsigned long long)size);
    else
        console_print("  [<%016llx>] ?\n", (unsigned long long)addr);
}

/* A frame pointer is followed only if it points into the kernel's half and is aligned; kernel
 * stacks live in the image (boot stack) or in the direct map. */
static bool frame_pointer_plausible(uint64_t rbp)
{
    return rbp >= DIRECT_MAP_BASE && (rbp & 7) == 0 && rbp < UINT64_MAX - 16;
}

void backtrace_print(uint64_t rbp)
{
    for (int i = 0; i < MAX_FRAMES && frame_pointer_plausible(rbp); i++) {
        const uint64_t *frame = (const uint64_t *)rbp;
        uint64_t ret = frame[1];
        if (ret < (uint64_t)__text_start || ret >= (uint64_t)__text_end)
            break;
        /* The return address points after the call; -1 names the calling function even when the
         * call is the last instruction of it. */
        backtrace_print_addr(ret - 1);
        if (frame[0] <= rbp) /* stacks grow down: callers' frames are at higher addresses */
            break;
        rbp = frame[0];
    }
}
