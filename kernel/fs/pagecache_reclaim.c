/* The page allocator's shrinker: before an allocation fails, clean (then written-back dirty)
 * page-cache pages that no mapping uses go back to it. The cache lives under the VFS lock, which
 * the allocating code may already hold (a filesystem allocating a buffer, the cache filling a
 * page), so the shrinker only tries the lock and gives up rather than deadlock. */
#include <kestrel/file.h>
#include <kestrel/page.h>
#include <kestrel/pagecache.h>

static size_t shrink_for_allocator(size_t pages)
{
    if (!vfs_trylock())
        return 0;
    size_t freed = pagecache_shrink(pages);
    vfs_unlock();
    return freed;
}

void pagecache_reclaim_init(void)
{
    pmm_set_shrinker(shrink_for_allocator);
}
