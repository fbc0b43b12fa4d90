/* Host stand-ins for kernel services the pure code under test calls: kmalloc on top of malloc
 * with a count of live blocks (for leak checks), and panic as a loud abort. */
#pragma once
#include <stddef.h>

/* Blocks kmalloc'd and not yet kfree'd. */
long kshim_live_allocs(void);
