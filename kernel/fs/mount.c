/* The mount table (see kestrel/mount.h): a list in mount order, protected by the VFS lock. A handful
 * of mounts is the normal case, so lookups are linear scans. */
#include <kestrel/format.h>
#include <kestrel/mount.h>
#include <kestrel/panic.h>
#include "internal.h"

static struct mount *mounts; /* the root mount first once set, then in mount order */

struct mount *mount_first(void)
{
    return mounts;
}

static struct mount *new_mount(struct super_block *sb, const char *source, unsigned long flags)
{
    struct mount *m = kzalloc(sizeof(*m));
    if (!m)
        return NULL;
    m->sb = sb;
    m->flags = flags & MS_MNT_FLAGS;
    ksnprintf(m->source, sizeof(m->source), "%s", source && *source ? source : "none");
    sb->readonly = flags & MS_RDONLY;
    return m;
}

int mount_set_root(struct super_block *sb, const char *source, unsigned long flags)
{
    if (mounts && !mounts->mountpoint) { /* replaces the root's record */
        struct mount *old = mounts;
        mounts = old->next;
        kfree(old);
    }
    if (!sb)
        return 0;
    struct mount *m = new_mount(sb, source, flags);
    if (!m)
        return -ENOMEM;
    m->next = mounts;
    mounts = m;
    return 0;
}

int mount_add(struct super_block *sb, struct inode *mountpoint, const char *source, unsigned long flags)
{
    struct mount *m = new_mount(sb, source, flags);
    if (!m)
        return -ENOMEM;
    m->mountpoint = inode_get(mountpoint);
    struct mount **link = &mounts;
    while (*link)
        link = &(*link)->next;
    *link = m;
    return 0;
}

struct mount *mount_of_root(const struct inode *root)
{
    if (root != root->sb->root)
        return NULL;
    for (struct mount *m = mounts; m; m = m->next)
        if (m->sb == root->sb)
            return m;
    return NULL;
}

/* The newest mount on dir: it is the one seen, the older ones lie below it. */
static struct mount *top_mount_on(const struct inode *dir)
{
    struct mount *top = NULL;
    for (struct mount *m = mounts; m; m = m->next)
        if (m->mountpoint == dir)
            top = m;
    return top;
}

struct inode *mount_cross_down(struct inode *inode)
{
    struct mount *m;
    while ((m = top_mount_on(inode))) {
        struct inode *root = inode_get(m->sb->root);
        inode_put(inode);
        inode = root;
    }
    return inode;
}

struct inode *mount_cross_up(struct inode *dir)
{
    struct mount *m;
    while ((m = mount_of_root(dir)) && m->mountpoint)
        dir = m->mountpoint;
    return dir;
}

static void count_files(const struct super_block *sb, int delta)
{
    for (struct mount *m = mounts; m; m = m->next)
        if (m->sb == sb)
            m->open_files += delta;
}

void mount_count_file(const struct file *f, int delta)
{
    count_files(f->inode->sb, delta);
    if (f->dir && f->dir->sb != f->inode->sb)
        count_files(f->dir->sb, delta);
}

int mount_remove(struct inode *root, bool (*busy)(struct super_block *sb))
{
    struct mount *m = mount_of_root(root);
    if (!m || !m->mountpoint)
        return m ? -EBUSY : -EINVAL; /* the namespace root stays, as on Linux */
    for (struct mount *c = mounts; c; c = c->next)
        if (c->mountpoint && c->mountpoint->sb == m->sb)
            return -EBUSY;
    if (m->open_files || (busy && busy(m->sb)))
        return -EBUSY;
    struct mount **link = &mounts;
    while (*link != m)
        link = &(*link)->next;
    *link = m->next;
    inode_put(m->mountpoint);
    kfree(m);
    return 0;
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
 * parent, and a mounted root steps to the directory it covers first. */
static int build_path(struct inode *root, struct inode *dir, char *buf, char **pos, char *name)
{
    struct inode *cur = inode_get(dir);
    int err = 0;
    for (;;) {
        struct inode *up = mount_cross_up(cur);
        if (up != cur) {
            inode_put(cur);
            cur = inode_get(up);
        }
        if (cur == root)
            break;
        struct inode *parent;
        err = cur->ops->lookup(cur, "..", 2, &parent);
        if (err)
            break;
        if (parent == cur) { /* the top of a tree that does not contain root */
            inode_put(parent);
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

int vfs_dir_path(struct inode *root, struct inode *dir, char *buf, size_t size, char **start)
{
    char *name = kmalloc(NAME_MAX + 1);
    if (!name)
        return -ENOMEM;
    char *pos = buf + size;
    *--pos = '\0';
    int err = build_path(root, dir, buf, &pos, name);
    kfree(name);
    if (!err && pos == buf + size - 1)
        *--pos = '/';
    *start = pos;
    return err;
}
