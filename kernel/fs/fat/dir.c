/* FAT directories: arrays of 32-byte entries in a cluster chain. A file's entries are its long
 * name (VFAT: up to 20 entries of 13 UCS-2 characters, stored last part first, each carrying the
 * checksum of the short name) followed by its 8.3 short entry, which holds the attributes, times,
 * first cluster and size. A first byte of 0xe5 marks a free entry, 0x00 the end of the directory.
 * Every directory but the root starts with "." and "..". Readdir positions are 2 + the byte
 * offset of an entry's first long-name entry (0 and 1 are "." and ".."). */
#include <kestrel/kmalloc.h>
#include <kestrel/string.h>
#include <uapi/dirent.h>
#include <uapi/errno.h>
#include "fat.h"

#define TAIL_MAX 8192 /* "~N" tails tried per short-name basis (one bitmap of candidates) */

/* One directory entry as read in a walk: its names and where its entries are. */
struct fat_found {
    struct fat_slot slot;
    char name[FAT_LFN_MAX * 3];
    size_t len;
    char short_name[FAT_NAME_LEN * 2 + 2]; /* the display form of the short name */
    size_t short_len;
};

/* The long name being collected during a walk. */
struct lfn_run {
    uint16_t chars[FAT_LFN_SLOTS * FAT_LFN_CHARS];
    uint64_t first; /* the offset of its first entry */
    uint8_t count;  /* entries in the run; 0: no run */
    uint8_t expect; /* the sequence number expected next; 0 when complete */
    uint8_t checksum;
};

static uint32_t entries_per_sector(const struct fat_sb *fs)
{
    return fs->sector_size / FAT_DIRENT_SIZE;
}

/* The sector buffer holding the entry at offset off of dir, and the entry in it. -ENOENT past
 * the end of the chain (or of the chain plus one new cluster when grow is set). */
static int entry_get(struct inode *dir, uint64_t off, bool grow, struct buf **b, void **entry)
{
    struct fat_sb *fs = FAT_SB(dir->sb);
    if (off >= FAT_MAX_DIR_SIZE)
        return grow ? -ENOSPC : -ENOENT;
    uint64_t sector;
    int err = fat_bmap(dir, off, grow, &sector);
    if (err)
        return err;
    err = bcache_get(fs->bc, sector, b);
    if (err)
        return err;
    *entry = (char *)(*b)->data + off % fs->sector_size;
    return 0;
}

static uint64_t entry_ipos(struct inode *dir, struct buf *b, uint64_t off)
{
    struct fat_sb *fs = FAT_SB(dir->sb);
    return b->blockno * entries_per_sector(fs) + (off % fs->sector_size) / FAT_DIRENT_SIZE;
}

int fat_dirent_get(struct fat_sb *fs, uint64_t ipos, struct buf **b, struct fat_dirent **de)
{
    uint32_t per = entries_per_sector(fs);
    int err = bcache_get(fs->bc, ipos / per, b);
    if (err)
        return err;
    *de = (struct fat_dirent *)(*b)->data + ipos % per;
    return 0;
}

static void lfn_take(struct lfn_run *run, const struct fat_lfn *l, uint64_t off)
{
    uint8_t seq = l->ord & 0x1f;
    if (seq == 0 || seq > FAT_LFN_SLOTS) {
        run->count = 0; /* no such part: a damaged entry */
        return;
    }
    if (l->ord & FAT_LFN_LAST) {
        run->count = seq;
        run->first = off;
        run->checksum = l->checksum;
    } else if (run->count == 0 || seq != run->expect || l->checksum != run->checksum) {
        run->count = 0; /* an orphan or out-of-order part: the short name stands alone */
        return;
    }
    uint16_t *dst = run->chars + (seq - 1) * FAT_LFN_CHARS;
    memcpy(dst, l->name1, sizeof(l->name1));
    memcpy(dst + 5, l->name2, sizeof(l->name2));
    memcpy(dst + 11, l->name3, sizeof(l->name3));
    run->expect = seq - 1;
}

/* Turns a complete run whose checksum matches de into the entry's name. */
static bool lfn_finish(struct lfn_run *run, const struct fat_dirent *de, struct fat_found *f)
{
    if (run->count == 0 || run->expect != 0 || run->checksum != fat_lfn_checksum(de->name))
        return false;
    size_t n = 0, max = (size_t)run->count * FAT_LFN_CHARS;
    while (n < max && n < FAT_LFN_MAX && run->chars[n] != 0)
        n++;
    if (n == 0)
        return false;
    f->len = fat_ucs2_to_utf8(run->chars, n, f->name);
    f->slot.first = run->first;
    return true;
}

static bool is_dot_entry(const struct fat_dirent *de)
{
    return de->name[0] == '.';
}

/* Reads the next file entry at or after *off (skipping free, volume-label, "." and ".." entries);
 * *off ends just after its short entry. -ENOENT at the end of the directory. */
static int dir_next(struct inode *dir, uint64_t *off, struct fat_found *f)
{
    struct lfn_run run;
    run.count = 0;
    for (;; *off += FAT_DIRENT_SIZE) {
        struct buf *b;
        void *entry;
        int err = entry_get(dir, *off, false, &b, &entry);
        if (err)
            return err;
        struct fat_dirent de = *(struct fat_dirent *)entry;
        uint64_t ipos = entry_ipos(dir, b, *off);
        bcache_put(b);
        if (de.name[0] == FAT_END)
            return -ENOENT;
        if (de.name[0] == FAT_DELETED) {
            run.count = 0;
            continue;
        }
        if ((de.attr & 0x3f) == FAT_ATTR_LFN) {
            lfn_take(&run, (const struct fat_lfn *)&de, *off);
            continue;
        }
        if ((de.attr & FAT_ATTR_VOLUME) || is_dot_entry(&de)) {
            run.count = 0;
            continue;
        }
        f->slot.de = de;
        f->slot.entry = *off;
        f->slot.ipos = ipos;
        f->short_len = fat_short_to_name(&de, f->short_name);
        if (!lfn_finish(&run, &de, f)) {
            if (f->short_len == 0)
                continue; /* a blank short name and no long one: damage, not a file */
            memcpy(f->name, f->short_name, f->short_len);
            f->len = f->short_len;
            f->slot.first = *off;
        }
        *off += FAT_DIRENT_SIZE;
        return 0;
    }
}

int fat_dir_find(struct inode *dir, const char *name, size_t len, struct fat_slot *out)
{
    struct fat_found *f = kmalloc(sizeof(*f));
    if (!f)
        return -ENOMEM;
    int err;
    for (uint64_t off = 0; (err = dir_next(dir, &off, f)) == 0;) {
        if (fat_name_equal(f->name, f->len, name, len) ||
            fat_name_equal(f->short_name, f->short_len, name, len)) {
            *out = f->slot;
            break;
        }
    }
    kfree(f);
    return err;
}

int fat_readdir(struct inode *dir, uint64_t *pos, filldir_t emit, void *ctx)
{
    if (*pos == 0) {
        if (!emit(ctx, ".", 1, dir->ino, DT_DIR, 1))
            return 0;
        *pos = 1;
    }
    if (*pos == 1) {
        if (!emit(ctx, "..", 2, FAT_I(dir)->parent->ino, DT_DIR, 2))
            return 0;
        *pos = 2;
    }
    struct fat_found *f = kmalloc(sizeof(*f));
    if (!f)
        return -ENOMEM;
    int err;
    for (uint64_t off = *pos - 2; (err = dir_next(dir, &off, f)) == 0;) {
        unsigned type = f->slot.de.attr & FAT_ATTR_DIR ? DT_DIR : DT_REG;
        if (!emit(ctx, f->name, f->len, f->slot.ipos, type, off + 2))
            break;
        *pos = off + 2;
    }
    kfree(f);
    return err == -ENOENT ? 0 : err;
}

int fat_dir_empty(struct inode *dir, bool *empty)
{
    struct fat_found *f = kmalloc(sizeof(*f));
    if (!f)
        return -ENOMEM;
    uint64_t off = 0;
    int err = dir_next(dir, &off, f);
    kfree(f);
    *empty = err == -ENOENT;
    return err == -ENOENT ? 0 : err;
}

int fat_dir_subdirs(struct inode *dir, uint32_t *out)
{
    struct fat_found *f = kmalloc(sizeof(*f));
    if (!f)
        return -ENOMEM;
    uint32_t n = 0;
    int err;
    for (uint64_t off = 0; (err = dir_next(dir, &off, f)) == 0;)
        n += (f->slot.de.attr & FAT_ATTR_DIR) != 0;
    kfree(f);
    *out = n;
    return err == -ENOENT ? 0 : err;
}

/* ---- Adding entries ---- */

/* The "~N" number in a short name whose base is basis with that tail, or 0. */
static unsigned tail_of(const uint8_t name[FAT_NAME_LEN], const uint8_t basis[FAT_NAME_LEN])
{
    if (memcmp(name + 8, basis + 8, 3) != 0)
        return 0;
    int tilde = -1;
    for (int i = 7; i >= 0; i--) {
        if (name[i] == '~') {
            tilde = i;
            break;
        }
    }
    unsigned n = 0;
    for (int i = tilde + 1; tilde >= 0 && i < 8 && name[i] >= '0' && name[i] <= '9'; i++)
        n = n * 10 + (name[i] - '0');
    if (n == 0 || n >= TAIL_MAX)
        return 0;
    uint8_t candidate[FAT_NAME_LEN];
    memcpy(candidate, basis, FAT_NAME_LEN);
    fat_short_tail(candidate, n);
    return memcmp(candidate, name, FAT_NAME_LEN) == 0 ? n : 0;
}

/* Makes shortname unique in dir: the basis itself when nothing was lost and it is free, else the
 * basis with the smallest free "~N" tail. */
static int unique_short(struct inode *dir, uint8_t shortname[FAT_NAME_LEN], bool lossy)
{
    uint8_t *used = kzalloc(TAIL_MAX / 8);
    struct fat_found *f = kmalloc(sizeof(*f));
    int err = -ENOMEM;
    if (!used || !f)
        goto out;
    bool basis_taken = false;
    for (uint64_t off = 0; (err = dir_next(dir, &off, f)) == 0;) {
        basis_taken |= memcmp(f->slot.de.name, shortname, FAT_NAME_LEN) == 0;
        unsigned n = tail_of(f->slot.de.name, shortname);
        used[n / 8] |= (uint8_t)(1u << (n % 8));
    }
    if (err != -ENOENT)
        goto out;
    err = 0;
    if (!lossy && !basis_taken)
        goto out;
    for (unsigned n = 1; n < TAIL_MAX; n++) {
        if (!(used[n / 8] & (1u << (n % 8)))) {
            fat_short_tail(shortname, n);
            goto out;
        }
    }
    err = -ENOSPC; /* every tail taken: not a name Kestrel can add here */
out:
    kfree(used);
    kfree(f);
    return err;
}

/* The offset of count consecutive free entries, reusing deleted ones; past the end of the
 * directory when there is no such run (entry_get with grow then extends it). */
static int find_free_run(struct inode *dir, uint32_t count, uint64_t *out)
{
    uint64_t run = 0;
    uint32_t len = 0;
    for (uint64_t off = 0;; off += FAT_DIRENT_SIZE) {
        struct buf *b;
        void *entry;
        int err = entry_get(dir, off, false, &b, &entry);
        if (err == -ENOENT) {
            *out = len ? run : off;
            return 0;
        }
        if (err)
            return err;
        uint8_t first = *(uint8_t *)entry;
        bcache_put(b);
        if (first == FAT_END) {
            /* Everything from the end marker on is free. */
            *out = len ? run : off;
            return 0;
        }
        if (first != FAT_DELETED) {
            len = 0;
            continue;
        }
        if (len++ == 0)
            run = off;
        if (len == count) {
            *out = run;
            return 0;
        }
    }
}

static int write_entry(struct inode *dir, uint64_t off, const void *data, uint64_t *ipos)
{
    struct buf *b;
    void *entry;
    int err = entry_get(dir, off, true, &b, &entry);
    if (err)
        return err;
    memcpy(entry, data, FAT_DIRENT_SIZE);
    if (ipos)
        *ipos = entry_ipos(dir, b, off);
    bcache_mark_dirty(b);
    bcache_put(b);
    return 0;
}

/* Long-name entry number seq (1-based) of a name of n characters. */
static void make_lfn(struct fat_lfn *l, const uint16_t *name, int n, int seq, bool last, uint8_t checksum)
{
    uint16_t part[FAT_LFN_CHARS];
    for (int i = 0; i < FAT_LFN_CHARS; i++) {
        int at = (seq - 1) * FAT_LFN_CHARS + i;
        /* After the name: one 0x0000 terminator (unless the name fills the entry), then 0xffff. */
        part[i] = at < n ? name[at] : at == n ? 0x0000 : 0xffff;
    }
    memset(l, 0, sizeof(*l));
    l->ord = (uint8_t)(seq | (last ? FAT_LFN_LAST : 0));
    l->attr = FAT_ATTR_LFN;
    l->checksum = checksum;
    memcpy(l->name1, part, sizeof(l->name1));
    memcpy(l->name2, part + 5, sizeof(l->name2));
    memcpy(l->name3, part + 11, sizeof(l->name3));
}

int fat_dir_add(struct inode *dir, const char *name, size_t len, struct fat_dirent *de, struct fat_slot *out)
{
    uint16_t *ucs = kmalloc(FAT_LFN_MAX * sizeof(uint16_t));
    if (!ucs)
        return -ENOMEM;
    int n = fat_utf8_to_ucs2(name, len, ucs);
    int err = n < 0 ? n : 0;
    int lfns = 0;
    if (!err && !fat_name_is_short(name, len, de->name)) {
        /* The name needs a long entry; its short alias must not collide. */
        lfns = (n + FAT_LFN_CHARS - 1) / FAT_LFN_CHARS;
        bool lossy = fat_short_basis(name, len, de->name);
        err = unique_short(dir, de->name, lossy);
    }
    uint64_t off;
    if (!err)
        err = find_free_run(dir, (uint32_t)lfns + 1, &off);
    if (err)
        goto out;
    out->first = off;
    uint8_t checksum = fat_lfn_checksum(de->name);
    for (int seq = lfns; seq >= 1 && !err; seq--, off += FAT_DIRENT_SIZE) {
        struct fat_lfn l;
        make_lfn(&l, ucs, n, seq, seq == lfns, checksum);
        err = write_entry(dir, off, &l, NULL);
    }
    if (!err)
        err = write_entry(dir, off, de, &out->ipos);
    if (err) {
        /* Entries already written are freed again so no orphan long name stays behind. */
        for (uint64_t o = out->first; o < off; o += FAT_DIRENT_SIZE)
            write_entry(dir, o, &(uint8_t[FAT_DIRENT_SIZE]){FAT_DELETED}, NULL);
        goto out;
    }
    out->entry = off;
    out->de = *de;
out:
    kfree(ucs);
    return err;
}

int fat_dir_remove(struct inode *dir, const struct fat_slot *slot)
{
    for (uint64_t off = slot->first; off <= slot->entry; off += FAT_DIRENT_SIZE) {
        struct buf *b;
        void *entry;
        int err = entry_get(dir, off, false, &b, &entry);
        if (err)
            return err;
        *(uint8_t *)entry = FAT_DELETED;
        bcache_mark_dirty(b);
        bcache_put(b);
    }
    return 0;
}

/* ---- "." and ".." ---- */

uint32_t fat_parent_start(struct inode *parent)
{
    /* ".." of a directory in the root holds 0, not the root's cluster. */
    return parent == parent->sb->root ? 0 : FAT_I(parent)->start;
}

int fat_dir_set_dotdot(struct inode *dir, struct inode *parent)
{
    struct buf *b;
    void *entry;
    int err = entry_get(dir, FAT_DIRENT_SIZE, false, &b, &entry);
    if (err)
        return err;
    struct fat_dirent *de = entry;
    if (memcmp(de->name, "..         ", FAT_NAME_LEN) != 0) {
        bcache_put(b);
        return -EIO; /* a directory without its ".." is damaged */
    }
    fat_dirent_set_start(de, fat_parent_start(parent));
    bcache_mark_dirty(b);
    bcache_put(b);
    return 0;
}

int fat_dir_init(struct fat_sb *fs, uint32_t cluster, const struct fat_dirent *self, uint32_t parent_start)
{
    struct buf *b;
    int err = bcache_get(fs->bc, fat_cluster_sector(fs, cluster), &b);
    if (err)
        return err;
    struct fat_dirent *de = b->data;
    de[0] = *self;
    memcpy(de[0].name, ".          ", FAT_NAME_LEN);
    fat_dirent_set_start(&de[0], cluster);
    de[1] = de[0];
    memcpy(de[1].name, "..         ", FAT_NAME_LEN);
    fat_dirent_set_start(&de[1], parent_start);
    bcache_mark_dirty(b);
    bcache_put(b);
    return 0;
}
