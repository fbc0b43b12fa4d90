/* The two terminals' device sides: the screen console (keyboard in, screen with VT100 escapes out)
 * and COM1 (interrupt-driven input, polled output), and the choice of /dev/console. */
#include "tty_internal.h"
#include <kestrel/cmdline.h>
#include <kestrel/keyboard.h>
#include <kestrel/printk.h>
#include <kestrel/screen.h>
#include <kestrel/serial.h>
#include <kestrel/string.h>

#define SERIAL_ROWS 24 /* a serial line cannot tell its size: the VT100's */
#define SERIAL_COLS 80

static struct tty console_tty, serial_tty;
static bool have_console, have_serial;
static struct tty *system_console;

static void console_write(struct tty *tty, const char *s, size_t n)
{
    (void)tty;
    screen_tty_write(s, n);
}

static size_t console_replies(struct tty *tty, char *buf, size_t n)
{
    (void)tty;
    return screen_take_reply(buf, n);
}

static const struct tty_driver console_driver = {.write = console_write, .take_replies = console_replies};

/* Called by the keyboard's interrupt handler with the text of each key. */
static void keyboard_text(const char *s, size_t n)
{
    tty_receive(&console_tty, s, n);
}

static void serial_write(struct tty *tty, const char *s, size_t n)
{
    (void)tty;
    for (size_t i = 0; i < n; i++)
        serial_putc(s[i]);
}

static const struct tty_driver serial_driver = {.write = serial_write};

/* Called by the UART's interrupt handler with the bytes received. */
static void serial_text(const char *s, size_t n)
{
    tty_receive(&serial_tty, s, n);
}

struct tty *tty_console(void)
{
    return have_console ? &console_tty : NULL;
}

struct tty *tty_serial(void)
{
    return have_serial ? &serial_tty : NULL;
}

struct tty *tty_system_console(void)
{
    return system_console;
}

/* console=ttyS0 or console=tty0 picks it; otherwise the screen when there is one, because a machine
 * with a screen has someone at its keyboard, while the serial port may lead nowhere. */
static struct tty *pick_system_console(void)
{
    const char *want = cmdline_get("console");
    if (want && strcmp(want, "ttyS0") == 0 && have_serial)
        return &serial_tty;
    if (want && strcmp(want, "tty0") == 0 && have_console)
        return &console_tty;
    return have_console ? &console_tty : have_serial ? &serial_tty : NULL;
}

static void setup_serial(void)
{
    tty_setup(&serial_tty, "ttyS0", &serial_driver, SERIAL_ROWS, SERIAL_COLS);
    serial_tty.ld.termios.c_cflag = B115200 | CS8 | CREAD | HUPCL | CLOCAL;
    int err = serial_set_rx_hook(serial_text);
    if (err)
        pr_warn("tty: no serial input interrupt (%d); ttyS0 is output only\n", err);
}

void tty_init(void)
{
    if (screen_cols()) {
        tty_setup(&console_tty, "tty0", &console_driver, screen_rows(), screen_cols());
        have_console = true;
        keyboard_set_text_hook(keyboard_text);
    }
    if (serial_present()) {
        setup_serial();
        have_serial = true;
    }
    system_console = pick_system_console();
    tty_dev_register();
    printk(LOG_INFO, "tty: %s%s%s, console is %s\n", have_console ? "tty0" : "",
           have_console && have_serial ? " and " : "", have_serial ? "ttyS0" : "",
           system_console ? system_console->name : "none");
}
