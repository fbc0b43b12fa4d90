/* Page-cache pages are user pages: zeroed at allocation and reference-counted through
 * struct page.mapcount, with one reference held by the cache and one per page-table entry. So a
 * page the cache drops (truncate, eviction of its inode) stays valid for the mappings that still
 * map it, and eviction can tell a mapped page by its count. */
#include "uvm_internal.h"
#include <kestrel/pagecache.h>

void *pcpage_alloc(void)
{
    struct page *p = upage_alloc_zeroed();
    return p ? page_address(p) : NULL;
}

void pcpage_put(void *data)
{
    upage_put(virt_to_page(data));
}

bool pcpage_mapped(void *data)
{
    return __atomic_load_n(&virt_to_page(data)->mapcount, __ATOMIC_ACQUIRE) > 1;
}
