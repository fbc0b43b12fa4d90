/* The list of console sinks printk writes to. Registration happens during boot, before other
 * CPUs or interrupts could print, so the list needs no lock of its own. */
#include <kestrel/console.h>

static struct console *consoles;

void console_register(struct console *c)
{
    struct console **p = &consoles;
    while (*p)
        p = &(*p)->next;
    c->next = NULL;
    *p = c;
}

void console_write_all(const char *s, size_t n)
{
    for (struct console *c = consoles; c; c = c->next)
        c->write(c, s, n);
}
