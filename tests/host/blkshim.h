/* A block device backed by a host file (a disk image), for the filesystem tests: provides
 * block_read, block_write and block_flush, which the kernel's block layer provides in Kestrel. */
#pragma once
#include <kestrel/blkdev.h>

/* Opens the image read-write as bd (named "img", dev 8:0); 0 or -errno. */
int blkshim_open(const char *path, struct block_device *bd);
void blkshim_close(struct block_device *bd);
/* Sectors written through bd since it was opened. */
unsigned long blkshim_sectors_written(const struct block_device *bd);
