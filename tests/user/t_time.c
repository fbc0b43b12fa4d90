/* Syscall tests: time (clock_gettime, clock_getres, gettimeofday, time, nanosleep,
 * clock_nanosleep), sched_yield, getrandom. Prints no times, only whether they behave. */
#include "check.h"
#include <sched.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

static long long ns_of(struct timespec ts)
{
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void test_clocks(void)
{
    struct timespec a, b;
    T_OK("clock_gettime/monotonic", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a));
    T_OK("clock_gettime/monotonic-again", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b));
    T_TRUE("monotonic/non-decreasing", ns_of(b) >= ns_of(a));
    T_TRUE("monotonic/nsec-range", b.tv_nsec >= 0 && b.tv_nsec < 1000000000);
    T_OK("clock_gettime/realtime", syscall(SYS_clock_gettime, CLOCK_REALTIME, &a));
    T_TRUE("realtime/after-2020", a.tv_sec > 1577836800);
    T_OK("clock_gettime/boottime", syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &a));
    T_OK("clock_gettime/process-cputime", syscall(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &a));
    T_OK("clock_gettime/monotonic-raw", syscall(SYS_clock_gettime, CLOCK_MONOTONIC_RAW, &a));
    T_ERR("clock_gettime/bad-clock", syscall(SYS_clock_gettime, 1000, &a), EINVAL);
    T_ERR("clock_gettime/efault", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD_KERNEL), EFAULT);
    T_OK("clock_getres", syscall(SYS_clock_getres, CLOCK_MONOTONIC, &a));
    T_TRUE("clock_getres/at-most-10ms", a.tv_sec == 0 && a.tv_nsec > 0 && a.tv_nsec <= 10000000);
    T_ERR("clock_getres/bad-clock", syscall(SYS_clock_getres, 1000, &a), EINVAL);
    struct timeval tv;
    T_OK("gettimeofday", syscall(SYS_gettimeofday, &tv, NULL));
    T_TRUE("gettimeofday/usec-range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    T_TRUE("gettimeofday/after-2020", tv.tv_sec > 1577836800);
    T_ERR("gettimeofday/efault", syscall(SYS_gettimeofday, BAD_KERNEL, NULL), EFAULT);
    time_t t = 0;
    long r = syscall(SYS_time, &t);
    T_TRUE("time/returns-and-stores", r == t && t > 1577836800);
    T_ERR("time/efault", syscall(SYS_time, BAD_KERNEL), EFAULT);
}

static void test_sleep(void)
{
    struct timespec a, b, req = {0, 30000000}, rem;
    clock_gettime(CLOCK_MONOTONIC, &a);
    T_OK("nanosleep/30ms", syscall(SYS_nanosleep, &req, &rem));
    clock_gettime(CLOCK_MONOTONIC, &b);
    T_TRUE("nanosleep/slept-enough", ns_of(b) - ns_of(a) >= 30000000);
    req.tv_nsec = 1000000000;
    T_ERR("nanosleep/bad-nsec", syscall(SYS_nanosleep, &req, NULL), EINVAL);
    req.tv_nsec = -1;
    T_ERR("nanosleep/negative-nsec", syscall(SYS_nanosleep, &req, NULL), EINVAL);
    req.tv_sec = -1;
    req.tv_nsec = 0;
    T_ERR("nanosleep/negative-sec", syscall(SYS_nanosleep, &req, NULL), EINVAL);
    T_ERR("nanosleep/efault", syscall(SYS_nanosleep, BAD_KERNEL, NULL), EFAULT);
    req.tv_sec = 0;
    req.tv_nsec = 0;
    T_OK("nanosleep/zero", syscall(SYS_nanosleep, &req, NULL));

    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec until = a;
    until.tv_nsec += 20000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    T_EQ("clock_nanosleep/abstime", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    T_TRUE("clock_nanosleep/reached", ns_of(b) >= ns_of(until));
    T_EQ("clock_nanosleep/past-abstime", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL), 0);
    req.tv_nsec = 1000000;
    T_EQ("clock_nanosleep/relative", clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL), 0);
    T_EQ("clock_nanosleep/bad-clock", clock_nanosleep(1000, 0, &req, NULL), EINVAL);
    T_EQ("clock_nanosleep/bad-flags-ignored", clock_nanosleep(CLOCK_MONOTONIC, 0x10, &req, NULL), 0);
    T_OK("sched_yield", sched_yield());
}

static void test_random(void)
{
    unsigned char a[64], b[64];
    T_EQ("getrandom/64", getrandom(a, sizeof(a), 0), 64);
    T_EQ("getrandom/again", getrandom(b, sizeof(b), GRND_NONBLOCK), 64);
    T_TRUE("getrandom/differs", memcmp(a, b, sizeof(a)) != 0);
    int zeros = 0;
    for (size_t i = 0; i < sizeof(a); i++)
        zeros += a[i] == 0;
    T_TRUE("getrandom/not-all-zero", zeros < 16);
    T_ERR("getrandom/bad-flags", getrandom(a, sizeof(a), 0x100), EINVAL);
    T_ERR("getrandom/efault", syscall(SYS_getrandom, BAD_KERNEL, 16, 0), EFAULT);
    T_EQ("getrandom/zero-length", getrandom(a, 0, 0), 0);
}

int main(void)
{
    check_init();
    test_clocks();
    test_sleep();
    test_random();
    return check_done("t_time");
}
