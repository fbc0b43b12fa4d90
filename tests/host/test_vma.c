/* Host tests for VMA sets (kernel/mm/vma.c): lookups by address against a brute-force reference
 * under random inserts and removals, ordered walks, and the top-down free-gap search mmap uses. */
#include "htest.h"
#include <kestrel/uvm.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 64
#define PG    4096ul

static unsigned long rng_state = 777;
static unsigned long rng(void)
{
    rng_state = rng_state * 6364136223846793005ul + 1442695040888963407ul;
    return rng_state >> 33;
}

/* Slot i covers pages [i * 4, i * 4 + len) with len 1..3, so neighbours never overlap. */
static struct vma vmas[SLOTS];
static bool present[SLOTS];

static struct vma *reference_find(vaddr_t addr)
{
    for (int i = 0; i < SLOTS; i++)
        if (present[i] && vmas[i].start <= addr && addr < vmas[i].end)
            return &vmas[i];
    return NULL;
}

static struct vma *reference_find_from(vaddr_t addr)
{
    struct vma *best = NULL;
    for (int i = 0; i < SLOTS; i++)
        if (present[i] && vmas[i].end > addr && (!best || vmas[i].start < best->start))
            best = &vmas[i];
    return best;
}

HTEST(vma_lookups_match_reference)
{
    struct vma_set s;
    vma_set_init(&s);
    memset(present, 0, sizeof(present));
    int bad = 0;
    for (int step = 0; step < 4000; step++) {
        int i = (int)(rng() % SLOTS);
        if (present[i]) {
            vma_remove(&s, &vmas[i]);
            present[i] = false;
        } else {
            memset(&vmas[i], 0, sizeof(vmas[i]));
            vmas[i].start = 0x10000 + (vaddr_t)i * 4 * PG;
            vmas[i].end = vmas[i].start + (1 + rng() % 3) * PG;
            vma_insert(&s, &vmas[i]);
            present[i] = true;
        }
        vaddr_t probe = 0x10000 + rng() % (SLOTS * 4 * PG + PG) - PG / 2;
        bad += vma_find(&s, probe) != reference_find(probe);
        bad += vma_find_from(&s, probe) != reference_find_from(probe);
        if (step % 97 == 0)
            bad += vma_set_validate(&s) < 0;
    }
    HEXPECT_EQ(t, bad, 0);
    long n = vma_set_validate(&s);
    long want = 0;
    for (int i = 0; i < SLOTS; i++)
        want += present[i];
    HEXPECT_EQ(t, n, want);
    /* Walk forwards and backwards. */
    long seen = 0;
    vaddr_t last = 0;
    for (struct vma *v = vma_first(&s); v; v = vma_next(v), seen++) {
        HEXPECT(t, v->start >= last);
        last = v->end;
        struct vma *p = vma_prev(v);
        HEXPECT(t, !p || p->end <= v->start);
    }
    HEXPECT_EQ(t, seen, want);
}

static struct vma gap_vmas[4];

static void add(struct vma_set *s, int i, vaddr_t start, vaddr_t end)
{
    memset(&gap_vmas[i], 0, sizeof(gap_vmas[i]));
    gap_vmas[i].start = start;
    gap_vmas[i].end = end;
    vma_insert(s, &gap_vmas[i]);
}

HTEST(vma_gap_search_is_top_down)
{
    struct vma_set s;
    vma_set_init(&s);
    vaddr_t lo = 0x10000, hi = 0x100000;
    HEXPECT_EQ(t, vma_find_gap_down(&s, PG, lo, hi), hi - PG);
    HEXPECT_EQ(t, vma_find_gap_down(&s, hi - lo, lo, hi), lo);
    HEXPECT_EQ(t, vma_find_gap_down(&s, hi - lo + PG, lo, hi), 0);
    HEXPECT_EQ(t, vma_find_gap_down(&s, 0, lo, hi), 0);
    add(&s, 0, 0xf0000, 0x110000); /* straddles hi */
    add(&s, 1, 0xe0000, 0xe8000);  /* leaves an 8-page hole at 0xe8000 */
    add(&s, 2, 0x20000, 0xd0000);  /* leaves 0xd0000..0xe0000 (16 pages) */
    HEXPECT_EQ(t, vma_find_gap_down(&s, PG, lo, hi), 0xef000);
    HEXPECT_EQ(t, vma_find_gap_down(&s, 8 * PG, lo, hi), 0xe8000);
    HEXPECT_EQ(t, vma_find_gap_down(&s, 9 * PG, lo, hi), 0xd7000);
    HEXPECT_EQ(t, vma_find_gap_down(&s, 16 * PG, lo, hi), 0xd0000);
    HEXPECT_EQ(t, vma_find_gap_down(&s, 17 * PG, lo, hi), 0); /* 0x10000..0x20000 is 16 pages */
    HEXPECT_EQ(t, vma_find_gap_down(&s, 16 * PG, lo, 0xd0000), 0x10000);
    add(&s, 3, 0x8000, 0x12000); /* below lo, reaching into it */
    HEXPECT_EQ(t, vma_find_gap_down(&s, 14 * PG, lo, 0xd0000), 0x12000);
    HEXPECT_EQ(t, vma_find_gap_down(&s, 15 * PG, lo, 0xd0000), 0);
    HEXPECT_EQ(t, vma_set_validate(&s), 4);
}
