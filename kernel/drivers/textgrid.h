/* A device-independent text screen: a grid of character cells with a cursor, the control
 * characters a log console needs, scrolling, and redraw of only the cells that changed. The
 * framebuffer and VGA text consoles are backends that draw one cell. */
#pragma once
#include <kestrel/types.h>

/* What one cell shows: a backend character (a font glyph index or a VGA code-page byte) and two
 * palette indices (enum screen_colour). */
struct textcell {
    uint16_t ch;
    uint8_t fg, bg;
};

struct textgrid_ops {
    /* Draws one cell at (row, col) of the device. */
    void (*draw)(void *ctx, unsigned row, unsigned col, struct textcell c);
    /* Moves a hardware cursor; NULL asks the grid to show the cursor as an inverted cell. */
    void (*cursor)(void *ctx, unsigned row, unsigned col);
    /* The backend character for a Unicode code point. */
    uint16_t (*map)(uint32_t cp);
    /* Shows or hides a hardware cursor; may be NULL (a soft cursor is hidden by the grid itself). */
    void (*cursor_visible)(void *ctx, bool on);
};

struct textgrid {
    unsigned cols, rows;
    /* rows * cols cells, a ring of rows so scrolling moves no text: screen row r is stored at row
     * (top + r) % rows. */
    struct textcell *cells;
    unsigned top;
    /* rows * cols cells in screen order: what the device shows now, so a redraw touches only the
     * cells that differ and never reads device memory (slow on real framebuffers, and an exit per
     * access for emulated VGA text memory). */
    struct textcell *shown;
    unsigned row, col;
    /* The last column was written: wrap before the next character, not after this one, so a line
     * exactly as wide as the screen followed by '\n' does not leave an empty line. */
    bool wrap_pending;
    uint8_t fg, bg;
    uint16_t space; /* the backend character for ' ', to clear with */
    /* Where a hardware cursor was last put (UINT32_MAX before the first flush). */
    unsigned cursor_row, cursor_col;
    /* Screen rows [dirty_lo, dirty_hi) may differ from what is shown. */
    unsigned dirty_lo, dirty_hi;
    /* A partly received UTF-8 sequence: the bits so far and how many continuation bytes remain. */
    uint32_t utf8_cp;
    unsigned utf8_need;
    const struct textgrid_ops *ops;
    void *ctx;
    /* Terminal state the escape-sequence layer (vt100.c) drives; textgrid_init sets what a log
     * console wants: LF also returns the carriage, the whole screen scrolls, the cursor shows. */
    bool lf_keeps_column;            /* LF only moves down, as on a VT100 (the tty's ONLCR adds CR) */
    unsigned scroll_top, scroll_bot; /* the scrolling region, rows [scroll_top, scroll_bot] */
    bool cursor_hidden;
    bool cursor_hidden_shown; /* what the backend's hardware cursor was last told */
};

/* cells and shown each hold rows * cols entries. Clears the grid; the caller clears the device to
 * bg so that it matches. */
void textgrid_init(struct textgrid *g, unsigned cols, unsigned rows, struct textcell *cells,
                   struct textcell *shown, const struct textgrid_ops *ops, void *ctx, uint8_t fg, uint8_t bg);
/* Puts UTF-8 text into the grid without drawing it. */
void textgrid_put(struct textgrid *g, const char *s, size_t n);
/* Draws every cell that changed since the last flush, and the cursor. */
void textgrid_flush(struct textgrid *g);
/* textgrid_put then textgrid_flush. */
void textgrid_write(struct textgrid *g, const char *s, size_t n);
/* Colours for the text written from now on. */
void textgrid_set_colour(struct textgrid *g, uint8_t fg, uint8_t bg);
/* The cell at screen position (row, col) as the text stands (drawn or not). */
struct textcell textgrid_cell(const struct textgrid *g, unsigned row, unsigned col);

/* Terminal operations for the escape-sequence layer. Rows and columns count from 0 and are clamped
 * to the screen; none of them draws (textgrid_flush does). */
/* Moves the cursor and cancels a pending wrap. */
void textgrid_goto(struct textgrid *g, unsigned row, unsigned col);
/* Blanks columns [col0, col1) of screen row r in the current colours. */
void textgrid_erase(struct textgrid *g, unsigned row, unsigned col0, unsigned col1);
/* Scrolls rows [top, bot] by n rows: up (n > 0, blank rows enter at bot) or down (n < 0). */
void textgrid_scroll(struct textgrid *g, unsigned top, unsigned bot, int n);
/* The region LF and reverse index scroll; an empty or inverted range resets it to the full screen. */
void textgrid_set_region(struct textgrid *g, unsigned top, unsigned bot);
/* Cursor down, scrolling the region when on its bottom row (LF without the carriage return). */
void textgrid_line_feed(struct textgrid *g);
/* Cursor up, scrolling the region down when on its top row. */
void textgrid_reverse_index(struct textgrid *g);
/* Inserts n blank cells at the cursor, shifting the rest of the row right (ICH), or deletes n cells
 * there, shifting the rest left (DCH). */
void textgrid_insert_cells(struct textgrid *g, unsigned n);
void textgrid_delete_cells(struct textgrid *g, unsigned n);
void textgrid_show_cursor(struct textgrid *g, bool on);
/* Copies the screen (rows * cols cells in screen order) out, or back in and redraws it all. */
void textgrid_save(const struct textgrid *g, struct textcell *out);
void textgrid_restore(struct textgrid *g, const struct textcell *in);
