/* Mapping device memory (MMIO) into the kernel's address space. */
#include <kestrel/mm.h>

/* Early version: the boot page tables map the first 4 GiB, so MMIO there is already reachable. */
void *ioremap(paddr_t phys, size_t size)
{
    (void)size;
    if (phys >= (4ull << 30))
        return NULL;
    return phys_to_virt(phys);
}
