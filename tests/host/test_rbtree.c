/* Host tests for the red-black tree: invariants after every operation under random workloads,
 * in-order walks against a sorted reference, the leftmost cache and FIFO order among equal keys. */
#include "htest.h"
#include <kestrel/rbtree.h>
#include <stdlib.h>
#include <string.h>

struct item {
    struct rb_node node;
    long key;
    int seq; /* insertion order, to check that ties stay FIFO */
    bool in_tree;
};

static bool item_less(const struct rb_node *a, const struct rb_node *b)
{
    return rb_entry(a, struct item, node)->key < rb_entry(b, struct item, node)->key;
}

static long key_of(const struct rb_node *n)
{
    return rb_entry(n, struct item, node)->key;
}

/* A small deterministic generator, so a failure reproduces. */
static unsigned long rng_state = 12345;
static unsigned long rng(void)
{
    rng_state = rng_state * 6364136223846793005ul + 1442695040888963407ul;
    return rng_state >> 33;
}

HTEST(rbtree_empty)
{
    struct rb_root tree = RB_ROOT_INIT;
    HEXPECT(t, rb_empty(&tree));
    HEXPECT(t, rb_first(&tree) == NULL);
    HEXPECT(t, rb_last(&tree) == NULL);
    HEXPECT_EQ(t, rb_validate(&tree, item_less), 0);
}

HTEST(rbtree_ascending_and_descending_inserts_stay_balanced)
{
    enum { N = 1000 };
    static struct item asc[N], desc[N];
    struct rb_root ta = RB_ROOT_INIT, td = RB_ROOT_INIT;
    for (int i = 0; i < N; i++) {
        asc[i].key = i;
        desc[i].key = N - i;
        rb_insert(&ta, &asc[i].node, item_less);
        rb_insert(&td, &desc[i].node, item_less);
    }
    HEXPECT_EQ(t, rb_validate(&ta, item_less), N);
    HEXPECT_EQ(t, rb_validate(&td, item_less), N);
    HEXPECT_EQ(t, key_of(rb_first(&ta)), 0);
    HEXPECT_EQ(t, key_of(rb_last(&ta)), N - 1);
    HEXPECT_EQ(t, key_of(rb_first(&td)), 1);
    /* A red-black tree of n nodes is at most 2*log2(n+1) deep: about 20 here. */
    int depth = 0;
    for (struct rb_node *n = rb_first(&ta); n; n = n->parent)
        depth++;
    HEXPECT(t, depth <= 20);
}

HTEST(rbtree_equal_keys_are_fifo)
{
    static struct item it[64];
    struct rb_root tree = RB_ROOT_INIT;
    for (int i = 0; i < 64; i++) {
        it[i].key = i % 4;
        it[i].seq = i;
        rb_insert(&tree, &it[i].node, item_less);
    }
    HEXPECT_EQ(t, rb_validate(&tree, item_less), 64);
    long last_key = -1;
    int last_seq = -1;
    for (struct rb_node *n = rb_first(&tree); n; n = rb_next(n)) {
        struct item *x = rb_entry(n, struct item, node);
        HEXPECT(t, x->key >= last_key);
        if (x->key == last_key)
            HEXPECT(t, x->seq > last_seq);
        last_key = x->key;
        last_seq = x->seq;
    }
}

HTEST(rbtree_erase_minimum_repeatedly_is_sorted)
{
    enum { N = 500 };
    static struct item it[N];
    struct rb_root tree = RB_ROOT_INIT;
    for (int i = 0; i < N; i++) {
        it[i].key = (long)(rng() % 100);
        rb_insert(&tree, &it[i].node, item_less);
    }
    long prev = -1;
    for (int i = 0; i < N; i++) {
        struct rb_node *m = rb_first(&tree);
        HASSERT(t, m != NULL);
        HEXPECT(t, key_of(m) >= prev);
        prev = key_of(m);
        rb_erase(&tree, m);
        if (i % 50 == 0)
            HEXPECT_EQ(t, rb_validate(&tree, item_less), N - i - 1);
    }
    HEXPECT(t, rb_empty(&tree));
    HEXPECT(t, rb_first(&tree) == NULL);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Checks the tree's in-order keys, both directions, against the items marked in_tree. */
static void check_against_reference(struct htest *t, struct rb_root *tree, struct item *it, int n)
{
    static long ref[4096];
    int m = 0;
    for (int i = 0; i < n; i++)
        if (it[i].in_tree)
            ref[m++] = it[i].key;
    qsort(ref, m, sizeof(long), cmp_long);
    HEXPECT_EQ(t, rb_validate(tree, item_less), m);
    int i = 0;
    for (struct rb_node *x = rb_first(tree); x; x = rb_next(x), i++)
        HEXPECT_EQ(t, key_of(x), ref[i]);
    HEXPECT_EQ(t, i, m);
    for (struct rb_node *x = rb_last(tree); x; x = rb_prev(x))
        HEXPECT_EQ(t, key_of(x), ref[--i]);
}

HTEST(rbtree_random_insert_erase_against_reference)
{
    enum { N = 2048, OPS = 20000 };
    static struct item it[N];
    struct rb_root tree = RB_ROOT_INIT;
    memset(it, 0, sizeof(it));
    for (int op = 0; op < OPS; op++) {
        struct item *x = &it[rng() % N];
        if (x->in_tree) {
            rb_erase(&tree, &x->node);
            x->in_tree = false;
        } else {
            x->key = (long)(rng() % 512); /* plenty of duplicates */
            rb_insert(&tree, &x->node, item_less);
            x->in_tree = true;
        }
        if (op % 1000 == 0)
            check_against_reference(t, &tree, it, N);
        if (t->failures)
            return;
    }
    check_against_reference(t, &tree, it, N);
}

HTEST(rbtree_erase_every_position_of_small_trees)
{
    /* Every tree size up to 40, erasing each position in turn: covers every fix-up case. */
    static struct item it[40];
    for (int size = 1; size <= 40; size++) {
        for (int victim = 0; victim < size; victim++) {
            struct rb_root tree = RB_ROOT_INIT;
            for (int i = 0; i < size; i++) {
                it[i] = (struct item){.key = (i * 7) % size, .in_tree = true};
                rb_insert(&tree, &it[i].node, item_less);
            }
            rb_erase(&tree, &it[victim].node);
            it[victim].in_tree = false;
            check_against_reference(t, &tree, it, size);
            if (t->failures)
                return;
        }
    }
}
