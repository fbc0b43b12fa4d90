/* Address-space constants and conversions between physical and kernel virtual addresses. */
#pragma once
#include <arch/boot.h>
#include <kestrel/types.h>

#define PAGE_SIZE  4096ul
#define PAGE_SHIFT 12

/* Every physical byte is mapped at DIRECT_MAP_BASE + phys (below 4 GiB from the first instruction on;
 * all of RAM once the memory manager is up). */
static inline void *phys_to_virt(paddr_t p)
{
    return (void *)(p + DIRECT_MAP_BASE);
}

/* For direct-map and kernel-image addresses alike. */
static inline paddr_t virt_to_phys(const void *v)
{
    uint64_t a = (uint64_t)v;
    return a >= KERNEL_VIRT_BASE ? a - KERNEL_VIRT_BASE : a - DIRECT_MAP_BASE;
}

/* Maps size bytes of device memory at phys uncached; returns NULL when it cannot. */
void *ioremap(paddr_t phys, size_t size);
