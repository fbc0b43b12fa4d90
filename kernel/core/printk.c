/* printk: formats a message, stamps it with the time since boot, appends it to the kernel log ring
 * and writes it to the consoles. Callable from any context, interrupts included: the lock disables
 * interrupts and nothing here allocates.
 *
 * The ring holds records as syslog(2) returns them: "<level>[seconds.micros] text\n". The consoles
 * get the line without the level. Positions for /dev/kmsg readers count bytes ever written, so a
 * reader can tell when the ring has overwritten what it had not read yet. */
#include <kestrel/console.h>
#include <kestrel/format.h>
#include <kestrel/printk.h>
#include <kestrel/ringbuf.h>
#include <kestrel/sched.h>
#include <kestrel/waitqueue.h>
#include <kestrel/spinlock.h>
#include <kestrel/time.h>
#include <uapi/errno.h>

#define KLOG_SIZE (64 * 1024)
#define LINE_MAX  512

int console_loglevel = LOG_DEBUG;

static uint8_t klog_mem[KLOG_SIZE];
static uint64_t klog_written; /* bytes ever appended: the ring holds [written - len, written) */
static uint64_t klog_records; /* records ever appended */
static uint64_t klog_cleared; /* syslog's CLEAR: what was written before this is hidden from it */
/* /dev/kmsg readers waiting for the next record. */
static struct waitqueue klog_wait = WAITQUEUE_INIT(klog_wait, "kmsg");
static struct ringbuf klog = {.data = klog_mem, .cap = KLOG_SIZE};
/* Protects klog and keeps lines from different contexts from interleaving on the consoles. */
static struct spinlock printk_lock = SPINLOCK_INIT("printk");

/* printk runs in every context, the scheduler's own included (its lock held): there the waiters
 * are woken with the lock the scheduler already holds, anywhere else the wake takes it. */
static void wake_log_readers(void)
{
    if (sched_lock_held())
        wq_wake_all_locked(&klog_wait);
    else
        wq_wake_all(&klog_wait);
}

void vprintk(int level, const char *fmt, va_list ap)
{
    char record[LINE_MAX];
    uint64_t ns = time_ns();
    int prefix = ksnprintf(record, sizeof(record), "<%d>", level & 7);
    char *line = record + prefix;
    size_t room = sizeof(record) - (size_t)prefix;
    int n = ksnprintf(line, room, "[%5llu.%06llu] ", (unsigned long long)(ns / 1000000000),
                      (unsigned long long)(ns / 1000 % 1000000));
    n += kvsnprintf(line + n, room - (size_t)n, fmt, ap);
    if ((size_t)n >= room - 1) {
        n = (int)room - 1;
        line[n - 1] = '\n'; /* truncated: keep the record a whole line */
    }
    uint64_t flags = spin_lock_irqsave(&printk_lock);
    ringbuf_write_overwrite(&klog, record, (size_t)(prefix + n));
    klog_written += (size_t)(prefix + n);
    klog_records++;
    if (level < console_loglevel)
        console_write_all(line, n);
    spin_unlock_irqrestore(&printk_lock, flags);
    wake_log_readers();
}

void printk(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}

void console_print(const char *fmt, ...)
{
    char line[LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    uint64_t flags = spin_lock_irqsave(&printk_lock);
    console_write_all(line, MIN(n, LINE_MAX - 1));
    spin_unlock_irqrestore(&printk_lock, flags);
}

size_t klog_read(size_t offset, char *dst, size_t n)
{
    uint64_t flags = spin_lock_irqsave(&printk_lock);
    size_t got = ringbuf_peek(&klog, offset, dst, n);
    spin_unlock_irqrestore(&printk_lock, flags);
    return got;
}

size_t klog_size(void)
{
    return ringbuf_len(&klog);
}

size_t klog_capacity(void)
{
    return KLOG_SIZE;
}

/* The ring offset of the first whole record (the oldest one lost its head if the ring ever
 * overwrote) and that record's sequence number. Lock held. */
static size_t first_record_locked(uint64_t *seq)
{
    size_t len = ringbuf_len(&klog), off = 0, lines = 0;
    bool cut = klog_written > len;
    char chunk[128];
    for (size_t at = 0; at < len;) {
        size_t got = ringbuf_peek(&klog, at, chunk, MIN(sizeof(chunk), len - at));
        for (size_t i = 0; i < got; i++) {
            if (chunk[i] != '\n')
                continue;
            if (cut) {
                off = at + i + 1; /* the cut record ends here */
                cut = false;
            } else {
                lines++;
            }
        }
        at += got;
    }
    if (cut)
        off = len; /* no whole record at all */
    *seq = klog_records - lines;
    return off;
}

void klog_reader_start(uint64_t *pos, uint64_t *seq)
{
    uint64_t flags = spin_lock_irqsave(&printk_lock);
    *pos = klog_written - ringbuf_len(&klog) + first_record_locked(seq);
    spin_unlock_irqrestore(&printk_lock, flags);
}

ssize_t klog_read_record(uint64_t *pos, uint64_t *seq, char *dst, size_t n)
{
    ssize_t ret = 0;
    uint64_t flags = spin_lock_irqsave(&printk_lock);
    uint64_t start = klog_written - ringbuf_len(&klog);
    if (*pos < start) {
        *pos = start + first_record_locked(seq);
        ret = -EPIPE; /* overwritten before it was read: the reader resumes at the oldest */
    } else if (*pos < klog_written) {
        size_t got = ringbuf_peek(&klog, (size_t)(*pos - start), dst, n), len = 0;
        while (len < got && dst[len] != '\n')
            len++;
        if (len == got) {
            ret = -EINVAL; /* the record does not fit in n bytes */
        } else {
            ret = (ssize_t)len + 1;
            *pos += (uint64_t)ret;
            ++*seq;
        }
    }
    spin_unlock_irqrestore(&printk_lock, flags);
    return ret;
}

size_t klog_strip_levels(char *buf, size_t n, int *state)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (*state == 0 && c == '<') {
            *state = 1; /* a level prefix starts the record */
            continue;
        }
        if (*state == 1) {
            if (c == '>')
                *state = 2;
            continue;
        }
        buf[out++] = c;
        *state = c == '\n' ? 0 : 2;
    }
    return out;
}

void klog_clear(void)
{
    uint64_t flags = spin_lock_irqsave(&printk_lock);
    klog_cleared = klog_written;
    spin_unlock_irqrestore(&printk_lock, flags);
}

size_t klog_size_since_clear(void)
{
    uint64_t flags = spin_lock_irqsave(&printk_lock);
    uint64_t start = klog_written - ringbuf_len(&klog);
    size_t n = (size_t)(klog_written - MAX(start, klog_cleared));
    spin_unlock_irqrestore(&printk_lock, flags);
    return n;
}

int klog_wait_after(uint64_t pos)
{
    return wait_event_interruptible(&klog_wait, __atomic_load_n(&klog_written, __ATOMIC_RELAXED) > pos);
}
