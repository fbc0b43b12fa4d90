/* The line discipline: the pure part of a terminal between the device and read(2)/write(2). Input
 * processing (CR/NL mapping, signal characters), canonical line editing with echo, non-canonical
 * input, and output processing (OPOST). No locks, no sleeping: the tty core serialises calls and
 * does the blocking; host-tested in tests/host/test_ldisc.c. */
#pragma once
#include <kestrel/types.h>
#include <uapi/termios.h>

/* Committed input (read(2) takes from here) and the line being edited; Linux's buffer is 4096 too. */
#define LDISC_BUF      4096
#define LDISC_LINE_MAX 4096

/* The Linux signal numbers the signal characters raise. */
#define LDISC_SIGINT  2
#define LDISC_SIGQUIT 3
#define LDISC_SIGTSTP 20

struct ldisc_ops {
    /* Sends output-processed bytes (echo, or what ldisc_write was given) to the device. */
    void (*output)(void *ctx, const char *s, size_t n);
    /* A signal character was typed (ISIG): sig is LDISC_SIGINT, LDISC_SIGQUIT or LDISC_SIGTSTP. */
    void (*signal)(void *ctx, int sig);
};

struct ldisc {
    struct termios termios;
    /* A ring of committed input: data[i] with flags[i]. In canonical mode every entry belongs to a
     * finished line, so "the ring is not empty" means "read(2) returns now" in both modes. */
    uint8_t data[LDISC_BUF];
    uint8_t flags[LDISC_BUF];
    size_t head;  /* index of the oldest entry */
    size_t count; /* entries in the ring */
    size_t eofs;  /* how many of them are end-of-file markers */
    /* The canonical line being edited: not readable until a line delimiter or VEOF commits it. */
    char line[LDISC_LINE_MAX];
    size_t line_len;
    unsigned column;      /* output column, for erasing tabs and expanding them */
    unsigned line_column; /* the column the edit line's echo starts at */
    bool lnext;           /* VLNEXT was typed: the next byte is taken literally */
    const struct ldisc_ops *ops;
    void *ctx;
};

/* Linux's defaults (tty_std_termios) plus IUTF8: canonical, echo, ^C ^\ ^Z ^D ^U ^W ^R ^V, DEL erases. */
void ldisc_default_termios(struct termios *t);
void ldisc_init(struct ldisc *ld, const struct ldisc_ops *ops, void *ctx);
/* Bytes typed on the device. May echo (ops->output) and raise signals (ops->signal). */
void ldisc_receive(struct ldisc *ld, const char *buf, size_t n);
/* Takes up to n bytes of committed input. In canonical mode stops after a line's last byte and sets
 * *line_end; an end-of-file marker at the front is consumed, returning 0 with *line_end set. */
size_t ldisc_read(struct ldisc *ld, char *buf, size_t n, bool *line_end);
/* Entries a read would take from now (bytes plus end-of-file markers); 0 means a read would block. */
static inline size_t ldisc_ready(const struct ldisc *ld)
{
    return ld->count;
}
/* Bytes of committed input, as FIONREAD reports them. */
static inline size_t ldisc_bytes(const struct ldisc *ld)
{
    return ld->count - ld->eofs;
}
/* Installs new settings; a switch between canonical and non-canonical mode keeps typed input
 * readable (the edit line is committed, raw input becomes a line). */
void ldisc_set_termios(struct ldisc *ld, const struct termios *t);
/* Discards typed input, committed and being edited. */
void ldisc_flush_input(struct ldisc *ld);
/* Output processing of what a program writes, sent through ops->output. */
void ldisc_write(struct ldisc *ld, const char *s, size_t n);
