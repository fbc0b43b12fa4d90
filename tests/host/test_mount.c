/* Host tests for the mount table (kernel/fs/mount.c) and the path walk across mounts: crossing
 * down into a mounted root and back up through "..", stacked mounts, paths of directories across
 * mounts, umount's EINVAL/EBUSY rules, EXDEV and EBUSY at mount points, read-only superblocks,
 * bind mounts, moves, lazy unmounts and MNT_EXPIRE. Every test ends with the kmalloc count back
 * where it started: a filesystem left unreleased, or released twice, shows there. */
#include "htest.h"
#include "kshim.h"
#include <kestrel/mount.h>
#include <kestrel/tmpfs.h>
#include <kestrel/vfs.h>
#include <stdlib.h>
#include <string.h>

struct mfx {
    struct super_block *root, *a, *b;
    long allocs;
};

static const struct super_ops tmpfs_ops = {.put_super = tmpfs_unmount};

static void mfx_setup(struct mfx *fx)
{
    fx->allocs = kshim_live_allocs();
    if (tmpfs_mount(&fx->root) || tmpfs_mount(&fx->a) || tmpfs_mount(&fx->b))
        abort();
    fx->a->ops = fx->b->ops = &tmpfs_ops; /* unmounting releases them, as in the kernel */
    vfs_set_root(fx->root->root);
    if (mount_set_root(fx->root, "rootfs", 0) || vfs_mkdir(NULL, "/mnt", 0755) ||
        vfs_mkdir(NULL, "/mnt/x", 0755))
        abort();
}

/* umount2 without flags or busy check; it consumes a reference. */
static int umount_root(struct inode *root)
{
    return mount_umount(inode_get(root), 0, NULL);
}

/* umount2 of a path, without a busy check. */
static int umount_path(const char *path, int flags)
{
    struct inode *at;
    int err = vfs_lookup_mountpoint(NULL, path, 0, &at);
    return err ? err : mount_umount(at, flags, NULL);
}

/* Unmounts what is still mounted (a and b may be gone already: then they are NULL). */
static void mfx_teardown(struct htest *t, struct mfx *fx)
{
    while (mount_first()->next) {
        struct mount *last = mount_first();
        while (last->next)
            last = last->next;
        struct super_block *sb = last->sb;
        /* By its mountpoint: a bind's root may be no filesystem's root. put_super: tmpfs_unmount */
        HEXPECT_EQ(t, mount_umount(inode_get(last->mountpoint), 0, NULL), 0);
        if (sb == fx->a)
            fx->a = NULL;
        if (sb == fx->b)
            fx->b = NULL;
    }
    if (fx->a)
        tmpfs_unmount(fx->a);
    if (fx->b)
        tmpfs_unmount(fx->b);
    HEXPECT_EQ(t, umount_root(fx->root->root), -EBUSY); /* the namespace root stays */
    HEXPECT_EQ(t, mount_set_root(NULL, NULL, 0), 0);
    vfs_set_root(NULL);
    tmpfs_unmount(fx->root);
    HEXPECT_EQ(t, kshim_live_allocs(), fx->allocs);
}

static int mount_fs_at(struct super_block *sb, const char *path)
{
    struct inode *dir;
    int err = vfs_lookup(NULL, path, 0, &dir);
    if (err)
        return err;
    err = mount_add(sb, dir, "none", 0);
    inode_put(dir);
    return err;
}

static struct inode *lookup(const char *path)
{
    struct inode *in = NULL;
    if (vfs_lookup(NULL, path, 0, &in))
        return NULL;
    inode_put(in); /* the trees keep their inodes: the pointer stays valid for comparisons */
    return in;
}

static bool path_is(struct inode *dir, const char *want)
{
    char buf[256], *start;
    return vfs_dir_path(vfs_root(), dir, buf, sizeof(buf), &start) == 0 && strcmp(start, want) == 0;
}

HTEST(mount_crossing_down_and_up)
{
    struct mfx fx;
    mfx_setup(&fx);
    HASSERT(t, mount_fs_at(fx.a, "/mnt/x") == 0);
    HEXPECT(t, lookup("/mnt/x") == fx.a->root);
    HEXPECT(t, lookup("/mnt/x/.") == fx.a->root);
    HEXPECT(t, lookup("/mnt/x/..") == lookup("/mnt"));
    HEXPECT(t, lookup("/mnt/x/../..") == fx.root->root);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/mnt/x/d", 0755), 0);
    HEXPECT(t, lookup("/mnt/x/d/../..") == lookup("/mnt"));
    HEXPECT(t, path_is(lookup("/mnt/x/d"), "/mnt/x/d"));
    HEXPECT(t, path_is(fx.a->root, "/mnt/x"));
    /* Stacked: b over a's root; ".." climbs both. */
    HASSERT(t, mount_fs_at(fx.b, "/mnt/x") == 0);
    HEXPECT(t, lookup("/mnt/x") == fx.b->root);
    HEXPECT(t, lookup("/mnt/x/..") == lookup("/mnt"));
    HEXPECT(t, path_is(fx.b->root, "/mnt/x"));
    HEXPECT_EQ(t, umount_path("/mnt/x", 0), 0); /* the top one: b */
    fx.b = NULL;
    HEXPECT(t, lookup("/mnt/x") == fx.a->root);
    mfx_teardown(t, &fx);
}

HTEST(mount_remove_rules)
{
    struct mfx fx;
    mfx_setup(&fx);
    HEXPECT_EQ(t, umount_root(lookup("/mnt/x")), -EINVAL); /* not a mount */
    HASSERT(t, mount_fs_at(fx.a, "/mnt/x") == 0);
    HEXPECT(t, mount_cross_up(fx.a->root) != fx.a->root); /* the covered directory */
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/mnt/x/in", 0755), 0);
    HASSERT(t, mount_fs_at(fx.b, "/mnt/x/in") == 0);
    HEXPECT_EQ(t, umount_root(fx.a->root), -EBUSY);      /* a mount below it */
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/mnt/x/in"), -EBUSY); /* a mount point */
    HEXPECT_EQ(t, umount_root(fx.b->root), 0);
    fx.b = NULL;
    mfx_teardown(t, &fx);
}

HTEST(mount_exdev_and_busy_at_mountpoints)
{
    struct mfx fx;
    mfx_setup(&fx);
    HASSERT(t, mount_fs_at(fx.a, "/mnt/x") == 0);
    struct file *f;
    HASSERT(t, vfs_open(NULL, "/mnt/x/f", O_CREAT | O_WRONLY, 0644, &f) == 0);
    vfs_close(f);
    HASSERT(t, vfs_open(NULL, "/mnt/x/f", O_RDONLY, 0, &f) == 0);
    HEXPECT_EQ(t, umount_root(fx.a->root), -EBUSY); /* an open file inside */
    vfs_close(f);
    HASSERT(t, vfs_open(NULL, "/mnt/x", O_RDONLY, 0, &f) == 0);
    HEXPECT_EQ(t, umount_root(fx.a->root), -EBUSY); /* its root open */
    vfs_close(f);
    HEXPECT_EQ(t, vfs_rename(NULL, "/mnt/x/f", NULL, "/mnt/f", 0), -EXDEV);
    HEXPECT_EQ(t, vfs_link(NULL, "/mnt/x/f", NULL, "/mnt/g", 0), -EXDEV);
    HEXPECT_EQ(t, vfs_rename(NULL, "/mnt/x", NULL, "/mnt/y", 0), -EBUSY); /* a mount point, as on Linux */
    HEXPECT_EQ(t, vfs_unlink(NULL, "/mnt/x/f"), 0);
    mfx_teardown(t, &fx);
}

HTEST(mount_readonly_gives_erofs)
{
    struct mfx fx;
    mfx_setup(&fx);
    HASSERT(t, mount_fs_at(fx.a, "/mnt/x") == 0);
    struct file *f;
    HASSERT(t, vfs_open(NULL, "/mnt/x/f", O_CREAT | O_WRONLY, 0644, &f) == 0);
    vfs_close(f);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/mnt/x/d", 0755), 0);
    fx.a->readonly = true;
    HEXPECT_EQ(t, vfs_open(NULL, "/mnt/x/g", O_CREAT | O_WRONLY, 0644, &f), -EROFS);
    HEXPECT_EQ(t, vfs_open(NULL, "/mnt/x/f", O_RDWR, 0, &f), -EROFS);
    HEXPECT_EQ(t, vfs_open(NULL, "/mnt/x/f", O_RDONLY | O_TRUNC, 0, &f), -EROFS);
    HASSERT(t, vfs_open(NULL, "/mnt/x/f", O_RDONLY, 0, &f) == 0);
    vfs_close(f);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/mnt/x/d", 0755), -EEXIST);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/mnt/x/e", 0755), -EROFS);
    HEXPECT_EQ(t, vfs_symlink("f", NULL, "/mnt/x/l"), -EROFS);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/mnt/x/f"), -EROFS);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/mnt/x/nosuch"), -EROFS);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/mnt/x/d"), -EROFS);
    HEXPECT_EQ(t, vfs_rename(NULL, "/mnt/x/f", NULL, "/mnt/x/h", 0), -EROFS);
    HEXPECT_EQ(t, vfs_chmod(NULL, "/mnt/x/f", 0600), -EROFS);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/mnt/x/f", 0), -EROFS);
    fx.a->readonly = false;
    HEXPECT_EQ(t, vfs_unlink(NULL, "/mnt/x/f"), 0);
    mfx_teardown(t, &fx);
}

/* What path names before crossing into a mount (a borrowed pointer, as lookup gives). */
static struct inode *covered(const char *path)
{
    struct inode *in = NULL;
    if (vfs_lookup_mountpoint(NULL, path, 0, &in))
        return NULL;
    inode_put(in);
    return in;
}

HTEST(mount_bind_shows_one_tree_twice)
{
    struct mfx fx;
    mfx_setup(&fx);
    HASSERT(t, vfs_mkdir(NULL, "/mnt/y", 0755) == 0 && vfs_mkdir(NULL, "/mnt/x/d", 0755) == 0);
    struct inode *x = lookup("/mnt/x");
    HEXPECT_EQ(t, mount_bind(x, NULL, lookup("/mnt/y"), NULL), 0);
    HEXPECT(t, lookup("/mnt/y") == x);
    HEXPECT(t, lookup("/mnt/y/d") == lookup("/mnt/x/d"));
    HEXPECT(t, lookup("/mnt/y/..") == lookup("/mnt"));
    HEXPECT(t, mount_at(covered("/mnt/y")) == mount_of_root(x));
    HEXPECT(t, mount_at(covered("/mnt/x")) == NULL); /* the source is no mount point */
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/mnt/y"), -EBUSY);
    HEXPECT_EQ(t, umount_path("/mnt/x", 0), -EINVAL);
    HEXPECT_EQ(t, umount_path("/mnt/y", 0), 0);
    HEXPECT(t, lookup("/mnt/y") != x);
    /* Onto itself: crossing down and up both end. */
    HEXPECT_EQ(t, mount_bind(x, NULL, x, NULL), 0);
    HEXPECT(t, lookup("/mnt/x") == x);
    HEXPECT(t, lookup("/mnt/x/d/..") == x);
    HEXPECT(t, lookup("/mnt/x/..") == lookup("/mnt"));
    HEXPECT(t, path_is(lookup("/mnt/x/d"), "/mnt/x/d"));
    HEXPECT_EQ(t, umount_path("/mnt/x", 0), 0);
    HEXPECT_EQ(t, umount_path("/mnt/x", 0), -EINVAL);
    /* A bind of a mounted filesystem keeps it alive after its first mount goes. */
    HASSERT(t, mount_fs_at(fx.a, "/mnt/x") == 0);
    HEXPECT_EQ(t, mount_bind(fx.a->root, NULL, lookup("/mnt/y"), NULL), 0);
    HEXPECT_EQ(t, umount_path("/mnt/x", 0), 0);
    HEXPECT(t, lookup("/mnt/y") == fx.a->root);
    mfx_teardown(t, &fx);
}

HTEST(mount_detach_waits_for_open_files)
{
    struct mfx fx;
    mfx_setup(&fx);
    HASSERT(t, mount_fs_at(fx.a, "/mnt/x") == 0);
    HASSERT(t, vfs_mkdir(NULL, "/mnt/x/in", 0755) == 0 && mount_fs_at(fx.b, "/mnt/x/in") == 0);
    struct file *f;
    HASSERT(t, vfs_open(NULL, "/mnt/x/f", O_CREAT | O_RDWR, 0644, &f) == 0);
    HEXPECT_EQ(t, umount_path("/mnt/x", 0), -EBUSY);
    HEXPECT_EQ(t, umount_path("/mnt/x", MNT_DETACH | MNT_EXPIRE), -EINVAL);
    HEXPECT_EQ(t, umount_path("/mnt/x", MNT_DETACH), 0);
    fx.b = NULL; /* nothing used b: released with the tree */
    HEXPECT(t, lookup("/mnt/x")->sb == fx.root);
    HEXPECT(t, mount_first()->next == NULL);
    HEXPECT_EQ(t, vfs_write(f, "data", 4), 4); /* a is still there for the open file */
    HEXPECT(t, f->inode->sb == fx.a);
    vfs_close(f); /* the last user: a goes now */
    fx.a = NULL;
    mfx_teardown(t, &fx);
}

HTEST(mount_move_takes_the_tree)
{
    struct mfx fx;
    mfx_setup(&fx);
    HASSERT(t, vfs_mkdir(NULL, "/mnt/y", 0755) == 0);
    HASSERT(t, mount_fs_at(fx.a, "/mnt/x") == 0);
    HASSERT(t, vfs_mkdir(NULL, "/mnt/x/in", 0755) == 0 && mount_fs_at(fx.b, "/mnt/x/in") == 0);
    HEXPECT_EQ(t, mount_move(covered("/mnt/x"), lookup("/mnt/x/in"), NULL), -ELOOP);
    HEXPECT_EQ(t, mount_move(covered("/mnt/y"), lookup("/mnt/x"), NULL), -EINVAL); /* no mount */
    HEXPECT_EQ(t, mount_move(covered("/mnt/x"), lookup("/mnt/y"), NULL), 0);
    HEXPECT(t, lookup("/mnt/y") == fx.a->root);
    HEXPECT(t, lookup("/mnt/y/in") == fx.b->root);
    HEXPECT(t, lookup("/mnt/x")->sb == fx.root);
    HEXPECT(t, path_is(fx.b->root, "/mnt/y/in"));
    HEXPECT_EQ(t, umount_path("/mnt/y", 0), -EBUSY); /* b moved with it, below it */
    mfx_teardown(t, &fx);
}

HTEST(mount_expire_asks_twice)
{
    struct mfx fx;
    mfx_setup(&fx);
    HASSERT(t, mount_fs_at(fx.a, "/mnt/x") == 0);
    HEXPECT_EQ(t, umount_path("/mnt/x", MNT_EXPIRE), -EAGAIN);
    struct file *f;
    HASSERT(t, vfs_open(NULL, "/mnt/x/f", O_CREAT | O_RDWR, 0644, &f) == 0);
    vfs_close(f); /* used: the mark is gone */
    HEXPECT_EQ(t, umount_path("/mnt/x", MNT_EXPIRE), -EAGAIN);
    HEXPECT_EQ(t, umount_path("/mnt/x", MNT_EXPIRE), 0);
    fx.a = NULL;
    HEXPECT_EQ(t, umount_path("/", MNT_EXPIRE), -EINVAL); /* the namespace root */
    mfx_teardown(t, &fx);
}
