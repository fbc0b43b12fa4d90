/* The VT100/ANSI (ECMA-48) escape-sequence layer of the screen console: a pure state machine that
 * turns what programs write into text-grid operations, with the subset busybox vi, sh and less use.
 * Host-tested in tests/host/test_vt100.c; docs/tty.md lists the sequences. */
#pragma once
#include "textgrid.h"

#define VT100_MAX_PARAMS 16
#define VT100_REPLY_MAX  32

enum vt100_state {
    VT_GROUND,    /* text */
    VT_ESC,       /* after ESC */
    VT_ESC_INTER, /* ESC and an intermediate byte ("ESC ( B"): waits for the final byte */
    VT_CSI,       /* ESC [ parameters */
    VT_STRING,    /* OSC/DCS/APC/PM string: swallowed until BEL or ESC \ */
    VT_STRING_ESC,
};

/* What text is drawn with: SGR state. Colours are enum screen_colour. */
struct vt100_attr {
    uint8_t fg, bg;
    bool bold, reverse;
};

struct vt100 {
    struct textgrid *g;
    enum vt100_state state;
    unsigned params[VT100_MAX_PARAMS];
    unsigned nparams;  /* parameters begun so far (0: none given) */
    char private_mark; /* '?' or '>' (0x3c-0x3f) before the parameters, or 0 */
    char inter;        /* an intermediate byte (0x20-0x2f), or 0 */
    struct vt100_attr attr;
    /* DECSC/DECRC (ESC 7/8, CSI s/u): cursor and rendition. */
    unsigned saved_row, saved_col;
    struct vt100_attr saved_attr;
    /* The main screen while the alternate one (CSI ?1049h) shows; NULL when the caller gave no room,
     * and then leaving the alternate screen just clears it. */
    struct textcell *alt_save;
    bool in_alt;
    /* Answers to status requests (CSI 6n, CSI 5n, CSI c) waiting to be "typed" into the tty. */
    char reply[VT100_REPLY_MAX];
    size_t reply_len;
};

/* alt_save holds g->rows * g->cols cells, or is NULL. */
void vt100_init(struct vt100 *vt, struct textgrid *g, struct textcell *alt_save);
/* Interprets s into the grid without drawing it (the caller flushes). */
void vt100_write(struct vt100 *vt, const char *s, size_t n);
/* Takes up to n bytes of pending replies; returns how many. */
size_t vt100_take_reply(struct vt100 *vt, char *buf, size_t n);
