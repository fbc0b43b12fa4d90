/* FAT32 (vfat) internals shared by the files of kernel/fs/fat: the on-disk structures, the
 * per-mount state and the in-memory inode. docs/fat.md describes the format as implemented.
 *
 * Locking: none of its own. Every entry point runs under the VFS-wide sleeping lock
 * (docs/locking.md), which also covers the sleeps in the buffer cache's device I/O. */
#pragma once
#include <kestrel/bcache.h>
#include <kestrel/fs.h>
#include <kestrel/types.h>

#define FAT_DIRENT_SIZE  32
#define FAT_NAME_LEN     11 /* 8.3 short name: 8 base + 3 extension characters, space padded */
#define FAT_LFN_CHARS    13 /* UCS-2 characters per long-name entry */
#define FAT_LFN_MAX      255
#define FAT_LFN_SLOTS    20                         /* ceil(255 / 13) */
#define FAT_MAX_DIR_SIZE (65536u * FAT_DIRENT_SIZE) /* the spec's limit on a directory */

/* Directory entry attribute bits. */
#define FAT_ATTR_RO     0x01
#define FAT_ATTR_HIDDEN 0x02
#define FAT_ATTR_SYS    0x04
#define FAT_ATTR_VOLUME 0x08
#define FAT_ATTR_DIR    0x10
#define FAT_ATTR_ARCH   0x20
#define FAT_ATTR_LFN    0x0f /* RO|HIDDEN|SYS|VOLUME together mark a long-name entry */

/* First byte of a short name: free entry, end of directory, and 0xe5 stored as 0x05. */
#define FAT_DELETED 0xe5
#define FAT_END     0x00
#define FAT_KANJI   0x05

/* NT reserved byte: the base or the extension is displayed in lower case. */
#define FAT_CASE_LOWER_BASE 0x08
#define FAT_CASE_LOWER_EXT  0x10

/* FAT32 entries are 28 bits; the top 4 are reserved and kept as found. */
#define FAT_ENTRY_MASK 0x0fffffffu
#define FAT_FREE       0u
#define FAT_BAD        0x0ffffff7u
#define FAT_EOC_MIN    0x0ffffff8u /* this and above: end of chain */
#define FAT_EOC        0x0fffffffu
#define FAT_FIRST_CLUS 2u

#define FAT_ROOT_INO 1 /* Linux's MSDOS_ROOT_INO; other inodes are numbered by entry position */

/* The 32-byte short directory entry. */
struct fat_dirent {
    uint8_t name[FAT_NAME_LEN];
    uint8_t attr;
    uint8_t lcase; /* FAT_CASE_* */
    uint8_t ctime_cs;
    uint16_t ctime;
    uint16_t cdate;
    uint16_t adate;
    uint16_t start_hi;
    uint16_t time;
    uint16_t date;
    uint16_t start_lo;
    uint32_t size;
} __attribute__((packed));

/* The 32-byte long-name entry (VFAT). */
struct fat_lfn {
    uint8_t ord; /* 1-based sequence number, FAT_LFN_LAST on the first stored (last in name) */
    uint16_t name1[5];
    uint8_t attr; /* FAT_ATTR_LFN */
    uint8_t type; /* 0 */
    uint8_t checksum;
    uint16_t name2[6];
    uint16_t start; /* 0 */
    uint16_t name3[2];
} __attribute__((packed));
#define FAT_LFN_LAST 0x40

/* Mount options, as Linux's vfat names them. */
struct fat_options {
    uint32_t uid, gid;
    uint32_t fmask, dmask;
};

#define FAT_ICACHE_BUCKETS 256

/* Per-mount state (sb->fs_info). */
struct fat_sb {
    struct bcache *bc;    /* blocks are sectors (bytes_per_sector) */
    uint32_t sector_size; /* bytes per sector: 512, 1024, 2048 or 4096 */
    uint32_t sectors_per_clus;
    uint32_t cluster_size; /* bytes */
    uint32_t fat_start;    /* first sector of the first FAT */
    uint32_t fat_sectors;  /* sectors per FAT */
    uint32_t num_fats;
    uint32_t data_start;  /* the sector of cluster 2 */
    uint32_t max_cluster; /* the highest valid cluster number (cluster count + 1) */
    uint32_t root_cluster;
    uint32_t fsinfo_sector; /* 0 when there is none */
    uint32_t free_clusters; /* exact: counted at mount, kept up to date */
    uint32_t next_free;     /* where the next allocation search starts */
    bool fsinfo_dirty;
    struct fat_options opt;
    struct fat_inode *icache[FAT_ICACHE_BUCKETS]; /* inodes in memory, by entry position */
};

/* The in-memory inode. */
struct fat_inode {
    struct inode vfs;
    uint64_t ipos;        /* absolute position of the short entry (byte offset / 32); 0: root or unlinked */
    uint32_t start;       /* first cluster, 0 for an empty file */
    uint8_t attr;         /* FAT_ATTR_* as on disk */
    struct inode *parent; /* directories: a reference to the parent (the root: itself, uncounted) */
    uint32_t clusters;    /* clusters in the chain */
    /* The last cluster mapped, so sequential access walks the chain once. */
    uint32_t cache_index, cache_cluster;
    struct fat_inode *hash_next;
};

static inline struct fat_inode *FAT_I(struct inode *inode)
{
    return container_of(inode, struct fat_inode, vfs);
}

static inline struct fat_sb *FAT_SB(struct super_block *sb)
{
    return sb->fs_info;
}

static inline uint32_t fat_dirent_start(const struct fat_dirent *de)
{
    return ((uint32_t)de->start_hi << 16) | de->start_lo;
}

static inline void fat_dirent_set_start(struct fat_dirent *de, uint32_t cluster)
{
    de->start_hi = (uint16_t)(cluster >> 16);
    de->start_lo = (uint16_t)cluster;
}

static inline uint64_t fat_cluster_sector(const struct fat_sb *fs, uint32_t cluster)
{
    return fs->data_start + (uint64_t)(cluster - FAT_FIRST_CLUS) * fs->sectors_per_clus;
}

/* table.c: the FAT. */
int fat_get_entry(struct fat_sb *fs, uint32_t cluster, uint32_t *out);
int fat_set_entry(struct fat_sb *fs, uint32_t cluster, uint32_t value);
int fat_count_free(struct fat_sb *fs);
/* A free cluster, zeroed on disk, marked end-of-chain and linked after prev (0: none). */
int fat_alloc_cluster(struct fat_sb *fs, uint32_t prev, uint32_t *out);
/* Frees the chain from cluster on. */
int fat_free_chain(struct fat_sb *fs, uint32_t cluster);
/* The cluster at index in the chain from start; -ENOENT past its end, -EIO for a broken chain. */
int fat_chain_walk(struct fat_sb *fs, uint32_t start, uint32_t index, uint32_t *out);
int fat_chain_length(struct fat_sb *fs, uint32_t start, uint32_t *out);

/* name.c: names. */
uint8_t fat_lfn_checksum(const uint8_t name[FAT_NAME_LEN]);
/* UTF-8 to UCS-2: the number of characters, or -EINVAL (bad UTF-8, beyond the BMP, a character
 * FAT forbids) or -ENAMETOOLONG. */
int fat_utf8_to_ucs2(const char *name, size_t len, uint16_t *out);
/* UCS-2 to UTF-8 (up to 3 bytes per character); returns the byte count. */
size_t fat_ucs2_to_utf8(const uint16_t *in, size_t n, char *out);
/* The display form of a short entry's name ("README.TXT", or lower-cased per lcase). */
size_t fat_short_to_name(const struct fat_dirent *de, char *out);
/* Whether name is a valid 8.3 name in upper case, stored as such with no long name; fills short. */
bool fat_name_is_short(const char *name, size_t len, uint8_t shortname[FAT_NAME_LEN]);
/* The short name's basis (upper case, invalid characters replaced); returns whether a ~N tail
 * is needed because something was lost. */
bool fat_short_basis(const char *name, size_t len, uint8_t shortname[FAT_NAME_LEN]);
/* Puts "~n" into the base part of shortname. */
void fat_short_tail(uint8_t shortname[FAT_NAME_LEN], unsigned n);
/* Whether two UTF-8 names are equal ignoring ASCII case (vfat's default comparison). */
bool fat_name_equal(const char *a, size_t alen, const char *b, size_t blen);
/* The name's length without trailing dots, which vfat drops. */
size_t fat_strip_tail(const char *name, size_t len);

/* time.c: FAT's local (here UTC) date and time fields. */
void fat_time_to_vfs(uint16_t date, uint16_t time, uint8_t cs, struct vfs_timespec *out);
void fat_time_from_vfs(const struct vfs_timespec *ts, uint16_t *date, uint16_t *time, uint8_t *cs);

/* dir.c: directory entries. */
struct fat_slot {
    uint64_t first; /* directory offset of the first entry (its first long-name entry) */
    uint64_t entry; /* directory offset of the short entry */
    uint64_t ipos;  /* the short entry's absolute position */
    struct fat_dirent de;
};
/* Finds name in dir: 0, -ENOENT, or an I/O error. */
int fat_dir_find(struct inode *dir, const char *name, size_t len, struct fat_slot *out);
/* Adds an entry named name with the fields of de (the name is filled in here). */
int fat_dir_add(struct inode *dir, const char *name, size_t len, struct fat_dirent *de, struct fat_slot *out);
/* Marks the entries of slot free. */
int fat_dir_remove(struct inode *dir, const struct fat_slot *slot);
/* Whether dir holds anything but "." and "..". */
int fat_dir_empty(struct inode *dir, bool *empty);
/* The number of subdirectories (for nlink). */
int fat_dir_subdirs(struct inode *dir, uint32_t *out);
int fat_readdir(struct inode *dir, uint64_t *pos, filldir_t emit, void *ctx);
/* The short entry at ipos, with a buffer reference the caller puts after any change. */
int fat_dirent_get(struct fat_sb *fs, uint64_t ipos, struct buf **b, struct fat_dirent **de);
/* Sets the ".." entry of a directory to point at parent. */
int fat_dir_set_dotdot(struct inode *dir, struct inode *parent);
/* What ".." of a subdirectory of parent holds: its first cluster, 0 for the root. */
uint32_t fat_parent_start(struct inode *parent);
/* Writes "." and ".." into the first cluster of a new directory. */
int fat_dir_init(struct fat_sb *fs, uint32_t cluster, const struct fat_dirent *self, uint32_t parent_start);

/* file.c: data. */
/* Maps the byte offset pos of inode to a sector, growing the chain when grow is set. */
int fat_bmap(struct inode *inode, uint64_t pos, bool grow, uint64_t *sector);
ssize_t fat_file_read(struct inode *inode, void *buf, size_t count, uint64_t pos);
ssize_t fat_file_write(struct inode *inode, const void *buf, size_t count, uint64_t pos);
int fat_file_truncate(struct inode *inode, uint64_t size);

/* inode.c: the inode cache and attributes. */
int fat_iget(struct super_block *sb, const struct fat_slot *slot, struct inode *parent, struct inode **out);
struct inode *fat_root_inode(struct super_block *sb);
/* Moves an inode to a new entry position (rename) or off the disk (ipos 0: unlinked). */
void fat_rehash(struct fat_inode *fi, uint64_t ipos);
/* Writes the inode's size, first cluster, attributes and times into its entry. */
int fat_write_inode(struct inode *inode);
int fat_getattr(struct inode *inode, struct stat *st);
int fat_setattr(struct inode *inode, const struct iattr *attr);
void fat_release(struct inode *inode);
/* Sets mtime and ctime to now at FAT's 2-second resolution. */
void fat_touch(struct inode *inode);

extern const struct inode_ops fat_dir_ops;
extern const struct inode_ops fat_file_ops;
