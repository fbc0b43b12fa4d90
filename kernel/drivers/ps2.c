/* The i8042 PS/2 controller. Slow, decades-old hardware with firmware that leaves it in any state
 * (USB legacy emulation, pending bytes, IRQs on), so initialization resets every setting it relies on
 * and every wait has a timeout. */
#include "ps2.h"
#include <arch/io.h>
#include <kestrel/clock.h>
#include <uapi/errno.h>

#define CMD_READ_CONFIG  0x20
#define CMD_WRITE_CONFIG 0x60
#define CMD_DISABLE_AUX  0xa7
#define CMD_SELF_TEST    0xaa
#define CMD_TEST_PORT1   0xab
#define CMD_DISABLE_KBD  0xad
#define CMD_ENABLE_KBD   0xae

#define SELF_TEST_OK 0x55
#define PORT_TEST_OK 0x00

#define CFG_KBD_IRQ       0x01
#define CFG_AUX_IRQ       0x02
#define CFG_KBD_CLOCK_OFF 0x10
#define CFG_TRANSLATE     0x40 /* the controller turns the keyboard's set 2 into set 1 */

#define TIMEOUT_NS       (20 * NSEC_PER_MSEC)
/* A keyboard answers commands within milliseconds, but some take their time after power-on. */
#define REPLY_TIMEOUT_NS (200 * NSEC_PER_MSEC)
#define RETRIES          3
#define FLUSH_MAX        64 /* the buffer holds a handful of bytes; more means a stuck status bit */

static bool wait_status(uint8_t bit, bool set, uint64_t timeout_ns)
{
    uint64_t end = time_ns() + timeout_ns;
    do {
        if (!!(inb(PS2_STATUS) & bit) == set)
            return true;
    } while (time_ns() < end);
    return false;
}

static int ctrl_cmd(uint8_t cmd)
{
    if (!wait_status(PS2_STATUS_IBF, false, TIMEOUT_NS))
        return -ETIMEDOUT;
    outb(PS2_STATUS, cmd);
    return 0;
}

static int read_byte(uint64_t timeout_ns)
{
    if (!wait_status(PS2_STATUS_OBF, true, timeout_ns))
        return -ETIMEDOUT;
    return inb(PS2_DATA);
}

int ps2_write_data(uint8_t b)
{
    if (!wait_status(PS2_STATUS_IBF, false, TIMEOUT_NS))
        return -ETIMEDOUT;
    outb(PS2_DATA, b);
    return 0;
}

/* A controller command that answers with one byte. */
static int ctrl_query(uint8_t cmd)
{
    int err = ctrl_cmd(cmd);
    return err ? err : read_byte(TIMEOUT_NS);
}

static int write_config(uint8_t cfg)
{
    int err = ctrl_cmd(CMD_WRITE_CONFIG);
    return err ? err : ps2_write_data(cfg);
}

void ps2_flush(void)
{
    for (int i = 0; i < FLUSH_MAX && (inb(PS2_STATUS) & PS2_STATUS_OBF); i++)
        inb(PS2_DATA);
}

static int send_with_ack(uint8_t b)
{
    for (int i = 0; i < RETRIES; i++) {
        int err = ps2_write_data(b);
        int reply = err ? err : read_byte(REPLY_TIMEOUT_NS);
        if (reply == PS2_ACK)
            return 0;
        if (reply != PS2_RESEND)
            return reply < 0 ? reply : -EIO;
    }
    return -EIO;
}

int ps2_device_cmd(uint8_t cmd, int arg)
{
    int err = send_with_ack(cmd);
    if (!err && arg >= 0)
        err = send_with_ack((uint8_t)arg);
    return err;
}

/* Config with both IRQs off and translation on; the mouse port stays disabled (no driver yet). */
static int quiet_config(void)
{
    int cfg = ctrl_query(CMD_READ_CONFIG);
    if (cfg < 0)
        return cfg;
    cfg = (cfg & ~(CFG_KBD_IRQ | CFG_AUX_IRQ | CFG_KBD_CLOCK_OFF)) | CFG_TRANSLATE;
    return write_config((uint8_t)cfg);
}

int ps2_init(void)
{
    if (inb(PS2_STATUS) == 0xff)
        return -ENODEV; /* nothing decodes the port: no controller */
    /* Ports off first, so no device adds bytes while we drain the buffer and reconfigure. */
    if (ctrl_cmd(CMD_DISABLE_KBD) || ctrl_cmd(CMD_DISABLE_AUX))
        return -ENODEV;
    ps2_flush();
    int err = quiet_config();
    if (err)
        return err;
    if (ctrl_query(CMD_SELF_TEST) != SELF_TEST_OK)
        return -EIO;
    /* The self-test resets some controllers' configuration: set it again. */
    err = quiet_config();
    if (err)
        return err;
    if (ctrl_query(CMD_TEST_PORT1) != PORT_TEST_OK)
        return -ENODEV;
    err = ctrl_cmd(CMD_ENABLE_KBD);
    ps2_flush();
    return err;
}

int ps2_enable_irq(void)
{
    int cfg = ctrl_query(CMD_READ_CONFIG);
    if (cfg < 0)
        return cfg;
    return write_config((uint8_t)cfg | CFG_KBD_IRQ);
}
