/* Deliberate crashes that prove the harness catches each way a kernel can die. */
#include <arch/cpu.h>
#include <kestrel/crash.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>
#include <kestrel/string.h>

/* noinline so the report names this function rather than its caller. */
__attribute__((noinline)) void crash_bad_access(void)
{
    volatile uint64_t *bad = (volatile uint64_t *)0xdead0000000ull; /* never mapped */
    *bad = 42;
}

static __noreturn void crash_triple_fault(void)
{
    /* With an empty IDT every exception becomes a double fault and then a triple fault: the CPU
     * resets and QEMU (with -no-reboot) exits without the test's exit code. */
    struct {
        uint16_t limit;
        uint64_t base;
    } __packed empty = {0, 0};
    __asm__ volatile("lidt %0; int3" : : "m"(empty));
    cpu_halt_forever();
}

__noreturn void crash_run(const char *kind)
{
    printk(LOG_WARNING, "crash: deliberately crashing (%s)\n", kind);
    if (strcmp(kind, "pagefault") == 0)
        crash_bad_access();
    else if (strcmp(kind, "triple") == 0)
        crash_triple_fault();
    else if (strcmp(kind, "hang") == 0)
        cpu_halt_forever();
    panic("crash requested: %s", kind);
}
