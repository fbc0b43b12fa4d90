/* 16550 UART driver for COM1 (polled output; input read on demand, or by interrupt for the tty). */
#include <arch/io.h>
#include <kestrel/console.h>
#include <kestrel/irq.h>
#include <kestrel/serial.h>
#include <uapi/errno.h>

#define COM1 0x3f8
enum { DATA = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5 };
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20
#define IER_RX_DATA    0x01
#define COM1_IRQ       4
#define RX_BATCH       16

static bool present;

void serial_putc(char c)
{
    if (!present)
        return;
    while (!(inb(COM1 + LSR) & LSR_THR_EMPTY))
        ;
    outb(COM1 + DATA, c);
}

int serial_getc(void)
{
    if (!present || !(inb(COM1 + LSR) & LSR_DATA_READY))
        return -1;
    return inb(COM1 + DATA);
}

static void serial_console_write(struct console *c, const char *s, size_t n)
{
    (void)c;
    for (size_t i = 0; i < n; i++) {
        /* Terminals want CR LF; the kernel writes plain LF. */
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

static struct console serial_console = {.name = "ttyS0", .write = serial_console_write};

void serial_init(void)
{
    outb(COM1 + IER, 0x00);
    outb(COM1 + LCR, 0x80); /* DLAB on to set the divisor */
    outb(COM1 + DATA, 1);   /* 115200 baud */
    outb(COM1 + IER, 0);
    outb(COM1 + LCR, 0x03); /* 8 bits, no parity, one stop bit */
    outb(COM1 + FCR, 0xc7); /* FIFOs on and cleared, 14-byte threshold */
    outb(COM1 + MCR, 0x0b); /* DTR, RTS, OUT2 */
    /* No UART answers 0xff on its status register: then there is nothing at COM1. */
    present = inb(COM1 + LSR) != 0xff;
    if (present)
        console_register(&serial_console);
}

bool serial_present(void)
{
    return present;
}

static void (*rx_hook)(const char *s, size_t n);

/* Drains the receive FIFO (reading the data clears the interrupt) and hands the bytes on. */
static void serial_irq(struct trap_frame *f)
{
    (void)f;
    char buf[RX_BATCH];
    size_t n = 0;
    while (inb(COM1 + LSR) & LSR_DATA_READY) {
        buf[n++] = (char)inb(COM1 + DATA);
        if (n == sizeof(buf)) {
            rx_hook(buf, n);
            n = 0;
        }
    }
    if (n)
        rx_hook(buf, n);
}

int serial_set_rx_hook(void (*hook)(const char *s, size_t n))
{
    if (!present)
        return -ENODEV;
    rx_hook = hook;
    /* The handler first, then the UART's interrupt: the first byte must find someone to take it. */
    int err = irq_install_isa(COM1_IRQ, serial_irq);
    if (!err)
        outb(COM1 + IER, IER_RX_DATA);
    return err;
}

/* Loopback (MCR bit 4) sends what is transmitted straight back as received, interrupt included:
 * tests prove the input path with it. Nothing reaches the line meanwhile. */
void serial_set_loopback(bool on)
{
    if (present)
        outb(COM1 + MCR, on ? 0x1b : 0x0b);
}
