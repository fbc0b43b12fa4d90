/* VT100/ANSI escape sequences for the screen console: a byte-at-a-time state machine (ground, ESC,
 * CSI, strings) whose actions are text-grid operations. Unknown sequences are consumed and ignored,
 * so a program using more than we implement garbles nothing but its own effect. */
#include "vt100.h"
#include <kestrel/format.h>
#include <kestrel/screen.h>
#include <kestrel/string.h>

#define ESC       0x1b
#define CAN       0x18
#define SUB       0x1a
#define BEL       0x07
#define PARAM_MAX 9999 /* bigger numbers only clamp anyway; stops overflow */

static const struct vt100_attr default_attr = {.fg = SCREEN_DEFAULT_FG, .bg = SCREEN_DEFAULT_BG};

/* Bold shows as the bright variant of the eight basic colours, as on the Linux console. */
static void apply_attr(struct vt100 *vt)
{
    const struct vt100_attr *a = &vt->attr;
    uint8_t fg = a->bold && a->fg < 8 ? a->fg + 8 : a->fg, bg = a->bg;
    if (a->reverse)
        textgrid_set_colour(vt->g, bg, fg);
    else
        textgrid_set_colour(vt->g, fg, bg);
}

void vt100_init(struct vt100 *vt, struct textgrid *g, struct textcell *alt_save)
{
    memset(vt, 0, sizeof(*vt));
    vt->g = g;
    vt->alt_save = alt_save;
    vt->attr = vt->saved_attr = default_attr;
    apply_attr(vt);
}

static void reply(struct vt100 *vt, const char *s)
{
    size_t n = strlen(s);
    if (vt->reply_len + n > sizeof(vt->reply))
        return; /* nobody is reading the answers: drop new ones */
    memcpy(vt->reply + vt->reply_len, s, n);
    vt->reply_len += n;
}

size_t vt100_take_reply(struct vt100 *vt, char *buf, size_t n)
{
    n = MIN(n, vt->reply_len);
    memcpy(buf, vt->reply, n);
    memmove(vt->reply, vt->reply + n, vt->reply_len - n);
    vt->reply_len -= n;
    return n;
}

/* Parameter i, with def standing in for a missing or zero value where the sequence says so. */
static unsigned param(const struct vt100 *vt, unsigned i, unsigned def)
{
    unsigned v = i < vt->nparams ? vt->params[i] : 0;
    return v ? v : def;
}

static void save_cursor(struct vt100 *vt)
{
    vt->saved_row = vt->g->row;
    vt->saved_col = vt->g->col;
    vt->saved_attr = vt->attr;
}

static void restore_cursor(struct vt100 *vt)
{
    textgrid_goto(vt->g, vt->saved_row, vt->saved_col);
    vt->attr = vt->saved_attr;
    apply_attr(vt);
}

static void erase_rows(struct textgrid *g, unsigned from, unsigned to)
{
    for (unsigned r = from; r < to; r++)
        textgrid_erase(g, r, 0, g->cols);
}

/* ED: 0 from the cursor to the end, 1 from the start through the cursor, 2 (and 3) everything. */
static void erase_display(struct textgrid *g, unsigned mode)
{
    if (mode == 0) {
        textgrid_erase(g, g->row, g->col, g->cols);
        erase_rows(g, g->row + 1, g->rows);
    } else if (mode == 1) {
        erase_rows(g, 0, g->row);
        textgrid_erase(g, g->row, 0, g->col + 1);
    } else {
        erase_rows(g, 0, g->rows);
    }
}

/* EL: 0 from the cursor to the end of the line, 1 from its start through the cursor, 2 all of it. */
static void erase_line(struct textgrid *g, unsigned mode)
{
    if (mode == 0)
        textgrid_erase(g, g->row, g->col, g->cols);
    else if (mode == 1)
        textgrid_erase(g, g->row, 0, g->col + 1);
    else
        textgrid_erase(g, g->row, 0, g->cols);
}

/* 38;5;n and 48;5;n pick from a 256-colour palette whose first 16 entries are ours; 38;2;r;g;b is
 * true colour. Both consume their arguments; colours we cannot show become the default. Returns the
 * index of the last parameter used. */
static unsigned extended_colour(struct vt100 *vt, unsigned i, uint8_t *out, uint8_t def)
{
    unsigned kind = param(vt, i + 1, 0);
    if (kind == 5) {
        unsigned n = param(vt, i + 2, 0);
        *out = n < SCREEN_NCOLOURS ? (uint8_t)n : def;
        return i + 2;
    }
    if (kind == 2) {
        *out = def;
        return i + 4;
    }
    return i + 1;
}

static void sgr(struct vt100 *vt)
{
    struct vt100_attr *a = &vt->attr;
    unsigned n = vt->nparams ? vt->nparams : 1;
    for (unsigned i = 0; i < n; i++) {
        unsigned p = vt->params[i];
        if (p == 0)
            *a = default_attr;
        else if (p == 1)
            a->bold = true;
        else if (p == 22)
            a->bold = false;
        else if (p == 7)
            a->reverse = true;
        else if (p == 27)
            a->reverse = false;
        else if (p >= 30 && p <= 37)
            a->fg = (uint8_t)(p - 30);
        else if (p >= 40 && p <= 47)
            a->bg = (uint8_t)(p - 40);
        else if (p >= 90 && p <= 97)
            a->fg = (uint8_t)(p - 90 + 8);
        else if (p >= 100 && p <= 107)
            a->bg = (uint8_t)(p - 100 + 8);
        else if (p == 39)
            a->fg = SCREEN_DEFAULT_FG;
        else if (p == 49)
            a->bg = SCREEN_DEFAULT_BG;
        else if (p == 38)
            i = extended_colour(vt, i, &a->fg, SCREEN_DEFAULT_FG);
        else if (p == 48)
            i = extended_colour(vt, i, &a->bg, SCREEN_DEFAULT_BG);
        /* Underline, blink, dim, italic: the console cannot show them. */
    }
    apply_attr(vt);
}

static void alt_screen(struct vt100 *vt, bool on, bool with_cursor)
{
    struct textgrid *g = vt->g;
    if (on == vt->in_alt)
        return;
    if (on) {
        if (with_cursor)
            save_cursor(vt);
        if (vt->alt_save)
            textgrid_save(g, vt->alt_save);
        erase_rows(g, 0, g->rows);
    } else {
        if (vt->alt_save)
            textgrid_restore(g, vt->alt_save);
        else
            erase_rows(g, 0, g->rows);
        if (with_cursor)
            restore_cursor(vt);
    }
    vt->in_alt = on;
}

/* DEC private modes (CSI ? n h/l): cursor visibility and the alternate screen. */
static void dec_mode(struct vt100 *vt, bool on)
{
    for (unsigned i = 0; i < vt->nparams; i++) {
        unsigned m = vt->params[i];
        if (m == 25)
            textgrid_show_cursor(vt->g, on);
        else if (m == 1049)
            alt_screen(vt, on, true);
        else if (m == 47 || m == 1047)
            alt_screen(vt, on, false);
    }
}

static void status_report(struct vt100 *vt)
{
    char buf[VT100_REPLY_MAX];
    unsigned what = param(vt, 0, 0);
    if (what == 6) {
        ksnprintf(buf, sizeof(buf), "\x1b[%u;%uR", vt->g->row + 1, vt->g->col + 1);
        reply(vt, buf);
    } else if (what == 5) {
        reply(vt, "\x1b[0n");
    }
}

/* Cursor moves that stop at the scrolling region's margins when they start inside it. */
static unsigned row_up(const struct textgrid *g, unsigned n)
{
    unsigned floor = g->row >= g->scroll_top ? g->scroll_top : 0;
    return g->row >= floor + n ? g->row - n : floor;
}

static unsigned row_down(const struct textgrid *g, unsigned n)
{
    unsigned ceil = g->row <= g->scroll_bot ? g->scroll_bot : g->rows - 1;
    return g->row + n <= ceil ? g->row + n : ceil;
}

static void set_region(struct vt100 *vt)
{
    struct textgrid *g = vt->g;
    unsigned top = param(vt, 0, 1), bot = param(vt, 1, g->rows);
    textgrid_set_region(g, top - 1, MIN(bot, g->rows) - 1);
    textgrid_goto(g, 0, 0);
}

/* Lines inserted or deleted at the cursor row push the rest of the scrolling region down or up. */
static void insert_delete_lines(struct vt100 *vt, int n)
{
    struct textgrid *g = vt->g;
    if (g->row < g->scroll_top || g->row > g->scroll_bot)
        return;
    textgrid_scroll(g, g->row, g->scroll_bot, n);
    textgrid_goto(g, g->row, g->col);
}

static void csi_cursor(struct vt100 *vt, char final)
{
    struct textgrid *g = vt->g;
    unsigned n = param(vt, 0, 1);
    switch (final) {
    case 'A':
        textgrid_goto(g, row_up(g, n), g->col);
        break;
    case 'B':
    case 'e':
        textgrid_goto(g, row_down(g, n), g->col);
        break;
    case 'C':
    case 'a':
        textgrid_goto(g, g->row, g->col + n);
        break;
    case 'D':
        textgrid_goto(g, g->row, g->col >= n ? g->col - n : 0);
        break;
    case 'E':
        textgrid_goto(g, row_down(g, n), 0);
        break;
    case 'F':
        textgrid_goto(g, row_up(g, n), 0);
        break;
    case 'G':
    case '`':
        textgrid_goto(g, g->row, n - 1);
        break;
    case 'd':
        textgrid_goto(g, n - 1, g->col);
        break;
    case 'H':
    case 'f':
        textgrid_goto(g, n - 1, param(vt, 1, 1) - 1);
        break;
    }
}

static void csi_dispatch(struct vt100 *vt, char final)
{
    struct textgrid *g = vt->g;
    if (vt->private_mark == '?') {
        if (final == 'h' || final == 'l')
            dec_mode(vt, final == 'h');
        return;
    }
    if (vt->private_mark || vt->inter)
        return; /* secondary attributes, xterm extensions, ...: not ours */
    unsigned n = param(vt, 0, 1);
    switch (final) {
    case 'J':
        erase_display(g, param(vt, 0, 0));
        break;
    case 'K':
        erase_line(g, param(vt, 0, 0));
        break;
    case 'L':
        insert_delete_lines(vt, -(int)MIN(n, g->rows));
        break;
    case 'M':
        insert_delete_lines(vt, (int)MIN(n, g->rows));
        break;
    case '@':
        textgrid_insert_cells(g, n);
        break;
    case 'P':
        textgrid_delete_cells(g, n);
        break;
    case 'X':
        textgrid_erase(g, g->row, g->col, g->col + n);
        break;
    case 'S':
        textgrid_scroll(g, g->scroll_top, g->scroll_bot, (int)MIN(n, g->rows));
        break;
    case 'T':
        textgrid_scroll(g, g->scroll_top, g->scroll_bot, -(int)MIN(n, g->rows));
        break;
    case 'm':
        sgr(vt);
        break;
    case 'r':
        set_region(vt);
        break;
    case 's':
        save_cursor(vt);
        break;
    case 'u':
        restore_cursor(vt);
        break;
    case 'n':
        status_report(vt);
        break;
    case 'c':
        if (param(vt, 0, 0) == 0)
            reply(vt, "\x1b[?6c"); /* "I am a VT102", as the Linux console answers */
        break;
    default:
        csi_cursor(vt, final);
    }
}

/* ESC c: back to the power-on state, screen cleared. */
static void full_reset(struct vt100 *vt)
{
    struct textgrid *g = vt->g;
    vt->in_alt = false;
    vt->attr = vt->saved_attr = default_attr;
    vt->saved_row = vt->saved_col = 0;
    apply_attr(vt);
    textgrid_set_region(g, 0, g->rows - 1);
    textgrid_show_cursor(g, true);
    erase_rows(g, 0, g->rows);
    textgrid_goto(g, 0, 0);
}

/* C0 controls act even in the middle of a sequence, as on a VT100. */
static void control(struct vt100 *vt, uint8_t c)
{
    if (c == 0x0b || c == 0x0c)
        c = '\n'; /* VT and FF move down like LF */
    char ch = (char)c;
    textgrid_put(vt->g, &ch, 1);
}

static void esc_dispatch(struct vt100 *vt, uint8_t c)
{
    struct textgrid *g = vt->g;
    vt->state = VT_GROUND;
    switch (c) {
    case '[':
        memset(vt->params, 0, sizeof(vt->params));
        vt->nparams = 0;
        vt->private_mark = vt->inter = 0;
        vt->state = VT_CSI;
        return;
    case ']':
    case 'P':
    case 'X':
    case '^':
    case '_':
        vt->state = VT_STRING;
        return;
    case '7':
        save_cursor(vt);
        return;
    case '8':
        restore_cursor(vt);
        return;
    case 'D':
        textgrid_line_feed(g);
        return;
    case 'E':
        textgrid_goto(g, g->row, 0);
        textgrid_line_feed(g);
        return;
    case 'M':
        textgrid_reverse_index(g);
        return;
    case 'c':
        full_reset(vt);
        return;
    }
    if (c >= 0x20 && c <= 0x2f)
        vt->state = VT_ESC_INTER; /* charset designation and friends: ignore with their final byte */
}

static void csi_byte(struct vt100 *vt, uint8_t c)
{
    if (c >= '0' && c <= '9') {
        if (vt->nparams == 0)
            vt->nparams = 1;
        unsigned *p = &vt->params[vt->nparams - 1];
        *p = MIN(*p * 10 + (c - '0'), PARAM_MAX);
    } else if (c == ';' || c == ':') {
        if (vt->nparams == 0)
            vt->nparams = 1;
        if (vt->nparams < VT100_MAX_PARAMS)
            vt->nparams++;
    } else if (c >= 0x3c && c <= 0x3f) {
        vt->private_mark = (char)c;
    } else if (c >= 0x20 && c <= 0x2f) {
        vt->inter = (char)c;
    } else if (c >= 0x40 && c <= 0x7e) {
        vt->state = VT_GROUND;
        csi_dispatch(vt, (char)c);
    }
}

/* One byte of a sequence (state is not VT_GROUND). */
static void sequence_byte(struct vt100 *vt, uint8_t c)
{
    if (c == CAN || c == SUB) {
        vt->state = VT_GROUND;
        return;
    }
    if (vt->state == VT_STRING || vt->state == VT_STRING_ESC) {
        if (c == BEL || (vt->state == VT_STRING_ESC && c == '\\'))
            vt->state = VT_GROUND;
        else
            vt->state = c == ESC ? VT_STRING_ESC : VT_STRING;
        return;
    }
    if (c == ESC) {
        vt->state = VT_ESC;
        return;
    }
    if (c < 0x20) {
        control(vt, c);
        return;
    }
    if (vt->state == VT_ESC)
        esc_dispatch(vt, c);
    else if (vt->state == VT_ESC_INTER)
        vt->state = c >= 0x30 && c <= 0x7e ? VT_GROUND : VT_ESC_INTER;
    else
        csi_byte(vt, c);
}

/* How many bytes from s are plain text for the grid: up to an ESC or a control the grid lacks. */
static size_t text_run(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] != ESC && s[i] != 0x0b && s[i] != 0x0c)
        i++;
    return i;
}

void vt100_write(struct vt100 *vt, const char *s, size_t n)
{
    size_t i = 0;
    apply_attr(vt); /* others (printk) may have drawn in their colours since */
    while (i < n) {
        if (vt->state != VT_GROUND) {
            sequence_byte(vt, (uint8_t)s[i++]);
            continue;
        }
        size_t run = text_run(s + i, n - i);
        if (run) {
            textgrid_put(vt->g, s + i, run);
            i += run;
            continue;
        }
        uint8_t c = (uint8_t)s[i++];
        if (c == ESC)
            vt->state = VT_ESC;
        else
            control(vt, c);
    }
}
