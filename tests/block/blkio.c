/* Block-device system calls on a node given as argv[1], as Linux defines them: prints the size from
 * BLKGETSIZE64 and from lseek(SEEK_END), then shows that pread leaves the file position alone
 * (read after pread continues from the lseek position), then pwrites argv[2] at argv[3] and fsyncs
 * (a cache flush on the device). The block
 * suite compares the output with the disk image it built. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h> /* BLKGETSIZE64 */
#include <unistd.h>

static void hex(const char *label, const unsigned char *b, ssize_t n)
{
    printf("%s %zd", label, n);
    for (ssize_t i = 0; i < n; i++)
        printf("%s%02x", i ? "" : " ", b[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) {
        perror("open");
        return 1;
    }
    uint64_t size = 0;
    int r = ioctl(fd, BLKGETSIZE64, &size);
    printf("getsize64 %d %llu\n", r, (unsigned long long)size);
    printf("seek-end %lld\n", (long long)lseek(fd, 0, SEEK_END));
    lseek(fd, 100, SEEK_SET);
    unsigned char buf[16];
    hex("pread", buf, pread(fd, buf, sizeof(buf), 4096));
    hex("read", buf, read(fd, buf, sizeof(buf)));
    printf("pos %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    const char *text = argv[2];
    printf("pwrite %zd\n", pwrite(fd, text, strlen(text), atoll(argv[3])));
    printf("pos %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("fsync %d\n", fsync(fd));
    return close(fd);
}
