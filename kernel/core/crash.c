/* Deliberate crashes that prove the harness catches each way a kernel can die. */
#include <arch/cpu.h>
#include <kestrel/console.h>
#include <kestrel/crash.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <kestrel/thread.h>

/* noinline so the report names this function rather than its caller. */
__attribute__((noinline)) void crash_bad_access(void)
{
    volatile uint64_t *bad = (volatile uint64_t *)0xdead0000000ull; /* never mapped */
    *bad = 42;
}

/* A console whose first write panics: the panic strikes while printk holds its lock, and the
 * report must still come out (regression test for a panic that recursed on printk's lock). */
static void panicking_console_write(struct console *c, const char *s, size_t n)
{
    static bool failed;
    (void)c;
    (void)s;
    (void)n;
    if (!failed) {
        failed = true;
        panic("console driver failed while printing");
    }
}

static struct console panicking_console = {.name = "crash", .write = panicking_console_write};

/* Sleeping with a spinlock held would deadlock the CPU; the scheduler's debug check must catch it. */
static void sleep_holding_spinlock(void)
{
    static struct spinlock lock = SPINLOCK_INIT("crash_test_lock");
    uint64_t flags = spin_lock_irqsave(&lock);
    thread_sleep(1);
    spin_unlock_irqrestore(&lock, flags);
}

__noreturn void crash_run(const char *kind)
{
    printk(LOG_WARNING, "crash: deliberately crashing (%s)\n", kind);
    if (strcmp(kind, "pagefault") == 0)
        crash_bad_access();
    else if (strcmp(kind, "triple") == 0)
        cpu_triple_fault(); /* QEMU with -no-reboot exits without the test's code */
    else if (strcmp(kind, "hang") == 0)
        cpu_halt_forever();
    else if (strcmp(kind, "sleep-in-spinlock") == 0)
        sleep_holding_spinlock();
    else if (strcmp(kind, "console") == 0) {
        console_register(&panicking_console);
        printk(LOG_INFO, "crash: this line reaches a console that panics\n");
    }
    panic("crash requested: %s", kind);
}
