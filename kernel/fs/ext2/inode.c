/* ext2 inodes: the per-superblock inode cache (one in-memory inode per inode number, so every
 * user of a file sees the same size and times), reading and writing the inode table, and the
 * attribute operations. An in-memory inode lives while it is referenced; its last reference
 * writes it back, or frees it on disk if no directory entry names it any more. */
#include "ext2.h"

#define ICACHE_BUCKETS   (sizeof(((struct ext2_fs *)0)->icache) / sizeof(struct ext2_inode_info *))
/* What e2fsprogs puts in i_extra_isize of a 256-byte inode: the large inode's fixed fields. */
#define EXT2_EXTRA_ISIZE 32

static struct ext2_inode_info **icache_bucket(struct ext2_fs *fs, uint64_t ino)
{
    return &fs->icache[ino % ICACHE_BUCKETS];
}

static struct ext2_inode_info *icache_find(struct ext2_fs *fs, uint64_t ino)
{
    for (struct ext2_inode_info *ei = *icache_bucket(fs, ino); ei; ei = ei->hash_next)
        if (ei->vfs.ino == ino)
            return ei;
    return NULL;
}

static void icache_add(struct ext2_fs *fs, struct ext2_inode_info *ei)
{
    struct ext2_inode_info **head = icache_bucket(fs, ei->vfs.ino);
    ei->hash_next = *head;
    *head = ei;
    fs->sb->live_inodes++;
}

static void icache_remove(struct ext2_fs *fs, struct ext2_inode_info *ei)
{
    struct ext2_inode_info **link = icache_bucket(fs, ei->vfs.ino);
    while (*link != ei)
        link = &(*link)->hash_next;
    *link = ei->hash_next;
    fs->sb->live_inodes--;
}

/* The inode-table block holding ino, and the inode's byte offset in it. */
static int locate(struct ext2_fs *fs, uint32_t ino, struct buf **b, uint32_t *offset)
{
    if (ino == 0 || ino > fs->es->s_inodes_count)
        return -EIO;
    uint32_t group = (ino - 1) / fs->es->s_inodes_per_group;
    uint64_t byte = (uint64_t)((ino - 1) % fs->es->s_inodes_per_group) * fs->inode_size;
    *offset = (uint32_t)(byte % fs->block_size);
    return bcache_get(fs->cache, ext2_group(fs, group)->bg_inode_table + byte / fs->block_size, b);
}

bool ext2_has_blocks(const struct inode *inode)
{
    if (S_ISREG(inode->mode) || S_ISDIR(inode->mode))
        return true;
    if (!S_ISLNK(inode->mode))
        return false; /* devices keep their number in i_block, FIFOs and sockets nothing */
    /* A fast symlink has no data block: only an extended-attribute block, if any, is counted. */
    struct ext2_inode_info *ei = container_of(inode, struct ext2_inode_info, vfs);
    uint64_t acl_sectors = ei->file_acl ? EXT2_FS(inode->sb)->block_size / 512 : 0;
    return inode->blocks > acl_sectors;
}

static uint32_t decode_rdev(const uint32_t *block)
{
    if (block[0]) /* the old 8:8 encoding */
        return vfs_mkdev((block[0] >> 8) & 0xff, block[0] & 0xff);
    return block[1]; /* Linux's new encoding, which is vfs_mkdev's */
}

static void encode_rdev(uint32_t *block, uint32_t rdev)
{
    if (vfs_major(rdev) < 256 && vfs_minor(rdev) < 256) {
        block[0] = vfs_major(rdev) << 8 | vfs_minor(rdev);
        block[1] = 0;
    } else {
        block[0] = 0;
        block[1] = rdev;
    }
    block[2] = 0;
}

/* The bytes after the classic 128 of a large inode, or NULL. */
static void *large_part(struct ext2_fs *fs, void *raw)
{
    return fs->inode_size > EXT2_GOOD_OLD_ISIZE ? (char *)raw + EXT2_GOOD_OLD_ISIZE : NULL;
}

static void from_disk(struct ext2_fs *fs, struct ext2_inode_info *ei, const struct ext2_inode *raw)
{
    struct inode *inode = &ei->vfs;
    inode->mode = raw->i_mode;
    inode->uid = raw->i_uid | (uint32_t)raw->i_uid_high << 16;
    inode->gid = raw->i_gid | (uint32_t)raw->i_gid_high << 16;
    inode->nlink = raw->i_links_count;
    inode->size = raw->i_size;
    if (S_ISREG(inode->mode))
        inode->size |= (uint64_t)raw->i_size_high << 32;
    inode->blocks = raw->i_blocks;
    ext2_times_from_disk(ei, raw, large_part(fs, (void *)raw));
    memcpy(ei->block, raw->i_block, sizeof(ei->block));
    ei->flags = raw->i_flags;
    ei->dtime = raw->i_dtime;
    ei->file_acl = raw->i_file_acl;
    ei->generation = raw->i_generation;
    if (S_ISCHR(inode->mode) || S_ISBLK(inode->mode))
        inode->rdev = decode_rdev(raw->i_block);
}

/* Only the fields Kestrel models change; the rest (fragments, osd1...) stay as they were. */
static void to_disk(struct ext2_fs *fs, const struct ext2_inode_info *ei, struct ext2_inode *raw)
{
    const struct inode *inode = &ei->vfs;
    raw->i_mode = (uint16_t)inode->mode;
    raw->i_uid = (uint16_t)inode->uid;
    raw->i_uid_high = (uint16_t)(inode->uid >> 16);
    raw->i_gid = (uint16_t)inode->gid;
    raw->i_gid_high = (uint16_t)(inode->gid >> 16);
    raw->i_links_count = (uint16_t)inode->nlink;
    raw->i_size = (uint32_t)inode->size;
    raw->i_size_high = S_ISREG(inode->mode) ? (uint32_t)(inode->size >> 32) : raw->i_size_high;
    raw->i_blocks = (uint32_t)inode->blocks;
    ext2_times_to_disk(ei, raw, large_part(fs, raw));
    raw->i_dtime = ei->dtime;
    raw->i_flags = ei->flags;
    raw->i_file_acl = ei->file_acl;
    raw->i_generation = ei->generation;
    memcpy(raw->i_block, ei->block, sizeof(raw->i_block));
}

int ext2_write_inode(struct inode *inode)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    if (inode->sb->readonly)
        return 0;
    struct buf *b;
    uint32_t offset;
    int err = locate(fs, (uint32_t)inode->ino, &b, &offset);
    if (err)
        return err;
    to_disk(fs, EXT2_I(inode), (struct ext2_inode *)((char *)b->data + offset));
    bcache_mark_dirty(b);
    bcache_put(b);
    return 0;
}

int ext2_write_all_inodes(struct ext2_fs *fs)
{
    int first_err = 0;
    for (size_t i = 0; i < ICACHE_BUCKETS; i++) {
        for (struct ext2_inode_info *ei = fs->icache[i]; ei; ei = ei->hash_next) {
            int err = ext2_write_inode(&ei->vfs);
            if (err && !first_err)
                first_err = err;
        }
    }
    return first_err;
}

/* A fresh in-memory inode, not yet in the cache. */
static struct ext2_inode_info *alloc_info(struct ext2_fs *fs, uint32_t ino)
{
    struct ext2_inode_info *ei = kzalloc(sizeof(*ei));
    if (!ei)
        return NULL;
    ei->vfs.ino = ino;
    ei->vfs.refcount = 1;
    ei->vfs.sb = fs->sb;
    ei->vfs.ops = &ext2_inode_ops;
    return ei;
}

int ext2_iget(struct ext2_fs *fs, uint32_t ino, struct inode **out)
{
    struct ext2_inode_info *ei = icache_find(fs, ino);
    if (ei) {
        *out = inode_get(&ei->vfs);
        return 0;
    }
    struct buf *b;
    uint32_t offset;
    int err = locate(fs, ino, &b, &offset);
    if (err)
        return err;
    const struct ext2_inode *raw = (const struct ext2_inode *)((char *)b->data + offset);
    if (raw->i_links_count == 0 || raw->i_mode == 0) {
        bcache_put(b); /* a directory entry naming a free inode: the filesystem is damaged */
        return -EIO;
    }
    ei = alloc_info(fs, ino);
    if (ei)
        from_disk(fs, ei, raw);
    bcache_put(b);
    if (!ei)
        return -ENOMEM;
    icache_add(fs, ei);
    *out = &ei->vfs;
    return 0;
}

/* Zeroes an inode slot being handed out: a freed inode leaves its old fields behind. */
static int clear_slot(struct ext2_fs *fs, uint32_t ino)
{
    struct buf *b;
    uint32_t offset;
    int err = locate(fs, ino, &b, &offset);
    if (err)
        return err;
    char *slot = (char *)b->data + offset;
    memset(slot, 0, fs->inode_size);
    if (fs->inode_size > EXT2_GOOD_OLD_ISIZE) {
        uint16_t extra = EXT2_EXTRA_ISIZE;
        memcpy(slot + EXT2_GOOD_OLD_ISIZE, &extra, sizeof(extra));
    }
    bcache_mark_dirty(b);
    bcache_put(b);
    return 0;
}

int ext2_new_inode(struct inode *dir, uint32_t mode, struct inode **out)
{
    struct ext2_fs *fs = EXT2_FS(dir->sb);
    uint32_t ino;
    int err = ext2_alloc_ino(fs, (uint32_t)dir->ino, S_ISDIR(mode), &ino);
    if (err)
        return err;
    struct ext2_inode_info *ei = alloc_info(fs, ino);
    err = ei ? clear_slot(fs, ino) : -ENOMEM;
    if (err) {
        kfree(ei);
        ext2_free_ino(fs, ino, S_ISDIR(mode));
        return err;
    }
    ei->vfs.mode = mode;
    ei->vfs.nlink = 1;
    ei->extra_isize = fs->inode_size > EXT2_GOOD_OLD_ISIZE ? EXT2_EXTRA_ISIZE : 0;
    vfs_now(&ei->vfs.mtime);
    ei->vfs.atime = ei->vfs.ctime = ei->vfs.mtime;
    ext2_trim_times(&ei->vfs);
    icache_add(fs, ei);
    ext2_write_inode(&ei->vfs); /* cannot fail: clear_slot just read the same block */
    *out = &ei->vfs;
    return 0;
}

void ext2_touch(struct inode *inode, bool modified)
{
    vfs_now(&inode->ctime);
    ext2_trim_times(inode);
    if (modified)
        inode->mtime = inode->ctime;
    ext2_write_inode(inode);
}

/* The last link and the last reference are gone: give back the blocks and the inode number. */
static void delete_inode(struct inode *inode)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    struct ext2_inode_info *ei = EXT2_I(inode);
    if (ext2_has_blocks(inode))
        ext2_free_blocks_from(inode, 0);
    ext2_xattr_release(inode);
    inode->size = 0;
    struct vfs_timespec now;
    vfs_now(&now);
    /* e2fsck reads a dtime of 0 as "in use": a clock still at the epoch must not say that. */
    ei->dtime = now.sec > 0 ? (uint32_t)now.sec : 1;
    ext2_write_inode(inode);
    ext2_free_ino(fs, (uint32_t)inode->ino, S_ISDIR(inode->mode));
}

void ext2_release(struct inode *inode)
{
    struct ext2_fs *fs = EXT2_FS(inode->sb);
    if (inode->nlink == 0 && !inode->sb->readonly)
        delete_inode(inode);
    else
        ext2_write_inode(inode);
    icache_remove(fs, EXT2_I(inode));
    kfree(EXT2_I(inode));
}

int ext2_getattr(struct inode *inode, struct stat *st)
{
    inode_fill_stat(inode, st);
    st->st_blksize = EXT2_FS(inode->sb)->block_size;
    return 0;
}

int ext2_setattr(struct inode *inode, const struct iattr *attr)
{
    if (inode->sb->readonly)
        return -EROFS;
    if (attr->valid & ATTR_SIZE) {
        int err = ext2_truncate(inode, attr->size);
        if (err)
            return err;
    }
    inode_apply_attr(inode, attr);
    ext2_trim_times(inode);
    return ext2_write_inode(inode);
}

void ext2_set_rdev(struct inode *inode, uint32_t rdev)
{
    inode->rdev = rdev;
    encode_rdev(EXT2_I(inode)->block, rdev);
}

const struct inode_ops ext2_inode_ops = {
    .lookup = ext2_lookup,
    .create = ext2_create,
    .mkdir = ext2_mkdir,
    .mknod = ext2_mknod,
    .symlink = ext2_symlink,
    .link = ext2_link,
    .unlink = ext2_unlink,
    .rmdir = ext2_rmdir,
    .rename = ext2_rename,
    .readdir = ext2_readdir,
    .readlink = ext2_readlink,
    .read = ext2_file_read,
    .write = ext2_file_write,
    .truncate = ext2_truncate,
    .getattr = ext2_getattr,
    .setattr = ext2_setattr,
    .release = ext2_release,
};
