/* KTAP tests of user address spaces: demand-zero faults through copy_to_user, every -EFAULT case of the
 * uaccess helpers, copy-on-write fork, ELF loading (static and PIE) and the initial stack, with the
 * free-page count back where it started after each. */
#include <kestrel/elf.h>
#include <kestrel/ktest.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/string.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>
#include <kestrel/vm.h>

#define BASE 0x10000000ull

/* A free-page count that ignores slab caches warming up: one full cycle runs before it is taken. */
static size_t settled_free_pages(void)
{
    struct mm *mm = mm_create();
    vaddr_t at;
    if (mm &&
        mm_map_region(mm, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, &at) == 0)
        mm_copy_to(mm, BASE, "x", 1);
    if (mm && mm_map_region(mm, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, &at) == 0)
        mm_copy_to(mm, at, "x", 1);
    struct mm *child = mm ? mm_fork(mm) : NULL;
    mm_put(child);
    mm_put(mm);
    return pmm_free_pages();
}

static void uvm_create_and_put_do_not_leak(struct ktest *t)
{
    size_t before = settled_free_pages();
    for (int i = 0; i < 8; i++) {
        struct mm *mm = mm_create();
        KTEST_ASSERT(t, mm != NULL);
        vaddr_t at;
        KTEST_EXPECT_EQ(t, mm_map_region(mm, 0, 64 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, &at), 0);
        KTEST_EXPECT(t, at >= USER_MIN_ADDR && at + 64 * PAGE_SIZE <= USER_MMAP_TOP);
        KTEST_EXPECT_EQ(t, mm_copy_to(mm, at + 5 * PAGE_SIZE, "hello", 6), 0);
        KTEST_EXPECT_EQ(t, mm->rss, 1);
        mm_put(mm);
    }
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

static void uvm_demand_zero_through_uaccess(struct ktest *t)
{
    size_t before = settled_free_pages();
    struct mm *mm = mm_create();
    KTEST_ASSERT(t, mm != NULL);
    vaddr_t at;
    KTEST_ASSERT_EQ(
        t, mm_map_region(mm, BASE, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, &at), 0);
    mm_activate(mm);
    char buf[32] = "not zero";
    KTEST_EXPECT_EQ(t, copy_from_user(buf, (void *)(BASE + 3 * PAGE_SIZE + 100), 8), 0);
    KTEST_EXPECT_EQ(t, memcmp(buf, "\0\0\0\0\0\0\0\0", 8), 0);
    /* A copy that straddles two pages faults both in. */
    KTEST_EXPECT_EQ(t, copy_to_user((void *)(BASE + 2 * PAGE_SIZE - 3), "abcdef", 7), 0);
    KTEST_EXPECT_EQ(t, copy_from_user(buf, (void *)(BASE + 2 * PAGE_SIZE - 3), 7), 0);
    KTEST_EXPECT_EQ(t, strcmp(buf, "abcdef"), 0);
    KTEST_EXPECT_EQ(t, strncpy_from_user(buf, (void *)(BASE + 2 * PAGE_SIZE - 3), sizeof(buf)), 6);
    KTEST_EXPECT_EQ(t, strncpy_from_user(buf, (void *)(BASE + 2 * PAGE_SIZE - 3), 4), -ENAMETOOLONG);
    KTEST_EXPECT_EQ(t, clear_user((void *)(BASE + 2 * PAGE_SIZE - 3), 2), 0);
    KTEST_EXPECT_EQ(t, strncpy_from_user(buf, (void *)(BASE + 2 * PAGE_SIZE - 3), sizeof(buf)), 0);
    KTEST_EXPECT_EQ(t, mm->rss, 3);
    mm_activate(NULL);
    mm_put(mm);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

static void uvm_uaccess_bad_pointers_give_efault(struct ktest *t)
{
    struct mm *mm = mm_create();
    KTEST_ASSERT(t, mm != NULL);
    vaddr_t at;
    KTEST_ASSERT_EQ(t, mm_map_region(mm, BASE, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_FIXED, &at), 0);
    mm_activate(mm);
    char buf[16];
    static const char kernel_data[16] = "kernel";
    KTEST_EXPECT_EQ(t, copy_from_user(buf, NULL, 1), -EFAULT);
    KTEST_EXPECT_EQ(t, copy_from_user(buf, (void *)(BASE + PAGE_SIZE), 1), -EFAULT); /* unmapped */
    KTEST_EXPECT_EQ(t, copy_from_user(buf, kernel_data, 1), -EFAULT);
    KTEST_EXPECT_EQ(t, copy_from_user(buf, (void *)0x8000000000000000ull, 1), -EFAULT);
    KTEST_EXPECT_EQ(t, copy_from_user(buf, (void *)(USER_TOP - 8), 16), -EFAULT); /* crosses the top */
    KTEST_EXPECT_EQ(t, copy_from_user(buf, (void *)~0ull, 2), -EFAULT);           /* wraps around */
    KTEST_EXPECT_EQ(t, copy_to_user((void *)BASE, "x", 1), -EFAULT);              /* read-only */
    KTEST_EXPECT_EQ(t, copy_to_user((void *)kernel_data, "x", 1), -EFAULT);
    KTEST_EXPECT_EQ(t, clear_user(NULL, 4), -EFAULT);
    KTEST_EXPECT_EQ(t, strncpy_from_user(buf, NULL, sizeof(buf)), -EFAULT);
    KTEST_EXPECT_EQ(t, strncpy_from_user(buf, kernel_data, sizeof(buf)), -EFAULT);
    KTEST_EXPECT_EQ(t, copy_from_user(buf, (void *)BASE, 16), 0); /* readable: zeroes */
    KTEST_EXPECT_EQ(t, kernel_data[0], 'k');
    mm_activate(NULL);
    mm_put(mm);
}

static uint64_t read_u64(struct mm *mm, vaddr_t va)
{
    uint64_t v = 0;
    mm_copy_from(mm, &v, va, sizeof(v));
    return v;
}

static void uvm_fork_is_copy_on_write(struct ktest *t)
{
    size_t before = settled_free_pages();
    struct mm *parent = mm_create();
    KTEST_ASSERT(t, parent != NULL);
    vaddr_t at;
    KTEST_ASSERT_EQ(
        t, mm_map_region(parent, BASE, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, &at),
        0);
    uint64_t one = 1, two = 2, three = 3;
    KTEST_ASSERT_EQ(t, mm_copy_to(parent, BASE, &one, 8), 0);
    KTEST_ASSERT_EQ(t, mm_copy_to(parent, BASE + PAGE_SIZE, &one, 8), 0);
    size_t after_parent = pmm_free_pages();
    struct mm *child = mm_fork(parent);
    KTEST_ASSERT(t, child != NULL);
    KTEST_EXPECT_EQ(t, child->rss, 2);
    /* Sharing costs no data pages (only page tables). */
    KTEST_EXPECT(t, after_parent - pmm_free_pages() <= 4);
    paddr_t pa_parent, pa_child;
    unsigned fl_parent, fl_child;
    KTEST_EXPECT_EQ(t, vm_translate(parent->space, BASE, &pa_parent, &fl_parent), 0);
    KTEST_EXPECT_EQ(t, vm_translate(child->space, BASE, &pa_child, &fl_child), 0);
    KTEST_EXPECT_EQ(t, pa_parent, pa_child);
    KTEST_EXPECT(t, !(fl_parent & VM_WRITE) && !(fl_child & VM_WRITE));
    /* The child writes: it gets its own copy, the parent keeps the old value. */
    mm_activate(child);
    KTEST_EXPECT_EQ(t, copy_to_user((void *)BASE, &two, 8), 0);
    mm_activate(parent);
    KTEST_EXPECT_EQ(t, read_u64(parent, BASE), 1);
    KTEST_EXPECT_EQ(t, read_u64(child, BASE), 2);
    /* The parent writes the page nobody else maps any more: taken over in place, no copy. */
    KTEST_EXPECT_EQ(t, copy_to_user((void *)BASE, &three, 8), 0);
    paddr_t pa_after;
    KTEST_EXPECT_EQ(t, vm_translate(parent->space, BASE, &pa_after, NULL), 0);
    KTEST_EXPECT_EQ(t, pa_after, pa_parent);
    KTEST_EXPECT_EQ(t, read_u64(child, BASE), 2);
    mm_activate(NULL);
    KTEST_EXPECT_EQ(t, read_u64(child, BASE + PAGE_SIZE), 1);
    mm_put(parent);
    KTEST_EXPECT_EQ(t, read_u64(child, BASE + PAGE_SIZE), 1); /* still there: the child holds it */
    mm_put(child);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

static void uvm_shared_anonymous_stays_shared_across_fork(struct ktest *t)
{
    size_t before = settled_free_pages();
    struct mm *parent = mm_create();
    KTEST_ASSERT(t, parent != NULL);
    vaddr_t at;
    KTEST_ASSERT_EQ(t, mm_map_region(parent, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, &at), 0);
    uint64_t v = 7;
    KTEST_ASSERT_EQ(t, mm_copy_to(parent, at, &v, 8), 0);
    struct mm *child = mm_fork(parent);
    KTEST_ASSERT(t, child != NULL);
    mm_activate(child);
    v = 8;
    KTEST_EXPECT_EQ(t, copy_to_user((void *)(at + PAGE_SIZE), &v, 8), 0);
    KTEST_EXPECT_EQ(t, copy_from_user(&v, (void *)at, 8), 0);
    KTEST_EXPECT_EQ(t, v, 7);
    mm_activate(NULL);
    KTEST_EXPECT_EQ(t, read_u64(parent, at + PAGE_SIZE), 0); /* not faulted in the parent yet */
    mm_activate(parent);
    KTEST_EXPECT_EQ(t, copy_from_user(&v, (void *)(at + PAGE_SIZE), 8), 0);
    KTEST_EXPECT_EQ(t, v, 8);
    mm_activate(NULL);
    mm_put(child);
    mm_put(parent);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

/* A two-segment executable: code at 0x401000 (entry), data at 0x402010 followed by bss. */
static struct {
    struct elf64_ehdr eh;
    struct elf64_phdr ph[3];
    uint8_t pad[0x1000 - 64 - 3 * 56];
    uint8_t code[16];
    uint8_t data[16];
} __attribute__((packed)) test_elf;

static void build_test_elf(bool pie)
{
    vaddr_t base = pie ? 0 : 0x400000;
    memset(&test_elf, 0, sizeof(test_elf));
    memcpy(test_elf.eh.e_ident, "\177ELF", 4);
    test_elf.eh.e_ident[EI_CLASS] = ELFCLASS64;
    test_elf.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    test_elf.eh.e_ident[EI_VERSION] = EV_CURRENT;
    test_elf.eh.e_type = pie ? ET_DYN : ET_EXEC;
    test_elf.eh.e_machine = EM_X86_64;
    test_elf.eh.e_version = EV_CURRENT;
    test_elf.eh.e_entry = base + 0x1000;
    test_elf.eh.e_phoff = 64;
    test_elf.eh.e_ehsize = 64;
    test_elf.eh.e_phentsize = sizeof(struct elf64_phdr);
    test_elf.eh.e_phnum = 3;
    test_elf.ph[0] = (struct elf64_phdr){PT_PHDR, PF_R, 64, base + 64, base + 64, 3 * 56, 3 * 56, 8};
    test_elf.ph[1] = (struct elf64_phdr){PT_LOAD, PF_R | PF_X, 0, base, base, 0x1010, 0x1010, 0x1000};
    test_elf.ph[2] =
        (struct elf64_phdr){PT_LOAD, PF_R | PF_W, 0x1010, base + 0x2010, base + 0x2010, 0x10, 0x3000, 0x1000};
    memcpy(test_elf.code, "\xf4\xeb\xfd codebytes", 14);
    memcpy(test_elf.data, "initialised", 12);
}

static void check_loaded(struct ktest *t, struct mm *mm, vaddr_t base)
{
    char buf[16];
    mm_copy_from(mm, buf, base + 0x1004, 10);
    KTEST_EXPECT_EQ(t, memcmp(buf, "codebytes", 9), 0);
    mm_copy_from(mm, buf, base + 0x2010, 12);
    KTEST_EXPECT_EQ(t, strcmp(buf, "initialised"), 0);
    KTEST_EXPECT_EQ(t, read_u64(mm, base + 0x2020), 0); /* bss in the file's last page */
    KTEST_EXPECT_EQ(t, read_u64(mm, base + 0x4ff8), 0); /* bss pages */
    KTEST_EXPECT_EQ(t, mm->brk_start, base + 0x6000);
    struct vma *code = vma_find(&mm->vmas, base + 0x1000), *data = vma_find(&mm->vmas, base + 0x2010);
    KTEST_ASSERT(t, code && data);
    KTEST_EXPECT_EQ(t, code->prot, PROT_READ | PROT_EXEC);
    KTEST_EXPECT_EQ(t, data->prot, PROT_READ | PROT_WRITE);
    KTEST_EXPECT(t, vma_find(&mm->vmas, base + 0x6000) == NULL);
}

static void uvm_loads_static_and_pie_elf(struct ktest *t)
{
    size_t before = settled_free_pages();
    for (int pie = 0; pie < 2; pie++) {
        build_test_elf(pie);
        struct elf_info info;
        KTEST_ASSERT_EQ(t, elf_parse(&test_elf, sizeof(test_elf), &info), 0);
        struct mm *mm = mm_create();
        KTEST_ASSERT(t, mm != NULL);
        vaddr_t entry, bias;
        KTEST_EXPECT_EQ(t, mm_load_elf(mm, &test_elf, sizeof(test_elf), &info, &entry, &bias), 0);
        vaddr_t base = pie ? USER_PIE_BASE : 0x400000;
        KTEST_EXPECT_EQ(t, bias, pie ? USER_PIE_BASE : 0);
        KTEST_EXPECT_EQ(t, entry, base + 0x1000);
        check_loaded(t, mm, base);
        mm_put(mm);
    }
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

/* The auxv value for type, or ~0 when absent. */
static uint64_t auxv_get(struct mm *mm, vaddr_t auxv, uint64_t type)
{
    for (int i = 0; i < 40; i++) {
        uint64_t k = read_u64(mm, auxv + 16 * i), v = read_u64(mm, auxv + 16 * i + 8);
        if (k == type)
            return v;
        if (k == 0)
            break;
    }
    return ~0ull;
}

static void uvm_initial_stack_layout(struct ktest *t)
{
    size_t before = settled_free_pages();
    build_test_elf(false);
    struct elf_info info;
    KTEST_ASSERT_EQ(t, elf_parse(&test_elf, sizeof(test_elf), &info), 0);
    struct mm *mm = mm_create();
    KTEST_ASSERT(t, mm != NULL);
    vaddr_t entry, bias, sp;
    KTEST_ASSERT_EQ(t, mm_load_elf(mm, &test_elf, sizeof(test_elf), &info, &entry, &bias), 0);
    char *argv[] = {"/bin/prog", "arg1", NULL}, *envp[] = {"HOME=/", NULL};
    struct exec_params p = {.info = &info, .execfn = "/bin/prog", .uid = 5, .euid = 6, .gid = 7, .egid = 8};
    KTEST_ASSERT_EQ(t, mm_setup_stack(mm, argv, envp, &p, &sp), 0);
    KTEST_EXPECT_EQ(t, sp % 16, 0);
    KTEST_EXPECT(t, sp < USER_STACK_TOP && sp > USER_STACK_TOP - 8192);
    KTEST_EXPECT_EQ(t, read_u64(mm, sp), 2);
    char s[16];
    mm_copy_from(mm, s, read_u64(mm, sp + 8), 10);
    KTEST_EXPECT_EQ(t, strcmp(s, "/bin/prog"), 0);
    mm_copy_from(mm, s, read_u64(mm, sp + 16), 5);
    KTEST_EXPECT_EQ(t, strcmp(s, "arg1"), 0);
    KTEST_EXPECT_EQ(t, read_u64(mm, sp + 24), 0);
    mm_copy_from(mm, s, read_u64(mm, sp + 32), 7);
    KTEST_EXPECT_EQ(t, strcmp(s, "HOME=/"), 0);
    KTEST_EXPECT_EQ(t, read_u64(mm, sp + 40), 0);
    vaddr_t auxv = sp + 48;
    KTEST_EXPECT_EQ(t, auxv_get(mm, auxv, 6), PAGE_SIZE); /* AT_PAGESZ */
    KTEST_EXPECT_EQ(t, auxv_get(mm, auxv, 9), 0x401000);  /* AT_ENTRY */
    KTEST_EXPECT_EQ(t, auxv_get(mm, auxv, 3), 0x400040);  /* AT_PHDR */
    KTEST_EXPECT_EQ(t, auxv_get(mm, auxv, 5), 3);         /* AT_PHNUM */
    KTEST_EXPECT_EQ(t, auxv_get(mm, auxv, 12), 6);        /* AT_EUID */
    KTEST_EXPECT_EQ(t, auxv_get(mm, auxv, 14), 8);        /* AT_EGID */
    KTEST_EXPECT_EQ(t, auxv_get(mm, auxv, 17), 100);      /* AT_CLKTCK */
    KTEST_EXPECT_EQ(t, auxv_get(mm, auxv, 33), ~0ull);    /* no AT_SYSINFO_EHDR */
    vaddr_t rnd = auxv_get(mm, auxv, 25), execfn = auxv_get(mm, auxv, 31), plat = auxv_get(mm, auxv, 15);
    KTEST_EXPECT(t, rnd > sp && rnd + 16 <= USER_STACK_TOP);
    mm_copy_from(mm, s, execfn, 10);
    KTEST_EXPECT_EQ(t, strcmp(s, "/bin/prog"), 0);
    KTEST_EXPECT_EQ(t, execfn + 10, USER_STACK_TOP - 8); /* the file name is topmost */
    mm_copy_from(mm, s, plat, 7);
    KTEST_EXPECT_EQ(t, strcmp(s, "x86_64"), 0);
    KTEST_EXPECT_EQ(t, mm->arg_start, read_u64(mm, sp + 8));
    mm_put(mm);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

KTEST_SUITE(uvm_basic, KTEST_CASE(uvm_create_and_put_do_not_leak),
            KTEST_CASE(uvm_demand_zero_through_uaccess), KTEST_CASE(uvm_uaccess_bad_pointers_give_efault),
            KTEST_CASE(uvm_fork_is_copy_on_write), KTEST_CASE(uvm_shared_anonymous_stays_shared_across_fork),
            KTEST_CASE(uvm_loads_static_and_pie_elf), KTEST_CASE(uvm_initial_stack_layout));
