/* Host tests for the buddy allocator core: splitting, merging back to the largest order, holes,
 * exhaustion, alignment, counters, misuse detection, and a randomized run against a shadow map. */
#include "htest.h"
#include <kestrel/buddy.h>
#include <stdlib.h>
#include <string.h>
#include <uapi/errno.h>

#define NPAGES 4096 /* four blocks of the largest order */

static struct buddy *new_buddy(size_t npages)
{
    struct buddy *b = calloc(1, sizeof(*b));
    buddy_init(b, calloc(npages, sizeof(struct page)), npages);
    return b;
}

static void free_buddy(struct buddy *b)
{
    free(b->pages);
    free(b);
}

/* Walks every free list: blocks aligned, marked free, inside the array; sizes add up to free_pages. */
static bool consistent(const struct buddy *b)
{
    size_t total = 0;
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        size_t n = 0;
        for (const struct page *p = b->free_list[k]; p; p = p->next, n++) {
            size_t i = buddy_index(b, p);
            if (p->flags != PG_FREE || p->order != k || i % (1u << k) || i + (1u << k) > b->npages)
                return false;
            total += (size_t)1 << k;
        }
        if (n != b->nr_blocks[k])
            return false;
    }
    return total == b->free_pages;
}

HTEST(buddy_release_builds_largest_blocks)
{
    struct buddy *b = new_buddy(NPAGES);
    HEXPECT_EQ(t, b->free_pages, 0);
    HEXPECT_EQ(t, buddy_release_range(b, 0, NPAGES), NPAGES);
    HEXPECT_EQ(t, b->free_pages, NPAGES);
    HEXPECT_EQ(t, b->managed_pages, NPAGES);
    HEXPECT_EQ(t, b->nr_blocks[BUDDY_MAX_ORDER], 4);
    for (unsigned k = 0; k < BUDDY_MAX_ORDER; k++)
        HEXPECT_EQ(t, b->nr_blocks[k], 0);
    /* Releasing again finds nothing reserved: no double counting. */
    HEXPECT_EQ(t, buddy_release_range(b, 0, NPAGES), 0);
    HEXPECT(t, consistent(b));
    free_buddy(b);
}

HTEST(buddy_split_and_merge)
{
    struct buddy *b = new_buddy(NPAGES);
    buddy_release_range(b, 0, NPAGES);
    struct page *p = buddy_alloc(b, 0);
    HASSERT(t, p != NULL);
    HEXPECT_EQ(t, b->free_pages, NPAGES - 1);
    /* One order-10 block split into one free block of each order 0..9. */
    for (unsigned k = 0; k < BUDDY_MAX_ORDER; k++)
        HEXPECT_EQ(t, b->nr_blocks[k], 1);
    HEXPECT_EQ(t, b->nr_blocks[BUDDY_MAX_ORDER], 3);
    HEXPECT(t, consistent(b));
    HEXPECT_EQ(t, buddy_free(b, p, 0), 0);
    HEXPECT_EQ(t, b->nr_blocks[BUDDY_MAX_ORDER], 4);
    for (unsigned k = 0; k < BUDDY_MAX_ORDER; k++)
        HEXPECT_EQ(t, b->nr_blocks[k], 0);
    HEXPECT(t, consistent(b));
    free_buddy(b);
}

HTEST(buddy_buddies_coalesce_only_when_both_free)
{
    struct buddy *b = new_buddy(NPAGES);
    buddy_release_range(b, 0, NPAGES);
    struct page *x = buddy_alloc(b, 2), *y = buddy_alloc(b, 2);
    HASSERT(t, x && y);
    /* The second block of order 2 is the first's buddy (the lower half is always handed out first). */
    HEXPECT_EQ(t, buddy_index(b, y), buddy_index(b, x) ^ 4);
    HEXPECT_EQ(t, buddy_free(b, x, 2), 0);
    HEXPECT_EQ(t, b->nr_blocks[2], 1); /* x stays alone while y is in use */
    HEXPECT_EQ(t, buddy_free(b, y, 2), 0);
    HEXPECT_EQ(t, b->nr_blocks[2], 0);
    HEXPECT_EQ(t, b->nr_blocks[BUDDY_MAX_ORDER], 4);
    free_buddy(b);
}

HTEST(buddy_blocks_are_aligned)
{
    struct buddy *b = new_buddy(NPAGES);
    buddy_release_range(b, 0, NPAGES);
    struct page *p[BUDDY_NR_ORDERS];
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        p[k] = buddy_alloc(b, k);
        HASSERT(t, p[k] != NULL);
        HEXPECT_EQ(t, buddy_index(b, p[k]) % (1u << k), 0);
        HEXPECT_EQ(t, p[k]->order, k);
    }
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
        HEXPECT_EQ(t, buddy_free(b, p[k], k), 0);
    HEXPECT_EQ(t, b->free_pages, NPAGES);
    HEXPECT_EQ(t, b->nr_blocks[BUDDY_MAX_ORDER], 4);
    free_buddy(b);
}

HTEST(buddy_exhaustion_returns_null_then_recovers)
{
    struct buddy *b = new_buddy(NPAGES);
    buddy_release_range(b, 0, NPAGES);
    static struct page *got[NPAGES + 1];
    size_t n = 0;
    while ((got[n] = buddy_alloc(b, 0)) != NULL)
        n++;
    HEXPECT_EQ(t, n, NPAGES);
    HEXPECT_EQ(t, b->free_pages, 0);
    HEXPECT(t, buddy_alloc(b, 0) == NULL);
    HEXPECT(t, buddy_alloc(b, BUDDY_MAX_ORDER) == NULL);
    /* Free in a scrambled order: merging must not depend on the order of frees. */
    for (size_t i = 0; i < n; i++) {
        size_t j = (i * 2654435761u) % n;
        struct page *tmp = got[i];
        got[i] = got[j];
        got[j] = tmp;
    }
    for (size_t i = 0; i < n; i++)
        HEXPECT_EQ(t, buddy_free(b, got[i], 0), 0);
    HEXPECT_EQ(t, b->free_pages, NPAGES);
    HEXPECT_EQ(t, b->nr_blocks[BUDDY_MAX_ORDER], 4);
    HEXPECT(t, consistent(b));
    free_buddy(b);
}

HTEST(buddy_holes_stay_reserved)
{
    struct buddy *b = new_buddy(NPAGES);
    buddy_release_range(b, 3, 1000);
    buddy_release_range(b, 1030, NPAGES);
    HEXPECT_EQ(t, b->free_pages, NPAGES - 3 - 30);
    HEXPECT(t, consistent(b));
    /* Only the blocks 2048.. and 3072.. are whole. */
    HEXPECT_EQ(t, b->nr_blocks[BUDDY_MAX_ORDER], 2);
    size_t n = 0;
    struct page *p;
    while ((p = buddy_alloc(b, 0)) != NULL) {
        size_t i = buddy_index(b, p);
        HEXPECT(t, i >= 3 && (i < 1000 || i >= 1030));
        n++;
    }
    HEXPECT_EQ(t, n, NPAGES - 33);
    HEXPECT_EQ(t, buddy_free(b, &b->pages[1010], 0), -EPERM);
    free_buddy(b);
}

HTEST(buddy_odd_size_never_leaves_the_array)
{
    struct buddy *b = new_buddy(1000);
    HEXPECT_EQ(t, buddy_release_range(b, 0, 5000), 1000);
    HEXPECT(t, consistent(b));
    HEXPECT(t, buddy_alloc(b, BUDDY_MAX_ORDER) == NULL);
    struct page *p = buddy_alloc(b, 9);
    HASSERT(t, p != NULL);
    HEXPECT_EQ(t, buddy_index(b, p), 0);
    HEXPECT_EQ(t, buddy_free(b, p, 9), 0);
    HEXPECT_EQ(t, b->free_pages, 1000);
    HEXPECT(t, consistent(b));
    free_buddy(b);
}

HTEST(buddy_misuse_is_reported_and_harmless)
{
    struct buddy *b = new_buddy(NPAGES);
    buddy_release_range(b, 1, NPAGES);
    struct page *p = buddy_alloc(b, 3);
    HASSERT(t, p != NULL);
    struct page other;
    HEXPECT_EQ(t, buddy_free(b, p, 2), -EDOM);
    HEXPECT_EQ(t, buddy_free(b, p + 1, 0), -EALREADY);
    HEXPECT_EQ(t, buddy_free(b, &b->pages[0], 0), -EPERM);
    HEXPECT_EQ(t, buddy_free(b, &other, 0), -EINVAL);
    HEXPECT_EQ(t, buddy_free(b, p, BUDDY_MAX_ORDER + 1), -EINVAL);
    HEXPECT(t, buddy_alloc(b, BUDDY_MAX_ORDER + 1) == NULL);
    HEXPECT_EQ(t, b->free_pages, NPAGES - 1 - 8);
    HEXPECT_EQ(t, buddy_free(b, p, 3), 0);
    HEXPECT_EQ(t, buddy_free(b, p, 3), -EALREADY);
    HEXPECT_EQ(t, b->free_pages, NPAGES - 1);
    HEXPECT(t, consistent(b));
    free_buddy(b);
}

struct held {
    struct page *p;
    unsigned order;
};

/* Random allocations and frees; a shadow map proves no page is ever handed out twice. */
HTEST(buddy_random_against_shadow)
{
    struct buddy *b = new_buddy(NPAGES);
    buddy_release_range(b, 0, NPAGES);
    static struct held held[NPAGES];
    static bool used[NPAGES];
    size_t nheld = 0, inuse = 0;
    srand(1234);
    for (int step = 0; step < 20000; step++) {
        if (nheld && (rand() % 2 || nheld == NPAGES)) {
            size_t j = (size_t)rand() % nheld;
            size_t i = buddy_index(b, held[j].p);
            for (size_t k = i; k < i + (1u << held[j].order); k++)
                used[k] = false;
            inuse -= 1u << held[j].order;
            HEXPECT_EQ(t, buddy_free(b, held[j].p, held[j].order), 0);
            held[j] = held[--nheld];
            continue;
        }
        unsigned order = (unsigned)(rand() % 7);
        struct page *p = buddy_alloc(b, order);
        if (!p) {
            HEXPECT(t, b->free_pages < NPAGES);
            continue;
        }
        size_t i = buddy_index(b, p);
        for (size_t k = i; k < i + (1u << order); k++) {
            HEXPECT(t, !used[k]);
            used[k] = true;
        }
        inuse += 1u << order;
        held[nheld++] = (struct held){p, order};
        HEXPECT_EQ(t, b->free_pages + inuse, NPAGES);
    }
    HEXPECT(t, consistent(b));
    while (nheld--)
        buddy_free(b, held[nheld].p, held[nheld].order);
    HEXPECT_EQ(t, b->nr_blocks[BUDDY_MAX_ORDER], 4);
    HEXPECT(t, consistent(b));
    free_buddy(b);
}
