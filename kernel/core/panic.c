/* panic(): the one way the kernel stops when an invariant breaks. */
#include <arch/cpu.h>
#include <kestrel/backtrace.h>
#include <kestrel/format.h>
#include <kestrel/machine.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>
#include <kestrel/sched.h>
#include <kestrel/serial.h>

volatile bool panic_in_progress;

/* Straight to the UART, no locks and no other consoles: for when printing itself broke. */
static void emergency_print(const char *s)
{
    for (; *s; s++)
        serial_putc(*s);
}

__noreturn void panic(const char *fmt, ...)
{
    cpu_cli();
    /* A panic inside panic (a fault while printing the report, a console driver that panics) must
     * not loop: the consoles may be what is broken, so say so on the UART alone and stop. */
    if (__atomic_exchange_n(&panic_in_progress, true, __ATOMIC_SEQ_CST)) {
        emergency_print("\r\nKERNEL PANIC (recursive): stopping\r\n");
        machine_stop_failed();
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    console_print("\nKERNEL PANIC: %s\nCall trace:\n", msg);
    backtrace_print(read_rbp());
    /* What the scheduler saw last often explains a hang-turned-panic; spinlocks are broken by now,
     * so this cannot deadlock on the scheduler lock. */
    sched_dump(32);
    console_print("---[ end Kernel panic: %s ]---\n", msg);
    machine_stop_failed();
}
