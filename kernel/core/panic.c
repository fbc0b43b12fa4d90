/* panic(): the one way the kernel stops when an invariant breaks. */
#include <arch/cpu.h>
#include <kestrel/backtrace.h>
#include <kestrel/format.h>
#include <kestrel/machine.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>

static volatile int panicking;

__noreturn void panic(const char *fmt, ...)
{
    cpu_cli();
    /* A panic inside panic (say, a fault while printing the backtrace) must not loop: stop now. */
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST)) {
        console_print("\nKERNEL PANIC (recursive): stopping\n");
        machine_stop_failed();
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    console_print("\nKERNEL PANIC: %s\nCall trace:\n", msg);
    backtrace_print(read_rbp());
    console_print("---[ end Kernel panic: %s ]---\n", msg);
    machine_stop_failed();
}
