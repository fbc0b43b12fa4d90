/* The page cache: one set of 4 KiB pages per regular file, keyed by page index, shared by read(2),
 * write(2) and MAP_SHARED mappings (which map the cache pages themselves). Disk filesystems
 * (sb->bdev set) read through it; on tmpfs only pages a shared mapping brought in exist, so
 * tmpfs's own pages are not doubled. write(2) goes through the filesystem first (which allocates
 * blocks and reports ENOSPC at once) and then updates the cached pages; only stores through
 * shared mappings make pages dirty, and write-back hands them to the filesystem's write.
 *
 * Everything here runs under the VFS lock (vfs_lock), which serialises the cache with the
 * filesystems it calls. A file's pages go when its inode is released (last reference), after
 * being written back if the file still has a name. See docs/pagecache.md. */
#pragma once
#include <kestrel/fs.h>

#define PAGECACHE_PAGE_SIZE 4096u

/* read(2) on a regular file: cached pages first, the filesystem for the rest (filling the cache
 * when the filesystem is on a disk). Same contract as inode_ops->read. */
ssize_t pagecache_read(struct inode *inode, void *buf, size_t count, uint64_t pos);
/* write(2) wrote [pos, pos + count) through the filesystem: copies it into the cached pages. */
void pagecache_wrote(struct inode *inode, const void *buf, size_t count, uint64_t pos);
/* truncate changed the size: pages past the end go, the last page's tail is zeroed. */
void pagecache_truncated(struct inode *inode, uint64_t size);

/* The cache page at index for a shared mapping: looked up or read in. -EIO (SIGBUS) when the page
 * starts at or past the end of the file, -ENOMEM without memory. The page's kernel address. */
int pagecache_get_page(struct inode *inode, uint64_t index, void **data);
/* A shared mapping may write the page at index: it is dirty until written back while unmapped.
 * -EIO when the page is no longer in the cache (truncated away while mapped). */
int pagecache_mark_dirty(struct inode *inode, uint64_t index);

/* Writes the inode's dirty pages back through inode->ops->write; the first error is returned and
 * the failing pages stay dirty. */
int pagecache_writeback(struct inode *inode);
/* pagecache_writeback of every cached inode of sb (sync, syncfs, the write-back thread). */
int pagecache_writeback_sb(struct super_block *sb);
/* The inode is being released: its pages are written back (if it still has a name) and freed. */
void pagecache_evict_inode(struct inode *inode);
/* Frees up to want pages that no mapping uses, least recently used first: clean ones, then dirty
 * ones after writing them back. The cache's own size limit and, through
 * pagecache_reclaim_init, the page allocator's shrinker. The number freed. */
size_t pagecache_shrink(size_t want);
/* Registers the page allocator's shrinker: pagecache_shrink under the VFS lock when it is free
 * (kernel/fs/pagecache_reclaim.c). */
void pagecache_reclaim_init(void);
/* Pages in the cache (all inodes). */
size_t pagecache_pages(void);
/* drop_caches: frees every clean page no mapping uses; the number freed. And how many such pages
 * there are now (/proc/meminfo's MemAvailable counts them). */
size_t pagecache_drop_clean(void);
size_t pagecache_clean_pages(void);

/* The pages themselves (kernel/mm/filepage.c; tests/host/kshim.c on the host): zeroed, counted
 * like user pages, so a mapping's reference keeps a page alive after the cache let it go. */
void *pcpage_alloc(void);
void pcpage_put(void *data);
/* Whether any page table maps the page besides the cache's own reference. */
bool pcpage_mapped(void *data);
