/* The dentry cache: what a name in a directory resolved to the last time the filesystem was
 * asked (an inode, or "no such name"), so that path walks skip the filesystem's lookup. Everything
 * here runs under the VFS lock. Design and invalidation rules: docs/vfs.md. */
#pragma once
#include <kestrel/fs.h>

/* The most entries the cache holds; past it the least recently used one goes. */
#define DCACHE_MAX_ENTRIES 4096

/* dir->ops->lookup through the cache: a hit answers at once, a miss asks the filesystem and
 * remembers its answer (an inode or -ENOENT). name is a plain name, neither "." nor "..". */
int dcache_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);

/* The name in dir was added, removed or repointed (or may have been: callers forget whether or
 * not the filesystem's operation succeeded). On a case-folding filesystem every name of dir goes. */
void dcache_forget(struct inode *dir, const char *name, size_t len);
/* Every name cached in dir goes: dir is being removed or replaced. */
void dcache_forget_dir(struct inode *dir);
/* Every name cached in a directory of sb goes, and with them every reference the cache holds on
 * sb's inodes: each filesystem's put_super calls this first. */
void dcache_prune_sb(struct super_block *sb);

/* Drops every entry (drop_caches, and before free memory is counted). Never fails. */
void dcache_prune(void);
/* The entries cached now. */
size_t dcache_entries(void);
