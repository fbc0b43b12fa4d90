/* Syscall tests: threads and futexes - pthread_create/join, what threads share (memory, descriptors,
 * directory, umask, handlers) and keep apart (ids, signal masks), mutexes and condition variables
 * under contention, futex(2) operations and errors, tgkill and process-directed signals, exit of
 * one thread against exit_group and fatal signals, set_tid_address, and execve from a thread. */
#include "check.h"
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <time.h>

static const char *self;

/* futex(2)'s operations (Linux's values; musl ships no linux/futex.h). */
#define FUTEX_WAIT                0
#define FUTEX_WAKE                1
#define FUTEX_REQUEUE             3
#define FUTEX_CMP_REQUEUE         4
#define FUTEX_WAIT_BITSET         9
#define FUTEX_WAKE_BITSET         10
#define FUTEX_PRIVATE_FLAG        128
#define FUTEX_CLOCK_REALTIME      256
#define FUTEX_WAIT_PRIVATE        (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE        (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_REQUEUE_PRIVATE     (FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PRIVATE (FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_BITSET_PRIVATE (FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY    0xffffffff

static long futex(volatile int *uaddr, int op, int val, const struct timespec *ts, volatile int *uaddr2,
                  int val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static int gettid_(void)
{
    return (int)syscall(SYS_gettid);
}

/* ---- create, join, ids, sharing ---- */

#define NTHREADS 4
static volatile int shared_slots[NTHREADS];
static int thread_tids[NTHREADS];
static int thread_pids[NTHREADS];

static void *slot_thread(void *arg)
{
    long i = (long)arg;
    shared_slots[i] = (int)(i + 1) * 11;
    thread_tids[i] = gettid_();
    thread_pids[i] = getpid();
    return (void *)(i * 100);
}

static void test_create_join(void)
{
    pthread_t th[NTHREADS];
    int created = 0;
    for (long i = 0; i < NTHREADS; i++)
        created += pthread_create(&th[i], NULL, slot_thread, (void *)i) == 0;
    T_EQ("create/all", created, NTHREADS);
    long sum = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret = NULL;
        pthread_join(th[i], &ret);
        sum += (long)ret;
    }
    T_EQ("join/return-values", sum, 0 + 100 + 200 + 300);
    T_EQ("memory/shared-writes", shared_slots[0] + shared_slots[1] + shared_slots[2] + shared_slots[3], 110);
    int same_pid = 1, distinct = 1;
    for (int i = 0; i < NTHREADS; i++) {
        same_pid &= thread_pids[i] == getpid();
        distinct &= thread_tids[i] != getpid() && thread_tids[i] > 0;
        for (int j = 0; j < i; j++)
            distinct &= thread_tids[i] != thread_tids[j];
    }
    T_TRUE("ids/getpid-is-tgid", same_pid);
    T_TRUE("ids/tids-distinct", distinct);
    T_EQ("ids/main-tid-is-pid", gettid_(), getpid());
}

static void *many_thread(void *arg)
{
    return arg;
}

/* Many short threads one after another: tids and memory come back. */
static void test_many(void)
{
    long sum = 0;
    int ok = 1;
    for (long i = 0; i < 60; i++) {
        pthread_t t;
        void *ret;
        ok &= pthread_create(&t, NULL, many_thread, (void *)i) == 0;
        ok &= pthread_join(t, &ret) == 0;
        sum += (long)ret;
    }
    T_TRUE("create/sixty-sequential", ok);
    T_EQ("create/sixty-sum", sum, 59 * 60 / 2);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    T_EQ("create/detached", pthread_create(&t, &attr, many_thread, NULL), 0);
    pthread_attr_destroy(&attr);
}

static int opened_fd = -1;
static void *fs_thread(void *arg)
{
    (void)arg;
    opened_fd = open("t_threads.file", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(opened_fd, "from-thread", 11);
    mkdir("t_threads.dir", 0755);
    chdir("t_threads.dir");
    umask(027);
    return NULL;
}

static void test_shared_fs(void)
{
    char before[256], after[256];
    getcwd(before, sizeof(before));
    mode_t old = umask(022);
    pthread_t t;
    pthread_create(&t, NULL, fs_thread, NULL);
    pthread_join(t, NULL);
    char buf[16] = {0};
    T_EQ("files/fd-shared", pread(opened_fd, buf, 11, 0), 11);
    T_TRUE("files/fd-content", !strcmp(buf, "from-thread"));
    close(opened_fd);
    getcwd(after, sizeof(after));
    T_TRUE("fs/cwd-shared",
           strlen(after) > strlen(before) && !strcmp(after + strlen(after) - 13, "t_threads.dir"));
    T_EQ("fs/umask-shared", umask(old), 027);
    chdir(before);
    rmdir("t_threads.dir");
    unlink("t_threads.file");
}

/* ---- mutex and condition variable under contention ---- */

#define INCREMENTS 20000
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < INCREMENTS; i++) {
        pthread_mutex_lock(&counter_lock);
        long v = counter;
        if (i % 64 == 0)
            sched_yield(); /* hold the lock across a switch now and then: the others must wait */
        counter = v + 1;
        pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

#define QUEUE_ITEMS 3000
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER, q_nonfull = PTHREAD_COND_INITIALIZER;
static int q_buf[8], q_len, q_head;
static long consumed_sum;
static int consumed_count;

static void *producer(void *arg)
{
    int base = (int)(long)arg;
    for (int i = 1; i <= QUEUE_ITEMS; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_len == 8)
            pthread_cond_wait(&q_nonfull, &q_lock);
        q_buf[(q_head + q_len++) % 8] = base + i;
        pthread_cond_signal(&q_nonempty);
        pthread_mutex_unlock(&q_lock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&q_lock);
        while (q_len == 0 && consumed_count < 2 * QUEUE_ITEMS)
            pthread_cond_wait(&q_nonempty, &q_lock);
        if (consumed_count == 2 * QUEUE_ITEMS) {
            pthread_mutex_unlock(&q_lock);
            return NULL;
        }
        consumed_sum += q_buf[q_head];
        q_head = (q_head + 1) % 8;
        q_len--;
        if (++consumed_count == 2 * QUEUE_ITEMS)
            pthread_cond_broadcast(&q_nonempty); /* the other consumers are done too */
        pthread_cond_broadcast(&q_nonfull);
        pthread_mutex_unlock(&q_lock);
    }
}

static void test_contention(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, count_thread, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    T_EQ("mutex/exact-total", counter, 4L * INCREMENTS);

    pthread_t p[2], c[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&c[i], NULL, consumer, NULL);
    for (long i = 0; i < 2; i++)
        pthread_create(&p[i], NULL, producer, (void *)(i * 100000));
    for (int i = 0; i < 2; i++)
        pthread_join(p[i], NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(c[i], NULL);
    long want = 2L * QUEUE_ITEMS * (QUEUE_ITEMS + 1) / 2 + 100000L * QUEUE_ITEMS;
    T_EQ("condvar/items", consumed_count, 2 * QUEUE_ITEMS);
    T_EQ("condvar/exact-sum", consumed_sum, want);
}

/* The process CPU clock counts live threads too: a thread burns 30 ms of its own CPU time and stays
 * alive; the process clock must have advanced at least that much meanwhile. */
static volatile int burned, may_exit;
static uint64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *burn_thread(void *arg)
{
    (void)arg;
    while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < 30000000u)
        ;
    burned = 1;
    futex(&burned, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    while (!may_exit)
        futex(&may_exit, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

static void test_process_cpu_clock(void)
{
    uint64_t before = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    pthread_t t;
    pthread_create(&t, NULL, burn_thread, NULL);
    while (!burned) /* asleep, so this thread's own time stays small */
        futex(&burned, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    T_TRUE("clock/process-cputime-counts-live-threads",
           clock_ns(CLOCK_PROCESS_CPUTIME_ID) >= before + 30000000u);
    may_exit = 1;
    futex(&may_exit, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(t, NULL);
}

/* ---- futex(2) ---- */

static volatile int fword;

static void test_futex_errors(void)
{
    struct timespec tiny = {0, 1000000}, zero = {0, 0}, bad = {0, 1000000000}, neg = {-1, 0};
    fword = 5;
    T_ERR("futex/wait-value-mismatch", futex(&fword, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0), EAGAIN);
    T_ERR("futex/wait-mismatch-shared", futex(&fword, FUTEX_WAIT, 4, NULL, NULL, 0), EAGAIN);
    T_ERR("futex/wait-timeout", futex(&fword, FUTEX_WAIT_PRIVATE, 5, &tiny, NULL, 0), ETIMEDOUT);
    T_ERR("futex/wait-zero-timeout", futex(&fword, FUTEX_WAIT_PRIVATE, 5, &zero, NULL, 0), ETIMEDOUT);
    T_ERR("futex/wait-mismatch-before-timeout", futex(&fword, FUTEX_WAIT_PRIVATE, 4, &zero, NULL, 0), EAGAIN);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    T_ERR("futex/bitset-abs-past",
          futex(&fword, FUTEX_WAIT_BITSET_PRIVATE, 5, &now, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    struct timespec soon = now;
    soon.tv_nsec += 2000000;
    if (soon.tv_nsec >= 1000000000) {
        soon.tv_sec++;
        soon.tv_nsec -= 1000000000;
    }
    T_ERR("futex/bitset-abs-soon",
          futex(&fword, FUTEX_WAIT_BITSET_PRIVATE, 5, &soon, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    clock_gettime(CLOCK_REALTIME, &now);
    T_ERR("futex/bitset-realtime-past",
          futex(&fword, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &now, NULL,
                FUTEX_BITSET_MATCH_ANY),
          ETIMEDOUT);
    T_ERR("futex/timeout-bad-nsec", futex(&fword, FUTEX_WAIT_PRIVATE, 5, &bad, NULL, 0), EINVAL);
    T_ERR("futex/timeout-negative", futex(&fword, FUTEX_WAIT_PRIVATE, 5, &neg, NULL, 0), EINVAL);
    T_ERR("futex/timeout-efault", futex(&fword, FUTEX_WAIT_PRIVATE, 5, BAD_KERNEL, NULL, 0), EFAULT);
    T_ERR("futex/wait-efault-null", futex(BAD_NULL, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT);
    T_ERR("futex/wait-efault-kernel", futex(BAD_KERNEL, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT);
    T_ERR("futex/wait-efault-unmapped", futex(BAD_HIGHUSER, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT);
    T_ERR("futex/wait-unaligned",
          futex((volatile int *)((char *)&fword + 1), FUTEX_WAIT_PRIVATE, 5, NULL, NULL, 0), EINVAL);
    T_ERR("futex/wait-bitset-zero", futex(&fword, FUTEX_WAIT_BITSET_PRIVATE, 5, NULL, NULL, 0), EINVAL);
    T_ERR("futex/wake-bitset-zero", futex(&fword, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0), EINVAL);
    T_EQ("futex/wake-nobody", futex(&fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
    T_EQ("futex/wake-nobody-shared", futex(&fword, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 0);
    T_ERR("futex/unknown-op", futex(&fword, 99, 0, NULL, NULL, 0), ENOSYS);
    T_ERR("futex/wake-realtime-flag", futex(&fword, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0),
          ENOSYS);
    T_ERR("futex/cmp-requeue-mismatch", futex(&fword, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &fword, 4),
          EAGAIN);
    T_ERR("futex/requeue-negative", futex(&fword, FUTEX_REQUEUE_PRIVATE, -1, (void *)1, &fword, 0), EINVAL);
}

/* Waiters on a word; each records what its wait returned. */
struct waiter {
    volatile int *word;
    int op, val, bitset;
    volatile int done;
    long ret;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    long r;
    do {
        r = futex(w->word, w->op, w->val, NULL, NULL, w->bitset);
    } while (r == -1 && errno == EINTR);
    w->ret = r == -1 ? -errno : r;
    w->done = 1;
    return NULL;
}

/* Wakes with op until n waiters in all have been woken (some may not be asleep yet at first). */
static int wake_until(volatile int *word, int op, int n, int bitset)
{
    int woken = 0;
    while (woken < n) {
        long r = futex(word, op, 1, NULL, NULL, bitset);
        if (r < 0)
            return -1;
        woken += (int)r;
        if (!r)
            sched_yield();
    }
    return woken;
}

static void test_futex_wake(void)
{
    static volatile int w1 = 0;
    struct waiter ws[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        ws[i] = (struct waiter){&w1, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0};
        pthread_create(&t[i], NULL, wait_thread, &ws[i]);
    }
    T_EQ("futex/wake-three", wake_until(&w1, FUTEX_WAKE_PRIVATE, 3, 0), 3);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    T_EQ("futex/woken-return-zero", ws[0].ret + ws[1].ret + ws[2].ret, 0);

    /* Bitsets: a wake for bit 2 leaves the bit-1 waiter asleep. */
    ws[0] = (struct waiter){&w1, FUTEX_WAIT_BITSET_PRIVATE, 0, 1, 0, 0};
    ws[1] = (struct waiter){&w1, FUTEX_WAIT_BITSET_PRIVATE, 0, 2, 0, 0};
    pthread_create(&t[0], NULL, wait_thread, &ws[0]);
    pthread_create(&t[1], NULL, wait_thread, &ws[1]);
    T_EQ("futex/wake-bitset-2", wake_until(&w1, FUTEX_WAKE_BITSET_PRIVATE, 1, 2), 1);
    pthread_join(t[1], NULL);
    T_EQ("futex/bitset-1-still-asleep", ws[0].done, 0);
    T_EQ("futex/wake-bitset-1", wake_until(&w1, FUTEX_WAKE_BITSET_PRIVATE, 1, 1), 1);
    pthread_join(t[0], NULL);
    T_EQ("futex/bitset-waiters-returned", ws[0].ret + ws[1].ret, 0);
}

/* One requeue attempt: two waiters on w1 move to w2 without waking; n_old and n_new count what
 * a wake on each word then finds. */
struct requeue_result {
    int moved, woken_early, n_old, n_new;
    long ret;
};

static struct requeue_result requeue_once(volatile int *w1, volatile int *w2)
{
    struct waiter ws[2];
    pthread_t t[2];
    struct requeue_result res = {0};
    for (int i = 0; i < 2; i++) {
        ws[i] = (struct waiter){w1, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0};
        pthread_create(&t[i], NULL, wait_thread, &ws[i]);
    }
    while (res.moved < 2) {
        long r = futex(w1, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)INT_MAX, w2, 0);
        res.moved += r > 0 ? (int)r : 0;
        if (r <= 0)
            sched_yield();
    }
    res.woken_early = ws[0].done + ws[1].done;
    /* Both words until both are back: a spurious wake may come at any moment, even now. */
    while (res.n_old + res.n_new < 2) {
        res.n_old += (int)futex(w1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
        res.n_new += (int)futex(w2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
        sched_yield();
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    res.ret = ws[0].ret + ws[1].ret;
    return res;
}

/* Linux may wake a requeued waiter spuriously; its FUTEX_WAIT then waits again on the word it was
 * called with (w1), and a wake on w1 finds it: about one host run in fifty. So a clean attempt out
 * of a few is required; Kestrel has no spurious wakeups and passes the first. */
static void test_futex_requeue(void)
{
    static volatile int w1 = 0, w2 = 0;
    struct requeue_result res;
    for (int attempt = 0; attempt < 4; attempt++) {
        res = requeue_once(&w1, &w2);
        if (res.n_old == 0 && res.n_new == 2)
            break;
    }
    T_EQ("futex/requeued-two", res.moved, 2);
    T_EQ("futex/requeued-not-woken", res.woken_early, 0);
    T_EQ("futex/wake-old-word-nobody", res.n_old, 0);
    T_EQ("futex/wake-requeued", res.n_new, 2);
    T_EQ("futex/requeued-returned", res.ret, 0);
}

/* A shared futex in MAP_SHARED memory is one word for every process that maps it; a private wake
 * from another process does not reach it. */
static void test_futex_across_processes(void)
{
    volatile int *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *word = 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        long r = futex(word, FUTEX_WAIT, 0, NULL, NULL, 0);
        _exit(r == 0 ? 0 : 1);
    }
    T_EQ("futex/private-wake-other-process", futex(word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
    T_EQ("futex/shared-wake-other-process", wake_until(word, FUTEX_WAKE, 1, 0), 1);
    int st = 0;
    waitpid(pid, &st, 0);
    T_TRUE("futex/shared-waiter-woken", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    munmap((void *)word, 4096);
}

/* EINTR: a handler without SA_RESTART ends a wait. The helper repeats the signal until the main
 * thread reports, so one of them surely arrives while it sleeps. */
static volatile int eintr_done;
static volatile int handler_hits;
static volatile int handler_tid;
static void note_handler(int sig)
{
    (void)sig;
    handler_tid = gettid_();
    handler_hits++;
}

static int main_tid;
static void *signal_main_thread(void *arg)
{
    (void)arg;
    while (!eintr_done) {
        syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
        sched_yield();
    }
    return NULL;
}

static void test_futex_eintr(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = note_handler;
    sigaction(SIGUSR1, &sa, NULL);
    main_tid = gettid_();
    static volatile int w = 0;
    pthread_t t;
    pthread_create(&t, NULL, signal_main_thread, NULL);
    long r;
    do {
        r = futex(&w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    } while (r == 0);
    int e = errno;
    eintr_done = 1;
    pthread_join(t, NULL);
    T_EQ("futex/eintr", r == -1 ? e : 0, EINTR);
    T_EQ("signal/handler-ran-in-main", handler_tid, main_tid);
}

/* With SA_RESTART a wait without a timeout resumes after the handler: the helper signals the main
 * thread until the handler has run at least twice (so once, at least, during the wait), then wakes
 * it; the wait returns 0, never EINTR. */
static volatile int restart_word;
static void *signal_then_wake(void *arg)
{
    (void)arg;
    while (handler_hits < 2) {
        syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
        sched_yield();
    }
    while (futex(&restart_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) != 1)
        sched_yield();
    return NULL;
}

static void test_futex_sa_restart(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = note_handler;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    handler_hits = 0;
    pthread_t t;
    pthread_create(&t, NULL, signal_then_wake, NULL);
    long r = futex(&restart_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    pthread_join(t, NULL);
    T_EQ("futex/sa-restart-resumes", r, 0);
}

/* ---- signals and threads ---- */

static volatile int spin_stop;
static volatile int spinner_tid;
/* Spins until told to stop; arg, when not NULL, is a set of signals it unblocks first. */
static void *spinner(void *arg)
{
    if (arg)
        pthread_sigmask(SIG_UNBLOCK, arg, NULL);
    spinner_tid = gettid_();
    while (!spin_stop)
        sched_yield();
    return NULL;
}

static pthread_t start_spinner(sigset_t *unblock)
{
    spin_stop = 0;
    spinner_tid = 0;
    pthread_t t;
    pthread_create(&t, NULL, spinner, unblock);
    while (!spinner_tid)
        sched_yield();
    return t;
}

static void stop_spinner(pthread_t t)
{
    spin_stop = 1;
    pthread_join(t, NULL);
}

/* SIGUSR2's own record: a late SIGUSR1 from the EINTR test must not count here. */
static volatile int usr2_hits, usr2_tid;
static void usr2_handler(int sig)
{
    (void)sig;
    usr2_tid = gettid_(); /* first: another CPU may be polling usr2_hits */
    usr2_hits++;
}

static void test_thread_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = usr2_handler;
    sigaction(SIGUSR2, &sa, NULL);

    /* tgkill reaches exactly the named thread. */
    pthread_t t = start_spinner(NULL);
    usr2_hits = 0;
    T_OK("tgkill/send", syscall(SYS_tgkill, getpid(), spinner_tid, SIGUSR2));
    while (!usr2_hits)
        sched_yield();
    T_EQ("tgkill/ran-in-target", usr2_tid, spinner_tid);
    T_ERR("tgkill/wrong-tgid", syscall(SYS_tgkill, getppid(), spinner_tid, SIGUSR2), ESRCH);
    T_ERR("tgkill/no-such-thread", syscall(SYS_tgkill, getpid(), 0x7ffffff0, SIGUSR2), ESRCH);
    T_OK("kill/by-thread-id", kill(spinner_tid, 0)); /* names the thread's process, as a pid would */
    stop_spinner(t);

    /* A thread can be signalled as soon as pthread_create returns, before it has run at all. */
    spin_stop = 0;
    spinner_tid = 0;
    usr2_hits = 0;
    pthread_create(&t, NULL, spinner, NULL);
    int sent = pthread_kill(t, SIGUSR2);
    T_EQ("tgkill/right-after-create", sent, 0);
    while (sent == 0 && (!usr2_hits || !spinner_tid)) /* the handler may run before the thread's first line */
        sched_yield();
    T_EQ("tgkill/right-after-create-ran-there", usr2_tid, spinner_tid);
    stop_spinner(t);

    /* A process-directed signal goes to a thread that does not block it. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    t = start_spinner(&set); /* inherits the block, then lifts it for itself only */
    usr2_hits = 0;
    kill(getpid(), SIGUSR2);
    while (!usr2_hits)
        sched_yield();
    T_EQ("kill/to-unblocking-thread", usr2_tid, spinner_tid);
    stop_spinner(t);
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    T_TRUE("mask/per-thread", sigismember(&now, SIGUSR2));

    /* Blocked by every thread: it waits, pending for the process, until one unblocks it. */
    t = start_spinner(NULL);
    usr2_hits = 0;
    kill(getpid(), SIGUSR2);
    sigset_t pending;
    sigpending(&pending);
    T_TRUE("kill/pending-for-process", sigismember(&pending, SIGUSR2));
    stop_spinner(t);
    T_EQ("kill/blocked-everywhere-waits", usr2_hits, 0);
    pthread_sigmask(SIG_SETMASK, &old, NULL); /* delivered here, in this thread */
    T_EQ("kill/delivered-on-unblock", usr2_hits, 1);
    T_EQ("kill/delivered-to-main", usr2_tid, gettid_());
}

/* A handler installed by one thread is every thread's. */
static void *install_handler(void *arg)
{
    (void)arg;
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    sigaction(SIGWINCH, &sa, NULL);
    return NULL;
}

static void test_shared_handlers(void)
{
    pthread_t t;
    pthread_create(&t, NULL, install_handler, NULL);
    pthread_join(t, NULL);
    struct sigaction cur;
    sigaction(SIGWINCH, NULL, &cur);
    T_TRUE("signal/handlers-shared", cur.sa_handler == SIG_IGN);
}

/* get_robust_list reads another thread's registration. */
static long robust_head[3] = {0, 0, 0};
static void *robust_thread(void *arg)
{
    (void)arg;
    robust_head[0] = (long)robust_head; /* an empty list points at itself */
    syscall(SYS_set_robust_list, robust_head, sizeof(robust_head));
    spinner_tid = gettid_();
    while (!spin_stop)
        sched_yield();
    return NULL;
}

static void test_robust_list(void)
{
    spin_stop = 0;
    spinner_tid = 0;
    pthread_t t;
    pthread_create(&t, NULL, robust_thread, NULL);
    while (!spinner_tid)
        sched_yield();
    void *head = NULL;
    size_t len = 0;
    T_OK("robust/get-other-thread", syscall(SYS_get_robust_list, spinner_tid, &head, &len));
    T_TRUE("robust/other-thread-head", head == (void *)robust_head && len == sizeof(robust_head));
    T_ERR("robust/no-such-thread", syscall(SYS_get_robust_list, 0x7ffffff0, &head, &len), ESRCH);
    stop_spinner(t);
}

/* Robust mutexes whose owner died without unlocking: the kernel walks the owner's robust list at its
 * exit, so the next locker gets EOWNERDEAD - across processes (owner ended by exit_group) and within
 * one (the owner thread ends by a raw exit(2), which skips the C library's own clean-up; the locker
 * is already waiting, so the wake matters too). Process-shared mutexes in MAP_SHARED memory: musl
 * puts only those on the list it registers with the kernel. */
static pthread_mutex_t *robust_mutex(int pshared)
{
    pthread_mutex_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, pshared);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return m;
}

static volatile int robust_locked;
static void *lock_and_vanish(void *arg)
{
    pthread_mutex_lock(arg);
    robust_locked = 1;
    futex(&robust_locked, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    syscall(SYS_exit, 0);
    return NULL;
}

static void child_robust_thread(void *arg)
{
    (void)arg;
    pthread_mutex_t *m = robust_mutex(PTHREAD_PROCESS_SHARED);
    pthread_t t;
    pthread_create(&t, NULL, lock_and_vanish, m);
    while (!robust_locked)
        futex(&robust_locked, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    int r = pthread_mutex_lock(m);
    _exit(r == EOWNERDEAD ? 0 : 1);
}

static void test_robust_owner_died(void)
{
    pthread_mutex_t *m = robust_mutex(PTHREAD_PROCESS_SHARED);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(m);
        syscall(SYS_exit_group, 0);
    }
    waitpid(pid, NULL, 0);
    T_EQ("robust/owner-process-died", pthread_mutex_lock(m), EOWNERDEAD);
    T_EQ("robust/make-consistent", pthread_mutex_consistent(m), 0);
    T_EQ("robust/unlock", pthread_mutex_unlock(m), 0);
    T_EQ("robust/relock", pthread_mutex_lock(m), 0);
    pthread_mutex_unlock(m);
    munmap(m, 4096);
    int st = run_child(child_robust_thread, NULL);
    T_TRUE("robust/owner-thread-died-waiter-woken", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- clone's rules ---- */

static void test_clone_flags(void)
{
    static char stack[4096] __attribute__((aligned(16)));
    T_ERR("clone/thread-without-sighand",
          syscall(SYS_clone, CLONE_THREAD | CLONE_VM, stack + sizeof(stack), 0, 0, 0), EINVAL);
    T_ERR("clone/sighand-without-vm", syscall(SYS_clone, CLONE_SIGHAND, stack + sizeof(stack), 0, 0, 0),
          EINVAL);
    T_ERR("clone/thread-sighand-without-vm",
          syscall(SYS_clone, CLONE_THREAD | CLONE_SIGHAND, stack + sizeof(stack), 0, 0, 0), EINVAL);
}

/* ---- the end of threads and of the process (each in a child process) ---- */

/* Raw exit(2) skips the C library's thread exit, so nobody may pthread_join it: the creator waits
 * on its set_tid_address word instead, which the kernel zeroes and futex-wakes. */
static volatile int raw_thread_alive = 1;
static void *raw_exit_thread(void *arg)
{
    (void)arg;
    syscall(SYS_set_tid_address, &raw_thread_alive);
    syscall(SYS_exit, 9); /* this thread only */
    return NULL;
}

static void *exit_group_thread(void *arg)
{
    (void)arg;
    exit(7);
}

/* Sleeps until the process ends (arg is always NULL). */
static void *sleeper(void *arg)
{
    while (!arg)
        pause();
    return arg;
}

/* exit(2) in a thread ends only that thread; the process goes on and exits with its own status. */
static void child_thread_exit(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, raw_exit_thread, NULL);
    while (raw_thread_alive)
        futex(&raw_thread_alive, FUTEX_WAIT, 1, NULL, NULL, 0);
    _exit(5);
}

/* exit_group from a thread ends every thread, including a main thread asleep in pause. */
static void child_exit_group(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    pthread_create(&t, NULL, exit_group_thread, NULL);
    for (;;)
        pause();
}

/* The first thread ends with exit(2); the last one's exit(2) code is the process's status. Its
 * set_tid_address word tells the other thread (zeroed and futex-woken at its exit). */
static volatile int main_gone = 1;
static void *outlive_main(void *arg)
{
    (void)arg;
    while (main_gone)
        futex(&main_gone, FUTEX_WAIT, 1, NULL, NULL, 0);
    syscall(SYS_exit, 4);
    return NULL;
}

static void child_main_exits_first(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, outlive_main, NULL);
    syscall(SYS_set_tid_address, &main_gone);
    syscall(SYS_exit, 0);
}

/* The first thread exits while another lives on: the process is no zombie until the last thread
 * goes, and then it has that thread's status. The survivor learns of the first thread's exit through
 * its set_tid_address word, tells the parent on one pipe and waits for its go on the other. */
static int to_parent[2], to_child[2];
static volatile int first_alive = 1;
static void *outlive_then_exit(void *arg)
{
    (void)arg;
    while (first_alive)
        futex(&first_alive, FUTEX_WAIT, 1, NULL, NULL, 0);
    write(to_parent[1], "g", 1);
    char c;
    read(to_child[0], &c, 1);
    syscall(SYS_exit, 6);
    return NULL;
}

static void child_outlives_first(void)
{
    pthread_t t;
    pthread_create(&t, NULL, outlive_then_exit, NULL);
    syscall(SYS_set_tid_address, &first_alive);
    syscall(SYS_exit, 0);
}

static void test_wait_whole_group(void)
{
    pipe(to_parent);
    pipe(to_child);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        child_outlives_first();
    char c;
    read(to_parent[0], &c, 1);
    int st = 0;
    T_EQ("wait/not-zombie-while-a-thread-lives", waitpid(pid, &st, WNOHANG), 0);
    write(to_child[1], "x", 1);
    T_EQ("wait/reaped-after-last-thread", waitpid(pid, &st, 0), pid);
    T_TRUE("wait/last-thread-status", WIFEXITED(st) && WEXITSTATUS(st) == 6);
    close(to_parent[0]);
    close(to_parent[1]);
    close(to_child[0]);
    close(to_child[1]);
}

/* A fatal signal to one thread ends them all. */
static void *raise_thread(void *arg)
{
    (void)arg;
    syscall(SYS_tgkill, getpid(), gettid_(), SIGTERM);
    return NULL;
}

static void child_fatal_signal(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    pthread_create(&t, NULL, raise_thread, NULL);
    for (;;)
        pause();
}

/* SIGKILL from outside while several threads sleep. */
static void child_to_be_killed(void *arg)
{
    int *pipe_w = arg;
    pthread_t t;
    for (int i = 0; i < 3; i++)
        pthread_create(&t, NULL, sleeper, NULL);
    write(*pipe_w, "r", 1);
    for (;;)
        pause();
}

/* execve from a thread: the others end, the process keeps its pid and the thread takes it as tid. */
static void *exec_thread(void *arg)
{
    (void)arg;
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", getpid());
    char *argv[] = {(char *)self, "exec-child", pid, NULL};
    char *envp[] = {NULL};
    execve(self, argv, envp);
    _exit(99);
}

static void child_exec_from_thread(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    pthread_create(&t, NULL, exec_thread, NULL);
    for (;;)
        pause();
}

/* execve from the first thread while another sleeps. */
static void child_exec_from_main(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    exec_thread(NULL);
}

/* A fault in one thread, with no handler, ends the process. */
static void *fault_thread(void *arg)
{
    *(volatile int *)arg = 1;
    return NULL;
}

static void child_fault_in_thread(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    pthread_create(&t, NULL, fault_thread, NULL);
    for (;;)
        pause();
}

/* fork in a thread: the child has one thread, whose tid is its pid. */
static volatile int fork_status = -1;
static void *fork_thread(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0)
        _exit(gettid_() == getpid() ? 3 : 1);
    int st;
    waitpid(pid, &st, 0);
    fork_status = st;
    return NULL;
}

static void test_fork_from_thread(void)
{
    fflush(stdout);
    pthread_t t;
    pthread_create(&t, NULL, fork_thread, NULL);
    pthread_join(t, NULL);
    T_TRUE("fork/from-thread", WIFEXITED(fork_status) && WEXITSTATUS(fork_status) == 3);
}

/* vfork in two threads at once: each waits for its own child only. Thread A's child blocks on a pipe;
 * thread B's child exits at once, which must not let A go on while its child still runs on A's stack. */
static int vfork_pipe[2];
static volatile int a_entering, a_returned;
static void *vfork_blocking(void *arg)
{
    (void)arg;
    a_entering = 1;
    pid_t pid = vfork();
    if (pid == 0) {
        char c;
        read(vfork_pipe[0], &c, 1);
        _exit(0);
    }
    a_returned = 1;
    waitpid(pid, NULL, 0);
    return NULL;
}

static void *vfork_quick(void *arg)
{
    (void)arg;
    pid_t pid = vfork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return NULL;
}

static void test_vfork_in_threads(void)
{
    pipe(vfork_pipe);
    fflush(stdout);
    pthread_t a, b;
    pthread_create(&a, NULL, vfork_blocking, NULL);
    while (!a_entering)
        sched_yield();
    for (int i = 0; i < 10; i++)
        sched_yield(); /* most likely A is asleep in vfork now; the check holds either way */
    pthread_create(&b, NULL, vfork_quick, NULL);
    pthread_join(b, NULL);
    T_EQ("vfork/other-thread-child-does-not-release", a_returned, 0);
    write(vfork_pipe[1], "x", 1);
    pthread_join(a, NULL);
    T_EQ("vfork/released-by-own-child", a_returned, 1);
    close(vfork_pipe[0]);
    close(vfork_pipe[1]);
}

/* setuid in a threaded process: musl runs it in every thread (signals and futexes, __synccall), and
 * every thread then has the new ids. Needs root, which both the host run and Kestrel have; the
 * child process keeps the change to itself. */
static volatile long thread_uid = -1;
static volatile int uid_check_now;
static void *report_uid(void *arg)
{
    (void)arg;
    while (!uid_check_now)
        futex(&uid_check_now, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    thread_uid = syscall(SYS_getuid);
    return NULL;
}

static void child_setuid_threads(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, report_uid, NULL);
    int r = setuid(65534);
    uid_check_now = 1;
    futex(&uid_check_now, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(t, NULL);
    _exit(r == 0 && thread_uid == 65534 && getuid() == 65534 ? 0 : 1);
}

/* Job control stops and continues every thread. */
static void *spin_forever(void *arg)
{
    while (!arg)
        sched_yield();
    return arg;
}

static void test_stop_continue(void)
{
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, spin_forever, NULL);
        pthread_create(&t, NULL, sleeper, NULL);
        write(p[1], "r", 1);
        spin_forever(NULL);
    }
    char c;
    read(p[0], &c, 1);
    close(p[0]);
    close(p[1]);
    int st = 0;
    kill(pid, SIGSTOP);
    T_EQ("jobctl/stopped", waitpid(pid, &st, WUNTRACED), pid);
    T_TRUE("jobctl/stopped-status", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    kill(pid, SIGCONT);
    T_EQ("jobctl/continued", waitpid(pid, &st, WCONTINUED), pid);
    T_TRUE("jobctl/continued-status", WIFCONTINUED(st));
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    T_TRUE("jobctl/killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static int exec_child(const char *pid)
{
    return atoi(pid) == getpid() && gettid_() == getpid() ? 42 : 1;
}

static int status_of(void (*fn)(void *), void *arg)
{
    return run_child(fn, arg);
}

static void test_endings(void)
{
    int st = status_of(child_thread_exit, NULL);
    T_TRUE("exit/thread-only", WIFEXITED(st) && WEXITSTATUS(st) == 5);
    st = status_of(child_exit_group, NULL);
    T_TRUE("exit_group/from-thread", WIFEXITED(st) && WEXITSTATUS(st) == 7);
    st = status_of(child_main_exits_first, NULL);
    T_TRUE("exit/last-thread-status", WIFEXITED(st) && WEXITSTATUS(st) == 4);
    st = status_of(child_fatal_signal, NULL);
    T_TRUE("signal/fatal-ends-all", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);

    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        child_to_be_killed(&p[1]);
    }
    close(p[1]);
    char c;
    read(p[0], &c, 1);
    close(p[0]);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    T_TRUE("signal/sigkill-ends-all", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    test_wait_whole_group();
    st = status_of(child_exec_from_thread, NULL);
    T_TRUE("exec/from-thread", WIFEXITED(st) && WEXITSTATUS(st) == 42);
    st = status_of(child_exec_from_main, NULL);
    T_TRUE("exec/from-main-with-threads", WIFEXITED(st) && WEXITSTATUS(st) == 42);
    st = status_of(child_fault_in_thread, NULL);
    T_TRUE("signal/fault-in-thread-ends-all", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    test_fork_from_thread();
    test_vfork_in_threads();
    st = status_of(child_setuid_threads, NULL);
    T_TRUE("setuid/all-threads", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    test_stop_continue();
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "exec-child"))
        return exec_child(argv[2]);
    self = argv[0];
    check_init();
    test_create_join();
    test_many();
    test_shared_fs();
    test_contention();
    test_process_cpu_clock();
    test_futex_errors();
    test_futex_wake();
    test_futex_requeue();
    test_futex_across_processes();
    test_futex_eintr();
    test_futex_sa_restart();
    test_thread_signals();
    test_shared_handlers();
    test_robust_list();
    test_robust_owner_died();
    test_clone_flags();
    test_endings();
    return check_done("t_threads");
}
