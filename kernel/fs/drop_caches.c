/* drop_caches (/proc/sys/vm/drop_caches), with Linux's values: 1 frees the clean cached file data
 * (page-cache pages no mapping uses, and the buffer cache's unreferenced blocks, which Linux keeps
 * in the block device's page cache), 2 the kernel's reclaimable objects (the dentry cache, with the
 * inodes only it held, and the empty slabs kmalloc keeps), 3 both. Dirty data stays: that is why Linux's
 * documentation says to run sync first. Tools that measure memory use it to start from a known state;
 * Kestrel's stress tests do, so that their exact free-page comparison does not count what the caches happened
 * to keep. */
#include <kestrel/bcache.h>
#include <kestrel/dcache.h>
#include <kestrel/kmalloc.h>
#include <kestrel/pagecache.h>
#include <kestrel/vfs.h>
#include <uapi/errno.h>

#define DROP_FILE_DATA 1u
#define DROP_OBJECTS   2u

int vfs_drop_caches(unsigned what)
{
    if (what < 1 || what > (DROP_FILE_DATA | DROP_OBJECTS))
        return -EINVAL;
    /* Names first: the inodes they release take their cached pages with them (an ext2 inode is
     * written back into the buffer cache as it goes, so that block is dirty until the next sync). */
    if (what & DROP_OBJECTS)
        dcache_prune();
    if (what & DROP_FILE_DATA) {
        pagecache_drop_clean();
        bcache_drop_clean();
    }
    /* After the blocks: freeing them is what empties the slabs they lived in. */
    if (what & DROP_OBJECTS)
        kmalloc_trim();
    return 0;
}
