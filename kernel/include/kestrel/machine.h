/* Stopping the machine: power off, and the QEMU test exits the harness reads. */
#pragma once
#include <kestrel/types.h>

/* True when the kernel runs under the test harness (test=, crash= or harness on the command line). */
extern bool machine_test_mode;

__noreturn void machine_poweroff(void);
/* Logs how many times the boot thread ran after boot was done (it must be 0: the thread sleeps for
 * good, and a runnable idle-looping boot thread would steal time slices). reboot(2) calls it, so the
 * test harness can check every run that powers off. */
void boot_thread_report(void);
/* Resets the machine (reboot(2)'s RESTART): with QEMU's -no-reboot, QEMU exits. */
__noreturn void machine_restart(void);
/* In test mode: make QEMU exit with the pass/fail code; otherwise power off or halt. */
__noreturn void machine_stop_passed(void);
__noreturn void machine_stop_failed(void);
