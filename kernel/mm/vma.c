/* VMA sets: non-overlapping address ranges in a red-black tree ordered by start, with lookups by
 * address and the top-down free-gap search mmap uses. Pure code (host-tested); struct mm's lock
 * serializes callers. */
#include <kestrel/panic.h>
#include <kestrel/uvm.h>

static struct vma *to_vma(const struct rb_node *n)
{
    return n ? rb_entry(n, struct vma, node) : NULL;
}

static bool vma_less(const struct rb_node *a, const struct rb_node *b)
{
    return to_vma(a)->start < to_vma(b)->start;
}

void vma_set_init(struct vma_set *s)
{
    s->tree = (struct rb_root)RB_ROOT_INIT;
    s->count = 0;
}

struct vma *vma_find_from(const struct vma_set *s, vaddr_t addr)
{
    struct vma *best = NULL;
    for (struct rb_node *n = s->tree.root; n;) {
        struct vma *v = to_vma(n);
        if (addr < v->end) {
            best = v; /* ends above addr: a candidate; an earlier one may too */
            if (addr >= v->start)
                return v;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

struct vma *vma_find(const struct vma_set *s, vaddr_t addr)
{
    struct vma *v = vma_find_from(s, addr);
    return v && v->start <= addr ? v : NULL;
}

struct vma *vma_first(const struct vma_set *s)
{
    return to_vma(rb_first(&s->tree));
}

struct vma *vma_next(const struct vma *v)
{
    return to_vma(rb_next(&v->node));
}

struct vma *vma_prev(const struct vma *v)
{
    return to_vma(rb_prev(&v->node));
}

void vma_insert(struct vma_set *s, struct vma *v)
{
    if (v->start >= v->end)
        panic("vma_insert: empty range %#llx..%#llx", (unsigned long long)v->start,
              (unsigned long long)v->end);
    struct vma *next = vma_find_from(s, v->start);
    if (next && next->start < v->end)
        panic("vma_insert: %#llx..%#llx overlaps %#llx..%#llx", (unsigned long long)v->start,
              (unsigned long long)v->end, (unsigned long long)next->start, (unsigned long long)next->end);
    rb_insert(&s->tree, &v->node, vma_less);
    s->count++;
}

void vma_remove(struct vma_set *s, struct vma *v)
{
    rb_erase(&s->tree, &v->node);
    s->count--;
}

vaddr_t vma_find_gap_down(const struct vma_set *s, size_t len, vaddr_t lo, vaddr_t hi)
{
    if (len == 0 || hi < lo || hi - lo < len)
        return 0;
    /* Walk down from the VMA at or above hi; each hole between neighbours is a candidate. */
    struct vma *above = vma_find_from(s, hi - 1);
    struct vma *below = above ? vma_prev(above) : to_vma(rb_last(&s->tree));
    vaddr_t top = hi;
    if (above && above->start < hi)
        top = above->start;
    for (;;) {
        vaddr_t floor = below ? MAX(below->end, lo) : lo;
        if (top >= floor && top - floor >= len)
            return top - len;
        if (!below || below->start <= lo)
            return 0;
        top = below->start;
        below = vma_prev(below);
    }
}

long vma_set_validate(const struct vma_set *s)
{
    long n = 0;
    vaddr_t prev_end = 0;
    for (struct vma *v = vma_first(s); v; v = vma_next(v), n++) {
        if (v->start >= v->end || v->start < prev_end)
            return -1;
        prev_end = v->end;
    }
    if (rb_validate(&s->tree, vma_less) != n || (size_t)n != s->count)
        return -1;
    return n;
}
