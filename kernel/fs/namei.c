/* Path resolution with Linux's rules: absolute and relative paths, "." and "..", repeated and
 * trailing slashes, symlinks (at most SYMLOOP_MAX per resolution), NAME_MAX and PATH_MAX. */
#include <kestrel/dcache.h>
#include <kestrel/mount.h>
#include <kestrel/panic.h>
#include "internal.h"

int path_check(const char *path)
{
    size_t n = strnlen(path, PATH_MAX);
    if (n == 0)
        return -ENOENT;
    if (n == PATH_MAX)
        return -ENAMETOOLONG;
    return 0;
}

void nd_init(struct nameidata *nd, struct inode *start)
{
    memset(nd, 0, sizeof(*nd));
    if (!start)
        start = vfs_root();
    BUG_ON(!start);
    /* The calling process's root (chroot) when it has one; before a root is set (early boot,
     * in-kernel tests), a filesystem's own root serves. */
    struct inode *root = vfs_task_root ? vfs_task_root() : NULL;
    if (!root)
        root = vfs_root();
    nd->root = root ? root : start->sb->root;
    nd->dir = inode_get(start);
}

void nd_done(struct nameidata *nd)
{
    if (nd->dir)
        inode_put(nd->dir);
    nd->dir = NULL;
    while (nd->depth > 0)
        kfree(nd->stack[--nd->depth].body);
    kfree(nd->stack);
    nd->stack = NULL;
    kfree(nd->final_body);
    nd->final_body = NULL;
}

static enum last_type classify(const char *name, size_t len)
{
    if (len == 1 && name[0] == '.')
        return LAST_DOT;
    if (len == 2 && name[0] == '.' && name[1] == '.')
        return LAST_DOTDOT;
    return LAST_NORM;
}

static void jump_root(struct nameidata *nd)
{
    inode_put(nd->dir);
    nd->dir = inode_get(nd->root);
}

/* One step down (or up) from nd->dir, without following a symlink; down onto a mount's root
 * unless cross is false. */
static int lookup_one(struct nameidata *nd, const char *name, size_t len, enum last_type type, bool cross,
                      struct inode **out)
{
    struct inode *dir = nd->dir;
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    /* Every name looked up in a directory, "." and ".." too, needs search permission on it. */
    if (type != LAST_ROOT) {
        int err = vfs_permission(dir, MAY_EXEC);
        if (err)
            return err;
    }
    switch (type) {
    case LAST_ROOT:
    case LAST_DOT:
        *out = inode_get(dir);
        return 0;
    case LAST_DOTDOT:
        /* ".." never leaves the root (the namespace's or a chroot's). At the root of a mounted
         * filesystem it is the parent of the directory the mount covers. */
        if (dir != nd->root)
            dir = mount_cross_up(dir);
        if (dir == nd->root) {
            *out = inode_get(dir);
            return 0;
        }
        return dir->ops->lookup(dir, "..", 2, out);
    case LAST_NORM:
        break;
    }
    /* The cache holds what the filesystem answers; mounts are crossed after it, so mounting and
     * unmounting never make an entry wrong. */
    int err = dcache_lookup(dir, name, len, out);
    if (!err && cross)
        *out = mount_cross_down(*out);
    return err;
}

/* Reads a link's body into a fresh PATH_MAX buffer, counting the link against SYMLOOP_MAX. */
static int read_link(struct nameidata *nd, struct inode *link, char **body)
{
    if (++nd->links > SYMLOOP_MAX)
        return -ELOOP;
    char *buf = kmalloc(PATH_MAX);
    if (!buf)
        return -ENOMEM;
    ssize_t n = link->ops->readlink(link, buf, PATH_MAX - 1);
    if (n <= 0) {
        kfree(buf);
        return n < 0 ? (int)n : -ENOENT; /* an empty link resolves to nothing */
    }
    buf[n] = 0;
    *body = buf;
    return 0;
}

static int push_frame(struct nameidata *nd, char *body, const char *rest)
{
    if (!nd->stack) {
        nd->stack = kmalloc(SYMLOOP_MAX * sizeof(*nd->stack));
        if (!nd->stack) {
            kfree(body);
            return -ENOMEM;
        }
    }
    /* Every frame is a link followed, and read_link stops at SYMLOOP_MAX of those. */
    BUG_ON(nd->depth >= SYMLOOP_MAX);
    nd->stack[nd->depth].body = body;
    nd->stack[nd->depth].rest = rest;
    nd->depth++;
    return 0;
}

static const char *pop_frame(struct nameidata *nd)
{
    struct nd_frame *f = &nd->stack[--nd->depth];
    kfree(f->body);
    return f->rest;
}

/* Walks p up to its last component, descending into nd->dir. A symlink in the middle pushes the
 * text after it and continues with the link's body; at the end of a body the pushed text resumes.
 * So the last component is the one that ends a string while no frame is pending. */
static int walk_components(struct nameidata *nd, const char *p)
{
    if (*p == '/')
        jump_root(nd);
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p) {
            if (nd->depth) {
                p = pop_frame(nd);
                continue;
            }
            nd->last = (struct last){.name = p, .len = 0, .type = LAST_ROOT, .slash = false};
            return 0;
        }
        const char *name = p;
        size_t len = 0;
        while (name[len] && name[len] != '/')
            len++;
        if (len > NAME_MAX)
            return -ENAMETOOLONG;
        const char *q = name + len;
        while (*q == '/')
            q++;
        enum last_type type = classify(name, len);
        if (!*q && !nd->depth) {
            nd->last = (struct last){.name = name, .len = len, .type = type, .slash = q != name + len};
            return 0;
        }

        struct inode *next;
        int err = lookup_one(nd, name, len, type, true, &next);
        if (err)
            return err;
        p = q;
        /* A body ends here but the path goes on: drop the body (name points into it, and is no
         * longer needed) before a link in this position pushes a frame of its own. */
        if (!*p)
            p = pop_frame(nd);
        if (S_ISLNK(next->mode)) {
            char *body;
            err = read_link(nd, next, &body);
            inode_put(next);
            if (err)
                return err;
            err = push_frame(nd, body, p);
            if (err)
                return err;
            if (*body == '/')
                jump_root(nd);
            p = body;
            continue;
        }
        if (!S_ISDIR(next->mode)) {
            inode_put(next);
            return -ENOTDIR;
        }
        inode_put(nd->dir);
        nd->dir = next;
    }
}

int nd_walk_parent(struct nameidata *nd, const char *path)
{
    int err = path_check(path);
    if (err)
        return err;
    return walk_components(nd, path);
}

int nd_lookup_last(struct nameidata *nd, struct inode **out)
{
    return lookup_one(nd, nd->last.name, nd->last.len, nd->last.type, !nd->mountpoint, out);
}

int nd_follow_last(struct nameidata *nd, struct inode *link)
{
    char *body;
    int err = read_link(nd, link, &body);
    inode_put(link);
    if (err)
        return err;
    /* "link/" asks for a directory whatever the link's body says. */
    if (nd->last.slash)
        nd->must_dir = true;
    kfree(nd->final_body);
    nd->final_body = body;
    return walk_components(nd, body);
}

int nd_resolve(struct nameidata *nd, const char *path, bool follow, struct inode **out)
{
    int err = nd_walk_parent(nd, path);
    if (err)
        return err;
    for (;;) {
        struct inode *inode;
        err = nd_lookup_last(nd, &inode);
        if (err)
            return err;
        bool want_dir = nd->last.slash || nd->must_dir;
        if (S_ISLNK(inode->mode) && (follow || want_dir)) {
            err = nd_follow_last(nd, inode);
            if (err)
                return err;
            continue;
        }
        if (want_dir && !S_ISDIR(inode->mode)) {
            inode_put(inode);
            return -ENOTDIR;
        }
        *out = inode;
        return 0;
    }
}

int nd_is_ancestor(struct inode *anc, struct inode *dir, bool *result)
{
    struct inode *cur = inode_get(dir);
    for (;;) {
        if (cur == anc || cur == cur->sb->root) {
            *result = cur == anc;
            inode_put(cur);
            return 0;
        }
        struct inode *up;
        int err = cur->ops->lookup(cur, "..", 2, &up);
        inode_put(cur);
        if (err)
            return err;
        cur = up;
    }
}
