/* Syscall tests: user memory (brk, anonymous mmap, munmap, mprotect, mremap, madvise, copy-on-write
 * after fork, stack growth) and EFAULT from the kernel's user-copy routines. */
#include "check.h"
#include <fcntl.h>

#define PAGE 4096ul

static int *volatile probe_addr;

static void write_probe(void)
{
    *probe_addr = 1;
}

static void read_probe(void)
{
    (void)*(volatile int *)probe_addr;
}

/* The signal that kills a child doing fn(), or 0 when it survives. */
static int fault_signal(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void test_brk(void)
{
    uintptr_t cur = syscall(SYS_brk, 0);
    T_TRUE("brk/query", cur != 0);
    uintptr_t want = cur + 10 * PAGE;
    T_EQ("brk/grow", syscall(SYS_brk, want), want);
    memset((void *)cur, 0xab, 10 * PAGE);
    T_EQ("brk/memory-usable", ((unsigned char *)cur)[10 * PAGE - 1], 0xab);
    T_EQ("brk/shrink", syscall(SYS_brk, cur + PAGE), cur + PAGE);
    probe_addr = (int *)(cur + 5 * PAGE);
    T_EQ("brk/shrunk-unmapped", fault_signal(read_probe), SIGSEGV);
    T_EQ("brk/regrow-zeroed", (syscall(SYS_brk, want), ((unsigned char *)cur)[5 * PAGE]), 0);
    T_EQ("brk/too-low-unchanged", syscall(SYS_brk, 4096), want);
    T_EQ("brk/huge-unchanged", syscall(SYS_brk, 0x7ffffffff000ul + PAGE), want);
    syscall(SYS_brk, cur);
}

static void test_mmap(void)
{
    char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    T_TRUE("mmap/anon", p != MAP_FAILED);
    T_TRUE("mmap/aligned", ((uintptr_t)p & (PAGE - 1)) == 0);
    T_EQ("mmap/zero-filled", p[0] | p[4 * PAGE - 1], 0);
    memset(p, 1, 4 * PAGE);
    T_OK("munmap/middle", munmap(p + PAGE, PAGE));
    probe_addr = (int *)(p + PAGE);
    T_EQ("munmap/hole-faults", fault_signal(read_probe), SIGSEGV);
    T_EQ("munmap/neighbour-intact", p[2 * PAGE], 1);
    char *f = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    T_TRUE("mmap/fixed", f == p + PAGE);
    T_EQ("mmap/fixed-zeroed", f[0], 0);
    T_OK("munmap/all", munmap(p, 4 * PAGE));
    T_OK("munmap/already-unmapped", munmap(p, 4 * PAGE));
    T_ERR("mmap/zero-length", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    T_ERR("mmap/no-type", mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
    T_ERR("mmap/unaligned-fixed",
          mmap(p + 1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    T_ERR("mmap/ebadf", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
    T_ERR("mmap/enomem-huge", mmap(NULL, 1ul << 47, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    T_ERR("munmap/unaligned", munmap(p + 1, PAGE), EINVAL);
    T_ERR("munmap/zero", munmap(p, 0), EINVAL);
    T_ERR("munmap/kernel", munmap(BAD_KERNEL, PAGE), EINVAL);
}

static void test_mprotect(void)
{
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 5;
    T_OK("mprotect/readonly", mprotect(p, PAGE, PROT_READ));
    probe_addr = (int *)p;
    T_EQ("mprotect/write-faults", fault_signal(write_probe), SIGSEGV);
    T_EQ("mprotect/read-works", fault_signal(read_probe), 0);
    T_OK("mprotect/none", mprotect(p, PAGE, PROT_NONE));
    T_EQ("mprotect/none-read-faults", fault_signal(read_probe), SIGSEGV);
    T_OK("mprotect/restore", mprotect(p, PAGE, PROT_READ | PROT_WRITE));
    T_EQ("mprotect/contents-kept", p[0], 5);
    T_ERR("mprotect/unaligned", syscall(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL);
    T_ERR("mprotect/bad-prot", mprotect(p, PAGE, 0x100), EINVAL);
    munmap(p, 2 * PAGE);
    T_ERR("mprotect/unmapped", mprotect(p, PAGE, PROT_READ), ENOMEM);

    char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = open("/dev/zero", O_RDONLY);
    T_ERR("efault/read-into-readonly", read(fd, ro, 16), EFAULT);
    close(fd);
    int pp[2];
    pipe(pp);
    write(pp[1], "abc", 3);
    T_ERR("efault/pipe-read-readonly", read(pp[0], ro, 3), EFAULT);
    T_ERR("efault/write-from-unmapped", write(pp[1], p, 3), EFAULT);
    T_ERR("efault/write-from-kernel", write(pp[1], BAD_KERNEL, 3), EFAULT);
    T_ERR("efault/write-noncanonical", write(pp[1], BAD_NONCANON, 3), EFAULT);
    T_ERR("efault/write-noncanonical-high", write(pp[1], BAD_NONCANON2, 3), EFAULT);
    T_ERR("efault/write-null", write(pp[1], BAD_NULL, 3), EFAULT);
    T_ERR("efault/read-into-kernel", read(pp[0], BAD_KERNEL, 3), EFAULT);
    T_ERR("efault/straddles-end", write(pp[1], (char *)0x7ffffffffffeul, 16), EFAULT);
    close(pp[0]);
    close(pp[1]);
    munmap(ro, PAGE);
}

static void test_mremap_madvise(void)
{
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 7, 2 * PAGE);
    char *q = mremap(p, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
    T_TRUE("mremap/grow", q != MAP_FAILED);
    T_EQ("mremap/contents", q[2 * PAGE - 1], 7);
    T_EQ("mremap/new-zeroed", q[8 * PAGE - 1], 0);
    char *r = mremap(q, 8 * PAGE, PAGE, 0);
    T_TRUE("mremap/shrink-in-place", r == q);
    T_ERR("mremap/bad-flags", mremap(r, PAGE, 2 * PAGE, 0x80), EINVAL);
    T_ERR("mremap/unaligned", mremap(r + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EINVAL);
    memset(r, 9, PAGE);
    T_OK("madvise/dontneed", madvise(r, PAGE, MADV_DONTNEED));
    T_EQ("madvise/dontneed-zeroes", r[100], 0);
    T_ERR("madvise/bad-advice", madvise(r, PAGE, 9999), EINVAL);
    T_ERR("madvise/unaligned", madvise(r + 1, PAGE, MADV_DONTNEED), EINVAL);
    munmap(r, PAGE);
}

static void test_cow(void)
{
    static int shared_data = 10;
    int *heap = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    heap[0] = 20;
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        shared_data = 11;
        heap[0] = 21;
        int v[2] = {shared_data, heap[0]};
        write(p[1], v, sizeof(v));
        _exit(0);
    }
    int v[2] = {0, 0};
    read(p[0], v, sizeof(v));
    waitpid(pid, NULL, 0);
    T_EQ("cow/child-sees-own-data", v[0], 11);
    T_EQ("cow/child-sees-own-heap", v[1], 21);
    T_EQ("cow/parent-data-unchanged", shared_data, 10);
    T_EQ("cow/parent-heap-unchanged", heap[0], 20);
    heap[0] = 30;
    T_EQ("cow/parent-writes-after", heap[0], 30);
    close(p[0]);
    close(p[1]);
    munmap(heap, PAGE);
}

/* Recursion with a large frame: the stack must grow on demand well past its first pages. */
static long deep(int n)
{
    volatile char frame[1024];
    frame[0] = (char)n;
    if (n == 0)
        return frame[0];
    return deep(n - 1) + frame[0];
}

static void test_stack(void)
{
    long want = 0;
    for (int n = 0; n <= 2000; n++)
        want += (char)n;
    T_EQ("stack/grows-2MiB", deep(2000), want);
    volatile char big[512 * 1024];
    big[0] = 1;
    big[sizeof(big) - 1] = 2;
    T_EQ("stack/big-frame", big[0] + big[sizeof(big) - 1], 3);
}

int main(void)
{
    check_init();
    test_brk();
    test_mmap();
    test_mprotect();
    test_mremap_madvise();
    test_cow();
    test_stack();
    return check_done("t_memory");
}
