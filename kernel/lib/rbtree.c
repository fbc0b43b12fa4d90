/* Red-black tree insert, erase and walk (the textbook algorithm with parent links and NULL leaves,
 * which count as black). See rbtree.h. */
#include <kestrel/rbtree.h>

static bool is_red(const struct rb_node *n)
{
    return n && n->red;
}

/* Makes child take old's place under old's parent (or as the root). */
static void replace_child(struct rb_root *t, struct rb_node *old, struct rb_node *child)
{
    struct rb_node *p = old->parent;
    if (!p)
        t->root = child;
    else if (p->left == old)
        p->left = child;
    else
        p->right = child;
    if (child)
        child->parent = p;
}

/* x's right child y moves up; x becomes y's left child. */
static void rotate_left(struct rb_root *t, struct rb_node *x)
{
    struct rb_node *y = x->right;
    x->right = y->left;
    if (y->left)
        y->left->parent = x;
    replace_child(t, x, y);
    y->left = x;
    x->parent = y;
}

static void rotate_right(struct rb_root *t, struct rb_node *x)
{
    struct rb_node *y = x->left;
    x->left = y->right;
    if (y->right)
        y->right->parent = x;
    replace_child(t, x, y);
    y->right = x;
    x->parent = y;
}

/* Restores "no red node has a red parent" after n was linked in red. */
static void insert_fixup(struct rb_root *t, struct rb_node *n)
{
    while (is_red(n->parent)) {
        struct rb_node *p = n->parent, *g = p->parent; /* p is red, so it is not the root */
        bool left = p == g->left;
        struct rb_node *uncle = left ? g->right : g->left;
        if (is_red(uncle)) {
            /* Push the blackness down from g and continue above it. */
            p->red = uncle->red = false;
            g->red = true;
            n = g;
            continue;
        }
        if (n == (left ? p->right : p->left)) {
            /* Straighten the zig-zag so the rotation below lifts the middle key. */
            n = p;
            left ? rotate_left(t, n) : rotate_right(t, n);
            p = n->parent;
        }
        p->red = false;
        g->red = true;
        left ? rotate_right(t, g) : rotate_left(t, g);
    }
    t->root->red = false;
}

void rb_insert(struct rb_root *t, struct rb_node *n, rb_less_fn less)
{
    struct rb_node **link = &t->root, *parent = NULL;
    bool leftmost = true;
    while (*link) {
        parent = *link;
        if (less(n, parent)) {
            link = &parent->left;
        } else {
            /* Ties go right, so equal keys come out in insertion order. */
            link = &parent->right;
            leftmost = false;
        }
    }
    *n = (struct rb_node){.parent = parent, .red = true};
    *link = n;
    if (leftmost)
        t->leftmost = n;
    insert_fixup(t, n);
}

static struct rb_node *subtree_min(struct rb_node *n)
{
    while (n->left)
        n = n->left;
    return n;
}

/* x (possibly NULL) carries an extra black after an erase; parent is its parent. Moves the extra
 * black up or absorbs it with rotations and recolouring. */
static void erase_fixup(struct rb_root *t, struct rb_node *x, struct rb_node *parent)
{
    while (x != t->root && !is_red(x)) {
        bool left = x == parent->left;
        /* The sibling exists: x's side lost a black node, so the other side has black height >= 1. */
        struct rb_node *w = left ? parent->right : parent->left;
        if (is_red(w)) {
            w->red = false;
            parent->red = true;
            left ? rotate_left(t, parent) : rotate_right(t, parent);
            w = left ? parent->right : parent->left;
        }
        struct rb_node *near = left ? w->left : w->right, *far = left ? w->right : w->left;
        if (!is_red(near) && !is_red(far)) {
            w->red = true;
            x = parent;
            parent = x->parent;
            continue;
        }
        if (!is_red(far)) {
            near->red = false;
            w->red = true;
            left ? rotate_right(t, w) : rotate_left(t, w);
            w = left ? parent->right : parent->left;
            far = left ? w->right : w->left;
        }
        w->red = parent->red;
        parent->red = false;
        far->red = false;
        left ? rotate_left(t, parent) : rotate_right(t, parent);
        x = t->root;
        break;
    }
    if (x)
        x->red = false;
}

void rb_erase(struct rb_root *t, struct rb_node *n)
{
    if (t->leftmost == n)
        t->leftmost = rb_next(n);
    struct rb_node *x, *parent;
    bool removed_red;
    if (!n->left || !n->right) {
        x = n->left ? n->left : n->right;
        parent = n->parent;
        removed_red = n->red;
        replace_child(t, n, x);
    } else {
        /* Two children: n's successor y (no left child) takes n's place and colour; the colour
         * that disappears from the tree is y's old one, at y's old position. */
        struct rb_node *y = subtree_min(n->right);
        removed_red = y->red;
        x = y->right;
        if (y->parent == n) {
            parent = y;
        } else {
            parent = y->parent;
            replace_child(t, y, x);
            y->right = n->right;
            y->right->parent = y;
        }
        replace_child(t, n, y);
        y->left = n->left;
        y->left->parent = y;
        y->red = n->red;
    }
    if (!removed_red)
        erase_fixup(t, x, parent);
    *n = (struct rb_node){0};
}

struct rb_node *rb_last(const struct rb_root *t)
{
    struct rb_node *n = t->root;
    while (n && n->right)
        n = n->right;
    return n;
}

struct rb_node *rb_next(const struct rb_node *n)
{
    if (n->right)
        return subtree_min(n->right);
    while (n->parent && n == n->parent->right)
        n = n->parent;
    return n->parent;
}

struct rb_node *rb_prev(const struct rb_node *n)
{
    if (n->left) {
        n = n->left;
        while (n->right)
            n = n->right;
        return (struct rb_node *)n;
    }
    while (n->parent && n == n->parent->left)
        n = n->parent;
    return n->parent;
}

/* Returns the black height of the subtree at n, or -1 if an invariant fails below n; counts nodes. */
static long validate_subtree(const struct rb_node *n, const struct rb_node *parent, long *count)
{
    if (!n)
        return 1;
    if (n->parent != parent || (n->red && is_red(n->left)) || (n->red && is_red(n->right)))
        return -1;
    (*count)++;
    long l = validate_subtree(n->left, n, count), r = validate_subtree(n->right, n, count);
    if (l < 0 || r < 0 || l != r)
        return -1;
    return l + !n->red;
}

long rb_validate(const struct rb_root *t, rb_less_fn less)
{
    long count = 0;
    if (is_red(t->root) || validate_subtree(t->root, NULL, &count) < 0)
        return -1;
    const struct rb_node *first = t->root ? subtree_min(t->root) : NULL;
    if (first != t->leftmost)
        return -1;
    /* In-order, no node may sort before its predecessor. */
    for (const struct rb_node *n = first; n; n = rb_next(n)) {
        const struct rb_node *next = rb_next(n);
        if (next && less(next, n))
            return -1;
    }
    return count;
}
