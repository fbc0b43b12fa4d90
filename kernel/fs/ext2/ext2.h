/* ext2 inside: the on-disk structures (little-endian, as x86-64 is) and what the files of
 * kernel/fs/ext2 share. docs/ext2.md describes the format and the rules kept here. */
#pragma once
#include <kestrel/bcache.h>
#include <kestrel/ext2.h>
#include <kestrel/kmalloc.h>
#include <kestrel/panic.h>
#include <kestrel/string.h>

#define EXT2_MAGIC          0xEF53
#define EXT2_SUPER_OFFSET   1024 /* bytes from the start of the device, whatever the block size */
#define EXT2_GOOD_OLD_REV   0
#define EXT2_DYNAMIC_REV    1
#define EXT2_ROOT_INO       2
#define EXT2_GOOD_OLD_ISIZE 128
#define EXT2_NDIR_BLOCKS    12 /* i_block[0..11] direct, then single, double, triple indirect */
#define EXT2_IND_BLOCK      12
#define EXT2_DIND_BLOCK     13
#define EXT2_TIND_BLOCK     14
#define EXT2_N_BLOCKS       15
#define EXT2_FAST_LINK_MAX  (EXT2_N_BLOCKS * 4 - 1) /* a target this long fits in i_block, NUL included */
#define EXT2_VALID_FS       1                       /* s_state: cleanly unmounted */
#define EXT2_INDEX_FL       0x1000 /* i_flags: a hashed (htree) directory, which ext2 does not keep */

/* Features: the ones we implement; anything else INCOMPAT refuses the mount, RO_COMPAT makes it
 * read-only. COMPAT features (dir_index, resize_inode, ext_attr) are safe to ignore by definition. */
#define EXT2_FEATURE_INCOMPAT_FILETYPE      0x0002
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE   0x0002
#define EXT2_INCOMPAT_SUPPORTED             EXT2_FEATURE_INCOMPAT_FILETYPE
#define EXT2_RO_COMPAT_SUPPORTED            (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

/* Directory entry file types (with the filetype feature). */
enum {
    EXT2_FT_UNKNOWN,
    EXT2_FT_REG,
    EXT2_FT_DIR,
    EXT2_FT_CHRDEV,
    EXT2_FT_BLKDEV,
    EXT2_FT_FIFO,
    EXT2_FT_SOCK,
    EXT2_FT_SYMLINK
};

/* The superblock, 1024 bytes at byte 1024; the fields after s_feature_ro_compat are kept as read. */
struct ext2_super_block {
    uint32_t s_inodes_count;
    uint32_t s_blocks_count;
    uint32_t s_r_blocks_count;
    uint32_t s_free_blocks_count;
    uint32_t s_free_inodes_count;
    uint32_t s_first_data_block;
    uint32_t s_log_block_size; /* block size = 1024 << this */
    uint32_t s_log_frag_size;
    uint32_t s_blocks_per_group;
    uint32_t s_frags_per_group;
    uint32_t s_inodes_per_group;
    uint32_t s_mtime;
    uint32_t s_wtime;
    uint16_t s_mnt_count;
    int16_t s_max_mnt_count;
    uint16_t s_magic;
    uint16_t s_state;
    uint16_t s_errors;
    uint16_t s_minor_rev_level;
    uint32_t s_lastcheck;
    uint32_t s_checkinterval;
    uint32_t s_creator_os;
    uint32_t s_rev_level;
    uint16_t s_def_resuid;
    uint16_t s_def_resgid;
    uint32_t s_first_ino; /* the first inode number not reserved (revision 1) */
    uint16_t s_inode_size;
    uint16_t s_block_group_nr;
    uint32_t s_feature_compat;
    uint32_t s_feature_incompat;
    uint32_t s_feature_ro_compat;
    uint8_t s_rest[920];
};
_Static_assert(sizeof(struct ext2_super_block) == 1024, "ext2 superblock layout");

/* A block group descriptor: 32 bytes each, in the blocks after the superblock's. */
struct ext2_group_desc {
    uint32_t bg_block_bitmap;
    uint32_t bg_inode_bitmap;
    uint32_t bg_inode_table;
    uint16_t bg_free_blocks_count;
    uint16_t bg_free_inodes_count;
    uint16_t bg_used_dirs_count;
    uint16_t bg_pad;
    uint8_t bg_reserved[12];
};
_Static_assert(sizeof(struct ext2_group_desc) == 32, "ext2 group descriptor layout");

/* The first 128 bytes of an on-disk inode (Linux's osd2 fields flattened). */
struct ext2_inode {
    uint16_t i_mode;
    uint16_t i_uid;
    uint32_t i_size;
    uint32_t i_atime;
    uint32_t i_ctime;
    uint32_t i_mtime;
    uint32_t i_dtime;
    uint16_t i_gid;
    uint16_t i_links_count;
    uint32_t i_blocks; /* 512-byte units, indirect blocks included */
    uint32_t i_flags;
    uint32_t i_osd1;
    uint32_t i_block[EXT2_N_BLOCKS];
    uint32_t i_generation;
    uint32_t i_file_acl;
    uint32_t i_size_high; /* regular files: the upper 32 bits of the size (large_file) */
    uint32_t i_faddr;
    uint8_t i_frag;
    uint8_t i_fsize;
    uint16_t i_pad1;
    uint16_t i_uid_high;
    uint16_t i_gid_high;
    uint32_t i_reserved2;
};
_Static_assert(sizeof(struct ext2_inode) == 128, "ext2 inode layout");

struct ext2_dir_entry {
    uint32_t inode;   /* 0: an unused entry */
    uint16_t rec_len; /* to the next entry: a multiple of 4, within the block */
    uint8_t name_len;
    uint8_t file_type;
    char name[];
};
#define EXT2_DIRENT_HEADER 8
/* The space an entry with a name of len bytes needs. */
static inline uint32_t ext2_rec_len(uint32_t len)
{
    return (EXT2_DIRENT_HEADER + len + 3) & ~3u;
}

/* One mounted ext2 filesystem (super_block.fs_info). */
struct ext2_fs {
    struct super_block *sb;
    struct bcache *cache;
    uint32_t block_size;
    uint32_t addr_per_block; /* block numbers in an indirect block */
    uint32_t groups;
    uint32_t inode_size;
    uint32_t first_ino;
    struct buf *super_buf;       /* held for the whole mount */
    struct ext2_super_block *es; /* inside super_buf */
    struct buf **gdt_bufs;       /* the group descriptor blocks, held for the whole mount */
    uint32_t gdt_blocks;
    struct ext2_inode_info *icache[64]; /* in-memory inodes by number: one per inode number */
};

/* An in-memory ext2 inode: the VFS inode plus what only ext2 needs. */
struct ext2_inode_info {
    struct inode vfs;
    uint32_t block[EXT2_N_BLOCKS]; /* block map, fast symlink target or device number */
    uint32_t flags;
    uint32_t dtime;
    uint32_t file_acl;
    uint32_t generation;
    uint16_t extra_isize; /* bytes used past the classic 128 (large inodes): 0 or 32 here */
    struct ext2_inode_info *hash_next;
};

static inline struct ext2_inode_info *EXT2_I(struct inode *inode)
{
    return container_of(inode, struct ext2_inode_info, vfs);
}
static inline struct ext2_fs *EXT2_FS(struct super_block *sb)
{
    return sb->fs_info;
}

/* super.c: the superblock and the group descriptors. */
struct ext2_group_desc *ext2_group(struct ext2_fs *fs, uint32_t group);
/* Counts changed in group's descriptor (and the superblock's totals): marks both dirty. */
void ext2_group_dirty(struct ext2_fs *fs, uint32_t group);

/* balloc.c: blocks. goal is a block near which to allocate (0: anywhere). The new block is not
 * read: callers fill it through bcache_new. */
int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out);
/* -EIO (and nothing changed) for a block outside the filesystem or already free: damage. */
int ext2_free_block(struct ext2_fs *fs, uint32_t block);

/* ialloc.c: inode numbers. */
int ext2_alloc_ino(struct ext2_fs *fs, uint32_t dir_ino, bool is_dir, uint32_t *out);
void ext2_free_ino(struct ext2_fs *fs, uint32_t ino, bool is_dir);

/* inode.c: the inode cache and on-disk inodes. */
extern const struct inode_ops ext2_inode_ops;
int ext2_iget(struct ext2_fs *fs, uint32_t ino, struct inode **out);
/* A new inode of the given mode (uid/gid 0, times now, one link), allocated near dir. */
int ext2_new_inode(struct inode *dir, uint32_t mode, struct inode **out);
/* Copies the in-memory inode into its inode-table block (marked dirty). */
int ext2_write_inode(struct inode *inode);
/* ctime (and mtime if modified) = now, then the inode goes to its block. */
void ext2_touch(struct inode *inode, bool modified);
/* Whether i_block holds block numbers (not a fast symlink's text or a device number). */
bool ext2_has_blocks(const struct inode *inode);
int ext2_write_all_inodes(struct ext2_fs *fs);
int ext2_getattr(struct inode *inode, struct stat *st);
int ext2_setattr(struct inode *inode, const struct iattr *attr);
void ext2_release(struct inode *inode);
/* A device node's number, in the inode and in i_block. */
void ext2_set_rdev(struct inode *inode, uint32_t rdev);

/* bmap.c: logical to physical blocks. */
/* The physical block of file block lblk: 0 for a hole unless create, which allocates it (and any
 * indirect blocks on the way), zeroed. -EFBIG past the triple indirect block's reach. */
int ext2_bmap(struct inode *inode, uint64_t lblk, bool create, uint32_t *out);
/* Frees every block from file block first on (indirect blocks that empty included). */
int ext2_free_blocks_from(struct inode *inode, uint64_t first);
uint64_t ext2_max_file_blocks(struct ext2_fs *fs);

/* file.c */
ssize_t ext2_file_read(struct inode *inode, void *buf, size_t count, uint64_t pos);
ssize_t ext2_file_write(struct inode *inode, const void *buf, size_t count, uint64_t pos);
int ext2_truncate(struct inode *inode, uint64_t size);

/* dir.c: directory entries. */
int ext2_dir_find(struct inode *dir, const char *name, size_t len, uint32_t *ino);
int ext2_dir_add(struct inode *dir, const char *name, size_t len, uint32_t ino, uint32_t mode);
int ext2_dir_remove(struct inode *dir, const char *name, size_t len);
/* Points an existing entry at another inode (rename over an existing name). */
int ext2_dir_set(struct inode *dir, const char *name, size_t len, uint32_t ino, uint32_t mode);
int ext2_dir_is_empty(struct inode *dir, bool *empty);
/* Writes "." and ".." into a new directory's first block. */
int ext2_dir_init(struct inode *dir, uint32_t parent_ino);
int ext2_readdir(struct inode *dir, uint64_t *pos, filldir_t emit, void *ctx);

/* xattr.c: drops the inode's reference to its extended-attribute block, freeing the block with
 * the last one. */
void ext2_xattr_release(struct inode *inode);

/* times.c: the times of the inode at raw; large is what follows its first 128 bytes in a large
 * inode, or NULL. ext2_trim_times drops the nanoseconds an inode cannot store. */
void ext2_times_from_disk(struct ext2_inode_info *ei, const struct ext2_inode *raw, const void *large);
void ext2_times_to_disk(const struct ext2_inode_info *ei, struct ext2_inode *raw, void *large);
void ext2_trim_times(struct inode *inode);

/* symlink.c */
int ext2_symlink_store(struct inode *link, const char *target, size_t len);
ssize_t ext2_readlink(struct inode *link, char *buf, size_t size);

/* namei.c: the directory operations of inode_ops. */
int ext2_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);
int ext2_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out);
int ext2_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode);
int ext2_mknod(struct inode *dir, const char *name, size_t len, uint32_t mode, uint32_t rdev);
int ext2_symlink(struct inode *dir, const char *name, size_t len, const char *target);
int ext2_link(struct inode *dir, const char *name, size_t len, struct inode *target);
int ext2_unlink(struct inode *dir, const char *name, size_t len);
int ext2_rmdir(struct inode *dir, const char *name, size_t len);
int ext2_rename(struct inode *olddir, const char *oldname, size_t oldlen, struct inode *newdir,
                const char *newname, size_t newlen, unsigned flags);
