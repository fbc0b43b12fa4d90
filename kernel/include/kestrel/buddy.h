/* The buddy allocator's core: per-order free lists over an array of struct page, pure index
 * arithmetic with no hardware access, so the same code runs in the kernel and in host tests. */
#pragma once
#include <kestrel/page.h>

#define BUDDY_MAX_ORDER 10 /* largest block: 2^10 pages = 4 MiB */
#define BUDDY_NR_ORDERS (BUDDY_MAX_ORDER + 1)

/* Block i of order k starts at page index i * 2^k; index == pfn, so blocks are physically aligned. */
struct buddy {
    struct page *pages;
    size_t npages;
    struct page *free_list[BUDDY_NR_ORDERS];
    size_t nr_blocks[BUDDY_NR_ORDERS]; /* free blocks per order */
    size_t free_pages;
    size_t managed_pages; /* pages ever released into the allocator */
};

/* Starts with every page reserved; buddy_release_range hands pages to the allocator. */
void buddy_init(struct buddy *b, struct page *pages, size_t npages);
/* Frees the still-reserved pages of [first, end) in the largest aligned blocks; returns how many. */
size_t buddy_release_range(struct buddy *b, size_t first, size_t end);
/* NULL when no block of that order (or larger, to split) is free, or order is too big. */
struct page *buddy_alloc(struct buddy *b, unsigned order);
/* 0, or -EINVAL (not a page of b / bad order), -EPERM (reserved), -EALREADY (not allocated: a
 * double free or a page inside a block) or -EDOM (allocated with another order). Nothing changes on error. */
int buddy_free(struct buddy *b, struct page *p, unsigned order);

static inline size_t buddy_index(const struct buddy *b, const struct page *p)
{
    return (size_t)(p - b->pages);
}
