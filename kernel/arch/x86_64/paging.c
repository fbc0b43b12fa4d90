/* x86-64 page tables: walking and editing the 4-level tree, and building the kernel's final tables at
 * boot (a direct map of RAM, firmware and device memory; the kernel image with W^X; nothing at 0). */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <kestrel/bootinfo.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/panic.h>
#include <kestrel/vm.h>
#include <uapi/errno.h>

static bool has_nx;

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[], __data_end[],
    __ksyms_start[], __kernel_end[];

static pte_t *table_of(pte_t entry)
{
    return phys_to_virt(entry & PTE_ADDR);
}

pte_t *paging_lookup(pte_t *pml4, vaddr_t va, unsigned *level)
{
    pte_t *table = pml4;
    for (unsigned l = 4;; l--) {
        pte_t *e = &table[pt_index(va, l)];
        if (l == 1 || !(*e & PTE_P) || (*e & PTE_PS)) {
            *level = l;
            return e;
        }
        table = table_of(*e);
    }
}

int paging_walk_alloc(pte_t *pml4, vaddr_t va, unsigned level, pte_t **entry)
{
    /* Permissions are decided at the leaf; upper levels allow everything the half allows. */
    pte_t bits = PTE_P | PTE_W | (va < USER_SPACE_END ? PTE_U : 0);
    pte_t *table = pml4;
    for (unsigned l = 4; l > level; l--) {
        pte_t *e = &table[pt_index(va, l)];
        if (!(*e & PTE_P)) {
            /* Kernel-half PDPTs exist from boot on; a new one would not reach other address spaces. */
            if (l == 4 && va >= KERNEL_HALF_START)
                panic("paging: kernel PML4 entry %u missing for %#llx", pt_index(va, 4),
                      (unsigned long long)va);
            pte_t *t = alloc_zeroed_page_virt();
            if (!t)
                return -ENOMEM;
            *e = virt_to_phys(t) | bits;
        } else if (*e & PTE_PS) {
            return -EEXIST;
        }
        table = table_of(*e);
    }
    *entry = &table[pt_index(va, level)];
    return 0;
}

static void free_table(pte_t *table, unsigned level)
{
    for (unsigned i = 0; level > 1 && i < 512; i++)
        if ((table[i] & PTE_P) && !(table[i] & PTE_PS))
            free_table(table_of(table[i]), level - 1);
    free_page_virt(table);
}

void paging_free_user_tables(pte_t *pml4)
{
    for (unsigned i = 0; i < 256; i++) {
        if (pml4[i] & PTE_P)
            free_table(table_of(pml4[i]), 3);
        pml4[i] = 0;
    }
}

static int walk_range(pte_t *table, unsigned level, vaddr_t base, vaddr_t start, vaddr_t end,
                      paging_leaf_fn fn, void *ctx)
{
    uint64_t size = pt_level_size(level);
    unsigned first = start > base ? (unsigned)((start - base) / size) : 0;
    for (unsigned i = first; i < 512 && base + i * size < end; i++) {
        pte_t e = table[i];
        int ret = 0;
        if (!(e & PTE_P))
            continue;
        if (level == 1)
            ret = fn(ctx, base + i * size, &table[i]);
        else if (!(e & PTE_PS))
            ret = walk_range(table_of(e), level - 1, base + i * size, start, end, fn, ctx);
        if (ret)
            return ret;
    }
    return 0;
}

int paging_walk_user_range(pte_t *pml4, vaddr_t start, vaddr_t end, paging_leaf_fn fn, void *ctx)
{
    if (end > USER_SPACE_END)
        end = USER_SPACE_END;
    if (start >= end)
        return 0;
    return walk_range(pml4, 4, 0, start, end, fn, ctx);
}

pte_t paging_leaf_bits(unsigned vm_flags, vaddr_t va)
{
    pte_t b = PTE_P;
    if (vm_flags & VM_WRITE)
        b |= PTE_W;
    if (vm_flags & VM_USER)
        b |= PTE_U;
    /* Without EFER.NXE bit 63 is reserved and setting it faults, so no NX means everything executes. */
    if (!(vm_flags & VM_EXEC) && has_nx)
        b |= PTE_NX;
    /* PCD|PWT selects PAT entry 3, uncached in the power-on PAT. */
    if (vm_flags & VM_UNCACHED)
        b |= PTE_PCD | PTE_PWT;
    /* Kernel-half translations are the same in every address space: keep them across CR3 loads. */
    if (va >= KERNEL_HALF_START)
        b |= PTE_G;
    return b;
}

unsigned paging_vm_flags(pte_t e)
{
    unsigned f = 0;
    if (e & PTE_W)
        f |= VM_WRITE;
    if (e & PTE_U)
        f |= VM_USER;
    if (!(e & PTE_NX))
        f |= VM_EXEC;
    if (e & PTE_PCD)
        f |= VM_UNCACHED;
    return f;
}

bool paging_has_nx(void)
{
    return has_nx;
}

/* Maps one 2 MiB or 4 KiB page at pa unless something is there already; *next is where to go on. */
static int direct_step(pte_t *pml4, paddr_t pa, paddr_t end, unsigned flags, paddr_t *next)
{
    vaddr_t va = DIRECT_MAP_BASE + pa;
    pte_t *e;
    int err;
    if (IS_ALIGNED(pa, LARGE_PAGE_SIZE) && pa + LARGE_PAGE_SIZE <= end) {
        if ((err = paging_walk_alloc(pml4, va, 2, &e)))
            return err;
        if (!(*e & PTE_P))
            *e = pa | paging_leaf_bits(flags, va) | PTE_PS;
        if (*e & PTE_PS) {
            *next = pa + LARGE_PAGE_SIZE;
            return 0;
        }
        /* A page table is there already (part of this 2 MiB is mapped): fill it page by page. */
    }
    err = paging_walk_alloc(pml4, va, 1, &e);
    if (err == -EEXIST) {
        *next = ALIGN_DOWN(pa, LARGE_PAGE_SIZE) + LARGE_PAGE_SIZE;
        return 0;
    }
    if (err)
        return err;
    if (!(*e & PTE_P))
        *e = pa | paging_leaf_bits(flags, va);
    *next = pa + PAGE_SIZE;
    return 0;
}

int paging_map_direct(pte_t *pml4, paddr_t start, paddr_t end, unsigned flags)
{
    start = ALIGN_DOWN(start, PAGE_SIZE);
    end = ALIGN_UP(end, PAGE_SIZE);
    if (end > DIRECT_MAP_SIZE || start > end)
        return -EINVAL;
    for (paddr_t pa = start; pa < end;) {
        int err = direct_step(pml4, pa, end, flags, &pa);
        if (err)
            return err;
    }
    return 0;
}

paddr_t paging_current_root(void)
{
    return read_cr3() & PTE_ADDR;
}

void paging_activate(paddr_t pml4_phys)
{
    write_cr3(pml4_phys);
}

void paging_invalidate(paddr_t pml4_phys, vaddr_t va)
{
    if (va >= KERNEL_HALF_START || paging_current_root() == pml4_phys)
        invlpg(va);
}

static pte_t *boot_table(void)
{
    pte_t *t = alloc_zeroed_page_virt();
    if (!t)
        panic("paging: out of memory building the kernel page tables");
    return t;
}

static void map_image(pte_t *pml4, const char *start, const char *end, unsigned flags)
{
    for (vaddr_t va = (vaddr_t)start; va < (vaddr_t)end; va += PAGE_SIZE) {
        pte_t *e;
        if (paging_walk_alloc(pml4, va, 1, &e))
            panic("paging: out of memory mapping the kernel image");
        *e = (va - KERNEL_VIRT_BASE) | paging_leaf_bits(flags, va);
    }
}

/* 4 KiB pages so each part gets exactly its rights: code R+X, constants R, data RW. */
static void map_kernel_image(pte_t *pml4)
{
    map_image(pml4, __text_start, __text_end, VM_EXEC);
    map_image(pml4, __rodata_start, __rodata_end, 0);
    map_image(pml4, __data_start, __data_end, VM_WRITE);
    map_image(pml4, __ksyms_start, __kernel_end, 0);
}

static void direct_or_panic(pte_t *pml4, paddr_t start, paddr_t end, unsigned flags)
{
    if (start >= DIRECT_MAP_SIZE)
        return;
    if (paging_map_direct(pml4, start, MIN(end, DIRECT_MAP_SIZE), flags))
        panic("paging: cannot direct-map %#llx..%#llx", (unsigned long long)start, (unsigned long long)end);
}

static bool is_ram(uint32_t type)
{
    return type == MEM_USABLE || type == MEM_ACPI_RECLAIMABLE || type == MEM_ACPI_NVS;
}

/* Earlier calls win where ranges overlap, so the order below decides each page's attributes. */
static void map_direct_all(pte_t *pml4, const struct boot_info *bi)
{
    /* The kernel's code and constants stay read-only through their direct-map alias too. */
    direct_or_panic(pml4, virt_to_phys(__text_start), virt_to_phys(__rodata_end), 0);
    /* Conventional memory: BIOS data area and EBDA, where ACPI and MP tables are searched for. */
    direct_or_panic(pml4, 0, 0xa0000, VM_WRITE);
    for (size_t i = 0; i < bi->nregions; i++)
        if (is_ram(bi->regions[i].type))
            direct_or_panic(pml4, bi->regions[i].base, bi->regions[i].base + bi->regions[i].length, VM_WRITE);
    /* VGA memory and option/BIOS ROMs, then firmware-reserved ranges below 4 GiB (device memory,
     * often ACPI tables too) uncached, so phys_to_virt works for them and MMIO is never cached. */
    direct_or_panic(pml4, 0xa0000, 1ull << 20, VM_WRITE | VM_UNCACHED);
    for (size_t i = 0; i < bi->nregions; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (!is_ram(r->type) && r->type != MEM_BAD && r->base < (4ull << 30))
            direct_or_panic(pml4, r->base, MIN(r->base + r->length, 4ull << 30), VM_WRITE | VM_UNCACHED);
    }
}

/* entry.S turns NX on already; this keeps the tables right whichever way the CPU was entered. */
static bool enable_nx(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000000, 0, &a, &b, &c, &d);
    if (a < 0x80000001)
        return false;
    cpuid(0x80000001, 0, &a, &b, &c, &d);
    if (!(d & (1u << 20)))
        return false;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    return true;
}

pte_t *paging_init(const struct boot_info *bi)
{
    has_nx = enable_nx();
    pte_t *pml4 = boot_table();
    /* Every kernel-half PDPT now, so the kernel half of the PML4 never changes again and can be copied
     * once into each new address space. */
    for (unsigned i = 256; i < 512; i++)
        pml4[i] = virt_to_phys(boot_table()) | PTE_P | PTE_W;
    map_kernel_image(pml4);
    map_direct_all(pml4, bi);
    /* The identity map of low memory is gone from here on, so NULL dereferences fault. */
    paging_activate(virt_to_phys(pml4));
    write_cr4(read_cr4() | CR4_PGE);
    write_cr0(read_cr0() | CR0_WP);
    return pml4;
}
