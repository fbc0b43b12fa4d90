/* The 8254 PIT's channel 2 as a calibration reference. Channel 2 is the one whose gate software
 * controls (bit 0 of port 0x61) and whose output it can read back (bit 5), so a known interval can be
 * started and its end polled without any interrupt. Its other use, the PC speaker, stays off. */
#include <arch/io.h>
#include <arch/pit.h>

#define PIT_CH2     0x42
#define PIT_CMD     0x43
#define PORT_B      0x61 /* the "system control port B" of the PC */
#define PORTB_GATE2 0x01
#define PORTB_SPKR  0x02
#define PORTB_OUT2  0x20

#define CMD_CH2_LOHI_MODE0 0xb0 /* channel 2, low then high byte, mode 0 (interrupt on terminal count) */

void pit_window_start(uint16_t count)
{
    /* Gate high first, speaker disconnected: in mode 0 with the gate already high the counter starts
     * on the clock after the last count byte, on real 8254s and emulated ones (which may ignore the
     * gate in mode 0) alike. Writing the mode drives the output low until the count runs out. */
    outb(PORT_B, (inb(PORT_B) & ~PORTB_SPKR) | PORTB_GATE2);
    outb(PIT_CMD, CMD_CH2_LOHI_MODE0);
    outb(PIT_CH2, count & 0xff);
    outb(PIT_CH2, count >> 8);
}

bool pit_window_done(void)
{
    return inb(PORT_B) & PORTB_OUT2;
}

void pit_window_stop(void)
{
    outb(PORT_B, inb(PORT_B) & ~PORTB_GATE2);
}
