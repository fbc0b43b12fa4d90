/* KTAP tests of the real page allocator: alignment, counters, exhaustion and recovery, reservations. */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <kestrel/buddy.h>
#include <kestrel/ktest.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>

extern char __text_start[], __data_start[];

static void buddy_blocks_aligned_and_counted(struct ktest *t)
{
    size_t base = pmm_free_pages();
    struct page *p[BUDDY_NR_ORDERS];
    size_t taken = 0;
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        p[k] = alloc_pages(k);
        KTEST_ASSERT(t, p[k] != NULL);
        KTEST_EXPECT_EQ(t, page_to_phys(p[k]) % (PAGE_SIZE << k), 0);
        KTEST_EXPECT(t, p[k]->flags & PG_ALLOCATED);
        taken += 1u << k;
    }
    KTEST_EXPECT_EQ(t, pmm_free_pages(), base - taken);
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
        free_pages(p[k], k);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), base);
    KTEST_EXPECT(t, alloc_pages(BUDDY_MAX_ORDER + 1) == NULL);
}

/* Takes every block of one order, chaining them through their own first word; returns the count. */
static size_t take_all(unsigned order, void **chain)
{
    size_t n = 0;
    struct page *p;
    while ((p = alloc_pages(order)) != NULL) {
        void **v = page_address(p);
        *v = *chain;
        *chain = v;
        n++;
    }
    return n;
}

static void give_back(unsigned order, void *chain)
{
    while (chain) {
        void *next = *(void **)chain;
        free_pages(virt_to_page(chain), order);
        chain = next;
    }
}

static void buddy_exhaustion_and_recovery(struct ktest *t)
{
    /* Interrupts off: a handler must not see (or be blamed for) the memory running out. */
    uint64_t irq = irq_save();
    size_t base = pmm_free_pages();
    void *big = NULL, *small = NULL;
    size_t nbig = take_all(BUDDY_MAX_ORDER, &big);
    size_t nsmall = take_all(0, &small);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), 0);
    KTEST_EXPECT_EQ(t, (nbig << BUDDY_MAX_ORDER) + nsmall, base);
    KTEST_EXPECT(t, alloc_pages(0) == NULL);
    KTEST_EXPECT(t, alloc_page_virt() == NULL);
    give_back(0, small);
    give_back(BUDDY_MAX_ORDER, big);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), base);
    /* The single pages merged back: as many largest blocks are to be had as before. */
    big = NULL;
    KTEST_EXPECT_EQ(t, take_all(BUDDY_MAX_ORDER, &big), nbig);
    give_back(BUDDY_MAX_ORDER, big);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), base);
    irq_restore(irq);
}

static void buddy_pages_hold_data(struct ktest *t)
{
    uint64_t *a = alloc_zeroed_page_virt(), *b = alloc_page_virt();
    KTEST_ASSERT(t, a && b && a != b);
    bool zero = true;
    for (size_t i = 0; i < PAGE_SIZE / 8; i++) {
        zero &= a[i] == 0;
        b[i] = i * 0x9e3779b97f4a7c15ull;
    }
    KTEST_EXPECT(t, zero);
    bool same = true;
    for (size_t i = 0; i < PAGE_SIZE / 8; i++)
        same &= b[i] == i * 0x9e3779b97f4a7c15ull;
    KTEST_EXPECT(t, same);
    KTEST_EXPECT(t, page_address(virt_to_page(b)) == b);
    KTEST_EXPECT(t, phys_to_page(virt_to_phys(a)) == virt_to_page(a));
    free_page_virt(a);
    free_page_virt(b);
}

static void buddy_reserved_memory_is_never_free(struct ktest *t)
{
    KTEST_EXPECT(t, phys_to_page(0)->flags & PG_RESERVED);
    KTEST_EXPECT(t, phys_to_page(0x9f000)->flags & PG_RESERVED);
    KTEST_EXPECT(t, phys_to_page(virt_to_phys(__text_start))->flags & PG_RESERVED);
    KTEST_EXPECT(t, phys_to_page(virt_to_phys(__data_start))->flags & PG_RESERVED);
    KTEST_EXPECT(t, phys_to_page(virt_to_phys(mem_map))->flags & PG_RESERVED);
    KTEST_EXPECT(t, phys_to_page(virt_to_phys(&mem_map[max_pfn - 1]))->flags & PG_RESERVED);
    KTEST_EXPECT(t, phys_to_page((paddr_t)max_pfn << PAGE_SHIFT) == NULL);
    KTEST_EXPECT(t, pmm_total_pages() > pmm_free_pages());
    KTEST_EXPECT(t, pmm_total_pages() <= max_pfn);
}

KTEST_SUITE(buddy, KTEST_CASE(buddy_blocks_aligned_and_counted), KTEST_CASE(buddy_exhaustion_and_recovery),
            KTEST_CASE(buddy_pages_hold_data), KTEST_CASE(buddy_reserved_memory_is_never_free));
