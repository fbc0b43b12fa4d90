/* An intrusive red-black tree: balanced ordered sets in O(log n) with no allocation, used by the
 * fair scheduler (threads by virtual runtime) and the sleep queue (threads by wake-up tick).
 * Pure code (also host-tested); callers bring the locking. */
#pragma once
#include <kestrel/types.h>

struct rb_node {
    struct rb_node *parent, *left, *right;
    bool red;
};

/* The tree caches its leftmost node, because both users only ever ask for the minimum. */
struct rb_root {
    struct rb_node *root;
    struct rb_node *leftmost;
};

#define RB_ROOT_INIT                                                                                         \
    {                                                                                                        \
        NULL, NULL                                                                                           \
    }

/* Strict weak order: true when a sorts before b. Equal keys keep insertion order (FIFO). */
typedef bool (*rb_less_fn)(const struct rb_node *a, const struct rb_node *b);

void rb_insert(struct rb_root *t, struct rb_node *n, rb_less_fn less);
void rb_erase(struct rb_root *t, struct rb_node *n);

static inline bool rb_empty(const struct rb_root *t)
{
    return t->root == NULL;
}

static inline struct rb_node *rb_first(const struct rb_root *t)
{
    return t->leftmost;
}

struct rb_node *rb_last(const struct rb_root *t);
/* In-order successor and predecessor, NULL at the ends. */
struct rb_node *rb_next(const struct rb_node *n);
struct rb_node *rb_prev(const struct rb_node *n);

/* Checks every invariant (order, no red-red edge, equal black heights, parent links, the leftmost
 * cache); returns the node count, or -1 when something is broken. For tests and debug checks. */
long rb_validate(const struct rb_root *t, rb_less_fn less);

#define rb_entry(ptr, type, member) container_of(ptr, type, member)
