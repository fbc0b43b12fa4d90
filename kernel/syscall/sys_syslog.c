/* syslog(2) (klogctl in libc) over the kernel log ring, for dmesg: reading (and clearing) the log,
 * its size, and the console log level. */
#include <kestrel/cred.h>
#include <kestrel/kmalloc.h>
#include <kestrel/printk.h>
#include <kestrel/process.h>
#include <kestrel/syscall.h>
#include <kestrel/uaccess.h>

enum {
    SYSLOG_ACTION_CLOSE = 0,
    SYSLOG_ACTION_OPEN = 1,
    SYSLOG_ACTION_READ_ALL = 3,
    SYSLOG_ACTION_READ_CLEAR = 4,
    SYSLOG_ACTION_CLEAR = 5,
    SYSLOG_ACTION_CONSOLE_OFF = 6,
    SYSLOG_ACTION_CONSOLE_ON = 7,
    SYSLOG_ACTION_CONSOLE_LEVEL = 8,
    SYSLOG_ACTION_SIZE_UNREAD = 9,
    SYSLOG_ACTION_SIZE_BUFFER = 10,
};

#define DEFAULT_LEVEL  LOG_DEBUG /* what CONSOLE_ON restores */
#define MIN_CONSOLE_LV 1         /* Linux's minimum_console_loglevel: emergencies always show */

/* The newest len bytes of the log written since the last CLEAR, starting at a record boundary,
 * copied to ubuf. */
static long read_all(char *ubuf, int len)
{
    size_t size = klog_size(), avail = klog_size_since_clear();
    size_t want = MIN(avail, (size_t)len), from = size - want;
    char *buf = kmalloc(want + 1);
    if (!buf)
        return -ENOMEM;
    size_t got = klog_read(from, buf, want);
    /* A record cut at the start (by len, or by the ring's overwriting) is dropped, as Linux returns
     * whole records only: records start after a newline, and with their "<level>". */
    char before = '\n';
    if (from > 0)
        klog_read(from - 1, &before, 1);
    size_t skip = 0;
    if (got && (before != '\n' || buf[0] != '<')) {
        while (skip < got && buf[skip] != '\n')
            skip++;
        skip = MIN(skip + 1, got);
    }
    long ret = copy_to_user(ubuf, buf + skip, got - skip) ? -EFAULT : (long)(got - skip);
    kfree(buf);
    return ret;
}

bool klog_may_read(void)
{
    /* As with Debian's kernel.dmesg_restrict=1: the log may hold addresses and secrets. */
    struct process *p = current_process();
    return !p || cred_is_root(&p->cred);
}

SYSCALL_DEFINE3(syslog, int, type, char *, ubuf, int, len)
{
    if (!klog_may_read())
        return -EPERM;
    switch (type) {
    case SYSLOG_ACTION_CLOSE:
    case SYSLOG_ACTION_OPEN:
        return 0;
    case SYSLOG_ACTION_READ_ALL:
    case SYSLOG_ACTION_READ_CLEAR: {
        if (!ubuf || len < 0)
            return -EINVAL;
        long n = len ? read_all(ubuf, len) : 0;
        if (n >= 0 && type == SYSLOG_ACTION_READ_CLEAR)
            klog_clear();
        return n;
    }
    case SYSLOG_ACTION_CLEAR:
        klog_clear();
        return 0;
    case SYSLOG_ACTION_CONSOLE_OFF:
        console_loglevel = MIN_CONSOLE_LV;
        return 0;
    case SYSLOG_ACTION_CONSOLE_ON:
        console_loglevel = DEFAULT_LEVEL;
        return 0;
    case SYSLOG_ACTION_CONSOLE_LEVEL:
        if (len < 1 || len > 8)
            return -EINVAL;
        console_loglevel = MAX(len, MIN_CONSOLE_LV);
        return 0;
    case SYSLOG_ACTION_SIZE_UNREAD:
        return (long)klog_size(); /* no destructive reads: everything is unread */
    case SYSLOG_ACTION_SIZE_BUFFER:
        return (long)klog_capacity();
    default:
        return -EINVAL; /* the destructive, blocking READ (2) is not supported */
    }
}
