/* Host tests for the byte ring buffer used by the kernel log and the keyboard. */
#include "htest.h"
#include <kestrel/ringbuf.h>
#include <string.h>

HTEST(ringbuf_rejects_non_power_of_two)
{
    uint8_t mem[12];
    struct ringbuf r;
    HEXPECT(t, !ringbuf_init(&r, mem, 12));
    HEXPECT(t, !ringbuf_init(&r, mem, 0));
    HEXPECT(t, ringbuf_init(&r, mem, 8));
}

HTEST(ringbuf_fifo_order_and_wrap)
{
    uint8_t mem[8], out[8];
    struct ringbuf r;
    ringbuf_init(&r, mem, sizeof(mem));
    HEXPECT_EQ(t, ringbuf_write(&r, "abcdef", 6), 6);
    HEXPECT_EQ(t, ringbuf_read(&r, out, 4), 4);
    HEXPECT(t, memcmp(out, "abcd", 4) == 0);
    /* This write wraps around the end of the storage. */
    HEXPECT_EQ(t, ringbuf_write(&r, "ghijkl", 6), 6);
    HEXPECT_EQ(t, ringbuf_len(&r), 8);
    HEXPECT_EQ(t, ringbuf_write(&r, "x", 1), 0);
    HEXPECT_EQ(t, ringbuf_read(&r, out, 8), 8);
    HEXPECT(t, memcmp(out, "efghijkl", 8) == 0);
    HEXPECT_EQ(t, ringbuf_read(&r, out, 8), 0);
}

HTEST(ringbuf_overwrite_keeps_newest)
{
    uint8_t mem[8], out[8];
    struct ringbuf r;
    ringbuf_init(&r, mem, sizeof(mem));
    ringbuf_write_overwrite(&r, "01234", 5);
    ringbuf_write_overwrite(&r, "56789", 5);
    HEXPECT_EQ(t, ringbuf_len(&r), 8);
    HEXPECT_EQ(t, ringbuf_peek(&r, 0, out, 8), 8);
    HEXPECT(t, memcmp(out, "23456789", 8) == 0);
    ringbuf_write_overwrite(&r, "abcdefghijkl", 12);
    HEXPECT_EQ(t, ringbuf_read(&r, out, 8), 8);
    HEXPECT(t, memcmp(out, "efghijkl", 8) == 0);
}

HTEST(ringbuf_peek_offsets)
{
    uint8_t mem[16], out[4];
    struct ringbuf r;
    ringbuf_init(&r, mem, sizeof(mem));
    ringbuf_write(&r, "hello world", 11);
    HEXPECT_EQ(t, ringbuf_peek(&r, 6, out, 4), 4);
    HEXPECT(t, memcmp(out, "worl", 4) == 0);
    HEXPECT_EQ(t, ringbuf_peek(&r, 11, out, 4), 0);
    HEXPECT_EQ(t, ringbuf_peek(&r, 9, out, 4), 2);
}
