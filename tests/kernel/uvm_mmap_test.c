/* KTAP tests of the memory-map operations on a struct mm: munmap and mprotect splitting VMAs, mremap
 * in place and by moving, madvise(MADV_DONTNEED), brk, stack growth and its guard gap, MAP_FIXED
 * rules, fault classification, and no page left behind. */
#include <kestrel/ktest.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/string.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>
#include <kestrel/vm.h>

#define BASE 0x20000000ull
#define RW   (PROT_READ | PROT_WRITE)
#define PF   (MAP_PRIVATE | MAP_FIXED)

static size_t settled_free_pages(void)
{
    struct mm *mm = mm_create();
    vaddr_t at;
    if (mm && mm_map_region(mm, BASE, 4 * PAGE_SIZE, RW, PF, &at) == 0) {
        mm_copy_to(mm, BASE, "x", 1);
        mm_unmap(mm, BASE + PAGE_SIZE, PAGE_SIZE);
        mm_protect(mm, BASE + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ);
    }
    mm_put(mm);
    return pmm_free_pages();
}

/* Writes one byte per page over [start, start + n pages) with value = page index + base. */
static int fill_pages(struct mm *mm, vaddr_t start, int n, char base)
{
    for (int i = 0; i < n; i++) {
        char c = (char)(base + i);
        int err = mm_copy_to(mm, start + i * PAGE_SIZE, &c, 1);
        if (err)
            return err;
    }
    return 0;
}

static char byte_at(struct mm *mm, vaddr_t va)
{
    char c = 0;
    mm_copy_from(mm, &c, va, 1);
    return c;
}

static void mmap_munmap_splits_and_frees(struct ktest *t)
{
    size_t before = settled_free_pages();
    struct mm *mm = mm_create();
    KTEST_ASSERT(t, mm != NULL);
    vaddr_t at;
    KTEST_ASSERT_EQ(t, mm_map_region(mm, BASE, 8 * PAGE_SIZE, RW, PF, &at), 0);
    KTEST_ASSERT_EQ(t, fill_pages(mm, BASE, 8, 'a'), 0);
    KTEST_EXPECT_EQ(t, mm->rss, 8);
    KTEST_EXPECT_EQ(t, mm_unmap(mm, BASE + 3 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
    KTEST_EXPECT_EQ(t, mm->rss, 6);
    KTEST_EXPECT_EQ(t, vma_set_validate(&mm->vmas), 2);
    KTEST_EXPECT(t, vma_find(&mm->vmas, BASE + 3 * PAGE_SIZE) == NULL);
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, BASE + 4 * PAGE_SIZE, FAULT_USER), -EFAULT);
    KTEST_EXPECT_EQ(t, byte_at(mm, BASE + 5 * PAGE_SIZE), 'f');
    /* Errors as Linux gives them. */
    KTEST_EXPECT_EQ(t, mm_unmap(mm, BASE + 1, PAGE_SIZE), -EINVAL);
    KTEST_EXPECT_EQ(t, mm_unmap(mm, BASE, 0), -EINVAL);
    KTEST_EXPECT_EQ(t, mm_unmap(mm, USER_TOP - PAGE_SIZE, 2 * PAGE_SIZE), -EINVAL);
    KTEST_EXPECT_EQ(t, mm_unmap(mm, 0x7000000000ull, PAGE_SIZE), 0); /* nothing there is fine */
    /* One call over both pieces and the hole. */
    KTEST_EXPECT_EQ(t, mm_unmap(mm, BASE, 8 * PAGE_SIZE), 0);
    KTEST_EXPECT_EQ(t, mm->rss, 0);
    KTEST_EXPECT_EQ(t, vma_set_validate(&mm->vmas), 0);
    mm_put(mm);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

static void mmap_argument_rules(struct ktest *t)
{
    struct mm *mm = mm_create();
    KTEST_ASSERT(t, mm != NULL);
    vaddr_t at;
    KTEST_EXPECT_EQ(t, mm_map_region(mm, 0, 0, RW, MAP_PRIVATE, &at), -EINVAL);
    KTEST_EXPECT_EQ(t, mm_map_region(mm, 0, PAGE_SIZE, RW, 0, &at), -EINVAL);             /* no type */
    KTEST_EXPECT_EQ(t, mm_map_region(mm, 0, PAGE_SIZE, 0x80, MAP_PRIVATE, &at), -EINVAL); /* bad prot */
    KTEST_EXPECT_EQ(t, mm_map_region(mm, BASE + 1, PAGE_SIZE, RW, PF, &at), -EINVAL);
    KTEST_EXPECT_EQ(t, mm_map_region(mm, 0, 1ull << 60, RW, MAP_PRIVATE, &at), -ENOMEM);
    KTEST_EXPECT_EQ(t, mm_map_region(mm, USER_TOP - PAGE_SIZE, 2 * PAGE_SIZE, RW, PF, &at), -ENOMEM);
    KTEST_EXPECT_EQ(t, mm_map_region(mm, 0x1000, PAGE_SIZE, RW, PF, &at), -EPERM); /* below mmap_min_addr */
    /* A hint is honoured when free; the next mapping goes below the previous one, top-down. */
    KTEST_EXPECT_EQ(t, mm_map_region(mm, BASE, PAGE_SIZE, RW, MAP_PRIVATE, &at), 0);
    KTEST_EXPECT_EQ(t, at, BASE);
    vaddr_t a1, a2;
    KTEST_EXPECT_EQ(t, mm_map_region(mm, 0, PAGE_SIZE, RW, MAP_PRIVATE, &a1), 0);
    KTEST_EXPECT_EQ(t, mm_map_region(mm, 0, 3000, PROT_READ, MAP_PRIVATE, &a2), 0);
    KTEST_EXPECT_EQ(t, a1, USER_MMAP_TOP - PAGE_SIZE);
    KTEST_EXPECT_EQ(t, a2, a1 - PAGE_SIZE);
    /* MAP_FIXED_NOREPLACE refuses to replace; MAP_FIXED replaces (and frees what was there). */
    KTEST_EXPECT_EQ(t, mm_map_region(mm, BASE, PAGE_SIZE, RW, MAP_PRIVATE | MAP_FIXED_NOREPLACE, &at),
                    -EEXIST);
    KTEST_EXPECT_EQ(t, mm_copy_to(mm, BASE, "old", 4), 0);
    KTEST_EXPECT_EQ(t, mm_map_region(mm, BASE, PAGE_SIZE, PROT_READ, PF, &at), 0);
    KTEST_EXPECT_EQ(t, byte_at(mm, BASE), 0);
    KTEST_EXPECT_EQ(t, mm->rss, 0);
    mm_put(mm);
}

static void mprotect_splits_and_enforces(struct ktest *t)
{
    size_t before = settled_free_pages();
    struct mm *mm = mm_create();
    KTEST_ASSERT(t, mm != NULL);
    vaddr_t at;
    KTEST_ASSERT_EQ(t, mm_map_region(mm, BASE, 4 * PAGE_SIZE, RW, PF, &at), 0);
    KTEST_ASSERT_EQ(t, fill_pages(mm, BASE, 4, 'a'), 0);
    KTEST_EXPECT_EQ(t, mm_protect(mm, BASE + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
    KTEST_EXPECT_EQ(t, vma_set_validate(&mm->vmas), 3);
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, BASE + PAGE_SIZE, FAULT_USER | FAULT_WRITE | FAULT_PRESENT),
                    -EACCES);
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, BASE + PAGE_SIZE, FAULT_USER | FAULT_FETCH | FAULT_PRESENT),
                    -EACCES);
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, BASE + PAGE_SIZE, FAULT_USER | FAULT_PRESENT), 0);
    unsigned flags;
    KTEST_EXPECT_EQ(t, vm_translate(mm->space, BASE + PAGE_SIZE, NULL, &flags), 0);
    KTEST_EXPECT(t, !(flags & VM_WRITE));
    KTEST_EXPECT_EQ(t, vm_translate(mm->space, BASE, NULL, &flags), 0);
    KTEST_EXPECT(t, flags & VM_WRITE);
    /* PROT_NONE keeps the contents but takes the page from user mode. */
    KTEST_EXPECT_EQ(t, mm_protect(mm, BASE + 2 * PAGE_SIZE, PAGE_SIZE, PROT_NONE), 0);
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, BASE + 2 * PAGE_SIZE, FAULT_USER | FAULT_PRESENT), -EACCES);
    KTEST_EXPECT_EQ(t, vm_translate(mm->space, BASE + 2 * PAGE_SIZE, NULL, &flags), 0);
    KTEST_EXPECT(t, !(flags & VM_USER));
    KTEST_EXPECT_EQ(t, mm_protect(mm, BASE, 4 * PAGE_SIZE, RW), 0);
    KTEST_EXPECT_EQ(t, byte_at(mm, BASE + 2 * PAGE_SIZE), 'c');
    KTEST_EXPECT_EQ(t, vma_set_validate(&mm->vmas), 1); /* merged back */
    /* Holes and bad arguments. */
    KTEST_EXPECT_EQ(t, mm_protect(mm, BASE, 5 * PAGE_SIZE, PROT_READ), -ENOMEM);
    KTEST_EXPECT_EQ(t, mm_protect(mm, BASE + 1, PAGE_SIZE, PROT_READ), -EINVAL);
    KTEST_EXPECT_EQ(t, mm_protect(mm, BASE, PAGE_SIZE, 0x40), -EINVAL);
    mm_put(mm);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

static void mremap_grows_shrinks_and_moves(struct ktest *t)
{
    size_t before = settled_free_pages();
    struct mm *mm = mm_create();
    KTEST_ASSERT(t, mm != NULL);
    vaddr_t at, got;
    KTEST_ASSERT_EQ(t, mm_map_region(mm, BASE, 2 * PAGE_SIZE, RW, PF, &at), 0);
    KTEST_ASSERT_EQ(t, fill_pages(mm, BASE, 2, 'a'), 0);
    /* In place: nothing above. */
    KTEST_EXPECT_EQ(t, mm_remap(mm, BASE, 2 * PAGE_SIZE, 4 * PAGE_SIZE, 0, 0, &got), 0);
    KTEST_EXPECT_EQ(t, got, BASE);
    KTEST_EXPECT_EQ(t, vma_find(&mm->vmas, BASE + 3 * PAGE_SIZE)->end, BASE + 4 * PAGE_SIZE);
    /* Blocked above: fails without MREMAP_MAYMOVE, moves with it (contents and all). */
    KTEST_ASSERT_EQ(t, mm_map_region(mm, BASE + 4 * PAGE_SIZE, PAGE_SIZE, PROT_READ, PF, &at), 0);
    KTEST_EXPECT_EQ(t, mm_remap(mm, BASE, 4 * PAGE_SIZE, 6 * PAGE_SIZE, 0, 0, &got), -ENOMEM);
    KTEST_EXPECT_EQ(t, mm_remap(mm, BASE, 4 * PAGE_SIZE, 6 * PAGE_SIZE, MREMAP_MAYMOVE, 0, &got), 0);
    KTEST_EXPECT(t, got != BASE);
    KTEST_EXPECT_EQ(t, byte_at(mm, got), 'a');
    KTEST_EXPECT_EQ(t, byte_at(mm, got + PAGE_SIZE), 'b');
    KTEST_EXPECT(t, vma_find(&mm->vmas, BASE) == NULL);
    KTEST_EXPECT_EQ(t, mm->rss, 2);
    /* Shrink. */
    vaddr_t moved = got;
    KTEST_EXPECT_EQ(t, mm_remap(mm, moved, 6 * PAGE_SIZE, PAGE_SIZE, 0, 0, &got), 0);
    KTEST_EXPECT_EQ(t, got, moved);
    KTEST_EXPECT_EQ(t, mm->rss, 1);
    /* To a fixed place, replacing what was there. */
    KTEST_EXPECT_EQ(
        t,
        mm_remap(mm, moved, PAGE_SIZE, PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, BASE + 4 * PAGE_SIZE, &got),
        0);
    KTEST_EXPECT_EQ(t, got, BASE + 4 * PAGE_SIZE);
    KTEST_EXPECT_EQ(t, byte_at(mm, got), 'a');
    KTEST_EXPECT_EQ(t, vma_find(&mm->vmas, got)->prot, RW);
    /* Errors. */
    KTEST_EXPECT_EQ(t, mm_remap(mm, BASE, PAGE_SIZE, 2 * PAGE_SIZE, MREMAP_MAYMOVE, 0, &got), -EFAULT);
    KTEST_EXPECT_EQ(t, mm_remap(mm, got + 1, PAGE_SIZE, PAGE_SIZE, 0, 0, &got), -EINVAL);
    KTEST_EXPECT_EQ(t, mm_remap(mm, got, PAGE_SIZE, PAGE_SIZE, MREMAP_FIXED, BASE, &got), -EINVAL);
    KTEST_EXPECT_EQ(t, mm_remap(mm, got, PAGE_SIZE, 0, 0, 0, &got), -EINVAL);
    KTEST_EXPECT_EQ(t, vma_set_validate(&mm->vmas), 1);
    mm_put(mm);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

static void madvise_dontneed_zeroes_private_keeps_shared(struct ktest *t)
{
    size_t before = settled_free_pages();
    struct mm *mm = mm_create();
    KTEST_ASSERT(t, mm != NULL);
    vaddr_t priv, shared;
    KTEST_ASSERT_EQ(t, mm_map_region(mm, BASE, 2 * PAGE_SIZE, RW, PF, &priv), 0);
    KTEST_ASSERT_EQ(t, mm_map_region(mm, 0, 2 * PAGE_SIZE, RW, MAP_SHARED, &shared), 0);
    KTEST_ASSERT_EQ(t, fill_pages(mm, priv, 2, 'p'), 0);
    KTEST_ASSERT_EQ(t, fill_pages(mm, shared, 2, 's'), 0);
    KTEST_EXPECT_EQ(t, mm_advise(mm, priv, 2 * PAGE_SIZE, MADV_DONTNEED), 0);
    KTEST_EXPECT_EQ(t, mm_advise(mm, shared, 2 * PAGE_SIZE, MADV_DONTNEED), 0);
    KTEST_EXPECT_EQ(t, mm->rss, 0);
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, priv, FAULT_USER), 0);
    KTEST_EXPECT_EQ(t, byte_at(mm, priv), 0);
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, shared + PAGE_SIZE, FAULT_USER), 0);
    KTEST_EXPECT_EQ(t, byte_at(mm, shared + PAGE_SIZE), 't');
    KTEST_EXPECT_EQ(t, mm_advise(mm, priv + 1, PAGE_SIZE, MADV_DONTNEED), -EINVAL);
    KTEST_EXPECT_EQ(t, mm_advise(mm, priv, PAGE_SIZE, 12345), -EINVAL);
    KTEST_EXPECT_EQ(t, mm_advise(mm, 0x7000000000ull, PAGE_SIZE, MADV_DONTNEED), -ENOMEM);
    KTEST_EXPECT_EQ(t, mm_advise(mm, priv, PAGE_SIZE, MADV_WILLNEED), 0);
    mm_put(mm);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

static void brk_grows_and_shrinks(struct ktest *t)
{
    size_t before = settled_free_pages();
    struct mm *mm = mm_create();
    KTEST_ASSERT(t, mm != NULL);
    mm->brk_start = mm->brk = BASE;
    KTEST_EXPECT_EQ(t, mm_brk(mm, 0), BASE);
    KTEST_EXPECT_EQ(t, mm_brk(mm, BASE - 1), BASE);
    KTEST_EXPECT_EQ(t, mm_brk(mm, BASE + 100), BASE + 100);
    KTEST_EXPECT_EQ(t, mm_copy_to(mm, BASE + 99, "x", 1), 0);
    KTEST_EXPECT_EQ(t, mm_brk(mm, BASE + 3 * PAGE_SIZE), BASE + 3 * PAGE_SIZE);
    KTEST_EXPECT_EQ(t, mm_copy_to(mm, BASE + 3 * PAGE_SIZE - 1, "y", 1), 0);
    KTEST_EXPECT_EQ(t, vma_set_validate(&mm->vmas), 1);
    KTEST_EXPECT_EQ(t, mm_brk(mm, BASE + 10), BASE + 10);
    KTEST_EXPECT_EQ(t, mm->rss, 1);
    KTEST_EXPECT_EQ(t, mm_copy_to(mm, BASE + PAGE_SIZE, "z", 1), -EFAULT);
    /* A mapping in the way stops growth, and the break stays where it was. */
    vaddr_t at;
    KTEST_ASSERT_EQ(t, mm_map_region(mm, BASE + 2 * PAGE_SIZE, PAGE_SIZE, RW, PF, &at), 0);
    KTEST_EXPECT_EQ(t, mm_brk(mm, BASE + 4 * PAGE_SIZE), BASE + 10);
    mm_put(mm);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

static void stack_grows_within_limit_and_gap(struct ktest *t)
{
    size_t before = settled_free_pages();
    struct mm *mm = mm_create();
    KTEST_ASSERT(t, mm != NULL);
    vaddr_t top = USER_STACK_TOP, at;
    KTEST_ASSERT_EQ(t, mm_map_region(mm, top - 4 * PAGE_SIZE, 4 * PAGE_SIZE, RW, PF | MAP_GROWSDOWN, &at), 0);
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, top - 100 * PAGE_SIZE + 8, FAULT_USER | FAULT_WRITE), 0);
    KTEST_EXPECT_EQ(t, vma_find(&mm->vmas, top - 1)->start, top - 100 * PAGE_SIZE);
    /* Past RLIMIT_STACK. */
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, top - USER_STACK_LIMIT - PAGE_SIZE, FAULT_USER | FAULT_WRITE),
                    -EFAULT);
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, top - USER_STACK_LIMIT, FAULT_USER | FAULT_WRITE), 0);
    /* A mapping below: growth stops a guard gap short of it. */
    vaddr_t low = top - USER_STACK_LIMIT - 4 * STACK_GUARD_GAP;
    KTEST_ASSERT_EQ(t, mm_map_region(mm, low, PAGE_SIZE, RW, PF, &at), 0);
    mm->stack_limit = 1ull << 30;
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, low + PAGE_SIZE + STACK_GUARD_GAP - 1, FAULT_USER), -EFAULT);
    KTEST_EXPECT_EQ(t, mm_handle_fault(mm, low + PAGE_SIZE + STACK_GUARD_GAP, FAULT_USER), 0);
    KTEST_EXPECT_EQ(t, vma_set_validate(&mm->vmas), 2);
    KTEST_EXPECT_EQ(t, mm->rss, 3);
    mm_put(mm);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

static void fork_chain_frees_everything(struct ktest *t)
{
    size_t before = settled_free_pages();
    struct mm *a = mm_create();
    KTEST_ASSERT(t, a != NULL);
    vaddr_t at;
    KTEST_ASSERT_EQ(t, mm_map_region(a, BASE, 16 * PAGE_SIZE, RW, PF, &at), 0);
    KTEST_ASSERT_EQ(t, fill_pages(a, BASE, 16, 'A'), 0);
    struct mm *b = mm_fork(a);
    KTEST_ASSERT(t, b != NULL);
    KTEST_ASSERT_EQ(t, fill_pages(b, BASE, 8, 'a'), 0);
    struct mm *c = mm_fork(b);
    KTEST_ASSERT(t, c != NULL);
    KTEST_ASSERT_EQ(t, fill_pages(a, BASE + 8 * PAGE_SIZE, 8, '0'), 0);
    KTEST_EXPECT_EQ(t, mm_unmap(c, BASE + 4 * PAGE_SIZE, 4 * PAGE_SIZE), 0);
    KTEST_EXPECT_EQ(t, byte_at(a, BASE), 'A');
    KTEST_EXPECT_EQ(t, byte_at(b, BASE), 'a');
    KTEST_EXPECT_EQ(t, byte_at(c, BASE), 'a');
    KTEST_EXPECT_EQ(t, byte_at(a, BASE + 8 * PAGE_SIZE), '0');
    KTEST_EXPECT_EQ(t, byte_at(c, BASE + 8 * PAGE_SIZE), 'I');
    KTEST_EXPECT_EQ(t, byte_at(b, BASE + 4 * PAGE_SIZE), 'e');
    mm_put(b);
    KTEST_EXPECT_EQ(t, byte_at(c, BASE + 15 * PAGE_SIZE), 'P');
    mm_put(a);
    mm_put(c);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
}

KTEST_SUITE(uvm_mmap, KTEST_CASE(mmap_munmap_splits_and_frees), KTEST_CASE(mmap_argument_rules),
            KTEST_CASE(mprotect_splits_and_enforces), KTEST_CASE(mremap_grows_shrinks_and_moves),
            KTEST_CASE(madvise_dontneed_zeroes_private_keeps_shared), KTEST_CASE(brk_grows_and_shrinks),
            KTEST_CASE(stack_grows_within_limit_and_gap), KTEST_CASE(fork_chain_frees_everything));
