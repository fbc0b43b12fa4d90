/* KTAP tests of page tables and the kernel's layout: map/translate/protect/unmap in a fresh address
 * space without leaking pages, W^X on the kernel image, nothing at NULL, the direct map, ioremap. */
#include <arch/cpu.h>
#include <arch/extable.h>
#include <arch/paging.h>
#include <kestrel/bootinfo.h>
#include <kestrel/ktest.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/vm.h>
#include <uapi/errno.h>

extern char __text_start[], __rodata_start[], __ksyms_start[];

/* What a mapping without VM_EXEC reads back as: executable anyway on a CPU without NX. */
static unsigned noexec(unsigned flags)
{
    return paging_has_nx() ? flags : flags | VM_EXEC;
}

static void vm_map_translate_protect_unmap(struct ktest *t)
{
    struct vm_space *s = vm_space_create();
    KTEST_ASSERT(t, s != NULL);
    struct page *pg = alloc_pages(0);
    KTEST_ASSERT(t, pg != NULL);
    paddr_t pa = page_to_phys(pg), got;
    unsigned flags;
    const vaddr_t va = 0x400000;
    KTEST_EXPECT_EQ(t, vm_translate(s, va, &got, &flags), -ENOENT);
    KTEST_EXPECT_EQ(t, vm_map_page(s, va, pa, VM_WRITE | VM_USER), 0);
    KTEST_EXPECT_EQ(t, vm_map_page(s, va, pa, VM_WRITE), -EEXIST);
    KTEST_EXPECT_EQ(t, vm_translate(s, va + 0x123, &got, &flags), 0);
    KTEST_EXPECT_EQ(t, got, pa + 0x123);
    KTEST_EXPECT_EQ(t, flags, noexec(VM_WRITE | VM_USER));
    KTEST_EXPECT_EQ(t, vm_protect_page(s, va, VM_USER | VM_EXEC), 0);
    KTEST_EXPECT_EQ(t, vm_translate(s, va, &got, &flags), 0);
    KTEST_EXPECT_EQ(t, got, pa);
    KTEST_EXPECT_EQ(t, flags, VM_USER | VM_EXEC);
    KTEST_EXPECT_EQ(t, vm_unmap_page(s, va, &got), 0);
    KTEST_EXPECT_EQ(t, got, pa);
    KTEST_EXPECT_EQ(t, vm_translate(s, va, NULL, NULL), -ENOENT);
    KTEST_EXPECT_EQ(t, vm_unmap_page(s, va, NULL), -ENOENT);
    KTEST_EXPECT_EQ(t, vm_protect_page(s, va, 0), -ENOENT);
    vm_space_destroy(s);
    free_pages(pg, 0);
}

static void vm_rejects_bad_requests(struct ktest *t)
{
    struct vm_space *s = vm_space_create(), *k = vm_kernel_space();
    KTEST_ASSERT(t, s != NULL);
    KTEST_EXPECT_EQ(t, vm_map_page(s, 0x1001, 0x5000, 0), -EINVAL);
    KTEST_EXPECT_EQ(t, vm_map_page(s, 0x1000, 0x5001, 0), -EINVAL);
    KTEST_EXPECT_EQ(t, vm_map_page(s, 0x1000, 1ull << 52, 0), -EINVAL);
    KTEST_EXPECT_EQ(t, vm_map_page(s, 0x1000, 0x5000, 0x100), -EINVAL);
    KTEST_EXPECT_EQ(t, vm_map_page(s, USER_SPACE_END, 0x5000, 0), -EINVAL);
    KTEST_EXPECT_EQ(t, vm_map_page(s, 0xffffc00000000000ull, 0x5000, 0), -EINVAL);
    KTEST_EXPECT_EQ(t, vm_map_page(k, 0xffffc00000000000ull, 0x5000, VM_USER), -EINVAL);
    /* The direct map's 2 MiB pages are not 4 KiB mappings to change. */
    vaddr_t direct = (vaddr_t)phys_to_virt(16ull << 20);
    KTEST_EXPECT_EQ(t, vm_map_page(k, direct, 0x5000, 0), -EEXIST);
    KTEST_EXPECT_EQ(t, vm_translate(s, USER_SPACE_END, NULL, NULL), -ENOENT);
    vm_space_destroy(s);
}

/* Maps pages far apart (new tables at every level), writes through them, destroys the space: every
 * page-table page must come back. */
static void vm_destroy_frees_all_tables(struct ktest *t)
{
    static const vaddr_t vas[] = {0x1000, 0x200000, 0x40000000, 0x8000000000ull, USER_SPACE_END - PAGE_SIZE};
    vm_space_destroy(vm_space_create()); /* warm the kmalloc slab that holds struct vm_space */
    size_t base = pmm_free_pages();
    struct vm_space *s = vm_space_create();
    uint64_t *frame = alloc_zeroed_page_virt();
    KTEST_ASSERT(t, s && frame);
    for (size_t i = 0; i < ARRAY_SIZE(vas); i++)
        KTEST_EXPECT_EQ(t, vm_map_page(s, vas[i], virt_to_phys(frame), VM_WRITE), 0);
    KTEST_EXPECT(t, pmm_free_pages() < base - 1 - ARRAY_SIZE(vas));
    /* Through the hardware: each alias writes a word of the same frame. */
    uint64_t irq = irq_save();
    vm_space_activate(s);
    for (size_t i = 0; i < ARRAY_SIZE(vas); i++)
        ((volatile uint64_t *)vas[i])[i] = 0x1111 * (i + 1);
    vm_space_activate(vm_kernel_space());
    irq_restore(irq);
    for (size_t i = 0; i < ARRAY_SIZE(vas); i++)
        KTEST_EXPECT_EQ(t, frame[i], 0x1111 * (i + 1));
    vm_space_destroy(s);
    free_page_virt(frame);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), base);
}

/* An unmapped page faults at once in the active space: the TLB entry went with the mapping. */
static void vm_unmap_invalidates_tlb(struct ktest *t)
{
    struct vm_space *s = vm_space_create();
    uint64_t *frame = alloc_zeroed_page_virt();
    KTEST_ASSERT(t, s && frame);
    const vaddr_t va = 0x10000000;
    frame[0] = 42;
    KTEST_EXPECT_EQ(t, vm_map_page(s, va, virt_to_phys(frame), 0), 0);
    uint64_t v = 0, irq = irq_save();
    vm_space_activate(s);
    int before = probe_read_u64((void *)va, &v);
    int wrote = probe_write_u64((void *)va, 7); /* read-only mapping */
    vm_unmap_page(s, va, NULL);
    int after = probe_read_u64((void *)va, &v);
    vm_space_activate(vm_kernel_space());
    irq_restore(irq);
    KTEST_EXPECT_EQ(t, before, 0);
    KTEST_EXPECT_EQ(t, wrote, -EFAULT);
    KTEST_EXPECT_EQ(t, after, -EFAULT);
    KTEST_EXPECT_EQ(t, frame[0], 42);
    vm_space_destroy(s);
    free_page_virt(frame);
}

static unsigned kernel_flags(const void *addr, paddr_t *pa)
{
    unsigned flags = 0;
    if (vm_translate(vm_kernel_space(), (vaddr_t)addr, pa, &flags))
        return ~0u;
    return flags;
}

static int data_object;
static const int rodata_object = 1;

static void vm_kernel_image_is_wx(struct ktest *t)
{
    paddr_t pa;
    KTEST_EXPECT_EQ(t, kernel_flags(__text_start, &pa), VM_EXEC);
    KTEST_EXPECT_EQ(t, pa, virt_to_phys(__text_start));
    KTEST_EXPECT_EQ(t, kernel_flags((void *)vm_kernel_image_is_wx, &pa), VM_EXEC);
    KTEST_EXPECT_EQ(t, kernel_flags(__rodata_start, &pa), noexec(0));
    KTEST_EXPECT_EQ(t, kernel_flags(&rodata_object, &pa), noexec(0));
    KTEST_EXPECT_EQ(t, kernel_flags(__ksyms_start, &pa), noexec(0));
    KTEST_EXPECT_EQ(t, kernel_flags(&data_object, &pa), noexec(VM_WRITE));
    KTEST_EXPECT_EQ(t, pa, virt_to_phys(&data_object));
    /* The direct-map alias of the code is read-only as well. */
    KTEST_EXPECT_EQ(t, kernel_flags(phys_to_virt(virt_to_phys(__text_start)), &pa), noexec(0));
    KTEST_EXPECT(t, read_cr0() & CR0_WP);
    KTEST_EXPECT_EQ(t, paging_has_nx(), (rdmsr(MSR_EFER) & EFER_NXE) != 0);
}

static void vm_null_and_low_memory_unmapped(struct ktest *t)
{
    uint64_t v;
    KTEST_EXPECT_EQ(t, vm_translate(vm_kernel_space(), 0, NULL, NULL), -ENOENT);
    KTEST_EXPECT_EQ(t, vm_translate(vm_kernel_space(), 0x200000, NULL, NULL), -ENOENT);
    KTEST_EXPECT_EQ(t, probe_read_u64(NULL, &v), -EFAULT);
    KTEST_EXPECT_EQ(t, probe_read_u64((void *)0x200000, &v), -EFAULT);
}

/* Every usable page is in the direct map, writable, not executable. */
static void vm_direct_map_covers_ram(struct ktest *t)
{
    for (size_t i = 0; i < boot_info.nregions; i++) {
        const struct mem_region *r = &boot_info.regions[i];
        paddr_t first = ALIGN_UP(r->base, PAGE_SIZE), last = ALIGN_DOWN(r->base + r->length, PAGE_SIZE) - 1;
        if (r->type != MEM_USABLE || first > last)
            continue;
        paddr_t pa;
        KTEST_EXPECT_EQ(t, kernel_flags(phys_to_virt(first), &pa), noexec(VM_WRITE));
        KTEST_EXPECT_EQ(t, pa, first);
        KTEST_EXPECT_EQ(t, kernel_flags(phys_to_virt(last), &pa), noexec(VM_WRITE));
        KTEST_EXPECT_EQ(t, pa, last);
    }
}

static void vm_ioremap_maps_uncached(struct ktest *t)
{
    static const struct {
        paddr_t pa;
        size_t size;
    } devs[] = {{0xfee00000, 0x1000}, {0xfec00000, 0x20}, {0xfd000000, 16 << 20}, {0x4000000000ull, 0x3000}};
    for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
        void *v = ioremap(devs[i].pa, devs[i].size);
        KTEST_EXPECT(t, v == phys_to_virt(devs[i].pa));
        paddr_t pa;
        void *end = (char *)v + devs[i].size - 1;
        KTEST_EXPECT_EQ(t, kernel_flags(end, &pa), noexec(VM_WRITE | VM_UNCACHED));
        KTEST_EXPECT_EQ(t, pa, devs[i].pa + devs[i].size - 1);
    }
    /* The local APIC answers through its mapping: its version register is never all ones. */
    uint32_t version = *(volatile uint32_t *)((char *)ioremap(0xfee00000, 0x1000) + 0x30);
    KTEST_EXPECT(t, version != 0xffffffffu && (version & 0xff) != 0);
    KTEST_EXPECT(t, ioremap(0x1000, 0) == NULL);
    KTEST_EXPECT(t, ioremap(DIRECT_MAP_SIZE, 0x1000) == NULL);
    KTEST_EXPECT(t, ioremap(~0ull - 0xfff, 0x2000) == NULL);
}

KTEST_SUITE(vm, KTEST_CASE(vm_map_translate_protect_unmap), KTEST_CASE(vm_rejects_bad_requests),
            KTEST_CASE(vm_destroy_frees_all_tables), KTEST_CASE(vm_unmap_invalidates_tlb),
            KTEST_CASE(vm_kernel_image_is_wx), KTEST_CASE(vm_null_and_low_memory_unmapped),
            KTEST_CASE(vm_direct_map_covers_ram), KTEST_CASE(vm_ioremap_maps_uncached));
