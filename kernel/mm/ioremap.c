/* Mapping device memory (MMIO) into the kernel's address space. Devices appear in the direct map at
 * DIRECT_MAP_BASE + phys, uncached, so every physical page has one kernel address and one memory
 * type. Mappings are permanent: devices are mapped once at probe time and live as long as the kernel. */
#include "internal.h"
#include <kestrel/mm.h>
#include <kestrel/vm.h>

void *ioremap(paddr_t phys, size_t size)
{
    if (size == 0 || phys + size < phys)
        return NULL;
    /* Before the memory manager is up the boot tables map the first 4 GiB (cached; early users
     * only read firmware tables there). */
    if (!vm_ready())
        return phys + size <= LOW_MEMORY_LIMIT ? phys_to_virt(phys) : NULL;
    /* Pages mapped already (RAM, firmware ranges, earlier ioremaps) keep their attributes; a device
     * range never shares a page with RAM, so only device pages end up newly mapped uncached. */
    if (vm_map_direct(phys, phys + size, VM_WRITE | VM_UNCACHED))
        return NULL;
    return phys_to_virt(phys);
}
