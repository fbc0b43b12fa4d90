/* Buddy allocator core. A free block of order k at index i has its buddy at i ^ 2^k; freeing merges
 * a block with its buddy for as long as the buddy is free with the same order, so memory returns to
 * the largest blocks by itself and fragmentation stays bounded without any scan. */
#include <kestrel/buddy.h>
#include <uapi/errno.h>

void buddy_init(struct buddy *b, struct page *pages, size_t npages)
{
    *b = (struct buddy){.pages = pages, .npages = npages};
    for (size_t i = 0; i < npages; i++)
        pages[i] = (struct page){.flags = PG_RESERVED};
}

static void push_free(struct buddy *b, struct page *p, unsigned order)
{
    p->flags = PG_FREE;
    p->order = order;
    page_list_push(&b->free_list[order], p);
    b->nr_blocks[order]++;
}

static void pop_free(struct buddy *b, struct page *p, unsigned order)
{
    page_list_remove(&b->free_list[order], p);
    b->nr_blocks[order]--;
    p->flags = 0;
    p->order = 0;
}

struct page *buddy_alloc(struct buddy *b, unsigned order)
{
    if (order > BUDDY_MAX_ORDER)
        return NULL;
    unsigned k = order;
    while (k <= BUDDY_MAX_ORDER && !b->free_list[k])
        k++;
    if (k > BUDDY_MAX_ORDER)
        return NULL;
    struct page *p = b->free_list[k];
    pop_free(b, p, k);
    /* Split: keep the lower half, give the upper half back at each smaller order. */
    while (k > order) {
        k--;
        push_free(b, p + ((size_t)1 << k), k);
    }
    p->flags = PG_ALLOCATED;
    p->order = order;
    b->free_pages -= (size_t)1 << order;
    return p;
}

static int check_free(const struct buddy *b, const struct page *p, unsigned order)
{
    if (p < b->pages || p >= b->pages + b->npages || order > BUDDY_MAX_ORDER)
        return -EINVAL;
    if (p->flags & PG_RESERVED)
        return -EPERM;
    if (!(p->flags & PG_ALLOCATED))
        return -EALREADY;
    if (p->order != order)
        return -EDOM;
    return 0;
}

/* Merges the block at index i with free buddies and files the result. */
static void insert_merged(struct buddy *b, size_t i, unsigned order)
{
    while (order < BUDDY_MAX_ORDER) {
        size_t buddy = i ^ ((size_t)1 << order);
        if (buddy >= b->npages)
            break;
        struct page *bp = &b->pages[buddy];
        if (bp->flags != PG_FREE || bp->order != order)
            break;
        pop_free(b, bp, order);
        i &= ~((size_t)1 << order);
        order++;
    }
    push_free(b, &b->pages[i], order);
}

int buddy_free(struct buddy *b, struct page *p, unsigned order)
{
    int err = check_free(b, p, order);
    if (err)
        return err;
    p->flags = 0;
    p->order = 0;
    b->free_pages += (size_t)1 << order;
    insert_merged(b, buddy_index(b, p), order);
    return 0;
}

static bool all_reserved(const struct buddy *b, size_t first, size_t n)
{
    for (size_t i = first; i < first + n; i++)
        if (b->pages[i].flags != PG_RESERVED)
            return false;
    return true;
}

/* The largest order whose aligned block at i fits before end and is entirely reserved. */
static unsigned release_order(const struct buddy *b, size_t i, size_t end)
{
    unsigned k = BUDDY_MAX_ORDER;
    while (k > 0 && ((i & (((size_t)1 << k) - 1)) || i + ((size_t)1 << k) > end))
        k--;
    while (k > 0 && !all_reserved(b, i, (size_t)1 << k))
        k--;
    return k;
}

size_t buddy_release_range(struct buddy *b, size_t first, size_t end)
{
    size_t released = 0;
    end = MIN(end, b->npages);
    for (size_t i = first; i < end;) {
        if (b->pages[i].flags != PG_RESERVED) {
            i++;
            continue;
        }
        unsigned k = release_order(b, i, end);
        size_t n = (size_t)1 << k;
        for (size_t j = i; j < i + n; j++)
            b->pages[j].flags = 0;
        b->free_pages += n;
        b->managed_pages += n;
        insert_merged(b, i, k);
        released += n;
        i += n;
    }
    return released;
}
