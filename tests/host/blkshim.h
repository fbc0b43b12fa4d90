/* A block device backed by a host file (a disk image), for the filesystem tests: provides
 * block_read, block_write and block_flush, which the kernel's block layer provides in Kestrel. */
#pragma once
#include <kestrel/blkdev.h>

/* Opens the image read-write as bd (named "img", dev 8:0); 0 or -errno. */
int blkshim_open(const char *path, struct block_device *bd);
void blkshim_close(struct block_device *bd);
/* Sectors written through bd since it was opened, and read requests made. */
unsigned long blkshim_sectors_written(const struct block_device *bd);
unsigned long blkshim_read_requests(const struct block_device *bd);

/* Host commands for the image tests (mke2fs, mkfs.fat, e2fsck, debugfs, mtools): runs the
 * printf-formatted command line with sh; its exit status, or -1 when it did not exit. */
int blkshim_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The command's standard output (at most size - 1 bytes, NUL-terminated); its length. */
size_t blkshim_sh_out(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
