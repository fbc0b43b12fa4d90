/* The VFS operations of FAT directories and files: lookup (case-insensitive, by long or short
 * name, trailing dots ignored, as vfat does), create, mkdir, unlink, rmdir and rename. FAT has no
 * symlinks, hard links or device nodes: those operations are absent, so the VFS answers EPERM as
 * Linux's vfat does. */
#include <kestrel/string.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include "fat.h"

/* vfat ignores trailing dots ("name." is "name"); a name of dots only is no name. */
static int fix_name(const char *name, size_t *len)
{
    *len = fat_strip_tail(name, *len);
    return *len ? 0 : -ENOENT;
}

/* A read-only mount changes nothing. */
static int writable(struct inode *inode)
{
    return inode->sb->readonly ? -EROFS : 0;
}

/* Records a change of dir's contents in its times. */
static int dir_changed(struct inode *dir)
{
    fat_touch(dir);
    return fat_write_inode(dir);
}

static int fat_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    if (len == 2 && name[0] == '.' && name[1] == '.') {
        *out = inode_get(FAT_I(dir)->parent);
        return 0;
    }
    struct fat_slot slot;
    int err = fix_name(name, &len);
    if (!err)
        err = fat_dir_find(dir, name, len, &slot);
    return err ? err : fat_iget(dir->sb, &slot, dir, out);
}

/* A fresh short entry for a new file or directory: times now, no clusters. */
static void new_dirent(struct fat_dirent *de, uint8_t attr)
{
    struct vfs_timespec now;
    vfs_now(&now);
    memset(de, 0, sizeof(*de));
    de->attr = attr;
    uint16_t date, time;
    fat_time_from_vfs(&now, &date, &time, &de->ctime_cs);
    de->cdate = de->date = de->adate = date;
    de->ctime = de->time = time;
}

static int fat_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
    (void)mode; /* every file gets the mount's mode (0777 less fmask), as on Linux */
    struct fat_dirent de;
    struct fat_slot slot;
    new_dirent(&de, FAT_ATTR_ARCH);
    int err = writable(dir);
    if (!err)
        err = fix_name(name, &len);
    if (!err)
        err = fat_dir_add(dir, name, len, &de, &slot);
    if (!err)
        err = fat_iget(dir->sb, &slot, dir, out);
    if (!err)
        err = dir_changed(dir);
    return err;
}

static int fat_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
    (void)mode;
    struct fat_sb *fs = FAT_SB(dir->sb);
    struct fat_dirent de;
    struct fat_slot slot;
    uint32_t cluster;
    int err = writable(dir);
    if (!err)
        err = fix_name(name, &len);
    if (!err)
        err = fat_alloc_cluster(fs, 0, &cluster);
    if (err)
        return err;
    new_dirent(&de, FAT_ATTR_DIR);
    fat_dirent_set_start(&de, cluster);
    err = fat_dir_init(fs, cluster, &de, fat_parent_start(dir));
    if (!err)
        err = fat_dir_add(dir, name, len, &de, &slot);
    if (err) {
        fat_free_chain(fs, cluster);
        return err;
    }
    dir->nlink++; /* the new directory's ".." */
    return dir_changed(dir);
}

/* Removes the entry of a file or an (empty) directory; its clusters go with its last reference. */
static int remove_entry(struct inode *dir, const char *name, size_t len, bool is_dir)
{
    struct fat_slot slot;
    struct inode *victim;
    int err = writable(dir);
    if (!err)
        err = fix_name(name, &len);
    if (!err)
        err = fat_dir_find(dir, name, len, &slot);
    if (!err)
        err = fat_iget(dir->sb, &slot, dir, &victim);
    if (err)
        return err;
    if (is_dir) {
        bool empty;
        err = fat_dir_empty(victim, &empty);
        if (!err && !empty)
            err = -ENOTEMPTY;
    }
    if (!err)
        err = fat_dir_remove(dir, &slot);
    if (!err) {
        victim->nlink = 0;
        fat_rehash(FAT_I(victim), 0);
        if (is_dir)
            dir->nlink--; /* the victim's ".." */
        err = dir_changed(dir);
    }
    inode_put(victim);
    return err;
}

static int fat_unlink(struct inode *dir, const char *name, size_t len)
{
    return remove_entry(dir, name, len, false);
}

static int fat_rmdir(struct inode *dir, const char *name, size_t len)
{
    return remove_entry(dir, name, len, true);
}

/* The entry of src as it is on disk now, to carry over to its new place. */
static int read_dirent(struct inode *src, struct fat_dirent *out)
{
    struct buf *b;
    struct fat_dirent *de;
    int err = fat_dirent_get(FAT_SB(src->sb), FAT_I(src)->ipos, &b, &de);
    if (err)
        return err;
    *out = *de;
    bcache_put(b);
    return 0;
}

/* Points the existing entry dst_slot at src (replacing rename): the name stays, everything else
 * becomes src's. One entry write, so the name always names one of the two files. */
static int take_over(struct inode *src, const struct fat_slot *dst_slot)
{
    struct buf *b;
    struct fat_dirent *de;
    int err = fat_dirent_get(FAT_SB(src->sb), dst_slot->ipos, &b, &de);
    if (err)
        return err;
    struct fat_dirent moved;
    err = read_dirent(src, &moved);
    if (!err) {
        memcpy(moved.name, de->name, FAT_NAME_LEN);
        moved.lcase = de->lcase;
        *de = moved;
        bcache_mark_dirty(b);
    }
    bcache_put(b);
    return err;
}

/* The victim of a replacing rename: must be an empty directory if a directory. */
static int check_victim(struct inode *dst)
{
    if (S_ISDIR(dst->mode)) {
        bool empty;
        int err = fat_dir_empty(dst, &empty);
        if (err)
            return err;
        if (!empty)
            return -ENOTEMPTY;
    }
    return 0;
}

/* A directory moved to a new parent: its ".." entry, the link counts and its parent reference. */
static int reparent(struct inode *src, struct inode *olddir, struct inode *newdir)
{
    if (!S_ISDIR(src->mode) || olddir == newdir)
        return 0;
    int err = fat_dir_set_dotdot(src, newdir);
    if (err)
        return err;
    olddir->nlink--;
    newdir->nlink++;
    FAT_I(src)->parent = inode_get(newdir);
    inode_put(olddir);
    return 0;
}

static int move_entry(struct inode *olddir, const struct fat_slot *oslot, struct inode *src,
                      struct inode *newdir, const char *newname, size_t newlen)
{
    struct fat_slot nslot;
    struct inode *dst = NULL;
    int err = fat_dir_find(newdir, newname, newlen, &nslot);
    if (!err)
        err = fat_iget(newdir->sb, &nslot, newdir, &dst);
    if (!err) {
        err = check_victim(dst);
        if (!err)
            err = take_over(src, &nslot);
    } else if (err == -ENOENT) {
        struct fat_dirent de;
        err = read_dirent(src, &de);
        if (!err)
            err = fat_dir_add(newdir, newname, newlen, &de, &nslot);
    }
    if (!err)
        err = fat_dir_remove(olddir, oslot);
    if (!err && dst) {
        dst->nlink = 0;
        fat_rehash(FAT_I(dst), 0);
        if (S_ISDIR(dst->mode))
            newdir->nlink--; /* dst's ".." */
    }
    if (!err)
        fat_rehash(FAT_I(src), nslot.ipos);
    if (dst)
        inode_put(dst);
    return err;
}

static int fat_rename(struct inode *olddir, const char *oldname, size_t oldlen, struct inode *newdir,
                      const char *newname, size_t newlen, unsigned flags)
{
    if (flags & ~RENAME_NOREPLACE)
        return -EINVAL; /* vfat has no RENAME_EXCHANGE or RENAME_WHITEOUT */
    struct fat_slot oslot;
    struct inode *src;
    int err = writable(olddir);
    if (!err)
        err = fix_name(oldname, &oldlen);
    if (!err)
        err = fix_name(newname, &newlen);
    if (!err)
        err = fat_dir_find(olddir, oldname, oldlen, &oslot);
    if (!err)
        err = fat_iget(olddir->sb, &oslot, olddir, &src);
    if (err)
        return err;
    err = move_entry(olddir, &oslot, src, newdir, newname, newlen);
    if (!err)
        err = reparent(src, olddir, newdir);
    if (!err)
        err = dir_changed(olddir);
    if (!err && newdir != olddir)
        err = dir_changed(newdir);
    inode_put(src);
    return err;
}

const struct inode_ops fat_dir_ops = {
    .lookup = fat_lookup,
    .create = fat_create,
    .mkdir = fat_mkdir,
    .unlink = fat_unlink,
    .rmdir = fat_rmdir,
    .rename = fat_rename,
    .readdir = fat_readdir,
    .getattr = fat_getattr,
    .setattr = fat_setattr,
    .release = fat_release,
};

const struct inode_ops fat_file_ops = {
    .read = fat_file_read,
    .write = fat_file_write,
    .truncate = fat_file_truncate,
    .getattr = fat_getattr,
    .setattr = fat_setattr,
    .release = fat_release,
};
