/* The mount table (see kestrel/mount.h): a list in mount order, protected by the VFS lock. A handful
 * of mounts is the normal case, so lookups are linear scans.
 *
 * Mounts are keyed by inodes, not by (mount, directory) pairs: the path walk carries no mount. A
 * mount's root is therefore one inode seen in several places when it is bound, and the list
 * order decides between them: crossing down follows mounts forward in the list, crossing up
 * follows them backward, so a mount bound onto itself or stacked on another ends the walk. */
#include <kestrel/format.h>
#include <kestrel/mount.h>
#include <kestrel/panic.h>
#include "internal.h"

static struct mount *mounts;    /* the namespace: the root mount first once set, then in mount order */
static struct mount *detached;  /* out of the namespace, their filesystem still in use (MNT_DETACH) */
static mount_busy_fn reap_busy; /* umount2's busy check, for the filesystems it detached */
static int last_id;

struct mount *mount_first(void)
{
    return mounts;
}

static struct mount *new_mount(struct super_block *sb, struct inode *root, const char *source,
                               unsigned long flags)
{
    struct mount *m = kzalloc(sizeof(*m));
    if (!m)
        return NULL;
    m->sb = sb;
    m->root = inode_get(root);
    m->id = ++last_id;
    m->flags = flags & MS_MNT_FLAGS;
    ksnprintf(m->source, sizeof(m->source), "%s", source && *source ? source : "none");
    return m;
}

static void put_if(struct inode *inode)
{
    if (inode)
        inode_put(inode);
}

static bool is_below(const struct mount *m, const struct mount *top)
{
    for (; m; m = m->parent)
        if (m == top)
            return true;
    return false;
}

/* Drops what m holds in its filesystem and frees it; the superblock is the caller's concern. */
static void free_mount(struct mount *m)
{
    put_if(m->mountpoint);
    put_if(m->mountpoint_dir);
    put_if(m->root_dir);
    inode_put(m->root);
    kfree(m);
}

/* Puts m (alone: its next is overwritten) at the end of list. */
static void append(struct mount **list, struct mount *m)
{
    while (*list)
        list = &(*list)->next;
    m->next = NULL;
    *list = m;
}

static void unlink_mount(struct mount **list, struct mount *m)
{
    while (*list != m)
        list = &(*list)->next;
    *list = m->next;
}

static struct mount *mount_of_sb(const struct mount *list, const struct super_block *sb)
{
    for (const struct mount *m = list; m; m = m->next)
        if (m->sb == sb)
            return (struct mount *)m;
    return NULL;
}

int mount_set_root(struct super_block *sb, const char *source, unsigned long flags)
{
    struct mount *m = NULL;
    if (sb) {
        m = new_mount(sb, sb->root, source, flags);
        if (!m)
            return -ENOMEM;
        sb->readonly = flags & MS_RDONLY;
    }
    if (mounts && !mounts->mountpoint) { /* replaces the root's record, and parents */
        struct mount *old = mounts;
        mounts = old->next;
        for (struct mount *c = mounts; c; c = c->next)
            if (c->parent == old)
                c->parent = m;
        free_mount(old);
    }
    if (m) {
        m->next = mounts;
        mounts = m;
    }
    return 0;
}

/* The newest mount on what after the mount from (NULL: in the whole namespace). */
static struct mount *top_mount_on(const struct inode *what, struct mount *from)
{
    struct mount *top = NULL;
    for (struct mount *m = from ? from->next : mounts; m; m = m->next)
        if (m->mountpoint == what)
            top = m;
    return top;
}

/* The newest mount whose root is root before the mount before (NULL: in the whole namespace). */
static struct mount *top_mount_of_root(const struct inode *root, const struct mount *before)
{
    struct mount *top = NULL;
    for (struct mount *m = mounts; m && m != before; m = m->next)
        if (m->root == root)
            top = m;
    return top;
}

struct mount *mount_of_root(const struct inode *root)
{
    return top_mount_of_root(root, NULL);
}

struct mount *mount_at(const struct inode *at)
{
    struct mount *m = top_mount_on(at, NULL), *up;
    if (!m)
        return at == at->sb->root ? mount_of_root(at) : NULL;
    while ((up = top_mount_on(m->root, m)))
        m = up;
    return m;
}

/* The mount inode is seen in: the top mount whose root it is, else the oldest mount of its
 * filesystem whose root lies above it (the filesystem's own place before a bind's). dir holds
 * inode when it is not a directory. */
static struct mount *mount_containing(struct inode *inode, struct inode *dir)
{
    struct mount *m = mount_of_root(inode);
    if (m)
        return m;
    struct inode *d = S_ISDIR(inode->mode) ? inode : dir;
    for (m = mounts; m; m = m->next) {
        if (m->sb != inode->sb)
            continue;
        bool below = m->root == m->sb->root;
        if (!below && d && S_ISDIR(m->root->mode) && nd_is_ancestor(m->root, d, &below))
            below = false;
        if (below)
            return m;
    }
    return NULL;
}

/* Covers mountpoint, seen in parent (takes references): the new mount goes last, on top. */
static void attach(struct mount *m, struct mount *parent, struct inode *mountpoint,
                   struct inode *mountpoint_dir)
{
    m->parent = parent;
    m->mountpoint = inode_get(mountpoint);
    m->mountpoint_dir = mountpoint_dir ? inode_get(mountpoint_dir) : NULL;
    append(&mounts, m);
}

int mount_add(struct super_block *sb, struct inode *mountpoint, const char *source, unsigned long flags)
{
    struct mount *parent = mount_containing(mountpoint, NULL);
    if (!parent)
        return -ENOENT; /* in a detached tree: nothing joins it, Linux's errno */
    struct mount *m = new_mount(sb, sb->root, source, flags);
    if (!m)
        return -ENOMEM;
    sb->readonly = flags & MS_RDONLY;
    attach(m, parent, mountpoint, NULL);
    return 0;
}

int mount_bind(struct inode *src, struct inode *src_dir, struct inode *mountpoint,
               struct inode *mountpoint_dir)
{
    /* Linux's order: the target's mount, the source's, then the kinds. */
    struct mount *parent = mount_containing(mountpoint, mountpoint_dir);
    if (!parent)
        return -ENOENT;
    struct mount *from = mount_containing(src, src_dir);
    if (!from)
        return -EINVAL; /* a detached tree does not come back */
    if (S_ISDIR(src->mode) != S_ISDIR(mountpoint->mode))
        return -ENOTDIR;
    struct mount *m = new_mount(src->sb, src, from->source, from->flags);
    if (!m)
        return -ENOMEM;
    m->root_dir = src_dir && !S_ISDIR(src->mode) ? inode_get(src_dir) : NULL;
    attach(m, parent, mountpoint, S_ISDIR(mountpoint->mode) ? NULL : mountpoint_dir);
    return 0;
}

/* Takes top and the mounts below it out of the namespace: a list of them in mount order. */
static struct mount *cut_tree(struct mount *top)
{
    struct mount *cut = NULL, **link = &mounts;
    while (*link) {
        struct mount *m = *link;
        if (is_below(m, top)) { /* parents are still set: the ones cut before count */
            *link = m->next;
            append(&cut, m);
        } else {
            link = &m->next;
        }
    }
    return cut;
}

int mount_move(struct inode *at, struct inode *mountpoint, struct inode *mountpoint_dir)
{
    struct mount *parent = mount_containing(mountpoint, mountpoint_dir);
    if (!parent)
        return -ENOENT;
    struct mount *m = mount_at(at);
    if (!m || !m->mountpoint || S_ISDIR(m->root->mode) != S_ISDIR(mountpoint->mode))
        return -EINVAL;
    if (is_below(parent, m))
        return -ELOOP;
    put_if(m->mountpoint_dir);
    inode_put(m->mountpoint);
    m->parent = parent;
    m->mountpoint = inode_get(mountpoint);
    m->mountpoint_dir = mountpoint_dir && !S_ISDIR(mountpoint->mode) ? inode_get(mountpoint_dir) : NULL;
    /* Last, in their order: crossing down only follows mounts forward, so a mount must come
     * after the one whose root it covers. */
    for (struct mount *c = cut_tree(m), *next; c; c = next) {
        next = c->next;
        append(&mounts, c);
    }
    return 0;
}

struct inode *mount_cross_down(struct inode *inode)
{
    struct mount *m = NULL;
    while ((m = top_mount_on(inode, m))) {
        m->expiry_mark = false; /* a walk into it uses it: MNT_EXPIRE starts over, as on Linux */
        struct inode *root = inode_get(m->root);
        inode_put(inode);
        inode = root;
    }
    return inode;
}

struct inode *mount_cross_up(struct inode *dir)
{
    struct mount *m = NULL;
    while ((m = top_mount_of_root(dir, m)) && m->mountpoint)
        dir = m->mountpoint;
    return dir;
}

void mount_count_file(const struct file *f, int delta)
{
    f->inode->sb->open_files += delta;
    if (f->dir && f->dir->sb != f->inode->sb)
        f->dir->sb->open_files += delta;
}

static bool sb_busy(struct super_block *sb)
{
    return sb->open_files || (reap_busy && reap_busy(sb));
}

/* Takes top and the mounts below it out of the namespace, onto the detached list: what they
 * covered is uncovered; their roots stay held until mount_reap frees them. */
static void retire_tree(struct mount *top)
{
    struct mount *m = cut_tree(top);
    while (m) {
        struct mount *next = m->next;
        put_if(m->mountpoint_dir);
        inode_put(m->mountpoint);
        m->mountpoint = m->mountpoint_dir = NULL;
        m->parent = NULL;
        append(&detached, m);
        m = next;
    }
}

/* Frees sb's detached mounts once nothing needs them: at once when sb is still mounted elsewhere
 * (it lives on there), else when nothing uses sb any more, and then releases sb. Whether it did. */
static bool reap_sb(struct super_block *sb)
{
    bool mounted = mount_of_sb(mounts, sb);
    if (!mounted && sb_busy(sb))
        return false;
    struct mount *m;
    while ((m = mount_of_sb(detached, sb))) { /* they hold inodes: before put_super */
        unlink_mount(&detached, m);
        free_mount(m);
    }
    if (!mounted)
        mount_release_sb(sb);
    return true;
}

void mount_reap(void)
{
    struct mount *m = detached;
    while (m)
        m = reap_sb(m->sb) ? detached : m->next; /* freed ones may include m->next: start over */
}

int mount_umount(struct inode *at, int flags, mount_busy_fn busy)
{
    struct mount *m = mount_at(at);
    inode_put(at);
    if (!m)
        return -EINVAL;
    if ((flags & MNT_EXPIRE) && (!m->mountpoint || (flags & (MNT_FORCE | MNT_DETACH))))
        return -EINVAL;
    if (!m->mountpoint)
        return -EBUSY; /* the namespace root stays, as on Linux */
    reap_busy = busy;
    if (!(flags & MNT_DETACH)) {
        for (struct mount *c = mounts; c; c = c->next)
            if (c->parent == m)
                return -EBUSY;
        /* Open files and cwds cannot tell which mount they came through: only the last mount of
         * a filesystem is busy, the others leave it alive behind them. */
        bool last = mount_of_sb(mounts, m->sb) == m && !mount_of_sb(m->next, m->sb);
        if (last && sb_busy(m->sb))
            return -EBUSY;
        if ((flags & MNT_EXPIRE) && !m->expiry_mark) {
            m->expiry_mark = true;
            return -EAGAIN;
        }
    }
    retire_tree(m);
    mount_reap();
    return 0;
}

void mount_for_each_sb(void (*fn)(struct super_block *sb, void *ctx), void *ctx)
{
    /* Each superblock once: at its first mount, attached ones before detached ones. */
    for (struct mount *m = mounts; m; m = m->next)
        if (mount_of_sb(mounts, m->sb) == m)
            fn(m->sb, ctx);
    for (struct mount *m = detached; m; m = m->next)
        if (!mount_of_sb(mounts, m->sb) && mount_of_sb(detached, m->sb) == m)
            fn(m->sb, ctx);
}

void mount_release_sb(struct super_block *sb)
{
    if (!sb->ops || !sb->ops->put_super)
        panic("mount: filesystem %s has no put_super", sb->type ? sb->type->name : "?");
    sb->ops->put_super(sb);
}

/* ---- Paths of directories ---- */

struct find_name {
    uint64_t ino;
    char *name; /* NAME_MAX + 1 bytes */
    bool found;
};

static bool match_ino(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
                      uint64_t next_pos)
{
    (void)dtype, (void)next_pos;
    struct find_name *fn = ctx;
    bool dots = (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
    if (dots || ino != fn->ino)
        return true;
    memcpy(fn->name, name, len);
    fn->name[len] = '\0';
    fn->found = true;
    return false;
}

/* Prepends "/name" of dir (found in parent by its inode number) at *pos, which moves towards buf. */
static int prepend_name(struct inode *parent, struct inode *dir, char *buf, char **pos, char *name)
{
    struct find_name fn = {dir->ino, name, false};
    uint64_t rpos = 0;
    int err = parent->ops->readdir(parent, &rpos, match_ino, &fn);
    if (err)
        return err;
    if (!fn.found)
        return -ENOENT; /* dir was removed: it has no path any more */
    size_t len = strlen(name);
    if ((size_t)(*pos - buf) < len + 1)
        return -ENAMETOOLONG;
    *pos -= len;
    memcpy(*pos, name, len);
    *--*pos = '/';
    return 0;
}

/* Directories know their parent, not their name: each step up finds the name by reading the
 * parent. When cross, the root of a mount steps to what it covers first: mnt is the mount cur is
 * known to be seen in, which gives the way up exactly (a mount's parent holds its mountpoint);
 * NULL when unknown (a cwd), where the newest mount whose root cur is decides, as for "..".
 * 1 when the climb ended before root (at the namespace root or the top of a tree: root is in a
 * chroot below it), 0 when it reached root. */
static int build_path(struct inode *root, struct inode *dir, struct mount *mnt, bool cross, char *buf,
                      char **pos, char *name)
{
    struct inode *cur = inode_get(dir);
    int err = 0;
    while (cur != root) {
        struct mount *m = !cross ? NULL : mnt ? mnt : mount_of_root(cur);
        if (m && m->root == cur) {
            if (!m->mountpoint) {
                err = 1; /* the namespace root */
                break;
            }
            inode_put(cur);
            cur = inode_get(m->mountpoint);
            mnt = m->parent;
            continue;
        }
        struct inode *parent;
        err = cur->ops->lookup(cur, "..", 2, &parent);
        if (err)
            break;
        if (parent == cur) { /* the top of a tree that does not contain root */
            inode_put(parent);
            err = 1;
            break;
        }
        err = prepend_name(parent, cur, buf, pos, name);
        inode_put(cur);
        cur = parent;
        if (err)
            break;
    }
    inode_put(cur);
    return err;
}

/* The path of inode from root: a directory's own, or a file's name in dir after dir's path. As
 * build_path, 1 when root was not met on the way. */
static int inode_path(struct inode *root, struct inode *inode, struct inode *dir, struct mount *mnt,
                      bool cross, char *buf, size_t size, char **start)
{
    char *name = kmalloc(NAME_MAX + 1);
    if (!name)
        return -ENOMEM;
    char *pos = buf + size;
    *--pos = '\0';
    int err = 0;
    if (dir && !S_ISDIR(inode->mode)) {
        err = prepend_name(dir, inode, buf, &pos, name);
        inode = dir;
    }
    if (!err)
        err = build_path(root, inode, mnt, cross, buf, &pos, name);
    kfree(name);
    if (err >= 0 && pos == buf + size - 1)
        *--pos = '/';
    *start = pos;
    return err;
}

int vfs_dir_path(struct inode *root, struct inode *dir, char *buf, size_t size, char **start)
{
    int err = inode_path(root, dir, NULL, NULL, true, buf, size, start);
    return err > 0 ? 0 : err; /* outside a chroot: the path from the top of dir's tree */
}

int mount_point_path(const struct mount *m, struct inode *root, char *buf, size_t size, char **start)
{
    /* Climbing from the mount's own root, the mount is known all the way up; a file mount
     * starts from the directory holding its mountpoint. */
    int err = m->mountpoint_dir
                  ? inode_path(root, m->mountpoint, m->mountpoint_dir, m->parent, true, buf, size, start)
                  : inode_path(root, m->root, NULL, (struct mount *)m, true, buf, size, start);
    return err > 0 ? -ENOENT : err;
}

int mount_root_path(const struct mount *m, char *buf, size_t size, char **start)
{
    int err = inode_path(m->sb->root, m->root, m->root_dir, NULL, false, buf, size, start);
    return err > 0 ? 0 : err;
}
