/* Syscall tests: character devices (/dev/null, zero, full, urandom) and the generic ioctls
 * (FIONBIO, FIOCLEX, FIONCLEX, FIONREAD on pipes; terminal ioctls on non-terminals give ENOTTY). */
#include "check.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

static void test_null_zero(void)
{
    char buf[64];
    int fd = open("/dev/null", O_RDWR);
    T_TRUE("null/open", fd >= 0);
    T_EQ("null/read-eof", read(fd, buf, sizeof(buf)), 0);
    T_EQ("null/write-all", write(fd, buf, sizeof(buf)), 64);
    struct stat st;
    T_OK("null/fstat", fstat(fd, &st));
    T_TRUE("null/is-chardev", S_ISCHR(st.st_mode));
    T_EQ("null/rdev", st.st_rdev, makedev(1, 3));
    T_ERR("null/tcgets-enotty", ioctl(fd, TCGETS, &(struct termios){0}), ENOTTY);
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    memset(buf, 1, sizeof(buf));
    T_EQ("zero/read", read(fd, buf, sizeof(buf)), 64);
    int nonzero = 0;
    for (size_t i = 0; i < sizeof(buf); i++)
        nonzero += buf[i] != 0;
    T_EQ("zero/all-zero", nonzero, 0);
    T_ERR("zero/read-efault", read(fd, BAD_KERNEL, 16), EFAULT);
    close(fd);
    fd = open("/dev/full", O_WRONLY);
    T_ERR("full/enospc", write(fd, "x", 1), ENOSPC);
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    unsigned char a[32], b[32];
    T_EQ("urandom/read", read(fd, a, sizeof(a)), 32);
    read(fd, b, sizeof(b));
    T_TRUE("urandom/differs", memcmp(a, b, sizeof(a)) != 0);
    close(fd);
    T_ERR("dev/missing", open("/dev/does-not-exist", O_RDONLY), ENOENT);
}

static void test_ioctls(void)
{
    int p[2];
    pipe(p);
    int on = 1;
    T_OK("fionbio/on", ioctl(p[0], FIONBIO, &on));
    T_TRUE("fionbio/flag", fcntl(p[0], F_GETFL) & O_NONBLOCK);
    char c;
    T_ERR("fionbio/eagain", read(p[0], &c, 1), EAGAIN);
    on = 0;
    T_OK("fionbio/off", ioctl(p[0], FIONBIO, &on));
    T_OK("fioclex", ioctl(p[0], FIOCLEX));
    T_EQ("fioclex/flag", fcntl(p[0], F_GETFD), FD_CLOEXEC);
    T_OK("fionclex", ioctl(p[0], FIONCLEX));
    T_EQ("fionclex/flag", fcntl(p[0], F_GETFD), 0);
    write(p[1], "abc", 3);
    int avail = -1;
    T_OK("fionread/pipe", ioctl(p[0], FIONREAD, &avail));
    T_EQ("fionread/count", avail, 3);
    T_ERR("ioctl/tcgets-pipe", ioctl(p[0], TCGETS, &(struct termios){0}), ENOTTY);
    T_ERR("ioctl/tiocgwinsz-pipe", ioctl(p[0], TIOCGWINSZ, &(struct winsize){0}), ENOTTY);
    T_ERR("ioctl/ebadf", ioctl(999, FIONBIO, &on), EBADF);
    T_ERR("ioctl/fionbio-efault", ioctl(p[0], FIONBIO, BAD_KERNEL), EFAULT);
    T_TRUE("isatty/pipe", !isatty(p[0]));
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    check_init();
    test_null_zero();
    test_ioctls();
    return check_done("t_dev");
}
