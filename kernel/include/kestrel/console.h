/* Console sinks: every device that shows kernel messages (serial port, screen) registers here. */
#pragma once
#include <kestrel/types.h>

struct console {
    const char *name;
    void (*write)(struct console *c, const char *s, size_t n);
    struct console *next;
};

void console_register(struct console *c);
/* Writes to every registered console; callers serialise (printk holds its lock). */
void console_write_all(const char *s, size_t n);
