/* Memory-manager bring-up, in the only order that works: pages first (below 4 GiB, which the boot
 * tables reach), then the final page tables, then RAM above 4 GiB, then the object allocators. */
#include "internal.h"
#include <kestrel/page.h>
#include <kestrel/uvm.h>

void mm_init(const struct boot_info *bi)
{
    pmm_init(bi);
    vm_init(bi);
    pmm_init_high();
    slab_init();
    kmalloc_init();
    uvm_init(); /* the page-fault handler for user memory */
}
