/* Syscall tests: signals (rt_sigaction, rt_sigprocmask, pending, kill/tgkill, handlers and their
 * frames, sigsuspend, alarm and setitimer, EINTR and SA_RESTART, sigaltstack, default actions,
 * SIGCHLD, stop and continue, faults delivered as SIGSEGV). */
#include "check.h"
#include <time.h>
#include <setjmp.h>
#include <sys/time.h>

static volatile sig_atomic_t hits, last_sig, last_code, siginfo_ok;
static sigjmp_buf jump;
/* A pointer the compiler cannot see through, so the faulting stores stay in the program. */
static int *volatile fault_addr = (int *)16;

static void on_signal(int sig)
{
    hits++;
    last_sig = sig;
}

static void on_siginfo(int sig, siginfo_t *si, void *uc)
{
    hits++;
    last_sig = sig;
    last_code = si->si_code;
    siginfo_ok = si->si_signo == sig && uc != NULL && si->si_pid == getpid();
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    last_sig = sig;
    last_code = si->si_code;
    siginfo_ok = si->si_addr == (void *)16;
    siglongjmp(jump, 1);
}

static void test_action(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    T_OK("sigaction/install", sigaction(SIGUSR1, &sa, NULL));
    T_OK("sigaction/query", sigaction(SIGUSR1, NULL, &old));
    T_TRUE("sigaction/query-handler", old.sa_handler == on_signal);
    hits = 0;
    T_OK("kill/self", kill(getpid(), SIGUSR1));
    T_EQ("handler/ran", hits, 1);
    T_EQ("handler/signo", last_sig, SIGUSR1);
    T_ERR("sigaction/sigkill", sigaction(SIGKILL, &sa, NULL), EINVAL);
    T_ERR("sigaction/sigstop", sigaction(SIGSTOP, &sa, NULL), EINVAL);
    T_ERR("sigaction/zero", syscall(SYS_rt_sigaction, 0, &sa, NULL, 8), EINVAL);
    T_ERR("sigaction/65", syscall(SYS_rt_sigaction, 65, &sa, NULL, 8), EINVAL);
    T_ERR("sigaction/bad-sigsetsize", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4), EINVAL);
    T_ERR("sigaction/efault", syscall(SYS_rt_sigaction, SIGUSR1, BAD_KERNEL, NULL, 8), EFAULT);
    T_ERR("sigaction/efault-old", syscall(SYS_rt_sigaction, SIGUSR1, NULL, BAD_NONCANON, 8), EFAULT);
    sa.sa_flags = SA_SIGINFO;
    sa.sa_sigaction = on_siginfo;
    sigaction(SIGUSR2, &sa, NULL);
    siginfo_ok = 0;
    T_OK("kill/usr2", kill(getpid(), SIGUSR2));
    T_TRUE("siginfo/fields", siginfo_ok);
    T_EQ("siginfo/si_code-user", last_code, SI_USER);
    T_OK("tgkill", syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2));
    T_EQ("tgkill/si_code", last_code, SI_TKILL);
    T_ERR("tgkill/esrch", syscall(SYS_tgkill, getpid(), 0x3fffffff, SIGUSR2), ESRCH);
    T_ERR("tgkill/einval", syscall(SYS_tgkill, getpid(), 0, SIGUSR2), EINVAL);
    T_OK("kill/sig0-exists", kill(getpid(), 0));
    T_ERR("kill/esrch", kill(0x3fffffff, 0), ESRCH);
    T_ERR("kill/einval", kill(getpid(), 99), EINVAL);
    signal(SIGUSR1, SIG_IGN);
    hits = 0;
    kill(getpid(), SIGUSR1);
    T_EQ("sig-ign/ignored", hits, 0);
    signal(SIGUSR1, SIG_DFL);
}

static void test_mask(void)
{
    sigset_t set, old, pend;
    signal(SIGUSR1, on_signal);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    T_OK("sigprocmask/block", sigprocmask(SIG_BLOCK, &set, &old));
    hits = 0;
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    T_EQ("blocked/not-delivered", hits, 0);
    T_OK("sigpending", sigpending(&pend));
    T_TRUE("sigpending/has-usr1", sigismember(&pend, SIGUSR1));
    T_OK("sigprocmask/unblock", sigprocmask(SIG_UNBLOCK, &set, NULL));
    T_EQ("unblocked/delivered-once", hits, 1);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    sigprocmask(SIG_SETMASK, NULL, &set);
    T_TRUE("sigprocmask/kill-unblockable", !sigismember(&set, SIGKILL) && !sigismember(&set, SIGSTOP));
    sigprocmask(SIG_SETMASK, &old, NULL);
    T_ERR("sigprocmask/bad-how", syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8), EINVAL);
    T_ERR("sigprocmask/bad-size", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16), EINVAL);
    T_ERR("sigprocmask/efault", syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD_KERNEL, NULL, 8), EFAULT);
    T_ERR("sigpending/efault", syscall(SYS_rt_sigpending, BAD_KERNEL, 8), EFAULT);

    sigprocmask(SIG_BLOCK, &(sigset_t){0}, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    hits = 0;
    fflush(stdout);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    sigset_t waitmask;
    sigemptyset(&waitmask);
    T_ERR("sigsuspend/eintr", sigsuspend(&waitmask), EINTR);
    T_EQ("sigsuspend/handler-ran", hits, 1);
    sigprocmask(SIG_SETMASK, NULL, &set);
    T_TRUE("sigsuspend/mask-restored", sigismember(&set, SIGUSR1));
    waitpid(pid, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    signal(SIGUSR1, SIG_DFL);
}

static void test_eintr(void)
{
    int p[2];
    pipe(p);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGALRM, &sa, NULL);
    hits = 0;
    T_EQ("alarm/none-pending", alarm(1), 0);
    char c;
    T_ERR("read/eintr", read(p[0], &c, 1), EINTR);
    T_EQ("alarm/fired", hits, 1);
    T_EQ("alarm/cancel-none", alarm(0), 0);

    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(300000);
        write(p[1], "r", 1);
        _exit(0);
    }
    struct itimerval it = {{0, 0}, {0, 50000}};
    T_OK("setitimer", setitimer(ITIMER_REAL, &it, NULL));
    T_EQ("read/restarted", read(p[0], &c, 1), 1);
    T_EQ("restart/handler-ran", hits, 2);
    waitpid(pid, NULL, 0);
    struct itimerval cur;
    T_OK("getitimer", getitimer(ITIMER_REAL, &cur));
    T_TRUE("getitimer/disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
    T_ERR("setitimer/bad-which", setitimer(7, &it, NULL), EINVAL);
    it.it_value.tv_usec = 2000000;
    T_ERR("setitimer/bad-usec", setitimer(ITIMER_REAL, &it, NULL), EINVAL);
    T_EQ("alarm/returns-remaining", (alarm(100), alarm(0)), 100);
    hits = 0;
    it.it_value.tv_usec = 20000;
    setitimer(ITIMER_REAL, &it, NULL);
    T_ERR("pause/eintr", pause(), EINTR);
    T_EQ("pause/handler", hits, 1);
    signal(SIGALRM, SIG_DFL);
    close(p[0]);
    close(p[1]);
}

/* Regression: nanosleep and wait4 used to sleep through signals, so SIGKILL could not end a
 * sleeping process and a handler never interrupted a sleep or a wait. */
static void test_interrupted_sleeps(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    struct timespec req = {30, 0}, rem = {0, 0};
    alarm(1);
    T_ERR("nanosleep/eintr", nanosleep(&req, &rem), EINTR);
    T_TRUE("nanosleep/remainder", rem.tv_sec > 0 && rem.tv_sec < 30);

    fflush(stdout);
    pid_t sleeper = fork();
    if (sleeper == 0) {
        struct timespec forever = {3600, 0};
        nanosleep(&forever, NULL);
        _exit(0);
    }
    alarm(1);
    int st = 0;
    T_ERR("wait4/eintr", waitpid(sleeper, &st, 0), EINTR);
    kill(sleeper, SIGKILL); /* must end the hour-long sleep at once */
    T_EQ("kill/ends-nanosleep", waitpid(sleeper, &st, 0), sleeper);
    T_TRUE("kill/status", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    signal(SIGALRM, SIG_DFL);
}

static volatile uintptr_t handler_sp;
static void on_alt(int sig)
{
    int local;
    (void)sig;
    handler_sp = (uintptr_t)&local;
}

static void test_altstack(void)
{
    static char stack[65536];
    stack_t ss = {.ss_sp = stack, .ss_size = sizeof(stack), .ss_flags = 0}, old;
    T_OK("sigaltstack/set", sigaltstack(&ss, NULL));
    T_OK("sigaltstack/get", sigaltstack(NULL, &old));
    T_TRUE("sigaltstack/get-values", old.ss_sp == stack && old.ss_size == sizeof(stack));
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alt;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    T_TRUE("sigaltstack/used",
           handler_sp >= (uintptr_t)stack && handler_sp < (uintptr_t)stack + sizeof(stack));
    stack_t small = {.ss_sp = stack, .ss_size = 100, .ss_flags = 0};
    T_ERR("sigaltstack/too-small", sigaltstack(&small, NULL), ENOMEM);
    small.ss_flags = 0x1234;
    small.ss_size = sizeof(stack);
    T_ERR("sigaltstack/bad-flags", sigaltstack(&small, NULL), EINVAL);
    ss.ss_flags = SS_DISABLE;
    T_OK("sigaltstack/disable", sigaltstack(&ss, NULL));
    sigaction(SIGUSR1, &(struct sigaction){.sa_handler = SIG_DFL}, NULL);
}

static int child_status(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static void die_term(void)
{
    raise(SIGTERM);
}

static void die_segv(void)
{
    *fault_addr = 1;
}

static void die_abort(void)
{
    abort();
}

static void die_blocked_kill(void)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    raise(SIGKILL);
}

static void test_defaults(void)
{
    int st = child_status(die_term);
    T_TRUE("default/sigterm", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    st = child_status(die_segv);
    T_TRUE("default/sigsegv", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    st = child_status(die_abort);
    T_TRUE("default/sigabrt", WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    st = child_status(die_blocked_kill);
    T_TRUE("default/sigkill-unblockable", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    siginfo_ok = 0;
    if (sigsetjmp(jump, 1) == 0)
        *fault_addr = 1;
    T_EQ("segv/caught-signo", last_sig, SIGSEGV);
    T_EQ("segv/si_code-maperr", last_code, SEGV_MAPERR);
    T_TRUE("segv/si_addr", siginfo_ok);
    signal(SIGSEGV, SIG_DFL);
}

static void test_sigchld_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGCHLD, &sa, NULL);
    hits = 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    kill(pid, SIGSTOP);
    int status;
    T_EQ("stop/wuntraced", waitpid(pid, &status, WUNTRACED), pid);
    T_TRUE("stop/stopped", WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    kill(pid, SIGCONT);
    T_EQ("cont/wcontinued", waitpid(pid, &status, WCONTINUED), pid);
    T_TRUE("cont/continued", WIFCONTINUED(status));
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    T_TRUE("sigchld/delivered", hits >= 1);
    signal(SIGCHLD, SIG_DFL);
}

int main(void)
{
    check_init();
    test_action();
    test_mask();
    test_eintr();
    test_interrupted_sleeps();
    test_altstack();
    test_defaults();
    test_sigchld_stop();
    return check_done("t_signals");
}
