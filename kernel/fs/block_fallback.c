/* Block I/O for a kernel built without a block layer: every device is absent. These definitions
 * are weak, so the block layer's (kernel/block) replace them when it is linked in; until then the
 * buffer cache and ext2 link, and a mount fails cleanly with -ENODEV. */
#include <kestrel/blkdev.h>
#include <uapi/errno.h>

__attribute__((weak)) int block_read(struct block_device *bd, uint64_t sector, void *buf, uint32_t count)
{
    (void)bd, (void)sector, (void)buf, (void)count;
    return -ENODEV;
}

__attribute__((weak)) int block_write(struct block_device *bd, uint64_t sector, const void *buf,
                                      uint32_t count)
{
    (void)bd, (void)sector, (void)buf, (void)count;
    return -ENODEV;
}

__attribute__((weak)) int block_flush(struct block_device *bd)
{
    (void)bd;
    return -ENODEV;
}
