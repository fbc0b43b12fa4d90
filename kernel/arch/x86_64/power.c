/* Power off and QEMU's isa-debug-exit device, through which tests report pass or fail. QEMU exits
 * with status (value << 1) | 1, so 0 means passed (status 1) and 1 means failed (status 3). */
#include <arch/cpu.h>
#include <arch/io.h>
#include <kestrel/acpi.h>
#include <kestrel/machine.h>
#include <kestrel/profile.h>

#define DEBUG_EXIT_PORT 0xf4
#define QEMU_PM1A_CNT   0x604 /* where SeaBIOS puts PM1a control, for boots before ACPI is parsed */
/* SLP_EN with SLP_TYP 0: QEMU's \_S5 package says 0 on both its pc and q35 machines. Reading the
 * value from the DSDT would need an AML interpreter, which Kestrel does not have. */
#define SLP_EN_S5       0x2000

bool machine_test_mode;

__noreturn void machine_poweroff(void)
{
    profile_report(); /* `profile` on the command line: the report is the run's last output */
    const struct acpi_info *acpi = acpi_get();
    uint16_t port = acpi && acpi->pm1a_cnt_port ? acpi->pm1a_cnt_port : QEMU_PM1A_CNT;
    outw(port, SLP_EN_S5);
    cpu_halt_forever();
}

static __noreturn void debug_exit(uint32_t code)
{
    /* Without the device this write does nothing: fall through to power off. */
    outl(DEBUG_EXIT_PORT, code);
    machine_poweroff();
}

__noreturn void machine_stop_passed(void)
{
    if (machine_test_mode)
        debug_exit(0);
    machine_poweroff();
}

__noreturn void machine_stop_failed(void)
{
    if (machine_test_mode)
        debug_exit(1);
    cpu_halt_forever();
}
