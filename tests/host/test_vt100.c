/* Host tests for the VT100/ANSI escape-sequence layer (kernel/drivers/vt100.c) over a real text grid
 * (kernel/drivers/textgrid.c) whose cells are read back as text. */
#include "../../kernel/drivers/vt100.h"
#include "htest.h"
#include <kestrel/screen.h>
#include <string.h>

#define COLS 10
#define ROWS 5

static struct textgrid grid;
static struct textcell cells[ROWS * COLS], shown[ROWS * COLS], alt[ROWS * COLS];
static struct vt100 vt;
static bool hw_cursor_on = true;

static void fake_draw(void *ctx, unsigned row, unsigned col, struct textcell c)
{
    (void)ctx, (void)row, (void)col, (void)c;
}

static void fake_cursor(void *ctx, unsigned row, unsigned col)
{
    (void)ctx, (void)row, (void)col;
}

static void fake_cursor_visible(void *ctx, bool on)
{
    (void)ctx;
    hw_cursor_on = on;
}

static uint16_t fake_map(uint32_t cp)
{
    return cp < 0x10000 ? (uint16_t)cp : 0xfffd;
}

static const struct textgrid_ops ops = {
    .draw = fake_draw, .cursor = fake_cursor, .map = fake_map, .cursor_visible = fake_cursor_visible};

static void setup(void)
{
    textgrid_init(&grid, COLS, ROWS, cells, shown, &ops, NULL, SCREEN_DEFAULT_FG, SCREEN_DEFAULT_BG);
    grid.lf_keeps_column = true;
    vt100_init(&vt, &grid, alt);
    hw_cursor_on = true;
}

static void put(const char *s)
{
    vt100_write(&vt, s, strlen(s));
    textgrid_flush(&grid);
}

/* True when screen row r reads text, padded with blanks. */
static bool row_is(unsigned r, const char *text)
{
    size_t n = strlen(text);
    for (unsigned c = 0; c < COLS; c++)
        if (textgrid_cell(&grid, r, c).ch != (c < n ? (uint8_t)text[c] : ' '))
            return false;
    return true;
}

static bool at(unsigned row, unsigned col)
{
    return grid.row == row && grid.col == col;
}

/* Fills every row with a distinct letter so moves of rows can be seen. */
static void fill_rows(void)
{
    put("\x1b[H");
    for (unsigned r = 0; r < ROWS; r++) {
        char line[COLS + 1];
        memset(line, 'a' + r, COLS);
        line[COLS] = 0;
        put("\x1b[");
        char num[4] = {(char)('1' + r), 'H', 0};
        put(num);
        put(line);
    }
}

HTEST(vt100_cursor_position)
{
    setup();
    put("\x1b[2;3Hx");
    HEXPECT_EQ(t, textgrid_cell(&grid, 1, 2).ch, 'x');
    put("\x1b[H");
    HEXPECT(t, at(0, 0));
    put("\x1b[;5f");
    HEXPECT(t, at(0, 4));
    put("\x1b[99;99H");
    HEXPECT(t, at(ROWS - 1, COLS - 1));
    put("\x1b[0;0H"); /* zero means one */
    HEXPECT(t, at(0, 0));
    put("\x1b[3d");
    HEXPECT(t, at(2, 0));
    put("\x1b[7G");
    HEXPECT(t, at(2, 6));
}

HTEST(vt100_cursor_relative_moves)
{
    setup();
    put("\x1b[3;5H\x1b[A");
    HEXPECT(t, at(1, 4));
    put("\x1b[2B");
    HEXPECT(t, at(3, 4));
    put("\x1b[3C");
    HEXPECT(t, at(3, 7));
    put("\x1b[20C");
    HEXPECT(t, at(3, COLS - 1));
    put("\x1b[4D");
    HEXPECT(t, at(3, 5));
    put("\x1b[99D\x1b[99A");
    HEXPECT(t, at(0, 0));
    put("\x1b[2E");
    HEXPECT(t, at(2, 0));
    put("\x1b[5C\x1b[F");
    HEXPECT(t, at(1, 0));
}

HTEST(vt100_split_across_writes)
{
    setup();
    put("\x1b");
    put("[");
    put("4;");
    put("2Hy");
    HEXPECT_EQ(t, textgrid_cell(&grid, 3, 1).ch, 'y');
}

HTEST(vt100_erase_display)
{
    setup();
    fill_rows();
    put("\x1b[3;4H\x1b[J");
    HEXPECT(t, row_is(1, "bbbbbbbbbb"));
    HEXPECT(t, row_is(2, "ccc"));
    HEXPECT(t, row_is(3, ""));
    HEXPECT(t, at(2, 3)); /* erasing does not move the cursor */
    fill_rows();
    put("\x1b[3;4H\x1b[1J");
    HEXPECT(t, row_is(1, ""));
    HEXPECT(t, row_is(2, "    cccccc"));
    HEXPECT(t, row_is(3, "dddddddddd"));
    put("\x1b[2J");
    for (unsigned r = 0; r < ROWS; r++)
        HEXPECT(t, row_is(r, ""));
}

HTEST(vt100_erase_line)
{
    setup();
    fill_rows();
    put("\x1b[1;4H\x1b[K");
    HEXPECT(t, row_is(0, "aaa"));
    put("\x1b[2;4H\x1b[1K");
    HEXPECT(t, row_is(1, "    bbbbbb"));
    put("\x1b[3;4H\x1b[2K");
    HEXPECT(t, row_is(2, ""));
    put("\x1b[4;2H\x1b[3X"); /* ECH: erase three characters */
    HEXPECT(t, row_is(3, "d   dddddd"));
}

HTEST(vt100_sgr_colours)
{
    setup();
    put("\x1b[31;42mA\x1b[1;34mB\x1b[0mC\x1b[7mD\x1b[m\x1b[93;104mE\x1b[39;49mF\x1b[38;5;6;48;5;200mG");
    struct textcell a = textgrid_cell(&grid, 0, 0), b = textgrid_cell(&grid, 0, 1);
    struct textcell c = textgrid_cell(&grid, 0, 2), d = textgrid_cell(&grid, 0, 3);
    struct textcell e = textgrid_cell(&grid, 0, 4), f = textgrid_cell(&grid, 0, 5);
    struct textcell g = textgrid_cell(&grid, 0, 6);
    HEXPECT(t, a.fg == COLOUR_RED && a.bg == COLOUR_GREEN);
    HEXPECT(t, b.fg == COLOUR_BRIGHT_BLUE && b.bg == COLOUR_GREEN); /* bold brightens */
    HEXPECT(t, c.fg == SCREEN_DEFAULT_FG && c.bg == SCREEN_DEFAULT_BG);
    HEXPECT(t, d.fg == SCREEN_DEFAULT_BG && d.bg == SCREEN_DEFAULT_FG); /* reverse */
    HEXPECT(t, e.fg == COLOUR_BRIGHT_YELLOW && e.bg == COLOUR_BRIGHT_BLUE);
    HEXPECT(t, f.fg == SCREEN_DEFAULT_FG && f.bg == SCREEN_DEFAULT_BG);
    HEXPECT(t, g.fg == COLOUR_CYAN && g.bg == SCREEN_DEFAULT_BG);
}

HTEST(vt100_save_restore_cursor)
{
    setup();
    put("\x1b[2;3H\x1b[32m\x1b"
        "7\x1b[5;5H\x1b[0mx\x1b"
        "8y");
    HEXPECT_EQ(t, textgrid_cell(&grid, 1, 2).ch, 'y');
    HEXPECT_EQ(t, textgrid_cell(&grid, 1, 2).fg, COLOUR_GREEN); /* rendition restored too */
    put("\x1b[4;1H\x1b[s\x1b[1;1H\x1b[uz");
    HEXPECT_EQ(t, textgrid_cell(&grid, 3, 0).ch, 'z');
}

HTEST(vt100_line_feed_keeps_column)
{
    setup();
    put("ab\ncd\r\ne");
    HEXPECT(t, row_is(0, "ab"));
    HEXPECT(t, row_is(1, "  cd"));
    HEXPECT(t, row_is(2, "e"));
    put("\x0b"
        "f\x0c"
        "g"); /* VT and FF are line feeds */
    HEXPECT(t, row_is(3, " f"));
    HEXPECT(t, row_is(4, "  g"));
}

HTEST(vt100_scroll_region)
{
    setup();
    fill_rows();
    put("\x1b[2;4r");
    HEXPECT(t, at(0, 0)); /* DECSTBM homes the cursor */
    put("\x1b[4;1H\n");
    HEXPECT(t, row_is(0, "aaaaaaaaaa"));
    HEXPECT(t, row_is(1, "cccccccccc"));
    HEXPECT(t, row_is(2, "dddddddddd"));
    HEXPECT(t, row_is(3, ""));
    HEXPECT(t, row_is(4, "eeeeeeeeee"));
    put("\x1b[2;1H\x1b"
        "M"); /* reverse index at the top margin scrolls the region down */
    HEXPECT(t, row_is(1, ""));
    HEXPECT(t, row_is(2, "cccccccccc"));
    HEXPECT(t, row_is(3, "dddddddddd"));
    HEXPECT(t, row_is(4, "eeeeeeeeee"));
    put("\x1b[r\x1b[5;1H\n"); /* reset: the whole screen scrolls */
    HEXPECT(t, row_is(0, ""));
    HEXPECT(t, row_is(3, "eeeeeeeeee"));
    HEXPECT(t, row_is(4, ""));
}

HTEST(vt100_cursor_stops_at_margins)
{
    setup();
    put("\x1b[2;4r\x1b[3;1H\x1b[9A");
    HEXPECT(t, at(1, 0));
    put("\x1b[9B");
    HEXPECT(t, at(3, 0));
}

HTEST(vt100_insert_delete_lines)
{
    setup();
    fill_rows();
    put("\x1b[2;3H\x1b[L");
    HEXPECT(t, row_is(0, "aaaaaaaaaa"));
    HEXPECT(t, row_is(1, ""));
    HEXPECT(t, row_is(2, "bbbbbbbbbb"));
    HEXPECT(t, row_is(4, "dddddddddd"));
    put("\x1b[2M");
    HEXPECT(t, row_is(1, "cccccccccc"));
    HEXPECT(t, row_is(2, "dddddddddd"));
    HEXPECT(t, row_is(3, ""));
    HEXPECT(t, row_is(4, ""));
    fill_rows();
    put("\x1b[1;3r\x1b[1;1H\x1b[M"); /* delete inside a region leaves the rows below it */
    HEXPECT(t, row_is(0, "bbbbbbbbbb"));
    HEXPECT(t, row_is(2, ""));
    HEXPECT(t, row_is(3, "dddddddddd"));
}

HTEST(vt100_insert_delete_chars)
{
    setup();
    put("abcdef\x1b[1;2H\x1b[2@");
    HEXPECT(t, row_is(0, "a  bcdef"));
    put("\x1b[3P");
    HEXPECT(t, row_is(0, "acdef"));
}

HTEST(vt100_cursor_visibility)
{
    setup();
    put("\x1b[?25l");
    HEXPECT(t, grid.cursor_hidden);
    HEXPECT(t, !hw_cursor_on);
    put("\x1b[?25h");
    HEXPECT(t, !grid.cursor_hidden);
    HEXPECT(t, hw_cursor_on);
}

HTEST(vt100_status_reports)
{
    setup();
    char buf[64];
    put("\x1b[5;7H\x1b[6n");
    size_t n = vt100_take_reply(&vt, buf, sizeof(buf));
    buf[n] = 0;
    HEXPECT(t, strcmp(buf, "\x1b[5;7R") == 0);
    put("\x1b[999;999H\x1b[6n\x1b[5n\x1b[c"); /* how busybox measures the screen */
    n = vt100_take_reply(&vt, buf, sizeof(buf));
    buf[n] = 0;
    HEXPECT(t, strcmp(buf, "\x1b[5;10R\x1b[0n\x1b[?6c") == 0);
    HEXPECT_EQ(t, vt100_take_reply(&vt, buf, sizeof(buf)), 0);
    for (int i = 0; i < 10; i++) /* unread answers are bounded */
        put("\x1b[6n");
    HEXPECT(t, vt.reply_len <= VT100_REPLY_MAX);
}

HTEST(vt100_alternate_screen)
{
    setup();
    put("main\x1b[2;2H");
    put("\x1b[?1049h");
    HEXPECT(t, row_is(0, ""));
    put("\x1b[Hvi");
    HEXPECT(t, row_is(0, "vi"));
    put("\x1b[?1049l");
    HEXPECT(t, row_is(0, "main"));
    HEXPECT(t, at(1, 1));
}

HTEST(vt100_ignores_unknown_sequences)
{
    setup();
    put("a\x1b]0;window title\x07"
        "b\x1b(Bc\x1b[?1000hd\x1b[>0ce\x1b[1;2\x18"
        "f\x1b]2;t\x1b\\g\x1b[=3qh");
    HEXPECT(t, row_is(0, "abcdefgh"));
    HEXPECT_EQ(t, vt100_take_reply(&vt, (char[8]){0}, 8), 0);
}

HTEST(vt100_controls_inside_a_sequence)
{
    setup();
    put("ab\x1b[\r2C"); /* CR acts at once; the sequence goes on */
    HEXPECT(t, at(0, 2));
    put("\x1b[c\x1b[c"); /* replies end up in order */
    char buf[16];
    size_t n = vt100_take_reply(&vt, buf, sizeof(buf));
    HEXPECT_EQ(t, n, 10);
}

HTEST(vt100_full_reset)
{
    setup();
    put("junk\x1b[2;3r\x1b[31m\x1b[?25l\x1b"
        "c");
    HEXPECT(t, row_is(0, ""));
    HEXPECT(t, at(0, 0));
    HEXPECT_EQ(t, grid.scroll_bot, ROWS - 1);
    HEXPECT(t, !grid.cursor_hidden);
    put("x");
    HEXPECT_EQ(t, textgrid_cell(&grid, 0, 0).fg, SCREEN_DEFAULT_FG);
}
