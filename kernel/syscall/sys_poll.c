/* poll, ppoll, select and pselect6 over poll_files (kernel/fs/poll.c): the user arrays and bitmaps
 * are copied in, translated to pollfds, and the results copied back. ppoll and pselect6 run with
 * the caller's temporary signal mask, restored on return or after the handler of the signal that
 * interrupted them (as sigsuspend does). */
#include <kestrel/kmalloc.h>
#include <kestrel/poll.h>
#include <kestrel/sched.h>
#include <kestrel/signal.h>
#include <kestrel/string.h>
#include <kestrel/syscall.h>
#include <kestrel/thread.h>
#include <kestrel/time.h>
#include <kestrel/uaccess.h>
#include "sys_file.h"

#define NS_PER_SEC 1000000000ll

/* Installs the call's signal mask (NULL: none); *on says whether one was installed. */
static long sigmask_enter(const ksigset_t *umask, size_t size, bool *on)
{
    *on = false;
    if (!umask)
        return 0;
    if (size != sizeof(ksigset_t))
        return -EINVAL;
    ksigset_t mask;
    if (copy_from_user(&mask, umask, sizeof(mask)))
        return -EFAULT;
    struct thread *t = thread_current();
    t->user.saved_sigmask = t->user.sigmask;
    signal_set_mask(mask);
    *on = true;
    return 0;
}

/* Puts the old mask back, unless a signal interrupted the call: then the signal is delivered
 * under the temporary mask and the return to user mode restores the old one. */
static void sigmask_leave(long ret, bool on)
{
    if (!on)
        return;
    struct thread *t = thread_current();
    if (ret == -ERESTARTNOHAND)
        t->user.restore_sigmask = true;
    else
        signal_set_mask(t->user.saved_sigmask);
}

static int timespec_to_ns(const struct timespec_k *ts, int64_t *ns)
{
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NS_PER_SEC)
        return -EINVAL;
    *ns = ts->tv_sec >= INT64_MAX / NS_PER_SEC - 1 ? INT64_MAX : ts->tv_sec * NS_PER_SEC + ts->tv_nsec;
    return 0;
}

static long do_poll(struct pollfd *ufds, unsigned long nfds, int64_t timeout_ns)
{
    struct files *files = files_current();
    if (!files)
        return -EINVAL;
    if (nfds > (unsigned long)files_limit_current())
        return -EINVAL;
    struct pollfd *fds = kmalloc(sizeof(*fds) * MAX(nfds, 1));
    if (!fds)
        return -ENOMEM;
    long r = copy_from_user(fds, ufds, sizeof(*fds) * nfds) ? -EFAULT : 0;
    if (!r)
        r = poll_files(files, fds, nfds, timeout_ns);
    /* Only revents changes; write back whole entries as Linux does. */
    if (r >= 0 && copy_to_user(ufds, fds, sizeof(*fds) * nfds))
        r = -EFAULT;
    kfree(fds);
    return r;
}

SYSCALL_DEFINE3(poll, struct pollfd *, ufds, unsigned long, nfds, int, timeout_ms)
{
    return do_poll(ufds, nfds, timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000);
}

SYSCALL_DEFINE5(ppoll, struct pollfd *, ufds, unsigned long, nfds, const struct timespec_k *, utsp,
                const ksigset_t *, umask, size_t, sigsetsize)
{
    int64_t timeout = -1;
    if (utsp) {
        struct timespec_k ts;
        if (copy_from_user(&ts, utsp, sizeof(ts)))
            return -EFAULT;
        if (timespec_to_ns(&ts, &timeout))
            return -EINVAL;
    }
    bool masked;
    long r = sigmask_enter(umask, sigsetsize, &masked);
    if (r)
        return r;
    r = do_poll(ufds, nfds, timeout);
    sigmask_leave(r, masked);
    return r;
}

/* select's three bitmaps of nfds bits, in kernel memory. */
struct fdsets {
    uint64_t *in, *out, *ex;
    size_t words;
};

static bool bit(const uint64_t *set, int fd)
{
    return set && (set[fd / 64] >> (fd % 64) & 1);
}

static long fdsets_get(struct fdsets *s, void *uin, void *uout, void *uex, int nfds)
{
    s->words = ((size_t)nfds + 63) / 64;
    s->in = s->out = s->ex = NULL; /* fdsets_free works whatever fails below */
    void *user[3] = {uin, uout, uex};
    uint64_t **k[3] = {&s->in, &s->out, &s->ex};
    for (int i = 0; i < 3; i++) {
        if (!user[i])
            continue;
        *k[i] = kzalloc(MAX(s->words, 1) * 8);
        if (!*k[i])
            return -ENOMEM;
        if (copy_from_user(*k[i], user[i], s->words * 8))
            return -EFAULT;
        /* Bits at or above nfds in the last word are not the caller's to ask about. */
        if (nfds % 64)
            (*k[i])[s->words - 1] &= (1ull << (nfds % 64)) - 1;
    }
    return 0;
}

static void fdsets_free(struct fdsets *s)
{
    kfree(s->in);
    kfree(s->out);
    kfree(s->ex);
}

/* Runs select on kernel bitmaps: they are replaced by the ready sets; returns the bit count. */
static long select_sets(struct fdsets *s, int nfds, int64_t timeout_ns)
{
    struct files *files = files_current();
    size_t n = 0;
    for (int fd = 0; fd < nfds; fd++)
        n += bit(s->in, fd) || bit(s->out, fd) || bit(s->ex, fd);
    struct pollfd *fds = kmalloc(sizeof(*fds) * MAX(n, 1));
    if (!fds)
        return -ENOMEM;
    n = 0;
    for (int fd = 0; fd < nfds; fd++) {
        int16_t ev =
            (bit(s->in, fd) ? POLLIN : 0) | (bit(s->out, fd) ? POLLOUT : 0) | (bit(s->ex, fd) ? POLLPRI : 0);
        if (ev)
            fds[n++] = (struct pollfd){.fd = fd, .events = ev};
    }
    long r = files ? poll_files(files, fds, n, timeout_ns) : -EBADF;
    for (size_t i = 0; r >= 0 && i < n; i++) {
        if (fds[i].revents & POLLNVAL)
            r = -EBADF;
    }
    if (r >= 0) {
        uint64_t *sets[3] = {s->in, s->out, s->ex};
        for (int i = 0; i < 3; i++) {
            if (sets[i])
                memset(sets[i], 0, s->words * 8);
        }
        r = 0;
        for (size_t i = 0; i < n; i++) {
            int fd = fds[i].fd;
            unsigned re = (uint16_t)fds[i].revents;
            bool hit[3] = {(fds[i].events & POLLIN) && (re & (POLLIN | POLLRDNORM | POLLHUP | POLLERR)),
                           (fds[i].events & POLLOUT) && (re & (POLLOUT | POLLWRNORM | POLLERR)),
                           (fds[i].events & POLLPRI) && (re & POLLPRI)};
            for (int k = 0; k < 3; k++) {
                if (hit[k]) {
                    sets[k][fd / 64] |= 1ull << (fd % 64);
                    r++;
                }
            }
        }
    }
    kfree(fds);
    return r;
}

static long do_select(int nfds, void *uin, void *uout, void *uex, int64_t timeout_ns)
{
    if (nfds < 0)
        return -EINVAL;
    struct files *files = files_current();
    if (files && nfds > files_size(files))
        nfds = files_size(files);
    struct fdsets s;
    long r = fdsets_get(&s, uin, uout, uex, nfds);
    if (!r)
        r = select_sets(&s, nfds, timeout_ns);
    if (r >= 0) {
        void *user[3] = {uin, uout, uex};
        uint64_t *k[3] = {s.in, s.out, s.ex};
        for (int i = 0; i < 3; i++) {
            if (user[i] && copy_to_user(user[i], k[i], s.words * 8))
                r = -EFAULT;
        }
    }
    fdsets_free(&s);
    return r;
}

SYSCALL_DEFINE5(select, int, nfds, void *, uin, void *, uout, void *, uex, struct timeval_k *, utv)
{
    int64_t timeout = -1;
    struct timeval_k tv;
    if (utv) {
        if (copy_from_user(&tv, utv, sizeof(tv)))
            return -EFAULT;
        if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
            return -EINVAL;
        timeout =
            tv.tv_sec >= INT64_MAX / NS_PER_SEC - 1 ? INT64_MAX : tv.tv_sec * NS_PER_SEC + tv.tv_usec * 1000;
    }
    uint64_t start = time_ns();
    long r = do_select(nfds, uin, uout, uex, timeout);
    /* Linux writes back the time left. */
    if (utv && r != -EFAULT && timeout != INT64_MAX) {
        int64_t left = timeout - (int64_t)(time_ns() - start);
        if (left < 0 || r == 0)
            left = 0;
        tv = (struct timeval_k){left / NS_PER_SEC, (left % NS_PER_SEC) / 1000};
        if (copy_to_user(utv, &tv, sizeof(tv)))
            r = -EFAULT;
    }
    return r;
}

struct sigset_arg {
    const ksigset_t *ss;
    size_t ss_len;
};

SYSCALL_DEFINE6(pselect6, int, nfds, void *, uin, void *, uout, void *, uex, const struct timespec_k *, utsp,
                const struct sigset_arg *, usig)
{
    int64_t timeout = -1;
    if (utsp) {
        struct timespec_k ts;
        if (copy_from_user(&ts, utsp, sizeof(ts)))
            return -EFAULT;
        if (timespec_to_ns(&ts, &timeout))
            return -EINVAL;
    }
    struct sigset_arg sa = {0};
    if (usig && copy_from_user(&sa, usig, sizeof(sa)))
        return -EFAULT;
    bool masked;
    long r = sigmask_enter(sa.ss, sa.ss_len, &masked);
    if (r)
        return r;
    r = do_select(nfds, uin, uout, uex, timeout);
    sigmask_leave(r, masked);
    return r;
}
