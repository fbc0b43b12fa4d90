/* The i8042 PS/2 controller: its first port carries the keyboard. */
#pragma once
#include <kestrel/types.h>

#define PS2_DATA       0x60
#define PS2_STATUS     0x64
#define PS2_STATUS_OBF 0x01 /* a byte waits for us in the output buffer */
#define PS2_STATUS_IBF 0x02 /* the controller has not taken our last byte yet */
#define PS2_STATUS_AUX 0x20 /* the waiting byte came from the second (mouse) port */

#define PS2_ACK    0xfa
#define PS2_RESEND 0xfe

/* Resets the controller to a known state: both ports disabled, output drained, IRQs off, scancode
 * translation on; self-tests it and enables the first port. -ENODEV when there is no controller or
 * no keyboard port. Runs with the controller's interrupts off, so it polls. */
int ps2_init(void);
/* Sends a command byte (with an optional data byte, arg >= 0) to the first device and waits for its
 * ACK, retrying on RESEND. Returns 0, -EIO or -ETIMEDOUT. Only while IRQ 1 is not yet in use. */
int ps2_device_cmd(uint8_t cmd, int arg);
/* Lets the first port raise IRQ 1. */
int ps2_enable_irq(void);
/* Writes one byte to the first device without waiting for any reply (the IRQ handler sees it). */
int ps2_write_data(uint8_t b);
/* Discards whatever the controller holds for us. */
void ps2_flush(void);
