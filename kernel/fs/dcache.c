/* The dentry cache (kestrel/dcache.h): a hash table from (directory, name) to the inode the
 * filesystem's lookup returned, or to nothing for a name it said does not exist. Bounded: past
 * DCACHE_MAX_ENTRIES entries the least recently used one goes. All of it runs under the VFS lock. */
#include <kestrel/dcache.h>
#include <kestrel/kmalloc.h>
#include <kestrel/panic.h>
#include <kestrel/string.h>

#define DCACHE_BUCKETS 1024 /* a power of two */

struct dlink {
    struct dlink *prev, *next;
};

/* One name in one directory. The entry holds a reference on both inodes: on the child so a hit
 * can hand it out, on the directory so that the directory's memory is never freed (and reused
 * for another inode) while an entry is keyed by its address. */
struct dentry {
    struct dentry *hash_next, **hash_pprev; /* the bucket's chain */
    struct dentry *sib_next, **sib_pprev;   /* the directory's entries: parent->dentries */
    struct dlink lru;                       /* every entry, most recently used first */
    struct inode *parent;
    struct inode *inode; /* NULL: the name does not exist (a negative entry) */
    uint32_t hash;
    uint8_t len;
    char name[];
};

static struct dentry *buckets[DCACHE_BUCKETS];
static struct dlink lru = {&lru, &lru};
static size_t count;

/* FNV-1a over the name, seeded with the directory's address. */
static uint32_t hash_name(const struct inode *dir, const char *name, size_t len)
{
    uint64_t a = (uint64_t)(uintptr_t)dir;
    uint32_t h = 2166136261u ^ (uint32_t)(a >> 4) ^ (uint32_t)(a >> 32);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    return h;
}

static struct dentry *find(const struct inode *dir, const char *name, size_t len, uint32_t hash)
{
    for (struct dentry *d = buckets[hash & (DCACHE_BUCKETS - 1)]; d; d = d->hash_next)
        if (d->hash == hash && d->parent == dir && d->len == len && memcmp(d->name, name, len) == 0)
            return d;
    return NULL;
}

static void lru_unlink(struct dentry *d)
{
    d->lru.prev->next = d->lru.next;
    d->lru.next->prev = d->lru.prev;
}

static void lru_push_front(struct dentry *d)
{
    d->lru.prev = &lru;
    d->lru.next = lru.next;
    lru.next->prev = &d->lru;
    lru.next = &d->lru;
}

/* Unhooks an entry from every list, frees it and drops its references. Dropping them may free
 * either inode, which touches no other entry: an inode with entries keyed by it is referenced by
 * each of them, so it cannot be the one freed. */
static void drop(struct dentry *d)
{
    *d->hash_pprev = d->hash_next;
    if (d->hash_next)
        d->hash_next->hash_pprev = d->hash_pprev;
    *d->sib_pprev = d->sib_next;
    if (d->sib_next)
        d->sib_next->sib_pprev = d->sib_pprev;
    lru_unlink(d);
    count--;
    struct inode *parent = d->parent, *inode = d->inode;
    kfree(d);
    if (inode)
        inode_put(inode);
    inode_put(parent);
}

static void insert(struct inode *dir, const char *name, size_t len, uint32_t hash, struct inode *inode)
{
    if (count >= DCACHE_MAX_ENTRIES)
        drop(container_of(lru.prev, struct dentry, lru));
    struct dentry *d = kmalloc(sizeof(*d) + len);
    if (!d)
        return; /* the cache is only a shortcut: the next walk asks the filesystem again */
    d->parent = inode_get(dir);
    d->inode = inode ? inode_get(inode) : NULL;
    d->hash = hash;
    d->len = (uint8_t)len;
    memcpy(d->name, name, len);
    struct dentry **head = &buckets[hash & (DCACHE_BUCKETS - 1)];
    d->hash_next = *head;
    d->hash_pprev = head;
    if (*head)
        (*head)->hash_pprev = &d->hash_next;
    *head = d;
    d->sib_next = dir->dentries;
    d->sib_pprev = &dir->dentries;
    if (dir->dentries)
        dir->dentries->sib_pprev = &d->sib_next;
    dir->dentries = d;
    lru_push_front(d);
    count++;
}

/* procfs changes without the VFS; a removed directory stays empty for good, and an entry in it
 * would only keep it from being freed. */
static bool cacheable(const struct inode *dir)
{
    return !dir->sb->names_volatile && dir->nlink != 0;
}

int dcache_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    BUG_ON(len == 0 || len > NAME_MAX);
    if (!cacheable(dir))
        return dir->ops->lookup(dir, name, len, out);
    uint32_t hash = hash_name(dir, name, len);
    struct dentry *d = find(dir, name, len, hash);
    if (d) {
        lru_unlink(d);
        lru_push_front(d);
        if (!d->inode)
            return -ENOENT;
        *out = inode_get(d->inode);
        return 0;
    }
    int err = dir->ops->lookup(dir, name, len, out);
    if (!err || err == -ENOENT) /* an I/O error says nothing about the name */
        insert(dir, name, len, hash, err ? NULL : *out);
    return err;
}

void dcache_forget(struct inode *dir, const char *name, size_t len)
{
    if (dir->sb->names_fold_case) {
        dcache_forget_dir(dir);
        return;
    }
    struct dentry *d = find(dir, name, len, hash_name(dir, name, len));
    if (d)
        drop(d);
}

void dcache_forget_dir(struct inode *dir)
{
    while (dir->dentries)
        drop(dir->dentries);
}

void dcache_prune_sb(struct super_block *sb)
{
    for (struct dlink *l = lru.next, *next; l != &lru; l = next) {
        next = l->next; /* drop frees l and nothing else (see drop) */
        struct dentry *d = container_of(l, struct dentry, lru);
        if (d->parent->sb == sb)
            drop(d);
    }
}

void dcache_prune(void)
{
    while (lru.next != &lru)
        drop(container_of(lru.next, struct dentry, lru));
}

size_t dcache_entries(void)
{
    return count;
}
