/* ext2 directory operations: each one either completes or leaves the filesystem as it was, so
 * running out of blocks or inodes (ENOSPC) part way leaves nothing half done for e2fsck to find.
 * The step that can run out of space (adding a directory entry) comes before the ones that
 * cannot (removing or repointing entries, link counts). */
#include <uapi/fcntl.h>
#include "ext2.h"

/* ext2's limit on hard links (EXT2_LINK_MAX), which also caps subdirectories. */
#define EXT2_LINK_MAX 32000

int ext2_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    uint32_t ino;
    int err = ext2_dir_find(dir, name, len, &ino);
    if (err)
        return err;
    return ext2_iget(EXT2_FS(dir->sb), ino, out);
}

/* Undoes a new inode: with no link, its last reference frees it on disk. */
static void discard(struct inode *inode)
{
    inode->nlink = 0;
    inode_put(inode);
}

/* A new inode of mode, named name in dir; the caller gets the reference. prepare fills the inode
 * (a directory's first block, a symlink's target) before the entry makes it visible. */
static int create_named(struct inode *dir, const char *name, size_t len, uint32_t mode,
                        int (*prepare)(struct inode *inode, struct inode *dir, const void *arg),
                        const void *arg, struct inode **out)
{
    if (dir->sb->readonly)
        return -EROFS;
    struct inode *inode;
    int err = ext2_new_inode(dir, mode, &inode);
    if (err)
        return err;
    if (prepare)
        err = prepare(inode, dir, arg);
    if (!err)
        err = ext2_dir_add(dir, name, len, (uint32_t)inode->ino, mode);
    if (err) {
        discard(inode);
        return err;
    }
    *out = inode;
    return 0;
}

int ext2_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
    return create_named(dir, name, len, mode, NULL, NULL, out);
}

static int prepare_dir(struct inode *inode, struct inode *dir, const void *arg)
{
    (void)arg;
    inode->nlink = 2; /* its entry and its own "." */
    return ext2_dir_init(inode, (uint32_t)dir->ino);
}

int ext2_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
    if (dir->nlink >= EXT2_LINK_MAX)
        return -EMLINK;
    struct inode *inode;
    int err = create_named(dir, name, len, S_IFDIR | mode, prepare_dir, NULL, &inode);
    if (err)
        return err;
    dir->nlink++; /* the new directory's ".." */
    ext2_write_inode(dir);
    inode_put(inode);
    return 0;
}

static int prepare_node(struct inode *inode, struct inode *dir, const void *arg)
{
    (void)dir;
    if (S_ISCHR(inode->mode) || S_ISBLK(inode->mode))
        ext2_set_rdev(inode, *(const uint32_t *)arg);
    return ext2_write_inode(inode);
}

int ext2_mknod(struct inode *dir, const char *name, size_t len, uint32_t mode, uint32_t rdev)
{
    struct inode *inode;
    int err = create_named(dir, name, len, mode, prepare_node, &rdev, &inode);
    if (!err)
        inode_put(inode);
    return err;
}

static int prepare_symlink(struct inode *inode, struct inode *dir, const void *arg)
{
    (void)dir;
    return ext2_symlink_store(inode, arg, strlen(arg));
}

int ext2_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
    struct inode *inode;
    int err = create_named(dir, name, len, S_IFLNK | 0777, prepare_symlink, target, &inode);
    if (!err)
        inode_put(inode);
    return err;
}

int ext2_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
    if (dir->sb->readonly)
        return -EROFS;
    if (target->nlink >= EXT2_LINK_MAX)
        return -EMLINK;
    int err = ext2_dir_add(dir, name, len, (uint32_t)target->ino, target->mode);
    if (err)
        return err;
    target->nlink++;
    ext2_touch(target, false);
    return 0;
}

/* The inode name names in dir, with a reference. */
static int get_entry(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    uint32_t ino;
    int err = ext2_dir_find(dir, name, len, &ino);
    return err ? err : ext2_iget(EXT2_FS(dir->sb), ino, out);
}

/* One directory entry naming inode is gone (a directory's "." goes with it). */
static void drop_link(struct inode *inode)
{
    inode->nlink = S_ISDIR(inode->mode) ? 0 : inode->nlink - 1;
    ext2_touch(inode, false);
}

int ext2_unlink(struct inode *dir, const char *name, size_t len)
{
    if (dir->sb->readonly)
        return -EROFS;
    struct inode *victim;
    int err = get_entry(dir, name, len, &victim);
    if (err)
        return err;
    err = ext2_dir_remove(dir, name, len);
    if (!err)
        drop_link(victim);
    inode_put(victim); /* frees it now if nothing else holds it */
    return err;
}

static int check_empty(struct inode *dir)
{
    bool empty;
    int err = ext2_dir_is_empty(dir, &empty);
    return err ? err : empty ? 0 : -ENOTEMPTY;
}

int ext2_rmdir(struct inode *dir, const char *name, size_t len)
{
    if (dir->sb->readonly)
        return -EROFS;
    struct inode *victim;
    int err = get_entry(dir, name, len, &victim);
    if (err)
        return err;
    err = check_empty(victim);
    if (!err)
        err = ext2_dir_remove(dir, name, len);
    if (!err) {
        drop_link(victim);
        dir->nlink--; /* the victim's ".." */
        ext2_write_inode(dir);
    }
    inode_put(victim);
    return err;
}

/* A directory that changed parents: its ".." and both parents' link counts follow. */
static int reparent(struct inode *child, struct inode *from, struct inode *to)
{
    if (!S_ISDIR(child->mode) || from == to)
        return 0;
    int err = ext2_dir_set(child, "..", 2, (uint32_t)to->ino, S_IFDIR);
    if (err)
        return err;
    from->nlink--;
    to->nlink++;
    ext2_write_inode(from);
    ext2_write_inode(to);
    return 0;
}

static int rename_exchange(struct inode *olddir, const char *oldname, size_t oldlen, struct inode *newdir,
                           const char *newname, size_t newlen, struct inode *src, struct inode *dst)
{
    int err = ext2_dir_set(olddir, oldname, oldlen, (uint32_t)dst->ino, dst->mode);
    if (!err)
        err = ext2_dir_set(newdir, newname, newlen, (uint32_t)src->ino, src->mode);
    if (!err)
        err = reparent(src, olddir, newdir);
    if (!err)
        err = reparent(dst, newdir, olddir);
    ext2_touch(src, false);
    ext2_touch(dst, false);
    return err;
}

/* newname exists and is replaced by src in place, so it names one of the two at every moment. */
static int rename_replace(struct inode *newdir, const char *newname, size_t newlen, struct inode *src,
                          struct inode *dst)
{
    if (S_ISDIR(dst->mode)) {
        int err = check_empty(dst);
        if (err)
            return err;
    }
    int err = ext2_dir_set(newdir, newname, newlen, (uint32_t)src->ino, src->mode);
    if (err)
        return err;
    if (S_ISDIR(dst->mode)) {
        newdir->nlink--; /* dst's ".." */
        ext2_write_inode(newdir);
    }
    drop_link(dst);
    return 0;
}

int ext2_rename(struct inode *olddir, const char *oldname, size_t oldlen, struct inode *newdir,
                const char *newname, size_t newlen, unsigned flags)
{
    if (olddir->sb->readonly)
        return -EROFS;
    struct inode *src, *dst = NULL;
    int err = get_entry(olddir, oldname, oldlen, &src);
    if (err)
        return err;
    err = get_entry(newdir, newname, newlen, &dst);
    if (err == -ENOENT && !(flags & RENAME_EXCHANGE))
        err = 0;
    if (err)
        goto out;
    if (flags & RENAME_EXCHANGE) {
        err = rename_exchange(olddir, oldname, oldlen, newdir, newname, newlen, src, dst);
        goto out;
    }
    if (dst)
        err = rename_replace(newdir, newname, newlen, src, dst);
    else
        err = ext2_dir_add(newdir, newname, newlen, (uint32_t)src->ino, src->mode);
    if (!err)
        err = ext2_dir_remove(olddir, oldname, oldlen);
    if (!err)
        err = reparent(src, olddir, newdir);
    ext2_touch(src, false);
out:
    if (dst)
        inode_put(dst);
    inode_put(src);
    return err;
}
