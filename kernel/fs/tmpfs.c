/* tmpfs: directories are lists of entries, file data lives in 4 KiB pages found through a radix
 * tree (so sparse files cost nothing for their holes), symlink targets are strings. */
#include <kestrel/dcache.h>
#include <kestrel/panic.h>
#include <kestrel/tmpfs.h>
#include <uapi/dirent.h>
#include "internal.h"

#define TMPFS_PAGE_SIZE  4096ul
#define TMPFS_PAGE_SHIFT 12
/* A radix-tree node is one page of pointers: 512 children, 9 bits of page index per level. */
#define NODE_SLOTS       512
#define NODE_SHIFT       9
/* Linux's tmpfs reports this many bytes per entry as a directory's size; tools only compare it. */
#define DIRENT_BOGO_SIZE 20

struct tmpfs_dirent {
    struct tmpfs_dirent *next;
    struct inode *inode; /* counted in the inode's nlink, not its refcount */
    uint64_t cookie;     /* readdir position: increases along the list, never reused */
    size_t len;
    char name[];
};

struct tmpfs_inode {
    struct inode vfs;
    union {
        struct {
            struct tmpfs_dirent *head;
            struct tmpfs_dirent **tail; /* where the next entry is linked */
            uint64_t next_cookie;
            uint64_t entries;
            struct inode *parent; /* a reference, except the root's (itself) */
        } dir;
        struct {
            void **root;     /* NULL exactly when height is 0 */
            unsigned height; /* levels of nodes above the data pages */
            uint64_t pages;  /* data pages allocated */
        } file;
        char *target; /* symlinks */
    };
};

/* The superblock with the count statfs reports. */
struct tmpfs_sb {
    struct super_block sb;
    uint64_t pages; /* data pages of every file together */
};

static const struct inode_ops tmpfs_ops;

static struct tmpfs_sb *TS(struct super_block *sb)
{
    return container_of(sb, struct tmpfs_sb, sb);
}

uint64_t tmpfs_pages_used(struct super_block *sb)
{
    return TS(sb)->pages;
}

static struct tmpfs_inode *T(struct inode *inode)
{
    return container_of(inode, struct tmpfs_inode, vfs);
}

static void touch(struct inode *inode, bool modified)
{
    vfs_now(&inode->ctime);
    if (modified)
        inode->mtime = inode->ctime;
}

/* ---- File pages ---- */

/* How many pages a tree of the given height reaches. */
static uint64_t tree_capacity(unsigned height)
{
    return height ? 1ull << (NODE_SHIFT * height) : 0;
}

/* The page holding index, or NULL for a hole. */
static void *page_find(struct tmpfs_inode *ti, uint64_t index)
{
    if (index >= tree_capacity(ti->file.height))
        return NULL;
    void **node = ti->file.root;
    for (unsigned level = ti->file.height; level > 1; level--) {
        node = node[(index >> (NODE_SHIFT * (level - 1))) & (NODE_SLOTS - 1)];
        if (!node)
            return NULL;
    }
    return node[index & (NODE_SLOTS - 1)];
}

/* The page holding index, allocating it and the nodes above it as needed. A new page is zeroed
 * unless the caller overwrites all of it (whole): clearing a page about to be overwritten was a
 * quarter of tmpfs_write's profile (docs/performance.md). */
static void *page_get(struct tmpfs_inode *ti, uint64_t index, bool whole)
{
    while (index >= tree_capacity(ti->file.height)) {
        void **node = kzalloc(TMPFS_PAGE_SIZE);
        if (!node)
            return NULL;
        node[0] = ti->file.root;
        ti->file.root = node;
        ti->file.height++;
    }
    void **slot = NULL, **node = ti->file.root;
    for (unsigned level = ti->file.height;; level--) {
        slot = &node[(index >> (NODE_SHIFT * (level - 1))) & (NODE_SLOTS - 1)];
        if (level == 1)
            break;
        if (!*slot && !(*slot = kzalloc(TMPFS_PAGE_SIZE)))
            return NULL;
        node = *slot;
    }
    if (!*slot) {
        if (!(*slot = whole ? kmalloc(TMPFS_PAGE_SIZE) : kzalloc(TMPFS_PAGE_SIZE)))
            return NULL;
        ti->file.pages++;
        TS(ti->vfs.sb)->pages++;
        ti->vfs.blocks = ti->file.pages * (TMPFS_PAGE_SIZE / 512);
    }
    return *slot;
}

/* Frees the pages with index >= first below node, which covers NODE_SLOTS^level pages from base
 * on; nodes left without pages are freed too unless they hold some page below first. */
static void free_pages_from(struct tmpfs_inode *ti, void **node, unsigned level, uint64_t base,
                            uint64_t first)
{
    uint64_t span = 1ull << (NODE_SHIFT * (level - 1)); /* pages under each slot */
    for (unsigned i = 0; i < NODE_SLOTS; i++) {
        uint64_t child_base = base + i * span;
        if (!node[i] || child_base + span <= first)
            continue;
        if (level > 1)
            free_pages_from(ti, node[i], level - 1, child_base, first);
        else {
            ti->file.pages--;
            TS(ti->vfs.sb)->pages--;
        }
        if (child_base >= first) {
            kfree(node[i]);
            node[i] = NULL;
        }
    }
}

static void file_shrink(struct tmpfs_inode *ti, uint64_t size)
{
    uint64_t first = (size + TMPFS_PAGE_SIZE - 1) >> TMPFS_PAGE_SHIFT;
    if (ti->file.height && first < tree_capacity(ti->file.height)) {
        free_pages_from(ti, ti->file.root, ti->file.height, 0, first);
        if (first == 0) {
            kfree(ti->file.root);
            ti->file.root = NULL;
            ti->file.height = 0;
        }
    }
    /* Zero the tail of the last page so that growing the file again reads zeroes there. */
    size_t off = size & (TMPFS_PAGE_SIZE - 1);
    char *page = off ? page_find(ti, size >> TMPFS_PAGE_SHIFT) : NULL;
    if (page)
        memset(page + off, 0, TMPFS_PAGE_SIZE - off);
    ti->vfs.blocks = ti->file.pages * (TMPFS_PAGE_SIZE / 512);
}

static ssize_t tmpfs_read(struct inode *inode, void *buf, size_t count, uint64_t pos)
{
    struct tmpfs_inode *ti = T(inode);
    if (pos >= inode->size)
        return 0;
    count = MIN(count, inode->size - pos);
    for (size_t done = 0; done < count;) {
        uint64_t at = pos + done;
        size_t off = at & (TMPFS_PAGE_SIZE - 1), n = MIN(TMPFS_PAGE_SIZE - off, count - done);
        const char *page = page_find(ti, at >> TMPFS_PAGE_SHIFT);
        if (page)
            memcpy((char *)buf + done, page + off, n);
        else
            memset((char *)buf + done, 0, n);
        done += n;
    }
    return (ssize_t)count;
}

static ssize_t tmpfs_write(struct inode *inode, const void *buf, size_t count, uint64_t pos)
{
    struct tmpfs_inode *ti = T(inode);
    size_t done = 0;
    while (done < count) {
        uint64_t at = pos + done;
        size_t off = at & (TMPFS_PAGE_SIZE - 1), n = MIN(TMPFS_PAGE_SIZE - off, count - done);
        /* buf is kernel memory, so the copy cannot stop short and leave a hole of garbage. */
        char *page = page_get(ti, at >> TMPFS_PAGE_SHIFT, n == TMPFS_PAGE_SIZE);
        if (!page)
            break;
        memcpy(page + off, (const char *)buf + done, n);
        done += n;
    }
    if (done == 0)
        return -ENOMEM;
    if (pos + done > inode->size)
        inode->size = pos + done;
    touch(inode, true);
    return (ssize_t)done;
}

static int tmpfs_truncate(struct inode *inode, uint64_t size)
{
    if (size < inode->size)
        file_shrink(T(inode), size);
    inode->size = size; /* growing only moves the end: the new range is a hole */
    return 0;
}

/* ---- Inodes ---- */

static struct tmpfs_inode *new_inode(struct super_block *sb, uint32_t mode)
{
    struct tmpfs_inode *ti = kzalloc(sizeof(*ti));
    if (!ti)
        return NULL;
    inode_init(&ti->vfs, sb, &tmpfs_ops, mode);
    if (S_ISDIR(mode)) {
        ti->vfs.nlink = 2; /* its entry in the parent, and its own "." */
        ti->vfs.size = 2 * DIRENT_BOGO_SIZE;
        ti->dir.tail = &ti->dir.head;
        ti->dir.next_cookie = 2; /* 0 and 1 are "." and ".." */
    }
    return ti;
}

static void free_inode(struct tmpfs_inode *ti)
{
    struct inode *inode = &ti->vfs;
    switch (inode->mode & S_IFMT) {
    case S_IFREG:
        file_shrink(ti, 0);
        break;
    case S_IFLNK:
        kfree(ti->target);
        break;
    case S_IFDIR:
        BUG_ON(ti->dir.head);
        if (ti->dir.parent != inode)
            inode_put(ti->dir.parent);
        break;
    }
    inode->sb->live_inodes--;
    kfree(ti);
}

static void tmpfs_release(struct inode *inode)
{
    if (inode->nlink == 0)
        free_inode(T(inode));
}

/* Removes one link; the inode goes once it has neither links nor references. */
static void drop_link(struct inode *inode)
{
    inode_get(inode);
    if (S_ISDIR(inode->mode))
        inode->nlink = 0; /* its entry and its "." go together */
    else
        inode->nlink--;
    touch(inode, false);
    inode_put(inode);
}

static int tmpfs_setattr(struct inode *inode, const struct iattr *attr)
{
    if (attr->valid & ATTR_SIZE) {
        int err = tmpfs_truncate(inode, attr->size);
        if (err)
            return err;
    }
    inode_apply_attr(inode, attr);
    return 0;
}

static int tmpfs_getattr(struct inode *inode, struct stat *st)
{
    inode_fill_stat(inode, st);
    return 0;
}

/* ---- Directories ---- */

static struct tmpfs_dirent *find(struct tmpfs_inode *dir, const char *name, size_t len,
                                 struct tmpfs_dirent ***link)
{
    struct tmpfs_dirent **pp = &dir->dir.head;
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->len == len && memcmp((*pp)->name, name, len) == 0) {
            if (link)
                *link = pp;
            return *pp;
        }
    }
    return NULL;
}

static struct tmpfs_dirent *new_dirent(const char *name, size_t len, struct inode *inode)
{
    struct tmpfs_dirent *e = kmalloc(sizeof(*e) + len + 1);
    if (!e)
        return NULL;
    e->next = NULL;
    e->inode = inode;
    e->cookie = 0;
    e->len = len;
    memcpy(e->name, name, len);
    e->name[len] = 0;
    return e;
}

/* Links e at the end of dir (so readdir positions only grow). */
static void add_dirent(struct tmpfs_inode *dir, struct tmpfs_dirent *e)
{
    e->cookie = dir->dir.next_cookie++;
    *dir->dir.tail = e;
    dir->dir.tail = &e->next;
    dir->dir.entries++;
    dir->vfs.size += DIRENT_BOGO_SIZE;
    touch(&dir->vfs, true);
}

static void remove_dirent(struct tmpfs_inode *dir, struct tmpfs_dirent **link)
{
    struct tmpfs_dirent *e = *link;
    *link = e->next;
    if (dir->dir.tail == &e->next)
        dir->dir.tail = link;
    dir->dir.entries--;
    dir->vfs.size -= DIRENT_BOGO_SIZE;
    touch(&dir->vfs, true);
    kfree(e);
}

static int add_entry(struct inode *dir, const char *name, size_t len, struct inode *inode)
{
    struct tmpfs_dirent *e = new_dirent(name, len, inode);
    if (!e)
        return -ENOMEM;
    add_dirent(T(dir), e);
    return 0;
}

static void set_parent(struct inode *child, struct inode *parent)
{
    struct inode *old = T(child)->dir.parent;
    T(child)->dir.parent = inode_get(parent);
    inode_put(old);
}

static int tmpfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    if (len == 2 && name[0] == '.' && name[1] == '.') {
        *out = inode_get(T(dir)->dir.parent);
        return 0;
    }
    struct tmpfs_dirent *e = find(T(dir), name, len, NULL);
    if (!e)
        return -ENOENT;
    *out = inode_get(e->inode);
    return 0;
}

/* A new inode linked into dir; the caller gets the creation reference. */
static int create_inode(struct inode *dir, const char *name, size_t len, uint32_t mode,
                        struct tmpfs_inode **out)
{
    struct tmpfs_inode *ti = new_inode(dir->sb, mode);
    if (!ti)
        return -ENOMEM;
    int err = add_entry(dir, name, len, &ti->vfs);
    if (err) {
        ti->vfs.nlink = 0;
        inode_put(&ti->vfs);
        return err;
    }
    *out = ti;
    return 0;
}

static int tmpfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
    struct tmpfs_inode *ti;
    int err = create_inode(dir, name, len, mode, &ti);
    if (!err)
        *out = &ti->vfs;
    return err;
}

static int tmpfs_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
    struct tmpfs_inode *ti = new_inode(dir->sb, S_IFDIR | mode);
    if (!ti)
        return -ENOMEM;
    ti->dir.parent = inode_get(dir);
    int err = add_entry(dir, name, len, &ti->vfs);
    if (err) {
        ti->vfs.nlink = 0;
        inode_put(&ti->vfs);
        return err;
    }
    dir->nlink++; /* the new directory's ".." */
    inode_put(&ti->vfs);
    return 0;
}

static int tmpfs_mknod(struct inode *dir, const char *name, size_t len, uint32_t mode, uint32_t rdev)
{
    struct tmpfs_inode *ti;
    int err = create_inode(dir, name, len, mode, &ti);
    if (err)
        return err;
    ti->vfs.rdev = rdev;
    inode_put(&ti->vfs);
    return 0;
}

static int tmpfs_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
    size_t n = strlen(target);
    char *copy = kmalloc(n + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, target, n + 1);
    struct tmpfs_inode *ti;
    int err = create_inode(dir, name, len, S_IFLNK | 0777, &ti);
    if (err) {
        kfree(copy);
        return err;
    }
    ti->target = copy;
    ti->vfs.size = n;
    inode_put(&ti->vfs);
    return 0;
}

static int tmpfs_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
    int err = add_entry(dir, name, len, target);
    if (err)
        return err;
    target->nlink++;
    touch(target, false);
    return 0;
}

static int tmpfs_unlink(struct inode *dir, const char *name, size_t len)
{
    struct tmpfs_dirent **link;
    struct tmpfs_dirent *e = find(T(dir), name, len, &link);
    if (!e)
        return -ENOENT;
    struct inode *inode = e->inode;
    remove_dirent(T(dir), link);
    drop_link(inode);
    return 0;
}

static int tmpfs_rmdir(struct inode *dir, const char *name, size_t len)
{
    struct tmpfs_dirent **link;
    struct tmpfs_dirent *e = find(T(dir), name, len, &link);
    if (!e)
        return -ENOENT;
    struct inode *victim = e->inode;
    if (T(victim)->dir.entries)
        return -ENOTEMPTY;
    remove_dirent(T(dir), link);
    dir->nlink--; /* the victim's ".." */
    drop_link(victim);
    return 0;
}

/* A directory changing parents moves its ".." link along. */
static void reparent(struct inode *child, struct inode *from, struct inode *to)
{
    if (!S_ISDIR(child->mode) || from == to)
        return;
    set_parent(child, to);
    from->nlink--;
    to->nlink++;
}

static int tmpfs_rename(struct inode *olddir, const char *oldname, size_t oldlen, struct inode *newdir,
                        const char *newname, size_t newlen, unsigned flags)
{
    struct tmpfs_dirent **olink, **nlink;
    struct tmpfs_dirent *oe = find(T(olddir), oldname, oldlen, &olink);
    struct tmpfs_dirent *ne = find(T(newdir), newname, newlen, &nlink);
    if (!oe)
        return -ENOENT;
    struct inode *src = oe->inode;

    if (flags & RENAME_EXCHANGE) {
        if (!ne)
            return -ENOENT;
        struct inode *dst = ne->inode;
        oe->inode = dst;
        ne->inode = src;
        reparent(src, olddir, newdir);
        reparent(dst, newdir, olddir);
        touch(olddir, true);
        touch(newdir, true);
        touch(src, false);
        touch(dst, false);
        return 0;
    }

    if (ne) {
        /* Replace in place: newname points at src from one instant to the next. */
        struct inode *dst = ne->inode;
        if (S_ISDIR(dst->mode) && T(dst)->dir.entries)
            return -ENOTEMPTY;
        ne->inode = src;
        touch(newdir, true);
        if (S_ISDIR(dst->mode))
            newdir->nlink--; /* dst's ".." */
        drop_link(dst);
    } else {
        /* Appending changes only the last entry's next field, so olink stays valid. */
        int err = add_entry(newdir, newname, newlen, src);
        if (err)
            return err;
    }
    remove_dirent(T(olddir), olink);
    reparent(src, olddir, newdir);
    touch(src, false);
    return 0;
}

static int tmpfs_readdir(struct inode *dir, uint64_t *pos, filldir_t emit, void *ctx)
{
    struct tmpfs_inode *ti = T(dir);
    if (*pos == 0) {
        if (!emit(ctx, ".", 1, dir->ino, DT_DIR, 1))
            return 0;
        *pos = 1;
    }
    if (*pos == 1) {
        if (!emit(ctx, "..", 2, ti->dir.parent->ino, DT_DIR, 2))
            return 0;
        *pos = 2;
    }
    for (struct tmpfs_dirent *e = ti->dir.head; e; e = e->next) {
        if (e->cookie < *pos)
            continue;
        if (!emit(ctx, e->name, e->len, e->inode->ino, IFTODT(e->inode->mode), e->cookie + 1))
            return 0;
        *pos = e->cookie + 1;
    }
    return 0;
}

static ssize_t tmpfs_readlink(struct inode *link, char *buf, size_t size)
{
    size_t n = MIN(size, link->size);
    memcpy(buf, T(link)->target, n);
    return (ssize_t)n;
}

static const struct inode_ops tmpfs_ops = {
    .lookup = tmpfs_lookup,
    .create = tmpfs_create,
    .mkdir = tmpfs_mkdir,
    .mknod = tmpfs_mknod,
    .symlink = tmpfs_symlink,
    .link = tmpfs_link,
    .unlink = tmpfs_unlink,
    .rmdir = tmpfs_rmdir,
    .rename = tmpfs_rename,
    .readdir = tmpfs_readdir,
    .readlink = tmpfs_readlink,
    .read = tmpfs_read,
    .write = tmpfs_write,
    .truncate = tmpfs_truncate,
    .getattr = tmpfs_getattr,
    .setattr = tmpfs_setattr,
    .release = tmpfs_release,
};

/* ---- Mounting ---- */

int tmpfs_mount(struct super_block **out)
{
    struct tmpfs_sb *ts = kmalloc(sizeof(*ts));
    if (!ts)
        return -ENOMEM;
    struct super_block *sb = &ts->sb;
    super_init(sb);
    ts->pages = 0;
    struct tmpfs_inode *root = new_inode(sb, S_IFDIR | 0755);
    if (!root) {
        kfree(ts);
        return -ENOMEM;
    }
    root->dir.parent = &root->vfs;
    sb->root = &root->vfs; /* the creation reference becomes the superblock's */
    *out = sb;
    return 0;
}

void tmpfs_unmount(struct super_block *sb)
{
    dcache_prune_sb(sb);
    /* Depth first without recursion (trees can be deep): descend into the first entry while it is
     * a non-empty directory, otherwise remove it; climb back up when a directory empties. */
    struct inode *root = sb->root, *dir = root;
    for (;;) {
        struct tmpfs_dirent *e = T(dir)->dir.head;
        if (!e) {
            if (dir == root)
                break;
            dir = T(dir)->dir.parent;
            continue;
        }
        struct inode *child = e->inode;
        if (S_ISDIR(child->mode) && T(child)->dir.head) {
            dir = child;
            continue;
        }
        remove_dirent(T(dir), &T(dir)->dir.head);
        if (S_ISDIR(child->mode))
            dir->nlink--;
        drop_link(child);
    }
    BUG_ON(root->refcount != 1);
    root->nlink = 0;
    inode_put(root);
    if (sb->live_inodes)
        panic("tmpfs: unmount with %llu inode(s) still referenced", (unsigned long long)sb->live_inodes);
    kfree(TS(sb));
}
