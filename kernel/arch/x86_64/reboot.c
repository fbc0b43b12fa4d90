/* Restarting the machine: the 8042 keyboard controller's reset line, then the port 0xcf9 reset
 * register, then a triple fault (an empty IDT) if both were ignored. */
#include <arch/cpu.h>
#include <arch/io.h>
#include <kestrel/machine.h>

#define KBC_STATUS     0x64
#define KBC_INPUT_FULL 0x02
#define KBC_CMD_RESET  0xfe
#define RESET_CONTROL  0xcf9
#define RESET_FULL     0x0e /* full reset, CPU reset */

__noreturn void machine_restart(void)
{
    cpu_cli();
    for (int i = 0; i < 100000 && (inb(KBC_STATUS) & KBC_INPUT_FULL); i++)
        cpu_pause();
    outb(KBC_STATUS, KBC_CMD_RESET);
    outb(RESET_CONTROL, RESET_FULL);
    struct {
        uint16_t limit;
        uint64_t base;
    } __packed empty = {0, 0};
    __asm__ volatile("lidt %0; int3" : : "m"(empty));
    cpu_halt_forever();
}
