/* The file allocation table: one 32-bit entry per cluster giving the next cluster of its chain,
 * 0 for a free cluster, FAT_EOC at a chain's end. Every FAT copy is written alike, so the copies
 * stay identical (fsck.fat compares them). */
#include <kestrel/string.h>
#include <uapi/errno.h>
#include "fat.h"

/* Where cluster's entry lives in FAT copy number copy. */
static void entry_place(const struct fat_sb *fs, uint32_t cluster, uint32_t copy, uint64_t *sector,
                        uint32_t *offset)
{
    uint64_t byte = (uint64_t)cluster * 4;
    *sector = fs->fat_start + (uint64_t)copy * fs->fat_sectors + byte / fs->sector_size;
    *offset = (uint32_t)(byte % fs->sector_size);
}

static bool valid_cluster(const struct fat_sb *fs, uint32_t cluster)
{
    return cluster >= FAT_FIRST_CLUS && cluster <= fs->max_cluster;
}

int fat_get_entry(struct fat_sb *fs, uint32_t cluster, uint32_t *out)
{
    if (!valid_cluster(fs, cluster))
        return -EIO;
    uint64_t sector;
    uint32_t offset;
    entry_place(fs, cluster, 0, &sector, &offset);
    struct buf *b;
    int err = bcache_get(fs->bc, sector, &b);
    if (err)
        return err;
    uint32_t v;
    memcpy(&v, (char *)b->data + offset, 4);
    bcache_put(b);
    *out = v & FAT_ENTRY_MASK;
    return 0;
}

int fat_set_entry(struct fat_sb *fs, uint32_t cluster, uint32_t value)
{
    if (!valid_cluster(fs, cluster))
        return -EIO;
    for (uint32_t copy = 0; copy < fs->num_fats; copy++) {
        uint64_t sector;
        uint32_t offset;
        entry_place(fs, cluster, copy, &sector, &offset);
        struct buf *b;
        int err = bcache_get(fs->bc, sector, &b);
        if (err)
            return err;
        uint32_t old;
        memcpy(&old, (char *)b->data + offset, 4);
        uint32_t v = (old & ~FAT_ENTRY_MASK) | (value & FAT_ENTRY_MASK);
        memcpy((char *)b->data + offset, &v, 4);
        bcache_mark_dirty(b);
        bcache_put(b);
    }
    return 0;
}

/* Counts free clusters a FAT sector at a time (a volume can have millions of clusters). */
int fat_count_free(struct fat_sb *fs)
{
    uint32_t per_sector = fs->sector_size / 4, free = 0;
    for (uint32_t first = 0; first <= fs->max_cluster; first += per_sector) {
        struct buf *b;
        int err = bcache_get(fs->bc, fs->fat_start + first / per_sector, &b);
        if (err)
            return err;
        const uint32_t *entries = b->data;
        for (uint32_t i = 0; i < per_sector; i++) {
            uint32_t c = first + i;
            if (c >= FAT_FIRST_CLUS && c <= fs->max_cluster)
                free += (entries[i] & FAT_ENTRY_MASK) == FAT_FREE;
        }
        bcache_put(b);
    }
    fs->free_clusters = free;
    return 0;
}

/* Zeroes a cluster's sectors in the cache: a new directory cluster must read as empty, and a file
 * grown by truncate must read zeroes. */
static int zero_cluster(struct fat_sb *fs, uint32_t cluster)
{
    uint64_t first = fat_cluster_sector(fs, cluster);
    for (uint32_t i = 0; i < fs->sectors_per_clus; i++) {
        struct buf *b;
        int err = bcache_new(fs->bc, first + i, &b);
        if (err)
            return err;
        bcache_put(b);
    }
    return 0;
}

/* The next free cluster from next_free on, wrapping around once. */
static int find_free(struct fat_sb *fs, uint32_t *out)
{
    uint32_t count = fs->max_cluster - FAT_FIRST_CLUS + 1;
    uint32_t c = valid_cluster(fs, fs->next_free) ? fs->next_free : FAT_FIRST_CLUS;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t v;
        int err = fat_get_entry(fs, c, &v);
        if (err)
            return err;
        if (v == FAT_FREE) {
            *out = c;
            return 0;
        }
        c = c == fs->max_cluster ? FAT_FIRST_CLUS : c + 1;
    }
    return -ENOSPC;
}

int fat_alloc_cluster(struct fat_sb *fs, uint32_t prev, uint32_t *out)
{
    if (fs->free_clusters == 0)
        return -ENOSPC;
    uint32_t c;
    int err = find_free(fs, &c);
    if (err)
        return err;
    err = zero_cluster(fs, c);
    if (!err)
        err = fat_set_entry(fs, c, FAT_EOC);
    if (err)
        return err;
    if (prev) {
        err = fat_set_entry(fs, prev, c);
        if (err) {
            fat_set_entry(fs, c, FAT_FREE);
            return err;
        }
    }
    fs->free_clusters--;
    fs->next_free = c + 1;
    fs->fsinfo_dirty = true;
    *out = c;
    return 0;
}

/* Drops the cached sectors of a freed cluster: their contents no longer matter. */
static void forget_cluster(struct fat_sb *fs, uint32_t cluster)
{
    uint64_t first = fat_cluster_sector(fs, cluster);
    for (uint32_t i = 0; i < fs->sectors_per_clus; i++)
        bcache_forget(fs->bc, first + i);
}

int fat_free_chain(struct fat_sb *fs, uint32_t cluster)
{
    /* A chain never has more links than the volume has clusters: more means a loop. */
    for (uint32_t n = 0; cluster < FAT_EOC_MIN; n++) {
        if (n > fs->max_cluster)
            return -EIO;
        uint32_t next;
        int err = fat_get_entry(fs, cluster, &next);
        if (err)
            return err;
        /* A chain running into a free or bad cluster (or into its own freed start) is damaged:
         * stop there, so no cluster is counted free twice. */
        if (next == FAT_FREE || next == FAT_BAD)
            return -EIO;
        err = fat_set_entry(fs, cluster, FAT_FREE);
        if (err)
            return err;
        forget_cluster(fs, cluster);
        fs->free_clusters++;
        fs->fsinfo_dirty = true;
        cluster = next;
    }
    return 0;
}

int fat_chain_walk(struct fat_sb *fs, uint32_t start, uint32_t index, uint32_t *out)
{
    uint32_t c = start;
    if (c == 0)
        return -ENOENT;
    for (uint32_t i = 0; i < index; i++) {
        int err = fat_get_entry(fs, c, &c);
        if (err)
            return err;
        if (c >= FAT_EOC_MIN)
            return -ENOENT;
        if (!valid_cluster(fs, c))
            return -EIO;
    }
    *out = c;
    return 0;
}

int fat_chain_length(struct fat_sb *fs, uint32_t start, uint32_t *out)
{
    uint32_t n = 0;
    for (uint32_t c = start; c != 0 && c < FAT_EOC_MIN; n++) {
        if (n > fs->max_cluster)
            return -EIO;
        int err = fat_get_entry(fs, c, &c);
        if (err)
            return err;
        if (c == FAT_FREE || c == FAT_BAD)
            return -EIO;
    }
    *out = n;
    return 0;
}
