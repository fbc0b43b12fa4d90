/* KTAP tests of slab caches and kmalloc: reuse, alignment, counters, every size class with content
 * checks, and no pages lost once everything is freed. */
#include <kestrel/buddy.h>
#include <kestrel/kmalloc.h>
#include <kestrel/ktest.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/slab.h>
#include <kestrel/string.h>

static void slab_reuses_freed_objects(struct ktest *t)
{
    struct slab_cache *c = slab_cache_create("test-48", 48, 16);
    KTEST_ASSERT(t, c != NULL);
    void *a = slab_alloc(c), *b = slab_alloc(c);
    KTEST_ASSERT(t, a && b && a != b);
    KTEST_EXPECT_EQ(t, slab_cache_inuse(c), 2);
    KTEST_EXPECT_EQ(t, slab_cache_slabs(c), 1);
    KTEST_EXPECT(t, slab_cache_of(a) == c);
    slab_free(c, a);
    KTEST_EXPECT(t, slab_alloc(c) == a); /* last freed, first reused: still warm in the cache */
    slab_free(c, a);
    slab_free(c, b);
    KTEST_EXPECT_EQ(t, slab_cache_inuse(c), 0);
    slab_cache_destroy(c);
}

static void slab_objects_aligned(struct ktest *t)
{
    struct slab_cache *c = slab_cache_create("test-align", 40, 64);
    KTEST_ASSERT(t, c != NULL);
    void *o[100];
    bool aligned = true;
    for (int i = 0; i < 100; i++) {
        o[i] = slab_alloc(c);
        aligned &= o[i] && IS_ALIGNED((uint64_t)o[i], 64);
    }
    KTEST_EXPECT(t, aligned);
    for (int i = 0; i < 100; i++)
        slab_free(c, o[i]);
    slab_cache_destroy(c);
    KTEST_EXPECT(t, slab_cache_create("bad", 32, 24) == NULL);
    KTEST_EXPECT(t, slab_cache_create("bad", 0, 8) == NULL);
    KTEST_EXPECT(t, slab_cache_create("bad", SLAB_MAX_OBJECT + 1, 8) == NULL);
}

#define MANY 3000

/* Fills objects with a pattern unique to each, then checks no object overlapped another. */
static void slab_many_objects_keep_content(struct ktest *t)
{
    static uint32_t *o[MANY];
    size_t base = pmm_free_pages();
    struct slab_cache *c = slab_cache_create("test-100", 100, 4);
    KTEST_ASSERT(t, c != NULL);
    for (uint32_t i = 0; i < MANY; i++) {
        o[i] = slab_alloc(c);
        KTEST_ASSERT(t, o[i] != NULL);
        for (int w = 0; w < 25; w++)
            o[i][w] = i * 31 + w;
    }
    KTEST_EXPECT_EQ(t, slab_cache_inuse(c), MANY);
    KTEST_EXPECT(t, slab_cache_slabs(c) >= MANY / (4096 / 100));
    bool intact = true;
    for (uint32_t i = 0; i < MANY; i++)
        for (int w = 0; w < 25; w++)
            intact &= o[i][w] == i * 31 + w;
    KTEST_EXPECT(t, intact);
    for (uint32_t i = 0; i < MANY; i++)
        slab_free(c, o[i]);
    KTEST_EXPECT_EQ(t, slab_cache_inuse(c), 0);
    KTEST_EXPECT(t, slab_cache_slabs(c) <= 1); /* only the one kept for reuse */
    slab_cache_destroy(c);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), base);
}

/* The one empty slab a cache keeps for reuse goes back to the page allocator on trim (sysinfo does it
 * before counting free memory), and only that one: slabs with live objects stay. */
static void slab_trim_releases_kept_empty_slab(struct ktest *t)
{
    struct slab_cache *c = slab_cache_create("test-trim", 512, 0);
    KTEST_ASSERT(t, c != NULL);
    void *o[16];
    for (int i = 0; i < 16; i++)
        KTEST_ASSERT(t, (o[i] = slab_alloc(c)) != NULL);
    size_t slabs = slab_cache_slabs(c);
    KTEST_EXPECT(t, slabs >= 2);
    KTEST_EXPECT_EQ(t, slab_cache_trim(c), 0); /* no slab is empty */
    size_t free_before = pmm_free_pages();
    for (int i = 0; i < 16; i++)
        slab_free(c, o[i]);
    KTEST_EXPECT_EQ(t, slab_cache_slabs(c), 1); /* every empty slab but one went back at once */
    KTEST_EXPECT_EQ(t, slab_cache_trim(c), 1u << c->order);
    KTEST_EXPECT_EQ(t, slab_cache_slabs(c), 0);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), free_before + (slabs << c->order));
    KTEST_EXPECT_EQ(t, slab_cache_trim(c), 0);
    void *again = slab_alloc(c); /* still usable after a trim */
    KTEST_EXPECT(t, again != NULL && slab_cache_slabs(c) == 1);
    slab_free(c, again);
    slab_cache_destroy(c);
}

KTEST_SUITE(slab, KTEST_CASE(slab_reuses_freed_objects), KTEST_CASE(slab_objects_aligned),
            KTEST_CASE(slab_many_objects_keep_content), KTEST_CASE(slab_trim_releases_kept_empty_slab));

static const size_t sizes[] = {1,    8,    16,   17,   32,    48,    64,      100,    128,
                               200,  256,  500,  512,  513,   1000,  1024,    1500,   2047,
                               2048, 2049, 4096, 5000, 12345, 65536, 1 << 20, 4 << 20};
#define PER_SIZE 20

/* Fewer of the megabyte sizes, so the test also fits in a 64 MiB machine. */
static int count_of(size_t size)
{
    return size >= (1 << 20) ? 2 : PER_SIZE;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

static bool check(const uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(seed + i * 7))
            return false;
    return true;
}

static void kmalloc_all_sizes_keep_content(struct ktest *t)
{
    static uint8_t *p[ARRAY_SIZE(sizes)][PER_SIZE];
    for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
        for (int i = 0; i < count_of(sizes[s]); i++) {
            p[s][i] = kmalloc(sizes[s]);
            KTEST_ASSERT(t, p[s][i] != NULL);
            KTEST_EXPECT(t, IS_ALIGNED((uint64_t)p[s][i], 16));
            KTEST_EXPECT(t, ksize(p[s][i]) >= sizes[s]);
            fill(p[s][i], sizes[s], (uint8_t)(s * 13 + i));
        }
    }
    bool intact = true;
    for (size_t s = 0; s < ARRAY_SIZE(sizes); s++)
        for (int i = 0; i < count_of(sizes[s]); i++)
            intact &= check(p[s][i], sizes[s], (uint8_t)(s * 13 + i));
    KTEST_EXPECT(t, intact);
    for (size_t s = 0; s < ARRAY_SIZE(sizes); s++)
        for (int i = 0; i < count_of(sizes[s]); i++)
            kfree(p[s][i]);
}

static void kmalloc_frees_everything(struct ktest *t)
{
    /* A first round leaves each size class its one cached slab; a second must then cost nothing. */
    kmalloc_all_sizes_keep_content(t);
    size_t base = pmm_free_pages();
    kmalloc_all_sizes_keep_content(t);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), base);
}

static void kmalloc_edge_cases(struct ktest *t)
{
    KTEST_EXPECT(t, kmalloc(0) == NULL);
    KTEST_EXPECT(t, kmalloc((PAGE_SIZE << BUDDY_MAX_ORDER) + 1) == NULL);
    KTEST_EXPECT(t, kmalloc(~(size_t)0) == NULL);
    kfree(NULL);
    uint8_t *z = kzalloc(3000);
    KTEST_ASSERT(t, z != NULL);
    bool zero = true;
    for (size_t i = 0; i < 3000; i++)
        zero &= z[i] == 0;
    KTEST_EXPECT(t, zero);
    KTEST_EXPECT_EQ(t, ksize(z), PAGE_SIZE);
    kfree(z);
    void *small = kmalloc(20);
    KTEST_EXPECT_EQ(t, ksize(small), 32);
    kfree(small);
}

KTEST_SUITE(kmalloc, KTEST_CASE(kmalloc_all_sizes_keep_content), KTEST_CASE(kmalloc_frees_everything),
            KTEST_CASE(kmalloc_edge_cases));
