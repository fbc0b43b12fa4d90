/* Syscall tests: pipes (pipe, pipe2, EOF, EPIPE, O_NONBLOCK, ESPIPE, PIPE_BUF atomicity, large
 * transfers between processes) and readiness (poll, ppoll, select, pselect6). */
#include "check.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/stat.h>

static void test_basic(void)
{
    int p[2];
    T_OK("pipe", pipe(p));
    struct stat st;
    T_OK("pipe/fstat", fstat(p[0], &st));
    T_TRUE("pipe/is-fifo", S_ISFIFO(st.st_mode));
    T_EQ("pipe/write", write(p[1], "hello", 5), 5);
    char buf[16];
    T_EQ("pipe/read-partial", read(p[0], buf, 3), 3);
    T_EQ("pipe/read-rest", read(p[0], buf, sizeof(buf)), 2);
    T_ERR("pipe/lseek", lseek(p[0], 0, SEEK_SET), ESPIPE);
    T_ERR("pipe/pread", pread(p[0], buf, 1, 0), ESPIPE);
    T_ERR("pipe/write-read-end", write(p[0], "x", 1), EBADF);
    T_ERR("pipe/read-write-end", read(p[1], buf, 1), EBADF);
    close(p[1]);
    T_EQ("pipe/eof", read(p[0], buf, sizeof(buf)), 0);
    close(p[0]);
    T_OK("pipe2/nonblock", pipe2(p, O_NONBLOCK | O_CLOEXEC));
    T_ERR("pipe2/eagain", read(p[0], buf, 1), EAGAIN);
    T_EQ("pipe2/cloexec", fcntl(p[0], F_GETFD), FD_CLOEXEC);
    T_TRUE("pipe2/flag-nonblock", (fcntl(p[1], F_GETFL) & O_NONBLOCK) != 0);
    long total = 0;
    char chunk[4096];
    memset(chunk, 'p', sizeof(chunk));
    for (int i = 0; i < 1000; i++) {
        long n = write(p[1], chunk, sizeof(chunk));
        if (n < 0)
            break;
        total += n;
    }
    T_ERR("pipe2/full-eagain", write(p[1], chunk, sizeof(chunk)), EAGAIN);
    T_TRUE("pipe2/capacity-at-least-4k", total >= 4096);
    close(p[0]);
    close(p[1]);
    T_ERR("pipe2/bad-flags", pipe2(p, 0x1234), EINVAL);
    T_ERR("pipe/bad-pointer", syscall(SYS_pipe, BAD_KERNEL), EFAULT);
    T_ERR("pipe/null-pointer", syscall(SYS_pipe, BAD_NULL), EFAULT);
}

static void test_epipe(void)
{
    int p[2];
    pipe(p);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    T_ERR("epipe/ignored", write(p[1], "x", 1), EPIPE);
    signal(SIGPIPE, SIG_DFL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        write(p[1], "x", 1);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    T_TRUE("epipe/sigpipe-kills", WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
    close(p[1]);
}

/* A child writes 1 MiB in odd-sized pieces; the parent reads it back and checks every byte. */
static void test_transfer(void)
{
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        unsigned char buf[3001];
        long sent = 0;
        while (sent < (1 << 20)) {
            long n = sizeof(buf);
            if (n > (1 << 20) - sent)
                n = (1 << 20) - sent;
            for (long i = 0; i < n; i++)
                buf[i] = (unsigned char)((sent + i) * 7);
            if (write(p[1], buf, n) != n)
                _exit(1);
            sent += n;
        }
        _exit(0);
    }
    close(p[1]);
    unsigned char buf[5000];
    long got = 0, bad = 0, n;
    while ((n = read(p[0], buf, sizeof(buf))) > 0) {
        for (long i = 0; i < n; i++)
            bad += buf[i] != (unsigned char)((got + i) * 7);
        got += n;
    }
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    T_EQ("transfer/bytes", got, 1 << 20);
    T_EQ("transfer/corrupt", bad, 0);
    T_EQ("transfer/writer-status", status, 0);
}

/* Several writers of PIPE_BUF-sized records: every record must arrive whole. */
static void test_atomic(void)
{
    int p[2];
    pipe(p);
    enum { WRITERS = 4, RECORDS = 32, SIZE = 4096 };
    fflush(stdout);
    for (int w = 0; w < WRITERS; w++) {
        if (fork() == 0) {
            char rec[SIZE];
            memset(rec, 'a' + w, sizeof(rec));
            for (int i = 0; i < RECORDS; i++)
                write(p[1], rec, sizeof(rec));
            _exit(0);
        }
    }
    close(p[1]);
    char rec[SIZE];
    int whole = 0, torn = 0;
    for (;;) {
        long got = 0, n = 0;
        while (got < SIZE && (n = read(p[0], rec + got, SIZE - got)) > 0)
            got += n;
        if (got == 0)
            break;
        int same = got == SIZE;
        for (long i = 1; i < got && same; i++)
            same = rec[i] == rec[0];
        same ? whole++ : torn++;
    }
    close(p[0]);
    while (wait(NULL) > 0)
        ;
    T_EQ("atomic/records", whole, WRITERS * RECORDS);
    T_EQ("atomic/torn", torn, 0);
}

static void test_poll(void)
{
    int p[2];
    pipe(p);
    struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    T_EQ("poll/only-writable", poll(pf, 2, 0), 1);
    T_EQ("poll/revents-out", pf[1].revents, POLLOUT);
    T_EQ("poll/revents-in-none", pf[0].revents, 0);
    write(p[1], "x", 1);
    T_EQ("poll/both", poll(pf, 2, 0), 2);
    T_EQ("poll/revents-in", pf[0].revents, POLLIN);
    struct pollfd bad = {999, POLLIN, 0};
    T_EQ("poll/nval", poll(&bad, 1, 0), 1);
    T_EQ("poll/nval-revents", bad.revents, POLLNVAL);
    struct pollfd neg = {-1, POLLIN, 123};
    T_EQ("poll/negative-fd-ignored", poll(&neg, 1, 0), 0);
    T_EQ("poll/negative-fd-revents", neg.revents, 0);
    T_EQ("poll/timeout", poll(pf, 1, 0) + poll(&pf[0], 0, 10), 1);
    T_ERR("poll/efault", poll(BAD_KERNEL, 1, 0), EFAULT);
    T_ERR("poll/too-many", syscall(SYS_poll, pf, 0x7fffffffu, 0), EINVAL);
    close(p[1]);
    char c;
    read(p[0], &c, 1);
    pf[0].revents = 0;
    T_EQ("poll/hup", poll(pf, 1, 0), 1);
    T_TRUE("poll/hup-revents", pf[0].revents & POLLHUP);
    struct timespec ts = {0, 1000000};
    T_EQ("ppoll/hup", ppoll(pf, 1, &ts, NULL), 1);
    close(p[0]);
    pipe(p);
    close(p[0]);
    pf[1].fd = p[1];
    pf[1].revents = 0;
    T_EQ("poll/err-no-reader", poll(&pf[1], 1, 0), 1);
    T_TRUE("poll/err-revents", pf[1].revents & POLLERR);
    close(p[1]);
}

static void test_select(void)
{
    int p[2];
    pipe(p);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    struct timeval tv = {0, 0};
    T_EQ("select/writable-only", select(p[1] + 1, &r, &w, NULL, &tv), 1);
    T_TRUE("select/r-cleared", !FD_ISSET(p[0], &r));
    T_TRUE("select/w-set", FD_ISSET(p[1], &w));
    write(p[1], "x", 1);
    FD_SET(p[0], &r);
    T_EQ("select/readable", select(p[0] + 1, &r, NULL, NULL, &tv), 1);
    FD_ZERO(&r);
    FD_SET(60, &r); /* within Linux's initial 64-entry table: beyond it Linux ignores the bit */
    T_ERR("select/ebadf", select(61, &r, NULL, NULL, &tv), EBADF);
    T_ERR("select/negative-n", select(-1, NULL, NULL, NULL, &tv), EINVAL);
    tv.tv_usec = -1;
    T_ERR("select/bad-timeout", select(1, NULL, NULL, NULL, &tv), EINVAL);
    T_ERR("select/efault", select(p[0] + 1, BAD_KERNEL, NULL, NULL, NULL), EFAULT);
    struct timespec ts = {0, 1000};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    T_EQ("pselect/readable", pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL), 1);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    check_init();
    test_basic();
    test_epipe();
    test_transfer();
    test_atomic();
    test_poll();
    test_select();
    return check_done("t_pipes");
}
