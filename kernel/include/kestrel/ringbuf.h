/* A byte ring buffer with a power-of-two capacity. Pure code (also host-tested); callers bring the
 * memory and the locking. head and tail count bytes ever written and read, so they never wrap in
 * practice and len = head - tail needs no special cases. */
#pragma once
#include <kestrel/types.h>

struct ringbuf {
    uint8_t *data;
    size_t cap;    /* a power of two */
    uint64_t head; /* bytes ever written */
    uint64_t tail; /* bytes ever consumed or dropped */
};

/* cap must be a power of two; returns false otherwise. */
bool ringbuf_init(struct ringbuf *r, void *mem, size_t cap);
size_t ringbuf_len(const struct ringbuf *r);
size_t ringbuf_space(const struct ringbuf *r);
/* Writes as much of src as fits; returns the number of bytes written. */
size_t ringbuf_write(struct ringbuf *r, const void *src, size_t n);
/* Writes all of src, dropping the oldest bytes to make room (a log, not a queue). */
void ringbuf_write_overwrite(struct ringbuf *r, const void *src, size_t n);
size_t ringbuf_read(struct ringbuf *r, void *dst, size_t n);
/* Copies up to n bytes starting offset bytes after the oldest one, without consuming them. */
size_t ringbuf_peek(const struct ringbuf *r, size_t offset, void *dst, size_t n);
