/* Byte ring buffer; see ringbuf.h for the head/tail convention. */
#include <kestrel/ringbuf.h>

bool ringbuf_init(struct ringbuf *r, void *mem, size_t cap)
{
    if (cap == 0 || (cap & (cap - 1)))
        return false;
    *r = (struct ringbuf){.data = mem, .cap = cap};
    return true;
}

size_t ringbuf_len(const struct ringbuf *r)
{
    return r->head - r->tail;
}

size_t ringbuf_space(const struct ringbuf *r)
{
    return r->cap - ringbuf_len(r);
}

static void copy_in(struct ringbuf *r, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        r->data[(r->head + i) & (r->cap - 1)] = src[i];
    r->head += n;
}

size_t ringbuf_write(struct ringbuf *r, const void *src, size_t n)
{
    n = MIN(n, ringbuf_space(r));
    copy_in(r, src, n);
    return n;
}

void ringbuf_write_overwrite(struct ringbuf *r, const void *src, size_t n)
{
    const uint8_t *s = src;
    if (n > r->cap) { /* only the newest cap bytes can survive */
        s += n - r->cap;
        n = r->cap;
    }
    if (n > ringbuf_space(r))
        r->tail += n - ringbuf_space(r);
    copy_in(r, s, n);
}

size_t ringbuf_peek(const struct ringbuf *r, size_t offset, void *dst, size_t n)
{
    size_t len = ringbuf_len(r);
    if (offset >= len)
        return 0;
    n = MIN(n, len - offset);
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = r->data[(r->tail + offset + i) & (r->cap - 1)];
    return n;
}

size_t ringbuf_read(struct ringbuf *r, void *dst, size_t n)
{
    n = ringbuf_peek(r, 0, dst, n);
    r->tail += n;
    return n;
}
