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
    cpu_triple_fault(); /* when neither reset port worked */
}
