/* Host tests for the line discipline (kernel/drivers/tty/ldisc.c): canonical editing and its echo,
 * signal characters, end of file, input mapping, non-canonical input, mode switches and OPOST. */
#include "../../kernel/drivers/tty/ldisc.h"
#include "htest.h"
#include <string.h>

/* What the line discipline sent to the "device", and the signals it raised. */
struct fake_tty {
    char out[16384];
    size_t out_len;
    int sigs[8];
    int nsigs;
};

static void fake_output(void *ctx, const char *s, size_t n)
{
    struct fake_tty *f = ctx;
    memcpy(f->out + f->out_len, s, n);
    f->out_len += n;
    f->out[f->out_len] = 0;
}

static void fake_signal(void *ctx, int sig)
{
    struct fake_tty *f = ctx;
    if (f->nsigs < 8)
        f->sigs[f->nsigs++] = sig;
}

static const struct ldisc_ops fake_ops = {.output = fake_output, .signal = fake_signal};
static struct ldisc ld;
static struct fake_tty fake;

static void setup(void)
{
    memset(&fake, 0, sizeof(fake));
    ldisc_init(&ld, &fake_ops, &fake);
}

static void type(const char *s)
{
    ldisc_receive(&ld, s, strlen(s));
}

/* Reads once into a NUL-terminated static buffer. */
static const char *read_once(size_t n, bool *line_end)
{
    static char buf[8192];
    bool end;
    size_t got = ldisc_read(&ld, buf, n, &end);
    buf[got] = 0;
    if (line_end)
        *line_end = end;
    return buf;
}

static void set_lflag(tcflag_t on, tcflag_t off)
{
    struct termios t = ld.termios;
    t.c_lflag = (t.c_lflag | on) & ~off;
    ldisc_set_termios(&ld, &t);
}

HTEST(ldisc_canonical_line_and_echo)
{
    setup();
    type("abc");
    HEXPECT_EQ(t, ldisc_ready(&ld), 0); /* nothing readable before the line ends */
    HEXPECT(t, strcmp(fake.out, "abc") == 0);
    type("\r");
    HEXPECT(t, strcmp(fake.out, "abc\r\n") == 0); /* ICRNL in, ONLCR out */
    HEXPECT_EQ(t, ldisc_bytes(&ld), 4);
    bool end;
    HEXPECT(t, strcmp(read_once(100, &end), "abc\n") == 0);
    HEXPECT(t, end);
    HEXPECT_EQ(t, ldisc_ready(&ld), 0);
}

HTEST(ldisc_canonical_read_stops_at_line_end)
{
    setup();
    type("one\ntwo\n");
    bool end;
    HEXPECT(t, strcmp(read_once(2, &end), "on") == 0);
    HEXPECT(t, !end);
    HEXPECT(t, strcmp(read_once(100, &end), "e\n") == 0);
    HEXPECT(t, end);
    HEXPECT(t, strcmp(read_once(100, &end), "two\n") == 0);
}

HTEST(ldisc_erase_del_and_ctrl_h)
{
    setup();
    type("abx\x7f"
         "c\n");
    HEXPECT(t, strcmp(read_once(100, NULL), "abc\n") == 0);
    HEXPECT(t, strcmp(fake.out, "abx\b \bc\r\n") == 0);
    setup();
    type("ab\bX\n");
    HEXPECT(t, strcmp(read_once(100, NULL), "aX\n") == 0);
    setup();
    type("\x7f\x7f"
         "a\n"); /* erasing an empty line does nothing */
    HEXPECT(t, strcmp(read_once(100, NULL), "a\n") == 0);
    HEXPECT(t, strcmp(fake.out, "a\r\n") == 0);
}

HTEST(ldisc_erase_control_char_and_tab)
{
    setup();
    type("a\x01");
    HEXPECT(t, strcmp(fake.out, "a^A") == 0);
    type("\x7f");
    HEXPECT(t, strcmp(fake.out, "a^A\b \b\b \b") == 0); /* ^A took two columns */
    setup();
    type("ab\t");
    HEXPECT_EQ(t, ld.column, 8);
    fake.out_len = 0;
    type("\x7f");
    HEXPECT(t, strcmp(fake.out, "\b\b\b\b\b\b") == 0); /* back to column 2 */
    HEXPECT_EQ(t, ld.column, 2);
}

HTEST(ldisc_erase_without_echoe_shows_erase_char)
{
    setup();
    set_lflag(0, ECHOE);
    type("ab\x7f");
    HEXPECT(t, strcmp(fake.out, "ab^?") == 0);
}

HTEST(ldisc_erase_utf8_character)
{
    setup();
    type("x\xc3\xa9\x7f\n"); /* x, e-acute (two bytes), erase */
    HEXPECT(t, strcmp(read_once(100, NULL), "x\n") == 0);
    HEXPECT(t, strcmp(fake.out, "x\xc3\xa9\b \b\r\n") == 0);
}

HTEST(ldisc_kill_line)
{
    setup();
    type("hello\x15"
         "ok\n");
    HEXPECT(t, strcmp(read_once(100, NULL), "ok\n") == 0);
    HEXPECT(t, strcmp(fake.out, "hello\b \b\b \b\b \b\b \b\b \bok\r\n") == 0);
    setup();
    set_lflag(0, ECHOKE);
    type("hi\x15");
    HEXPECT(t, strcmp(fake.out, "hi^U\r\n") == 0); /* ECHOK: the kill char and a new line */
    HEXPECT_EQ(t, ld.line_len, 0);
}

HTEST(ldisc_word_erase)
{
    setup();
    type("echo foo_1  \x17"
         "bar\n");
    HEXPECT(t, strcmp(read_once(100, NULL), "echo bar\n") == 0);
    setup();
    set_lflag(0, IEXTEN);
    type("a\x17\n"); /* without IEXTEN ^W is an ordinary character */
    HEXPECT(t, strcmp(read_once(100, NULL), "a\x17\n") == 0);
}

HTEST(ldisc_reprint_and_literal_next)
{
    setup();
    type("ab\x12");
    HEXPECT(t, strcmp(fake.out, "ab^R\r\nab") == 0);
    setup();
    type("\x16\x03\n"); /* ^V ^C: a literal ^C, no signal */
    HEXPECT_EQ(t, fake.nsigs, 0);
    HEXPECT(t, strcmp(read_once(100, NULL), "\x03\n") == 0);
    HEXPECT(t, strcmp(fake.out, "^\b^C\r\n") == 0);
}

HTEST(ldisc_eof)
{
    setup();
    type("\x04");
    HEXPECT_EQ(t, ldisc_ready(&ld), 1);
    HEXPECT_EQ(t, ldisc_bytes(&ld), 0);
    bool end;
    HEXPECT(t, strcmp(read_once(100, &end), "") == 0);
    HEXPECT(t, end);
    HEXPECT_EQ(t, ldisc_ready(&ld), 0);
    HEXPECT_EQ(t, fake.out_len, 0); /* VEOF is not echoed */

    setup();
    type("ab\x04");
    HEXPECT(t, strcmp(read_once(100, &end), "ab") == 0); /* pushed without a newline */
    HEXPECT(t, end);
    HEXPECT_EQ(t, ldisc_ready(&ld), 0);

    setup();
    type("ab\x04\x04");
    HEXPECT(t, strcmp(read_once(100, &end), "ab") == 0);
    HEXPECT(t, strcmp(read_once(100, &end), "") == 0);
    HEXPECT(t, end);
    HEXPECT_EQ(t, ldisc_ready(&ld), 0);
}

HTEST(ldisc_signal_characters)
{
    setup();
    type("pending\n");
    type("abc\x03");
    HEXPECT_EQ(t, fake.nsigs, 1);
    HEXPECT_EQ(t, fake.sigs[0], LDISC_SIGINT);
    HEXPECT_EQ(t, ldisc_ready(&ld), 0); /* input flushed */
    HEXPECT_EQ(t, ld.line_len, 0);
    HEXPECT(t, strcmp(fake.out, "pending\r\nabc^C") == 0);
    type("\x1c\x1a");
    HEXPECT_EQ(t, fake.nsigs, 3);
    HEXPECT_EQ(t, fake.sigs[1], LDISC_SIGQUIT);
    HEXPECT_EQ(t, fake.sigs[2], LDISC_SIGTSTP);

    setup();
    set_lflag(NOFLSH, 0);
    type("keep\n\x03");
    HEXPECT_EQ(t, ldisc_bytes(&ld), 5);

    setup();
    set_lflag(0, ISIG);
    type("\x03\n");
    HEXPECT_EQ(t, fake.nsigs, 0);
    HEXPECT(t, strcmp(read_once(100, NULL), "\x03\n") == 0);
}

HTEST(ldisc_signal_disabled_slot)
{
    setup();
    struct termios tm = ld.termios;
    tm.c_cc[VINTR] = _POSIX_VDISABLE;
    ldisc_set_termios(&ld, &tm);
    ldisc_receive(&ld, "\0\x03\n", 3); /* a NUL never matches a disabled slot */
    HEXPECT_EQ(t, fake.nsigs, 0);
    HEXPECT_EQ(t, ldisc_bytes(&ld), 3);
}

HTEST(ldisc_input_mapping)
{
    setup();
    struct termios tm = ld.termios;
    tm.c_iflag &= ~ICRNL;
    tm.c_lflag &= ~(ICANON | ECHO);
    ldisc_set_termios(&ld, &tm);
    type("a\rb");
    HEXPECT(t, strcmp(read_once(100, NULL), "a\rb") == 0);
    tm.c_iflag |= IGNCR;
    ldisc_set_termios(&ld, &tm);
    type("a\rb");
    HEXPECT(t, strcmp(read_once(100, NULL), "ab") == 0);
    tm.c_iflag = INLCR;
    ldisc_set_termios(&ld, &tm);
    type("\n");
    HEXPECT(t, strcmp(read_once(100, NULL), "\r") == 0);
    tm.c_iflag = ISTRIP;
    ldisc_set_termios(&ld, &tm);
    type("\xc1");
    HEXPECT(t, strcmp(read_once(100, NULL), "A") == 0);
}

HTEST(ldisc_noncanonical)
{
    setup();
    set_lflag(0, ICANON | ECHO);
    type("xy");
    HEXPECT_EQ(t, ldisc_ready(&ld), 2);
    bool end;
    HEXPECT(t, strcmp(read_once(1, &end), "x") == 0);
    HEXPECT(t, !end);
    HEXPECT(t, strcmp(read_once(10, &end), "y") == 0);
    HEXPECT_EQ(t, fake.out_len, 0);
    type("\x7f\x15\x04"); /* editing characters are plain input */
    HEXPECT(t, strcmp(read_once(10, NULL), "\x7f\x15\x04") == 0);
    set_lflag(ECHO, 0);
    type("q\x01");
    HEXPECT(t, strcmp(fake.out, "q^A") == 0);
}

HTEST(ldisc_mode_switches_keep_input)
{
    setup();
    type("half");
    set_lflag(0, ICANON);
    HEXPECT_EQ(t, ldisc_ready(&ld), 4);
    HEXPECT(t, strcmp(read_once(2, NULL), "ha") == 0);
    set_lflag(ICANON, 0);
    bool end;
    HEXPECT(t, strcmp(read_once(100, &end), "lf") == 0);
    HEXPECT(t, end);
}

HTEST(ldisc_echo_off_and_echonl)
{
    setup();
    set_lflag(0, ECHO);
    type("secret\n");
    HEXPECT_EQ(t, fake.out_len, 0);
    set_lflag(ECHONL, 0);
    type("pw\n");
    HEXPECT(t, strcmp(fake.out, "\r\n") == 0);
}

HTEST(ldisc_line_length_limit)
{
    setup();
    set_lflag(0, ECHO);
    for (int i = 0; i < 5000; i++)
        type("x");
    type("\n");
    HEXPECT_EQ(t, ldisc_bytes(&ld), LDISC_LINE_MAX); /* 4095 characters and the newline */
    bool end;
    const char *s = read_once(8192, &end);
    HEXPECT(t, end);
    HEXPECT_EQ(t, s[LDISC_LINE_MAX - 1], '\n');
}

HTEST(ldisc_raw_ring_full)
{
    setup();
    set_lflag(0, ICANON | ECHO);
    for (int i = 0; i < LDISC_BUF + 10; i++)
        type("r");
    HEXPECT_EQ(t, ldisc_ready(&ld), LDISC_BUF);
    ldisc_flush_input(&ld);
    HEXPECT_EQ(t, ldisc_ready(&ld), 0);
}

HTEST(ldisc_output_processing)
{
    setup();
    ldisc_write(&ld, "a\nb", 3);
    HEXPECT(t, strcmp(fake.out, "a\r\nb") == 0);
    HEXPECT_EQ(t, ld.column, 1);
    setup();
    struct termios tm = ld.termios;
    tm.c_oflag &= ~OPOST;
    ldisc_set_termios(&ld, &tm);
    ldisc_write(&ld, "a\nb", 3);
    HEXPECT(t, strcmp(fake.out, "a\nb") == 0);
    setup();
    tm = ld.termios;
    tm.c_oflag = OPOST | XTABS | OCRNL;
    ldisc_set_termios(&ld, &tm);
    ldisc_write(&ld, "ab\tc\r", 5);
    HEXPECT(t, strcmp(fake.out, "ab      c\n") == 0);
    setup();
    tm = ld.termios;
    tm.c_oflag = OPOST | ONOCR;
    ldisc_set_termios(&ld, &tm);
    ldisc_write(&ld, "\rx\r", 3);
    HEXPECT(t, strcmp(fake.out, "x\r") == 0);
}

HTEST(ldisc_default_termios_matches_linux)
{
    struct termios tm;
    ldisc_default_termios(&tm);
    HEXPECT_EQ(t, tm.c_lflag, 0105073); /* Linux's stty -g of a fresh tty: ISIG ICANON ECHO ... IEXTEN */
    HEXPECT_EQ(t, tm.c_oflag, 05);
    HEXPECT_EQ(t, tm.c_cc[VERASE], 0x7f);
    HEXPECT_EQ(t, tm.c_cc[VMIN], 1);
    HEXPECT_EQ(t, offsetof(struct termios, c_cc), 17);
}
