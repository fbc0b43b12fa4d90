/* /dev/kmsg: the kernel log one record per read, in Linux's format
 * "level,sequence,microseconds,-;text\n", from the oldest record still in the ring at open; a
 * write adds a record (a leading "<N>" picks the level, as on Linux). */
#include <kestrel/chardev.h>
#include <kestrel/format.h>
#include <kestrel/kmalloc.h>
#include <kestrel/printk.h>
#include <kestrel/string.h>
#include <kestrel/vfs.h>

#define KMSG_LINE 600 /* a record: printk's LINE_MAX plus its level prefix */

struct kmsg_reader {
    uint64_t pos, seq;
};

static int kmsg_open(struct file *f)
{
    if ((f->flags & O_ACCMODE) != O_WRONLY && !klog_may_read())
        return -EPERM;
    struct kmsg_reader *r = kmalloc(sizeof(*r));
    if (!r)
        return -ENOMEM;
    klog_reader_start(&r->pos, &r->seq);
    f->private = r;
    return 0;
}

static void kmsg_release(struct file *f)
{
    kfree(f->private);
}

/* Parses the decimal number at *p, advancing it. */
static uint64_t parse_number(const char **p, const char *end)
{
    uint64_t v = 0;
    while (*p < end && **p >= '0' && **p <= '9')
        v = v * 10 + (uint64_t)(*(*p)++ - '0');
    return v;
}

/* "<L>[ sss.uuuuuu] text\n" to "L,seq,usec,-;text\n" in out (at least KMSG_LINE + 64 bytes). */
static size_t format_record(const char *rec, size_t len, uint64_t seq, char *out, size_t size)
{
    const char *p = rec + 1, *end = rec + len;
    uint64_t level = parse_number(&p, end);
    while (p < end && (*p == '>' || *p == '[' || *p == ' '))
        p++;
    uint64_t sec = parse_number(&p, end);
    if (p < end && *p == '.')
        p++;
    uint64_t usec = parse_number(&p, end);
    if (p < end && *p == ']')
        p++;
    if (p < end && *p == ' ')
        p++;
    int n = ksnprintf(out, size, "%llu,%llu,%llu,-;", (unsigned long long)level, (unsigned long long)seq,
                      (unsigned long long)(sec * 1000000 + usec));
    size_t text = MIN((size_t)(end - p), size - (size_t)n);
    memcpy(out + n, p, text);
    return (size_t)n + text;
}

/* One record, formatted, or 0 when none is new; the reader's position moves past it only when it
 * fits in count bytes (Linux wants a whole record per read, and keeps it for the next). */
static ssize_t read_one(struct kmsg_reader *r, char *rec, void *buf, size_t count)
{
    uint64_t pos = r->pos, seq = r->seq;
    ssize_t n = klog_read_record(&r->pos, &r->seq, rec, KMSG_LINE);
    if (n <= 0)
        return n;
    char *out = rec + KMSG_LINE;
    size_t len = format_record(rec, (size_t)n, seq, out, KMSG_LINE);
    if (len > count) {
        r->pos = pos;
        r->seq = seq;
        return -EINVAL;
    }
    memcpy(buf, out, len);
    return (ssize_t)len;
}

/* Blocks for the next record unless nowait (then EAGAIN), as Linux does. */
static ssize_t kmsg_read(struct file *f, void *buf, size_t count, bool nowait)
{
    struct kmsg_reader *r = f->private;
    char *rec = kmalloc(2 * KMSG_LINE);
    if (!rec)
        return -ENOMEM;
    ssize_t n;
    while ((n = read_one(r, rec, buf, count)) == 0) {
        if (nowait) {
            n = -EAGAIN;
            break;
        }
        n = klog_wait_after(r->pos);
        if (n)
            break;
    }
    kfree(rec);
    return n;
}

static ssize_t kmsg_write(struct file *f, const void *buf, size_t count, bool nowait)
{
    (void)f, (void)nowait;
    const char *s = buf;
    size_t len = MIN(count, (size_t)KMSG_LINE - 1), skip = 0;
    int level = LOG_INFO; /* Linux's default for user messages */
    if (len >= 3 && s[0] == '<' && s[1] >= '0' && s[1] <= '7' && s[2] == '>') {
        level = s[1] - '0';
        skip = 3;
    }
    while (len > skip && s[len - 1] == '\n')
        len--;
    printk(level, "%.*s\n", (int)(len - skip), s + skip);
    return (ssize_t)count;
}

static const struct file_ops kmsg_ops = {
    .open = kmsg_open, .read = kmsg_read, .write = kmsg_write, .release = kmsg_release};

void kmsg_register(void)
{
    chardev_register(1, 11, &kmsg_ops);
}
