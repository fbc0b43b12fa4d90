/* The PS/2 keyboard driver: IRQ 1 feeds scancodes to the decoder, and the results wait in two rings,
 * key events (for evdev) and typed bytes (for the console), until someone reads them. The lock LEDs
 * follow Caps/Num/Scroll Lock through a small state machine driven by the keyboard's ACKs, so the
 * interrupt handler never waits for a reply. */
#include "ps2.h"
#include <arch/io.h>
#include <kestrel/clock.h>
#include <kestrel/cmdline.h>
#include <kestrel/irq.h>
#include <kestrel/keyboard.h>
#include <kestrel/printk.h>
#include <kestrel/ringbuf.h>
#include <kestrel/spinlock.h>
#include <uapi/errno.h>

#define KBD_IRQ 1

#define DEV_SET_LEDS      0xed
#define DEV_SET_SCANCODES 0xf0
#define DEV_ENABLE_SCAN   0xf4
#define DEV_DISABLE_SCAN  0xf5
#define SCANCODE_SET_2    2 /* what the controller's translation expects */

#define LED_SCROLL  0x1
#define LED_NUM     0x2
#define LED_CAPS    0x4
#define LED_RETRIES 3

_Static_assert(sizeof(struct key_event) == 16, "the event ring holds whole 16-byte records");
#define EVENT_RING_BYTES (64 * sizeof(struct key_event))
#define CHAR_RING_BYTES  256

enum led_state {
    LED_IDLE,
    LED_WAIT_CMD_ACK,   /* sent DEV_SET_LEDS */
    LED_WAIT_VALUE_ACK, /* sent the LED bits */
};

/* Everything below is protected by kbd_lock: the IRQ handler writes it, readers consume it. */
static struct spinlock kbd_lock = SPINLOCK_INIT("keyboard");
static struct kbd_decoder decoder;
static uint8_t event_mem[EVENT_RING_BYTES];
static uint8_t char_mem[CHAR_RING_BYTES];
static struct ringbuf events = {.data = event_mem, .cap = EVENT_RING_BYTES};
static struct ringbuf chars = {.data = char_mem, .cap = CHAR_RING_BYTES};
static enum led_state led_state;
static uint8_t led_sent; /* the LED bits last sent or being sent */
static int led_retries;
static bool hw_ready; /* the i8042 is initialized: LED commands may go out */

static bool echo; /* "kbdecho": log every typed byte (read-only after init) */
static void (*text_hook)(const char *s, size_t n); /* set once at boot */

static uint8_t led_bits(uint16_t mods)
{
    return (mods & KMOD_CAPS ? LED_CAPS : 0) | (mods & KMOD_NUM ? LED_NUM : 0) |
           (mods & KMOD_SCROLL ? LED_SCROLL : 0);
}

/* Starts an LED update when the lock keys and the LEDs disagree and no update is in flight. */
static void led_sync(void)
{
    if (!hw_ready || led_state != LED_IDLE || led_bits(decoder.mods) == led_sent)
        return;
    led_sent = led_bits(decoder.mods);
    led_retries = 0;
    if (ps2_write_data(DEV_SET_LEDS) == 0)
        led_state = LED_WAIT_CMD_ACK;
}

/* Consumes the keyboard's replies to LED commands; returns false for bytes that are not one. */
static bool led_reply(uint8_t b)
{
    if (led_state == LED_IDLE || (b != PS2_ACK && b != PS2_RESEND))
        return false;
    if (b == PS2_RESEND && ++led_retries > LED_RETRIES) {
        led_state = LED_IDLE; /* the keyboard does not want it; the LEDs stay stale */
        return true;
    }
    bool cmd = led_state == LED_WAIT_CMD_ACK;
    if (b == PS2_RESEND)
        ps2_write_data(cmd ? DEV_SET_LEDS : led_sent);
    else if (cmd && ps2_write_data(led_sent) == 0)
        led_state = LED_WAIT_VALUE_ACK;
    else
        led_state = LED_IDLE;
    if (led_state == LED_IDLE)
        led_sync(); /* the locks may have changed again meanwhile */
    return true;
}

/* When a ring is full the newest input is lost: nobody is reading, and what was typed first matters
 * more to whoever eventually does. */
static void queue(const struct key_event *ev, const char *text, size_t n)
{
    if (ringbuf_space(&events) >= sizeof(*ev))
        ringbuf_write(&events, ev, sizeof(*ev));
    /* All of a key's text or none of it: half an escape sequence would be worse than none. */
    if (ringbuf_space(&chars) >= n)
        ringbuf_write(&chars, text, n);
}

/* Decodes one byte under kbd_lock; returns the length of the text it typed (into text). */
static size_t feed_locked(uint8_t b, char text[KBD_TEXT_MAX])
{
    if (led_reply(b))
        return 0;
    struct key_event ev;
    if (!kbd_decode(&decoder, b, &ev))
        return 0;
    ev.time_ns = time_ns();
    size_t n = kbd_translate(&ev, text);
    queue(&ev, text, n);
    led_sync();
    return n;
}

/* One line per byte: printable ASCII as itself, backslash and quote escaped, the rest as \xHH. */
static void echo_text(const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = text[i];
        if (c == '\\' || c == '\'')
            printk(LOG_INFO, "kbd: '\\%c'\n", c);
        else if (c >= 0x20 && c < 0x7f)
            printk(LOG_INFO, "kbd: '%c'\n", c);
        else
            printk(LOG_INFO, "kbd: '\\x%02x'\n", c);
    }
}

void keyboard_inject(uint8_t scancode)
{
    char text[KBD_TEXT_MAX];
    uint64_t flags = spin_lock_irqsave(&kbd_lock);
    size_t n = feed_locked(scancode, text);
    spin_unlock_irqrestore(&kbd_lock, flags);
    /* Logged outside the lock: printk is slow and keyboard readers should not wait for it. */
    if (echo)
        echo_text(text, n);
    /* Outside the lock too: the terminal echoes, which may print. */
    if (n && text_hook)
        text_hook(text, n);
}

void keyboard_set_text_hook(void (*fn)(const char *s, size_t n))
{
    text_hook = fn;
}

static void keyboard_irq(struct trap_frame *f)
{
    (void)f;
    uint8_t status = inb(PS2_STATUS);
    if (!(status & PS2_STATUS_OBF))
        return; /* nothing there: another device on a shared line, or a spurious edge */
    uint8_t b = inb(PS2_DATA);
    if (!(status & PS2_STATUS_AUX)) /* mouse bytes are dropped until there is a mouse driver */
        keyboard_inject(b);
}

int keyboard_read_event(struct key_event *ev)
{
    uint64_t flags = spin_lock_irqsave(&kbd_lock);
    size_t got = ringbuf_len(&events) >= sizeof(*ev) ? ringbuf_read(&events, ev, sizeof(*ev)) : 0;
    spin_unlock_irqrestore(&kbd_lock, flags);
    return got ? 0 : -EAGAIN;
}

int keyboard_getchar(void)
{
    uint8_t c;
    uint64_t flags = spin_lock_irqsave(&kbd_lock);
    size_t got = ringbuf_read(&chars, &c, 1);
    spin_unlock_irqrestore(&kbd_lock, flags);
    return got ? c : -EAGAIN;
}

/* Puts the keyboard itself in a known state: scancode set 2 (translated to set 1), LEDs off. */
static int setup_device(void)
{
    int err = ps2_device_cmd(DEV_DISABLE_SCAN, -1);
    if (!err)
        err = ps2_device_cmd(DEV_SET_SCANCODES, SCANCODE_SET_2);
    if (!err)
        err = ps2_device_cmd(DEV_SET_LEDS, 0);
    if (!err)
        err = ps2_device_cmd(DEV_ENABLE_SCAN, -1);
    return err;
}

int keyboard_init(void)
{
    int err = ps2_init();
    if (!err)
        err = setup_device();
    if (err) {
        pr_warn("keyboard: no PS/2 keyboard (%d)\n", err);
        return err;
    }
    echo = cmdline_get("kbdecho") != NULL;
    ps2_flush();
    /* The vector and route first, then the controller's IRQ output: the first interrupt must find its
     * handler. Interrupts are still disabled globally here. */
    err = irq_install_isa(KBD_IRQ, keyboard_irq);
    if (!err)
        err = ps2_enable_irq();
    hw_ready = err == 0;
    return err;
}
