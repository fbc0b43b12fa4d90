/* The 16550 UART on COM1: the kernel log's first console and the test harness's only window. */
#pragma once
#include <kestrel/types.h>

void serial_init(void);
void serial_putc(char c);
/* Returns the next received byte, or -1 when none is waiting. */
int serial_getc(void);
