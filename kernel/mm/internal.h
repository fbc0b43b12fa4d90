/* Memory-manager internals shared by the files in kernel/mm (bring-up order and ioremap's hook). */
#pragma once
#include <kestrel/types.h>

struct boot_info;

/* The boot page tables map only this much, so page tables built before the switch must live below. */
#define LOW_MEMORY_LIMIT (4ull << 30)

/* Hands RAM below LOW_MEMORY_LIMIT to the page allocator; pmm_init_high adds the rest once the
 * final direct map covers it. */
void pmm_init(const struct boot_info *bi);
void pmm_init_high(void);
/* Builds the kernel's page tables and switches to them. */
void vm_init(const struct boot_info *bi);
bool vm_ready(void);
/* Maps [start, end) into the direct map with flags wherever nothing is mapped yet. */
int vm_map_direct(paddr_t start, paddr_t end, unsigned flags);
void slab_init(void);
void kmalloc_init(void);
