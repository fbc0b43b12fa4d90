/* ext2 directories: a file of blocks, each a chain of entries (inode, rec_len, name_len,
 * file_type, name) that covers the block exactly. A new entry takes an unused entry or the slack
 * at the end of a used one (splitting its rec_len); a removed entry is merged into the one before
 * it in the block, or marked unused (inode 0) when it is the first. Positions for readdir are
 * byte offsets in the directory. */
#include <uapi/dirent.h>
#include "ext2.h"

/* One entry found: the block (held), its byte offset, and the previous entry's offset in the
 * same block (-1 when it is the block's first). */
struct dir_slot {
    struct buf *b;
    uint32_t off;
    int32_t prev;
};

static struct ext2_dir_entry *entry_at(struct buf *b, uint32_t off)
{
    return (struct ext2_dir_entry *)((char *)b->data + off);
}

/* Every entry must stay inside the block and the chain must end exactly at its end: anything
 * else is damage, reported as EIO rather than followed. */
static int check_block(struct ext2_fs *fs, struct buf *b)
{
    uint32_t off = 0;
    while (off < fs->block_size) {
        struct ext2_dir_entry *de = entry_at(b, off);
        if (de->rec_len < EXT2_DIRENT_HEADER || de->rec_len % 4 || off + de->rec_len > fs->block_size ||
            EXT2_DIRENT_HEADER + de->name_len > de->rec_len)
            return -EIO;
        off += de->rec_len;
    }
    return 0;
}

/* Block lblk of the directory, read and checked. Directories have no holes. */
static int get_dir_block(struct inode *dir, uint64_t lblk, struct buf **out)
{
    struct ext2_fs *fs = EXT2_FS(dir->sb);
    uint32_t blk;
    int err = ext2_bmap(dir, lblk, false, &blk);
    if (err)
        return err;
    if (blk == 0)
        return -EIO;
    err = bcache_get(fs->cache, blk, out);
    if (err)
        return err;
    err = check_block(fs, *out);
    if (err)
        bcache_put(*out);
    return err;
}

static uint64_t dir_blocks(struct inode *dir)
{
    return dir->size / EXT2_FS(dir->sb)->block_size;
}

static bool name_is(const struct ext2_dir_entry *de, const char *name, size_t len)
{
    return de->inode && de->name_len == len && memcmp(de->name, name, len) == 0;
}

/* Finds name; on success the slot's block is held by the caller. */
static int find_slot(struct inode *dir, const char *name, size_t len, struct dir_slot *slot)
{
    struct ext2_fs *fs = EXT2_FS(dir->sb);
    for (uint64_t lblk = 0; lblk < dir_blocks(dir); lblk++) {
        struct buf *b;
        int err = get_dir_block(dir, lblk, &b);
        if (err)
            return err;
        int32_t prev = -1;
        for (uint32_t off = 0; off < fs->block_size; off += entry_at(b, off)->rec_len) {
            if (name_is(entry_at(b, off), name, len)) {
                *slot = (struct dir_slot){.b = b, .off = off, .prev = prev};
                return 0;
            }
            prev = (int32_t)off;
        }
        bcache_put(b);
    }
    return -ENOENT;
}

int ext2_dir_find(struct inode *dir, const char *name, size_t len, uint32_t *ino)
{
    struct dir_slot slot;
    int err = find_slot(dir, name, len, &slot);
    if (err)
        return err;
    *ino = entry_at(slot.b, slot.off)->inode;
    bcache_put(slot.b);
    return 0;
}

static uint8_t file_type(struct ext2_fs *fs, uint32_t mode)
{
    if (!(fs->es->s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE))
        return EXT2_FT_UNKNOWN;
    switch (mode & S_IFMT) {
    case S_IFREG:
        return EXT2_FT_REG;
    case S_IFDIR:
        return EXT2_FT_DIR;
    case S_IFCHR:
        return EXT2_FT_CHRDEV;
    case S_IFBLK:
        return EXT2_FT_BLKDEV;
    case S_IFIFO:
        return EXT2_FT_FIFO;
    case S_IFSOCK:
        return EXT2_FT_SOCK;
    case S_IFLNK:
        return EXT2_FT_SYMLINK;
    }
    return EXT2_FT_UNKNOWN;
}

static void fill_entry(struct ext2_fs *fs, struct ext2_dir_entry *de, const char *name, size_t len,
                       uint32_t ino, uint32_t mode)
{
    de->inode = ino;
    de->name_len = (uint8_t)len;
    de->file_type = file_type(fs, mode);
    memcpy(de->name, name, len);
}

/* A change to the entries: the directory is modified, and no longer matches a hash index that
 * Linux's ext3/4 may have built (which ext2 does not maintain). */
static void dir_changed(struct inode *dir)
{
    EXT2_I(dir)->flags &= ~EXT2_INDEX_FL;
    ext2_touch(dir, true);
}

/* Puts the entry into the block if there is room: an unused entry big enough, or the slack
 * after a used one. */
static bool add_to_block(struct ext2_fs *fs, struct buf *b, const char *name, size_t len, uint32_t ino,
                         uint32_t mode)
{
    uint32_t need = ext2_rec_len((uint32_t)len);
    for (uint32_t off = 0; off < fs->block_size; off += entry_at(b, off)->rec_len) {
        struct ext2_dir_entry *de = entry_at(b, off);
        uint32_t used = de->inode ? ext2_rec_len(de->name_len) : 0;
        if (de->rec_len < used + need)
            continue;
        if (used) { /* split: de keeps what it uses, the new entry takes the rest */
            struct ext2_dir_entry *split = entry_at(b, off + used);
            split->rec_len = (uint16_t)(de->rec_len - used);
            de->rec_len = (uint16_t)used;
            de = split;
        }
        fill_entry(fs, de, name, len, ino, mode);
        bcache_mark_dirty(b);
        return true;
    }
    return false;
}

/* Grows the directory by one block holding just this entry. */
static int add_block(struct inode *dir, const char *name, size_t len, uint32_t ino, uint32_t mode)
{
    struct ext2_fs *fs = EXT2_FS(dir->sb);
    uint32_t blk;
    int err = ext2_bmap(dir, dir_blocks(dir), true, &blk);
    if (err) {
        ext2_free_blocks_from(dir, dir_blocks(dir)); /* an indirect block allocated on the way */
        return err;
    }
    struct buf *b;
    err = bcache_get(fs->cache, blk, &b);
    if (err) {
        ext2_free_blocks_from(dir, dir_blocks(dir)); /* nothing may stay mapped past i_size */
        return err;
    }
    struct ext2_dir_entry *de = b->data;
    de->rec_len = (uint16_t)fs->block_size;
    fill_entry(fs, de, name, len, ino, mode);
    bcache_mark_dirty(b);
    bcache_put(b);
    dir->size += fs->block_size;
    return 0;
}

int ext2_dir_add(struct inode *dir, const char *name, size_t len, uint32_t ino, uint32_t mode)
{
    struct ext2_fs *fs = EXT2_FS(dir->sb);
    bool added = false;
    for (uint64_t lblk = 0; lblk < dir_blocks(dir) && !added; lblk++) {
        struct buf *b;
        int err = get_dir_block(dir, lblk, &b);
        if (err)
            return err;
        added = add_to_block(fs, b, name, len, ino, mode);
        bcache_put(b);
    }
    if (!added) {
        int err = add_block(dir, name, len, ino, mode);
        if (err)
            return err;
    }
    dir_changed(dir);
    return 0;
}

int ext2_dir_remove(struct inode *dir, const char *name, size_t len)
{
    struct dir_slot slot;
    int err = find_slot(dir, name, len, &slot);
    if (err)
        return err;
    struct ext2_dir_entry *de = entry_at(slot.b, slot.off);
    if (slot.prev >= 0)
        entry_at(slot.b, (uint32_t)slot.prev)->rec_len += de->rec_len;
    else
        de->inode = 0; /* the first entry of a block has nothing before it to merge into */
    bcache_mark_dirty(slot.b);
    bcache_put(slot.b);
    dir_changed(dir);
    return 0;
}

int ext2_dir_set(struct inode *dir, const char *name, size_t len, uint32_t ino, uint32_t mode)
{
    struct dir_slot slot;
    int err = find_slot(dir, name, len, &slot);
    if (err)
        return err;
    struct ext2_dir_entry *de = entry_at(slot.b, slot.off);
    de->inode = ino;
    de->file_type = file_type(EXT2_FS(dir->sb), mode);
    bcache_mark_dirty(slot.b);
    bcache_put(slot.b);
    dir_changed(dir);
    return 0;
}

static bool is_dot_or_dotdot(const struct ext2_dir_entry *de)
{
    return (de->name_len == 1 && de->name[0] == '.') ||
           (de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.');
}

int ext2_dir_is_empty(struct inode *dir, bool *empty)
{
    struct ext2_fs *fs = EXT2_FS(dir->sb);
    *empty = true;
    for (uint64_t lblk = 0; lblk < dir_blocks(dir) && *empty; lblk++) {
        struct buf *b;
        int err = get_dir_block(dir, lblk, &b);
        if (err)
            return err;
        for (uint32_t off = 0; off < fs->block_size; off += entry_at(b, off)->rec_len) {
            struct ext2_dir_entry *de = entry_at(b, off);
            if (de->inode && !is_dot_or_dotdot(de))
                *empty = false;
        }
        bcache_put(b);
    }
    return 0;
}

int ext2_dir_init(struct inode *dir, uint32_t parent_ino)
{
    struct ext2_fs *fs = EXT2_FS(dir->sb);
    uint32_t blk;
    int err = ext2_bmap(dir, 0, true, &blk);
    if (err)
        return err;
    struct buf *b;
    err = bcache_get(fs->cache, blk, &b);
    if (err)
        return err;
    struct ext2_dir_entry *dot = b->data;
    dot->rec_len = (uint16_t)ext2_rec_len(1);
    fill_entry(fs, dot, ".", 1, (uint32_t)dir->ino, S_IFDIR);
    struct ext2_dir_entry *dotdot = entry_at(b, dot->rec_len);
    dotdot->rec_len = (uint16_t)(fs->block_size - dot->rec_len);
    fill_entry(fs, dotdot, "..", 2, parent_ino, S_IFDIR);
    bcache_mark_dirty(b);
    bcache_put(b);
    dir->size = fs->block_size;
    return ext2_write_inode(dir);
}

static unsigned dtype_of(uint8_t ft)
{
    static const unsigned map[] = {
        [EXT2_FT_UNKNOWN] = DT_UNKNOWN, [EXT2_FT_REG] = DT_REG,     [EXT2_FT_DIR] = DT_DIR,
        [EXT2_FT_CHRDEV] = DT_CHR,      [EXT2_FT_BLKDEV] = DT_BLK,  [EXT2_FT_FIFO] = DT_FIFO,
        [EXT2_FT_SOCK] = DT_SOCK,       [EXT2_FT_SYMLINK] = DT_LNK,
    };
    return ft < sizeof(map) / sizeof(map[0]) ? map[ft] : DT_UNKNOWN;
}

/* A position may point into the middle of an entry that a removal merged into its neighbour:
 * each block is walked from its start and entries before the position are skipped, so nothing is
 * emitted twice and no live entry is skipped. */
int ext2_readdir(struct inode *dir, uint64_t *pos, filldir_t emit, void *ctx)
{
    struct ext2_fs *fs = EXT2_FS(dir->sb);
    for (uint64_t lblk = *pos / fs->block_size; lblk < dir_blocks(dir); lblk++) {
        struct buf *b;
        int err = get_dir_block(dir, lblk, &b);
        if (err)
            return err;
        uint64_t base = lblk * fs->block_size;
        for (uint32_t off = 0; off < fs->block_size; off += entry_at(b, off)->rec_len) {
            struct ext2_dir_entry *de = entry_at(b, off);
            uint64_t next = base + off + de->rec_len;
            if (base + off < *pos || !de->inode)
                continue;
            if (!emit(ctx, de->name, de->name_len, de->inode, dtype_of(de->file_type), next)) {
                bcache_put(b);
                return 0;
            }
            *pos = next;
        }
        bcache_put(b);
        *pos = base + fs->block_size;
    }
    return 0;
}
