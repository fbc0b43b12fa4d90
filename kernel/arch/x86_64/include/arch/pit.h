/* The 8254 PIT, used only as a known-length reference window for calibrating the TSC and the local
 * APIC timer. */
#pragma once
#include <kestrel/types.h>

#define PIT_HZ 1193182 /* the PIT input clock: a third of the NTSC color-burst frequency */

/* Starts a window of count input clocks (1..65535); it begins as this returns. */
void pit_window_start(uint16_t count);
/* True once the window has elapsed. */
bool pit_window_done(void);
/* Lowers channel 2's gate again. */
void pit_window_stop(void);
