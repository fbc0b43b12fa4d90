/* The file-backed block device of blkshim.h: pread and pwrite on the image. */
#include "blkshim.h"
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct shim {
    int fd;
    unsigned long written;
    unsigned long read_requests;
};

int blkshim_open(const char *path, struct block_device *bd)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return -errno;
    off_t size = lseek(fd, 0, SEEK_END);
    struct shim *s = calloc(1, sizeof(*s));
    if (size < 0 || !s) {
        close(fd);
        free(s);
        return -EIO;
    }
    memset(bd, 0, sizeof(*bd));
    strcpy(bd->name, "img");
    bd->dev = 8 << 8; /* vfs_mkdev(8, 0): sda's number */
    bd->sectors = (uint64_t)size / SECTOR_SIZE;
    bd->disk = bd;
    s->fd = fd;
    bd->driver = s;
    return 0;
}

void blkshim_close(struct block_device *bd)
{
    struct shim *s = bd->driver;
    close(s->fd);
    free(s);
    bd->driver = NULL;
}

unsigned long blkshim_sectors_written(const struct block_device *bd)
{
    return ((const struct shim *)bd->driver)->written;
}

unsigned long blkshim_read_requests(const struct block_device *bd)
{
    return ((const struct shim *)bd->driver)->read_requests;
}

static int transfer(struct block_device *bd, bool write, uint64_t sector, void *buf, uint32_t count)
{
    struct shim *s = bd->driver;
    if (sector + count > bd->sectors)
        return -EINVAL;
    size_t len = (size_t)count * SECTOR_SIZE;
    off_t off = (off_t)(sector * SECTOR_SIZE);
    ssize_t n = write ? pwrite(s->fd, buf, len, off) : pread(s->fd, buf, len, off);
    if (n != (ssize_t)len)
        return -EIO;
    if (write)
        s->written += count;
    else
        s->read_requests++;
    return 0;
}

int block_read(struct block_device *bd, uint64_t sector, void *buf, uint32_t count)
{
    return transfer(bd, false, sector, buf, count);
}

int block_write(struct block_device *bd, uint64_t sector, const void *buf, uint32_t count)
{
    return transfer(bd, true, sector, (void *)buf, count);
}

int block_flush(struct block_device *bd)
{
    return fsync(((struct shim *)bd->driver)->fd) == 0 ? 0 : -EIO;
}

int blkshim_sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

size_t blkshim_sh_out(char *buf, size_t size, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(buf, 1, size - 1, p) : 0;
    buf[n] = 0;
    if (p)
        pclose(p);
    return n;
}
