/* Syscall tests: file mappings through the page cache. MAP_SHARED stores reach read() and the
 * file after munmap and close, write() reaches mappings, msync and its errors, files extended by
 * ftruncate then mapped, SIGBUS past the end, private copy-on-write isolation, unlinked files,
 * madvise(MADV_DONTNEED), fork, and the mmap errors. Runs in the current directory: tmpfs with the
 * initramfs root, ext2 when the suites run with the root on a disk. */
#include "check.h"
#include <fcntl.h>
#include <sys/stat.h>

#define PAGE     4096
#define DIR_NAME "t_mmapfile.dir"

static int make_file(const char *name, char fill, size_t size)
{
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    char buf[PAGE];
    memset(buf, fill, sizeof(buf));
    for (size_t done = 0; done < size;) {
        size_t n = size - done < PAGE ? size - done : PAGE;
        if (write(fd, buf, n) != (ssize_t)n)
            return -1;
        done += n;
    }
    return fd;
}

static char byte_at(int fd, off_t pos)
{
    char c = 0;
    return pread(fd, &c, 1, pos) == 1 ? c : '?';
}

static void test_shared_store_and_write(void)
{
    int fd = make_file("s", 'a', 2 * PAGE);
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    T_TRUE("shared/map", p != MAP_FAILED);
    p[10] = 'X';
    p[PAGE + 1] = 'Y';
    T_EQ("shared/store-read", byte_at(fd, 10), 'X');
    T_EQ("shared/store-read-2", byte_at(fd, PAGE + 1), 'Y');
    T_EQ("shared/pwrite", pwrite(fd, "hello", 5, 100), 5);
    T_TRUE("shared/write-visible", memcmp(p + 100, "hello", 5) == 0);
    T_OK("shared/msync-sync", msync(p, 2 * PAGE, MS_SYNC));
    T_OK("shared/msync-async", msync(p, PAGE, MS_ASYNC));
    T_OK("shared/msync-invalidate", msync(p, PAGE, MS_INVALIDATE));
    T_ERR("shared/msync-both", msync(p, PAGE, MS_SYNC | MS_ASYNC), EINVAL);
    T_ERR("shared/msync-unaligned", msync(p + 1, PAGE, MS_SYNC), EINVAL);
    T_ERR("shared/msync-flags", msync(p, PAGE, 0x100), EINVAL);
    T_OK("shared/fsync", fsync(fd));
    T_OK("shared/munmap", munmap(p, 2 * PAGE));
    T_ERR("shared/msync-unmapped", msync(p, PAGE, MS_SYNC), ENOMEM);
    close(fd);
    fd = open("s", O_RDONLY);
    T_EQ("shared/reopen-store", byte_at(fd, 10), 'X');
    T_EQ("shared/reopen-store-2", byte_at(fd, PAGE + 1), 'Y');
    T_EQ("shared/reopen-write", byte_at(fd, 102), 'l');
    T_EQ("shared/reopen-untouched", byte_at(fd, 11), 'a');
    close(fd);
    unlink("s");
}

static void touch_page(void *arg)
{
    volatile char *p = arg;
    (void)p[0];
}

static void test_truncate_and_sigbus(void)
{
    int fd = make_file("t", 'b', 0);
    T_OK("extend/ftruncate", ftruncate(fd, 3 * PAGE + 10));
    char *p = mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    T_TRUE("extend/map", p != MAP_FAILED);
    T_EQ("extend/hole-zero", p[PAGE], 0);
    p[3 * PAGE + 5] = 'Z';
    T_EQ("extend/store-read", byte_at(fd, 3 * PAGE + 5), 'Z');
    T_EQ("extend/tail-zero", p[3 * PAGE + 100], 0);
    int st = run_child(touch_page, p + 4 * PAGE);
    T_TRUE("extend/sigbus-past-eof", WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
    struct stat sb;
    T_OK("extend/fstat", fstat(fd, &sb));
    T_EQ("extend/size-kept", sb.st_size, 3 * PAGE + 10);
    munmap(p, 5 * PAGE);
    close(fd);
    unlink("t");
}

/* Shrinking a mapped file takes the pages past the new end away from every mapping, shared and
 * private copies alike: touching them is SIGBUS (ftruncate, truncate and O_TRUNC). The page
 * holding the new end stays, its tail reading zeroes. */
static void test_shrink_while_mapped(void)
{
    int fd = make_file("s", 'c', 3 * PAGE);
    char *shared = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *priv = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    T_TRUE("shrink/map", shared != MAP_FAILED && priv != MAP_FAILED);
    T_EQ("shrink/shared-before", shared[2 * PAGE], 'c');
    priv[2 * PAGE] = 'p'; /* a private copy of the last page */
    T_EQ("shrink/private-copy", priv[2 * PAGE], 'p');
    T_EQ("shrink/private-read", priv[PAGE + 8], 'c');
    T_OK("shrink/ftruncate", ftruncate(fd, PAGE + 100));
    T_EQ("shrink/shared-kept", shared[PAGE + 99], 'c');
    T_EQ("shrink/shared-tail-zero", shared[PAGE + 100], 0);
    int st = run_child(touch_page, shared + 2 * PAGE);
    T_TRUE("shrink/shared-sigbus", WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
    st = run_child(touch_page, priv + 2 * PAGE);
    T_TRUE("shrink/private-copy-sigbus", WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
    T_OK("shrink/truncate-path", truncate("s", 10));
    st = run_child(touch_page, shared + PAGE);
    T_TRUE("shrink/truncate-sigbus", WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
    T_EQ("shrink/first-page-kept", shared[9], 'c');
    int fd2 = open("s", O_RDWR | O_TRUNC);
    T_TRUE("shrink/o-trunc", fd2 >= 0);
    st = run_child(touch_page, shared);
    T_TRUE("shrink/o-trunc-sigbus", WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
    /* Growing the file again brings back zero-filled pages, never the old contents. */
    T_OK("shrink/regrow", ftruncate(fd, 2 * PAGE));
    T_EQ("shrink/regrow-zero", shared[PAGE + 5], 0);
    T_EQ("shrink/regrow-private-zero", priv[PAGE + 5], 0);
    munmap(shared, 3 * PAGE);
    munmap(priv, 3 * PAGE);
    close(fd2);
    close(fd);
    unlink("s");
}

static void test_private(void)
{
    int fd = make_file("p", 'c', PAGE);
    char *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    T_TRUE("private/map", shared != MAP_FAILED && priv != MAP_FAILED);
    T_EQ("private/reads-file", priv[0], 'c');
    T_EQ("private/pwrite", pwrite(fd, "N", 1, 20), 1);
    T_EQ("private/untouched-sees-file", priv[20], 'N'); /* not copied yet: still the file's page */
    priv[0] = 'P';
    T_EQ("private/pwrite-after-copy", pwrite(fd, "M", 1, 21), 1);
    T_EQ("private/copy-keeps-old", priv[21], 'c');
    T_EQ("private/copy-keeps-own", priv[20], 'N');
    T_EQ("private/own-copy", priv[0], 'P');
    T_EQ("private/file-untouched", byte_at(fd, 0), 'c');
    T_EQ("private/shared-untouched", shared[0], 'c');
    T_OK("private/dontneed", madvise(priv, PAGE, MADV_DONTNEED));
    T_EQ("private/dontneed-rereads", priv[0], 'c');
    shared[1] = 'S';
    T_OK("shared/dontneed", madvise(shared, PAGE, MADV_DONTNEED));
    T_EQ("shared/dontneed-keeps", shared[1], 'S');
    T_EQ("shared/dontneed-file", byte_at(fd, 1), 'S');
    munmap(shared, PAGE);
    munmap(priv, PAGE);
    close(fd);
    unlink("p");
}

static void store_in_child(void *arg)
{
    ((char *)arg)[7] = 'F';
}

static void test_unlinked_and_fork(void)
{
    int fd = make_file("u", 'd', PAGE);
    T_OK("unlinked/unlink", unlink("u"));
    char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    T_TRUE("unlinked/map", p != MAP_FAILED);
    p[3] = 'U';
    T_EQ("unlinked/store-read", byte_at(fd, 3), 'U');
    int st = run_child(store_in_child, p);
    T_TRUE("fork/child-exit", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    T_EQ("fork/child-store-visible", p[7], 'F');
    T_EQ("fork/child-store-file", byte_at(fd, 7), 'F');
    munmap(p, PAGE);
    close(fd);
}

static void test_errors(void)
{
    int fd = make_file("e", 'e', PAGE);
    close(fd);
    fd = open("e", O_RDONLY);
    T_TRUE("errors/map-shared-ro",
           mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EACCES);
    char *p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    T_TRUE("errors/map-shared-read", p != MAP_FAILED);
    T_ERR("errors/mprotect-write", mprotect(p, PAGE, PROT_READ | PROT_WRITE), EACCES);
    munmap(p, PAGE);
    T_TRUE("errors/offset", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 1) == MAP_FAILED && errno == EINVAL);
    T_TRUE("errors/length", mmap(NULL, 0, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EINVAL);
    close(fd);
    int pipefd[2];
    T_OK("errors/pipe", pipe(pipefd));
    T_TRUE("errors/pipe-nodev",
           mmap(NULL, PAGE, PROT_READ, MAP_SHARED, pipefd[0], 0) == MAP_FAILED && errno == ENODEV);
    close(pipefd[0]);
    close(pipefd[1]);
    unlink("e");
}

/* "mapwrite PATH" (tests/disk/workload.sh): creates PATH with ftruncate and fills it only through
 * a MAP_SHARED mapping, byte i being i % 251, then unmaps and closes without msync: the page
 * cache's own write-back must bring the bytes to the disk, which the host then checks. */
#define MAPWRITE_SIZE (3 * PAGE + 100)

static int map_write(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, MAPWRITE_SIZE) != 0)
        return 1;
    unsigned char *p = mmap(NULL, MAPWRITE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return 1;
    for (int i = 0; i < MAPWRITE_SIZE; i++)
        p[i] = (unsigned char)(i % 251);
    return munmap(p, MAPWRITE_SIZE) || close(fd);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "mapwrite") == 0)
        return map_write(argv[2]);
    check_init();
    mkdir(DIR_NAME, 0755);
    if (chdir(DIR_NAME) != 0) {
        printf("FAIL setup: chdir %s\n", errname(errno));
        return 1;
    }
    test_shared_store_and_write();
    test_truncate_and_sigbus();
    test_shrink_while_mapped();
    test_private();
    test_unlinked_and_fork();
    test_errors();
    T_OK("cleanup/chdir", chdir(".."));
    T_OK("cleanup/rmdir", rmdir(DIR_NAME));
    return check_done("t_mmapfile");
}
