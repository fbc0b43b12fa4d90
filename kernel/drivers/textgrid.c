/* The text grid behind the screen consoles: UTF-8 decoding, cursor movement, line wrap, scrolling,
 * and a redraw that sends the backend only the cells that differ from what it shows. */
#include "textgrid.h"
#include <kestrel/string.h>

#define TAB_WIDTH      8
#define CP_REPLACEMENT 0xfffd
#define CURSOR_UNSET   UINT32_MAX

static struct textcell *row_cells(const struct textgrid *g, unsigned r)
{
    return &g->cells[((g->top + r) % g->rows) * g->cols];
}

static struct textcell blank(const struct textgrid *g)
{
    return (struct textcell){.ch = g->space, .fg = g->fg, .bg = g->bg};
}

static void fill(struct textcell *c, size_t n, struct textcell v)
{
    for (size_t i = 0; i < n; i++)
        c[i] = v;
}

static void mark_dirty(struct textgrid *g, unsigned lo, unsigned hi)
{
    g->dirty_lo = MIN(g->dirty_lo, lo);
    g->dirty_hi = MAX(g->dirty_hi, hi);
}

void textgrid_init(struct textgrid *g, unsigned cols, unsigned rows, struct textcell *cells,
                   struct textcell *shown, const struct textgrid_ops *ops, void *ctx, uint8_t fg, uint8_t bg)
{
    *g = (struct textgrid){
        .cols = cols,
        .rows = rows,
        .cells = cells,
        .shown = shown,
        .fg = fg,
        .bg = bg,
        .ops = ops,
        .ctx = ctx,
        .space = ops->map(' '),
        .cursor_row = CURSOR_UNSET,
        .cursor_col = CURSOR_UNSET,
        .dirty_lo = rows,
        .scroll_bot = rows - 1,
    };
    fill(cells, (size_t)rows * cols, blank(g));
    fill(shown, (size_t)rows * cols, blank(g));
    /* Nothing differs yet, but the first flush must place the cursor. */
    mark_dirty(g, 0, 1);
}

/* Scrolling only advances the ring: the old top row becomes the new, cleared, bottom row. */
static void scroll_up(struct textgrid *g)
{
    g->top = (g->top + 1) % g->rows;
    fill(row_cells(g, g->rows - 1), g->cols, blank(g));
    mark_dirty(g, 0, g->rows);
}

void textgrid_line_feed(struct textgrid *g)
{
    g->wrap_pending = false;
    if (g->row == g->scroll_bot)
        textgrid_scroll(g, g->scroll_top, g->scroll_bot, 1);
    else if (g->row + 1 < g->rows)
        g->row++;
}

static void newline(struct textgrid *g)
{
    g->col = 0;
    textgrid_line_feed(g);
}

static void put_printable(struct textgrid *g, uint32_t cp)
{
    if (g->wrap_pending)
        newline(g);
    row_cells(g, g->row)[g->col] = (struct textcell){.ch = g->ops->map(cp), .fg = g->fg, .bg = g->bg};
    mark_dirty(g, g->row, g->row + 1);
    if (g->col + 1 < g->cols)
        g->col++;
    else
        g->wrap_pending = true;
}

/* Control characters move the cursor without writing; tab and backspace never wrap, as on a VT100. */
static void put_cp(struct textgrid *g, uint32_t cp)
{
    switch (cp) {
    case '\n':
        /* The kernel writes bare LF and means a new line, as the serial console assumes too; a tty
         * (whose ONLCR already sent CR) asks for a VT100's plain line feed. */
        if (g->lf_keeps_column)
            textgrid_line_feed(g);
        else
            newline(g);
        return;
    case '\r':
        g->col = 0;
        g->wrap_pending = false;
        return;
    case '\t':
        g->col = MIN((g->col / TAB_WIDTH + 1) * TAB_WIDTH, g->cols - 1);
        g->wrap_pending = false;
        return;
    case '\b':
        if (g->col > 0 && !g->wrap_pending)
            g->col--;
        g->wrap_pending = false;
        return;
    }
    /* Other C0 and C1 controls (and DEL) draw nothing; escape sequences are for a later terminal layer. */
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
        return;
    put_printable(g, cp);
}

/* Returns the number of continuation bytes a UTF-8 lead byte announces, or -1 for a byte that
 * cannot start a sequence; *bits gets the lead byte's payload. */
static int utf8_lead(uint8_t b, uint32_t *bits)
{
    if (b < 0x80) {
        *bits = b;
        return 0;
    }
    if (b >= 0xc2 && b <= 0xdf) {
        *bits = b & 0x1f;
        return 1;
    }
    if (b >= 0xe0 && b <= 0xef) {
        *bits = b & 0x0f;
        return 2;
    }
    if (b >= 0xf0 && b <= 0xf4) {
        *bits = b & 0x07;
        return 3;
    }
    return -1;
}

static void put_byte(struct textgrid *g, uint8_t b)
{
    if (g->utf8_need && (b & 0xc0) == 0x80) {
        g->utf8_cp = g->utf8_cp << 6 | (b & 0x3f);
        if (--g->utf8_need == 0)
            put_cp(g, g->utf8_cp <= 0x10ffff ? g->utf8_cp : CP_REPLACEMENT);
        return;
    }
    if (g->utf8_need) {
        /* A sequence cut short shows as one replacement; the byte that cut it starts afresh. */
        g->utf8_need = 0;
        put_cp(g, CP_REPLACEMENT);
    }
    int need = utf8_lead(b, &g->utf8_cp);
    if (need < 0)
        put_cp(g, CP_REPLACEMENT);
    else if (need == 0)
        put_cp(g, g->utf8_cp);
    else
        g->utf8_need = (unsigned)need;
}

void textgrid_put(struct textgrid *g, const char *s, size_t n)
{
    /* The cursor row is redrawn before and after: a soft cursor leaves one cell and enters another. */
    mark_dirty(g, g->row, g->row + 1);
    for (size_t i = 0; i < n; i++)
        put_byte(g, (uint8_t)s[i]);
    mark_dirty(g, g->row, g->row + 1);
}

static bool same(struct textcell a, struct textcell b)
{
    return a.ch == b.ch && a.fg == b.fg && a.bg == b.bg;
}

static void flush_row(struct textgrid *g, unsigned r)
{
    const struct textcell *want = row_cells(g, r);
    struct textcell *shown = &g->shown[(size_t)r * g->cols];
    bool soft_cursor = !g->ops->cursor && !g->cursor_hidden && r == g->row;
    for (unsigned c = 0; c < g->cols; c++) {
        struct textcell w = want[c];
        if (soft_cursor && c == g->col)
            w = (struct textcell){.ch = w.ch, .fg = w.bg, .bg = w.fg};
        if (same(w, shown[c]))
            continue;
        g->ops->draw(g->ctx, r, c, w);
        shown[c] = w;
    }
}

void textgrid_flush(struct textgrid *g)
{
    for (unsigned r = g->dirty_lo; r < g->dirty_hi; r++)
        flush_row(g, r);
    g->dirty_lo = g->rows;
    g->dirty_hi = 0;
    if (g->ops->cursor_visible && g->cursor_hidden != g->cursor_hidden_shown) {
        g->ops->cursor_visible(g->ctx, !g->cursor_hidden);
        g->cursor_hidden_shown = g->cursor_hidden;
    }
    if (g->ops->cursor && (g->cursor_row != g->row || g->cursor_col != g->col)) {
        g->ops->cursor(g->ctx, g->row, g->col);
        g->cursor_row = g->row;
        g->cursor_col = g->col;
    }
}

void textgrid_write(struct textgrid *g, const char *s, size_t n)
{
    textgrid_put(g, s, n);
    textgrid_flush(g);
}

void textgrid_set_colour(struct textgrid *g, uint8_t fg, uint8_t bg)
{
    g->fg = fg;
    g->bg = bg;
}

struct textcell textgrid_cell(const struct textgrid *g, unsigned row, unsigned col)
{
    return row_cells(g, row)[col];
}

void textgrid_goto(struct textgrid *g, unsigned row, unsigned col)
{
    /* Both rows are redrawn: a soft cursor leaves one and enters the other. */
    mark_dirty(g, g->row, g->row + 1);
    g->row = MIN(row, g->rows - 1);
    g->col = MIN(col, g->cols - 1);
    g->wrap_pending = false;
    mark_dirty(g, g->row, g->row + 1);
}

void textgrid_erase(struct textgrid *g, unsigned row, unsigned col0, unsigned col1)
{
    if (row >= g->rows)
        return;
    col1 = MIN(col1, g->cols);
    if (col0 >= col1)
        return;
    fill(row_cells(g, row) + col0, col1 - col0, blank(g));
    mark_dirty(g, row, row + 1);
}

static void copy_row(struct textgrid *g, unsigned to, unsigned from)
{
    memcpy(row_cells(g, to), row_cells(g, from), g->cols * sizeof(struct textcell));
}

void textgrid_scroll(struct textgrid *g, unsigned top, unsigned bot, int n)
{
    bot = MIN(bot, g->rows - 1);
    if (top > bot || n == 0)
        return;
    unsigned height = bot - top + 1, k = (unsigned)(n > 0 ? n : -n);
    k = MIN(k, height);
    if (n > 0 && top == 0 && bot == g->rows - 1) {
        /* The whole screen: advancing the ring moves no text. */
        for (unsigned i = 0; i < k; i++)
            scroll_up(g);
        return;
    }
    if (n > 0) {
        for (unsigned r = top; r + k <= bot; r++)
            copy_row(g, r, r + k);
        for (unsigned r = bot + 1 - k; r <= bot; r++)
            textgrid_erase(g, r, 0, g->cols);
    } else {
        for (unsigned r = bot; r >= top + k; r--)
            copy_row(g, r, r - k);
        for (unsigned r = top; r < top + k; r++)
            textgrid_erase(g, r, 0, g->cols);
    }
    mark_dirty(g, top, bot + 1);
}

void textgrid_set_region(struct textgrid *g, unsigned top, unsigned bot)
{
    if (bot >= g->rows || top >= bot) {
        top = 0;
        bot = g->rows - 1;
    }
    g->scroll_top = top;
    g->scroll_bot = bot;
}

void textgrid_reverse_index(struct textgrid *g)
{
    g->wrap_pending = false;
    if (g->row == g->scroll_top)
        textgrid_scroll(g, g->scroll_top, g->scroll_bot, -1);
    else if (g->row > 0)
        textgrid_goto(g, g->row - 1, g->col);
}

void textgrid_insert_cells(struct textgrid *g, unsigned n)
{
    struct textcell *row = row_cells(g, g->row);
    n = MIN(n, g->cols - g->col);
    memmove(row + g->col + n, row + g->col, (g->cols - g->col - n) * sizeof(*row));
    fill(row + g->col, n, blank(g));
    g->wrap_pending = false;
    mark_dirty(g, g->row, g->row + 1);
}

void textgrid_delete_cells(struct textgrid *g, unsigned n)
{
    struct textcell *row = row_cells(g, g->row);
    n = MIN(n, g->cols - g->col);
    memmove(row + g->col, row + g->col + n, (g->cols - g->col - n) * sizeof(*row));
    fill(row + g->cols - n, n, blank(g));
    g->wrap_pending = false;
    mark_dirty(g, g->row, g->row + 1);
}

void textgrid_show_cursor(struct textgrid *g, bool on)
{
    g->cursor_hidden = !on;
    mark_dirty(g, g->row, g->row + 1);
}

void textgrid_save(const struct textgrid *g, struct textcell *out)
{
    for (unsigned r = 0; r < g->rows; r++)
        memcpy(out + (size_t)r * g->cols, row_cells(g, r), g->cols * sizeof(*out));
}

void textgrid_restore(struct textgrid *g, const struct textcell *in)
{
    for (unsigned r = 0; r < g->rows; r++)
        memcpy(row_cells(g, r), in + (size_t)r * g->cols, g->cols * sizeof(*in));
    mark_dirty(g, 0, g->rows);
}
