/* The text buffer procfs files are generated into: doubles when a line does not fit. */
#include <kestrel/format.h>
#include <kestrel/kmalloc.h>
#include <kestrel/string.h>
#include "internal.h"

#define PBUF_FIRST 4096

static bool grow(struct pbuf *b, size_t need)
{
    if (b->err)
        return false;
    if (b->len + need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : PBUF_FIRST;
    while (cap < b->len + need)
        cap *= 2;
    char *data = kmalloc(cap);
    if (!data) {
        b->err = -ENOMEM;
        return false;
    }
    if (b->len)
        memcpy(data, b->data, b->len);
    kfree(b->data);
    b->data = data;
    b->cap = cap;
    return true;
}

void pb_putn(struct pbuf *b, const char *s, size_t n)
{
    if (!grow(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

void pb_printf(struct pbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char line[256];
    int n = kvsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < (int)sizeof(line)) {
        pb_putn(b, line, (size_t)n);
        return;
    }
    /* Longer than a line buffer: format again straight into the grown buffer. */
    if (!grow(b, (size_t)n + 1))
        return;
    va_start(ap, fmt);
    kvsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}
