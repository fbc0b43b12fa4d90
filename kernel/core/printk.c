/* printk: formats a message, stamps it with the time since boot, appends it to the kernel log ring
 * and writes it to the consoles. Callable from any context, interrupts included: the lock disables
 * interrupts and nothing here allocates. */
#include <kestrel/console.h>
#include <kestrel/format.h>
#include <kestrel/printk.h>
#include <kestrel/ringbuf.h>
#include <kestrel/spinlock.h>
#include <kestrel/time.h>

#define KLOG_SIZE (64 * 1024)
#define LINE_MAX  512

int console_loglevel = LOG_DEBUG;

static uint8_t klog_mem[KLOG_SIZE];
static struct ringbuf klog = {.data = klog_mem, .cap = KLOG_SIZE};
/* Protects klog and keeps lines from different contexts from interleaving on the consoles. */
static struct spinlock printk_lock = SPINLOCK_INIT("printk");

void vprintk(int level, const char *fmt, va_list ap)
{
    char line[LINE_MAX];
    uint64_t ns = time_ns();
    int n = ksnprintf(line, sizeof(line), "[%5llu.%06llu] ", (unsigned long long)(ns / 1000000000),
                      (unsigned long long)(ns / 1000 % 1000000));
    n += kvsnprintf(line + n, sizeof(line) - n, fmt, ap);
    if (n >= LINE_MAX - 1) {
        n = LINE_MAX - 1;
        line[n - 1] = '\n'; /* truncated: keep the record a whole line */
    }
    uint64_t flags = spin_lock_irqsave(&printk_lock);
    ringbuf_write_overwrite(&klog, line, n);
    if (level < console_loglevel)
        console_write_all(line, n);
    spin_unlock_irqrestore(&printk_lock, flags);
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
