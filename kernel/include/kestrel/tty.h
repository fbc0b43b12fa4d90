/* Terminals: the tty core between a device (the screen console with the keyboard, the serial port)
 * and the files that read and write it - line discipline, termios, window size, foreground process
 * group and controlling-terminal rules. docs/tty.md explains the design. */
#pragma once
#include <kestrel/types.h>

struct tty;
struct file;
struct poll_table;

/* Device numbers, as Linux has them. */
#define TTY_MAJOR        4 /* tty0 (the console's current VT), tty1, ttyS0 = (4, 64) */
#define TTYAUX_MAJOR     5 /* tty = (5, 0): the caller's controlling terminal; console = (5, 1) */
#define TTY_SERIAL_MINOR 64

/* Creates the console tty (when there is a screen) and the serial tty, routes keyboard and serial
 * input to them and registers /dev/tty0, tty1, ttyS0, console and tty. Call once after irq_init and
 * keyboard_init; the console= command-line word ("tty0" or "ttyS0") picks /dev/console. */
void tty_init(void);

/* The terminals, NULL when absent. */
struct tty *tty_console(void);        /* the screen and keyboard */
struct tty *tty_serial(void);         /* COM1 */
struct tty *tty_system_console(void); /* what /dev/console is */

/* Bytes typed on the device: runs the line discipline (echo, signals to the foreground process
 * group) and wakes readers. Any context, interrupt handlers included. */
void tty_receive(struct tty *tty, const char *buf, size_t n);
/* read(2) and write(2) on a kernel buffer; nowait is O_NONBLOCK. Reads block per canonical mode or
 * VMIN/VTIME and end with -ERESTARTSYS on a signal. */
ssize_t tty_read(struct tty *tty, void *buf, size_t n, bool nowait);
ssize_t tty_write(struct tty *tty, const void *buf, size_t n);
/* ioctl(2): arg is the raw user argument. -ENOTTY for commands a terminal does not know. */
long tty_ioctl(struct tty *tty, struct file *f, unsigned cmd, unsigned long arg);
unsigned tty_poll(struct tty *tty, struct file *f, struct poll_table *pt);

/* The controlling terminal of session sid, or NULL. */
struct tty *tty_of_session(int sid);
