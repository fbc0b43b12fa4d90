/* The 16550 UART on COM1: the kernel log's first console and the test harness's only window. */
#pragma once
#include <kestrel/types.h>

void serial_init(void);
void serial_putc(char c);
/* Returns the next received byte, or -1 when none is waiting. */
int serial_getc(void);
/* Whether a UART answered at COM1. */
bool serial_present(void);
/* Switches input to the receive interrupt (IRQ 4): every byte that arrives goes to hook, in
 * interrupt context (serial_getc then finds nothing). Call after irq_init. 0 or a negative errno. */
int serial_set_rx_hook(void (*hook)(const char *s, size_t n));
/* Test aid: the UART's loopback mode (output comes back as input, nothing leaves). */
void serial_set_loopback(bool on);
