/* The kernel bounce buffer that read, write, their vector forms and sendfile move data through
 * (sys_file.c): user memory is copied in or out of it without the VFS lock, the filesystem fills
 * or drains it under the lock, one piece at a time. */
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include "sys_file.h"

char *bounce_alloc(size_t count, size_t *size)
{
    *size = MIN(MAX(count, 1), BOUNCE_SIZE);
    char *kbuf = kmalloc(*size);
    /* 64 KiB takes 16 contiguous pages, which fragmentation may deny; one page is enough to make
     * progress, so the transfer goes in smaller pieces rather than failing with ENOMEM. */
    if (!kbuf && *size > PAGE_SIZE) {
        *size = PAGE_SIZE;
        kbuf = kmalloc(*size);
    }
    return kbuf;
}
