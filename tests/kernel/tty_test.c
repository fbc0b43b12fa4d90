/* KTAP tests of the tty layer: the core over a fake device (reads in canonical and VMIN/VTIME modes,
 * blocking and not, output processing, ioctl errors), and the real terminals: keyboard input to the
 * console tty, the screen's cursor-position reply, and serial input through the UART's interrupt in
 * loopback mode. */
#include "../../kernel/drivers/tty/tty_internal.h"
#include <kestrel/keyboard.h>
#include <kestrel/ktest.h>
#include <kestrel/screen.h>
#include <kestrel/serial.h>
#include <kestrel/string.h>
#include <kestrel/thread.h>
#include <kestrel/time.h>

static char out[1024];
static size_t out_len;

static void fake_write(struct tty *tty, const char *s, size_t n)
{
    (void)tty;
    n = MIN(n, sizeof(out) - 1 - out_len);
    memcpy(out + out_len, s, n);
    out_len += n;
    out[out_len] = 0;
}

static const struct tty_driver fake_driver = {.write = fake_write};
static struct tty fake_tty;

static void setup(void)
{
    out_len = 0;
    out[0] = 0;
    tty_setup(&fake_tty, "ktest-tty", &fake_driver, 24, 80);
}

static void put(struct tty *tty, const char *s)
{
    tty_receive(tty, s, strlen(s));
}

/* Changes lflag bits and VMIN/VTIME as TCSETS would. */
static void set_mode(struct tty *tty, tcflag_t lflag_on, tcflag_t lflag_off, cc_t vmin, cc_t vtime)
{
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    struct termios t = tty->ld.termios;
    t.c_lflag = (t.c_lflag | lflag_on) & ~lflag_off;
    t.c_cc[VMIN] = vmin;
    t.c_cc[VTIME] = vtime;
    ldisc_set_termios(&tty->ld, &t);
    ldisc_flush_input(&tty->ld);
    spin_unlock_irqrestore(&tty->lock, flags);
}

static void tty_canonical_read_and_echo(struct ktest *t)
{
    setup();
    char buf[64];
    KTEST_EXPECT_EQ(t, tty_read(&fake_tty, buf, sizeof(buf), true), -EAGAIN);
    put(&fake_tty, "ab\x7f"
                   "c");
    KTEST_EXPECT_EQ(t, tty_read(&fake_tty, buf, sizeof(buf), true), -EAGAIN); /* the line is not done */
    put(&fake_tty, "\r");
    KTEST_ASSERT_EQ(t, tty_read(&fake_tty, buf, sizeof(buf), true), 3);
    KTEST_EXPECT(t, memcmp(buf, "ac\n", 3) == 0);
    KTEST_EXPECT(t, strcmp(out, "ab\b \bc\r\n") == 0);
    put(&fake_tty, "\x04");
    KTEST_EXPECT_EQ(t, tty_read(&fake_tty, buf, sizeof(buf), false), 0); /* ^D: end of file */
    KTEST_EXPECT_EQ(t, tty_read(&fake_tty, buf, 0, false), 0);
}

static void tty_output_processing(struct ktest *t)
{
    setup();
    KTEST_EXPECT_EQ(t, tty_write(&fake_tty, "a\nb", 3), 3);
    KTEST_EXPECT(t, strcmp(out, "a\r\nb") == 0);
}

struct feeder {
    struct tty *tty;
    const char *text;
    unsigned gap_ms; /* between bytes */
};

static int feed_slowly(void *arg)
{
    struct feeder *f = arg;
    for (const char *p = f->text; *p; p++) {
        thread_sleep_ms(f->gap_ms);
        tty_receive(f->tty, p, 1);
    }
    return 0;
}

static ssize_t read_while_fed(struct tty *tty, const char *text, unsigned gap_ms, char *buf, size_t n,
                              uint64_t *took_ms)
{
    struct feeder f = {tty, text, gap_ms};
    struct thread *th = thread_create("tty-feeder", feed_slowly, &f, PRIO_DEFAULT);
    if (!th)
        return -ENOMEM;
    uint64_t start = time_ns();
    ssize_t got = tty_read(tty, buf, n, false);
    *took_ms = (time_ns() - start) / 1000000;
    thread_join(th);
    return got;
}

static void tty_blocking_canonical_read(struct ktest *t)
{
    setup();
    char buf[64];
    uint64_t ms;
    KTEST_ASSERT_EQ(t, read_while_fed(&fake_tty, "hey\n", 5, buf, sizeof(buf), &ms), 4);
    KTEST_EXPECT(t, memcmp(buf, "hey\n", 4) == 0);
    KTEST_EXPECT(t, ms >= 15); /* it waited for the whole line */
}

static void tty_vmin_vtime(struct ktest *t)
{
    setup();
    char buf[64];
    uint64_t ms;
    set_mode(&fake_tty, 0, ICANON | ECHO, 0, 0);
    KTEST_EXPECT_EQ(t, tty_read(&fake_tty, buf, sizeof(buf), false), 0); /* polling read */
    set_mode(&fake_tty, 0, ICANON | ECHO, 0, 1);
    uint64_t start = time_ns();
    KTEST_EXPECT_EQ(t, tty_read(&fake_tty, buf, sizeof(buf), false), 0); /* the read timer expires */
    KTEST_EXPECT(t, time_ns() - start >= 90 * 1000000ull);
    set_mode(&fake_tty, 0, ICANON | ECHO, 3, 0);
    KTEST_EXPECT_EQ(t, read_while_fed(&fake_tty, "xyz", 5, buf, sizeof(buf), &ms), 3); /* waits for VMIN */
    KTEST_EXPECT(t, memcmp(buf, "xyz", 3) == 0);
    set_mode(&fake_tty, 0, ICANON | ECHO, 10, 1);
    KTEST_EXPECT_EQ(t, read_while_fed(&fake_tty, "pq", 5, buf, sizeof(buf), &ms), 2); /* inter-byte timer */
    KTEST_EXPECT(t, ms >= 90);
    set_mode(&fake_tty, 0, ICANON | ECHO, 1, 0);
    KTEST_EXPECT_EQ(t, tty_read(&fake_tty, buf, sizeof(buf), true), -EAGAIN);
}

static void tty_interrupt_character(struct ktest *t)
{
    setup();
    char buf[16];
    put(&fake_tty, "partial\x03");
    KTEST_EXPECT_EQ(t, tty_read(&fake_tty, buf, sizeof(buf), true), -EAGAIN); /* input flushed */
    KTEST_EXPECT(t, strcmp(out, "partial^C") == 0);
    KTEST_EXPECT_EQ(t, fake_tty.pending_sigs, 0); /* sent (to nobody: no foreground group) */
}

static void tty_ioctl_errors(struct ktest *t)
{
    setup();
    KTEST_EXPECT_EQ(t, tty_ioctl(&fake_tty, NULL, TCGETS, 0), -EFAULT);
    KTEST_EXPECT_EQ(t, tty_ioctl(&fake_tty, NULL, TCSETS, (unsigned long)&fake_tty), -EFAULT); /* kernel */
    KTEST_EXPECT_EQ(t, tty_ioctl(&fake_tty, NULL, TIOCGWINSZ, 0xdead000000000000ul), -EFAULT);
    KTEST_EXPECT_EQ(t, tty_ioctl(&fake_tty, NULL, TCFLSH, 7), -EINVAL);
    KTEST_EXPECT_EQ(t, tty_ioctl(&fake_tty, NULL, 0x54ff, 0), -ENOTTY);
    /* A kernel thread has no controlling terminal. */
    KTEST_EXPECT_EQ(t, tty_ioctl(&fake_tty, NULL, TIOCGPGRP, 0), -ENOTTY);
    KTEST_EXPECT_EQ(t, tty_ioctl(&fake_tty, NULL, TIOCSCTTY, 0), -EPERM);
}

/* Saves a real tty's settings, puts it in the mode given and empties its input. */
static struct termios borrow(struct tty *tty, tcflag_t lflag_off)
{
    struct termios saved = tty->ld.termios;
    set_mode(tty, 0, lflag_off, 1, 0);
    return saved;
}

static void give_back(struct tty *tty, const struct termios *saved)
{
    uint64_t flags = spin_lock_irqsave(&tty->lock);
    ldisc_set_termios(&tty->ld, saved);
    ldisc_flush_input(&tty->ld);
    spin_unlock_irqrestore(&tty->lock, flags);
}

static void tty_console_reads_the_keyboard(struct ktest *t)
{
    struct tty *con = tty_console();
    if (!con)
        return;
    struct termios saved = borrow(con, 0);
    static const uint8_t keys[] = {0x23, 0xa3, 0x17, 0x97, 0x1c, 0x9c}; /* h, i, Enter */
    for (size_t i = 0; i < sizeof(keys); i++)
        keyboard_inject(keys[i]);
    char buf[16];
    ssize_t got = tty_read(con, buf, sizeof(buf), true);
    give_back(con, &saved);
    KTEST_ASSERT_EQ(t, got, 3);
    KTEST_EXPECT(t, memcmp(buf, "hi\n", 3) == 0);
    KTEST_EXPECT_EQ(t, con->winsize.ws_col, screen_cols());
    KTEST_EXPECT_EQ(t, con->winsize.ws_row, screen_rows());
}

static void tty_console_answers_cursor_report(struct ktest *t)
{
    struct tty *con = tty_console();
    if (!con)
        return;
    struct termios saved = borrow(con, ICANON | ECHO);
    tty_write(con, "\x1b[3;7H\x1b[6n", 10);
    char buf[16];
    ssize_t got = tty_read(con, buf, sizeof(buf), true);
    give_back(con, &saved);
    tty_write(con, "\r\n", 2);
    KTEST_ASSERT_EQ(t, got, 6);
    KTEST_EXPECT(t, memcmp(buf, "\x1b[3;7R", 6) == 0);
}

static bool contains(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

static void tty_serial_input_by_interrupt(struct ktest *t)
{
    struct tty *ser = tty_serial();
    if (!ser)
        return;
    /* No echo: in loopback, echoed bytes would come back as input again. */
    struct termios saved = borrow(ser, ICANON | ECHO);
    serial_set_loopback(true);
    for (const char *p = "kestrel"; *p; p++)
        serial_putc(*p);
    for (int i = 0; i < 100 && ldisc_ready(&ser->ld) < 7; i++)
        thread_sleep_ms(2);
    serial_set_loopback(false);
    char buf[64];
    ssize_t got = tty_read(ser, buf, sizeof(buf), true);
    give_back(ser, &saved);
    KTEST_ASSERT(t, got >= 7);
    KTEST_EXPECT(t, contains(buf, (size_t)got, "kestrel"));
}

KTEST_SUITE(tty, KTEST_CASE(tty_canonical_read_and_echo), KTEST_CASE(tty_output_processing),
            KTEST_CASE(tty_blocking_canonical_read), KTEST_CASE(tty_vmin_vtime),
            KTEST_CASE(tty_interrupt_character), KTEST_CASE(tty_ioctl_errors),
            KTEST_CASE(tty_console_reads_the_keyboard), KTEST_CASE(tty_console_answers_cursor_report),
            KTEST_CASE(tty_serial_input_by_interrupt));
