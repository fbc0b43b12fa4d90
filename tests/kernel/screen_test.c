/* KTAP tests of the screen console's text grid (over a fake device that records what it is told to
 * draw) and of the generated font's code-point lookup. */
#include "../../kernel/drivers/font.h"
#include "../../kernel/drivers/textgrid.h"
#include <kestrel/ktest.h>
#include <kestrel/string.h>

#define COLS 10
#define ROWS 3

/* The fake device: what each cell shows, and how many cells were drawn. */
struct fake_screen {
    struct textcell dev[ROWS * COLS];
    unsigned draws;
    unsigned cursor_row, cursor_col;
};

static struct fake_screen fake;
static struct textgrid grid;
static struct textcell cells[ROWS * COLS], shown[ROWS * COLS];

static void fake_draw(void *ctx, unsigned row, unsigned col, struct textcell c)
{
    struct fake_screen *f = ctx;
    f->dev[row * COLS + col] = c;
    f->draws++;
}

static void fake_cursor(void *ctx, unsigned row, unsigned col)
{
    struct fake_screen *f = ctx;
    f->cursor_row = row;
    f->cursor_col = col;
}

/* Code points straight through, so the tests can read cells as text. */
static uint16_t fake_map(uint32_t cp)
{
    return cp < 0x10000 ? (uint16_t)cp : 0xfffd;
}

static const struct textgrid_ops soft_cursor_ops = {.draw = fake_draw, .map = fake_map};
static const struct textgrid_ops hard_cursor_ops = {
    .draw = fake_draw, .cursor = fake_cursor, .map = fake_map};

static void setup(const struct textgrid_ops *ops)
{
    memset(&fake, 0, sizeof(fake));
    textgrid_init(&grid, COLS, ROWS, cells, shown, ops, &fake, 7, 0);
    for (unsigned i = 0; i < ROWS * COLS; i++)
        fake.dev[i] = shown[i];
}

/* True when screen row r of the grid reads text, padded with blanks. */
static bool row_is(unsigned r, const char *text)
{
    size_t n = strlen(text);
    for (unsigned c = 0; c < COLS; c++)
        if (textgrid_cell(&grid, r, c).ch != (c < n ? (uint8_t)text[c] : ' '))
            return false;
    return true;
}

static void put(const char *s)
{
    textgrid_write(&grid, s, strlen(s));
}

static void screen_wraps_long_lines(struct ktest *t)
{
    setup(&hard_cursor_ops);
    put("0123456789abc");
    KTEST_EXPECT(t, row_is(0, "0123456789"));
    KTEST_EXPECT(t, row_is(1, "abc"));
    KTEST_EXPECT_EQ(t, fake.cursor_row, 1);
    KTEST_EXPECT_EQ(t, fake.cursor_col, 3);
}

static void screen_full_width_line_then_newline_leaves_no_gap(struct ktest *t)
{
    setup(&hard_cursor_ops);
    put("0123456789\nx");
    KTEST_EXPECT(t, row_is(0, "0123456789"));
    KTEST_EXPECT(t, row_is(1, "x"));
}

static void screen_scrolls_at_the_bottom(struct ktest *t)
{
    setup(&hard_cursor_ops);
    put("one\ntwo\nthree\nfour\nfive");
    KTEST_EXPECT(t, row_is(0, "three"));
    KTEST_EXPECT(t, row_is(1, "four"));
    KTEST_EXPECT(t, row_is(2, "five"));
    /* The device shows exactly the grid after the redraw. */
    for (unsigned r = 0; r < ROWS; r++)
        for (unsigned c = 0; c < COLS; c++)
            KTEST_EXPECT_EQ(t, fake.dev[r * COLS + c].ch, textgrid_cell(&grid, r, c).ch);
}

static void screen_handles_cr_tab_backspace(struct ktest *t)
{
    setup(&hard_cursor_ops);
    put("abc\rX\n\tY\nab\bZ\b\b\bW");
    KTEST_EXPECT(t, row_is(0, "Xbc"));
    KTEST_EXPECT(t, row_is(1, "        Y"));
    KTEST_EXPECT(t, row_is(2, "WZ")); /* backspace stops at column 0 */
    KTEST_EXPECT_EQ(t, fake.cursor_col, 1);
}

static void screen_decodes_utf8_across_writes(struct ktest *t)
{
    setup(&hard_cursor_ops);
    put("\xc3");
    put("\xa9\xe2\x96\x88"); /* U+00E9, U+2588 */
    put("\xff\xc3"
        "A");
    KTEST_EXPECT_EQ(t, textgrid_cell(&grid, 0, 0).ch, 0xe9);
    KTEST_EXPECT_EQ(t, textgrid_cell(&grid, 0, 1).ch, 0x2588);
    KTEST_EXPECT_EQ(t, textgrid_cell(&grid, 0, 2).ch, 0xfffd); /* a byte that starts nothing */
    KTEST_EXPECT_EQ(t, textgrid_cell(&grid, 0, 3).ch, 0xfffd); /* a sequence cut short */
    KTEST_EXPECT_EQ(t, textgrid_cell(&grid, 0, 4).ch, 'A');
}

static void screen_redraws_only_changed_cells(struct ktest *t)
{
    setup(&soft_cursor_ops);
    textgrid_flush(&grid);
    fake.draws = 0;
    put("x");
    /* The new character where the cursor was, and the cursor in its next cell. */
    KTEST_EXPECT_EQ(t, fake.draws, 2);
    struct textcell cur = fake.dev[1];
    KTEST_EXPECT(t, cur.ch == ' ' && cur.fg == 0 && cur.bg == 7);
    fake.draws = 0;
    textgrid_flush(&grid);
    KTEST_EXPECT_EQ(t, fake.draws, 0);
}

static void screen_uses_the_colours_set(struct ktest *t)
{
    setup(&hard_cursor_ops);
    textgrid_set_colour(&grid, 1, 4);
    put("a\n");
    struct textcell a = textgrid_cell(&grid, 0, 0);
    KTEST_EXPECT(t, a.fg == 1 && a.bg == 4);
    KTEST_EXPECT_EQ(t, fake.dev[0].fg, 1);
}

static bool glyph_rows_all(uint16_t g, uint8_t v)
{
    for (unsigned y = 0; y < FONT_HEIGHT; y++)
        if (font_glyphs[g][y] != v)
            return false;
    return true;
}

static void font_maps_code_points_to_glyphs(struct ktest *t)
{
    KTEST_EXPECT(t, font_nglyphs >= 256);
    KTEST_EXPECT(t, glyph_rows_all(font_glyph(' '), 0x00));
    KTEST_EXPECT(t, !glyph_rows_all(font_glyph('A'), 0x00));
    KTEST_EXPECT(t, font_glyph('A') != font_glyph('B'));
    KTEST_EXPECT(t, glyph_rows_all(font_glyph(0x2588), 0xff)); /* FULL BLOCK, found by the search */
    KTEST_EXPECT_EQ(t, font_glyph(0x10fffd), font_fallback);
    KTEST_EXPECT(t, font_fallback < font_nglyphs);
}

KTEST_SUITE(screen, KTEST_CASE(screen_wraps_long_lines),
            KTEST_CASE(screen_full_width_line_then_newline_leaves_no_gap),
            KTEST_CASE(screen_scrolls_at_the_bottom), KTEST_CASE(screen_handles_cr_tab_backspace),
            KTEST_CASE(screen_decodes_utf8_across_writes), KTEST_CASE(screen_redraws_only_changed_cells),
            KTEST_CASE(screen_uses_the_colours_set), KTEST_CASE(font_maps_code_points_to_glyphs));
