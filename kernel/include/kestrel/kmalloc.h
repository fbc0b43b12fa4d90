/* General-purpose kernel allocation: sizes up to 2048 bytes come from power-of-two slab caches,
 * larger ones are whole buddy blocks (up to 4 MiB). */
#pragma once
#include <kestrel/types.h>

#define KMALLOC_MIN_SIZE       16
#define KMALLOC_MAX_CACHE_SIZE 2048

/* At least size bytes aligned to 16 (to 4096 above 2048 bytes); NULL for size 0 or when out of memory. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
/* kfree(NULL) does nothing; anything not from kmalloc panics. */
void kfree(void *ptr);
/* The usable size of a kmalloc'd block (at least what was asked for). */
size_t ksize(const void *ptr);

/* Gives every size class's kept empty slab back to the page allocator (a free-memory measurement
 * then counts only pages that hold live objects); returns the pages freed. */
size_t kmalloc_trim(void);
