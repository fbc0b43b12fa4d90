/* Host tests for the scancode set 1 decoder and the US-layout translation (kernel/drivers/keymap.c). */
#include "htest.h"
#include <kestrel/keyboard.h>
#include <string.h>

/* Feeds bytes and returns the events they completed (at most max). */
static int feed(struct kbd_decoder *d, const uint8_t *bytes, size_t n, struct key_event *evs, int max)
{
    int got = 0;
    for (size_t i = 0; i < n; i++) {
        struct key_event ev;
        if (kbd_decode(d, bytes[i], &ev) && got < max)
            evs[got++] = ev;
    }
    return got;
}

#define FEED(d, evs, ...)                                                                                    \
    feed((d), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), (evs), 16)

/* The text one byte sequence types, concatenated over all its events. */
static size_t type_text(struct kbd_decoder *d, const uint8_t *bytes, size_t n, char *out)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        struct key_event ev;
        if (kbd_decode(d, bytes[i], &ev))
            len += kbd_translate(&ev, out + len);
    }
    out[len] = 0;
    return len;
}

#define TYPE(d, out, ...)                                                                                    \
    type_text((d), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), (out))

HTEST(keymap_press_and_release)
{
    struct kbd_decoder d;
    struct key_event ev[16];
    kbd_decoder_init(&d);
    HASSERT(t, FEED(&d, ev, 0x1e, 0x9e) == 2);
    HEXPECT_EQ(t, ev[0].code, KEY_A);
    HEXPECT_EQ(t, ev[0].value, KEY_PRESSED);
    HEXPECT_EQ(t, ev[1].code, KEY_A);
    HEXPECT_EQ(t, ev[1].value, KEY_RELEASED);
    HEXPECT_EQ(t, ev[0].time_ns, 0);
}

HTEST(keymap_repeat_and_stray_release)
{
    struct kbd_decoder d;
    struct key_event ev[16];
    kbd_decoder_init(&d);
    /* Typematic repeat sends the make code again; a break for a key never pressed is dropped. */
    HASSERT(t, FEED(&d, ev, 0x10, 0x10, 0x90, 0x91) == 3);
    HEXPECT_EQ(t, ev[0].value, KEY_PRESSED);
    HEXPECT_EQ(t, ev[1].value, KEY_REPEATED);
    HEXPECT_EQ(t, ev[2].value, KEY_RELEASED);
}

HTEST(keymap_plain_codes_follow_linux_numbering)
{
    struct kbd_decoder d;
    struct key_event ev[16];
    kbd_decoder_init(&d);
    HASSERT(t, FEED(&d, ev, 0x01, 0x39, 0x1c, 0x57, 0x58, 0x52) == 6);
    HEXPECT_EQ(t, ev[0].code, KEY_ESC);
    HEXPECT_EQ(t, ev[1].code, KEY_SPACE);
    HEXPECT_EQ(t, ev[2].code, KEY_ENTER);
    HEXPECT_EQ(t, ev[3].code, KEY_F11);
    HEXPECT_EQ(t, ev[4].code, KEY_F12);
    HEXPECT_EQ(t, ev[5].code, KEY_KP0);
}

HTEST(keymap_extended_keys)
{
    struct kbd_decoder d;
    struct key_event ev[16];
    kbd_decoder_init(&d);
    int n = FEED(&d, ev, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x1d, 0xe0, 0x38, 0xe0, 0x1c, 0xe0, 0x53, 0xe0, 0x47,
                 0xe0, 0x4f, 0xe0, 0x49, 0xe0, 0x51, 0xe0, 0x52, 0xe0, 0x4b, 0xe0, 0x4d, 0xe0, 0x50);
    HASSERT(t, n == 14);
    static const uint16_t want[] = {KEY_UP,     KEY_UP,   KEY_RIGHTCTRL, KEY_RIGHTALT, KEY_KPENTER,
                                    KEY_DELETE, KEY_HOME, KEY_END,       KEY_PAGEUP,   KEY_PAGEDOWN,
                                    KEY_INSERT, KEY_LEFT, KEY_RIGHT,     KEY_DOWN};
    for (int i = 0; i < n; i++)
        HEXPECT_EQ(t, ev[i].code, want[i]);
    HEXPECT_EQ(t, ev[1].value, KEY_RELEASED);
    HEXPECT(t, ev[2].mods & KMOD_RCTRL);
    HEXPECT(t, ev[3].mods & KMOD_RALT);
}

HTEST(keymap_fake_shifts_and_pause)
{
    struct kbd_decoder d;
    struct key_event ev[16];
    kbd_decoder_init(&d);
    /* PrintScreen wrapped in fake shifts: only SysRq press and release come out. */
    HASSERT(t, FEED(&d, ev, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa) == 2);
    HEXPECT_EQ(t, ev[0].code, KEY_SYSRQ);
    HEXPECT_EQ(t, ev[0].mods & KMOD_SHIFT, 0);
    /* Pause sends its make and break halves back to back. */
    HASSERT(t, FEED(&d, ev, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5) == 2);
    HEXPECT_EQ(t, ev[0].code, KEY_PAUSE);
    HEXPECT_EQ(t, ev[0].value, KEY_PRESSED);
    HEXPECT_EQ(t, ev[1].value, KEY_RELEASED);
    HEXPECT_EQ(t, ev[1].mods & KMOD_CTRL, 0); /* the 1D inside the sequence is not a Ctrl press */
}

HTEST(keymap_ignores_controller_replies)
{
    struct kbd_decoder d;
    struct key_event ev[16];
    kbd_decoder_init(&d);
    HEXPECT_EQ(t, FEED(&d, ev, 0xfa, 0xfe, 0x00, 0xff, 0xee, 0xaa), 0);
    HEXPECT_EQ(t, FEED(&d, ev, 0x55, 0x59), 0); /* unassigned codes */
}

HTEST(keymap_shift_letters_and_symbols)
{
    struct kbd_decoder d;
    char out[64];
    kbd_decoder_init(&d);
    /* a, Shift+b, Shift+1, right Shift+/, then a again after both shifts are up. */
    TYPE(&d, out, 0x1e, 0x9e, 0x2a, 0x30, 0xb0, 0x02, 0x82, 0xaa, 0x36, 0x35, 0xb5, 0xb6, 0x1e, 0x9e);
    HEXPECT(t, strcmp(out, "aB!?a") == 0);
}

HTEST(keymap_caps_lock_toggles_letters_only)
{
    struct kbd_decoder d;
    char out[64];
    kbd_decoder_init(&d);
    struct key_event ev[16];
    HASSERT(t, FEED(&d, ev, 0x3a, 0xba) == 2);
    HEXPECT(t, ev[0].mods & KMOD_CAPS);
    TYPE(&d, out, 0x1e, 0x9e, 0x02, 0x82, 0x2a, 0x1e, 0x9e, 0xaa);
    HEXPECT(t, strcmp(out, "A1a") == 0);
    /* A held Caps Lock repeating must not toggle it again; the next press does. */
    HASSERT(t, FEED(&d, ev, 0x3a, 0x3a, 0xba) == 3);
    HEXPECT(t, !(ev[2].mods & KMOD_CAPS));
}

HTEST(keymap_ctrl_and_alt)
{
    struct kbd_decoder d;
    char out[64];
    kbd_decoder_init(&d);
    /* Ctrl+C, Ctrl+[ , right Ctrl+Shift+A, then Alt+x. */
    size_t n = TYPE(&d, out, 0x1d, 0x2e, 0xae, 0x1a, 0x9a, 0x9d, 0xe0, 0x1d, 0x2a, 0x1e, 0x9e, 0xaa, 0xe0,
                    0x9d, 0x38, 0x2d, 0xad, 0xb8);
    HASSERT(t, n == 5);
    HEXPECT(t, memcmp(out, "\x03\x1b\x01\x1bx", 5) == 0);
}

HTEST(keymap_escape_sequences_and_keypad)
{
    struct kbd_decoder d;
    char out[64];
    kbd_decoder_init(&d);
    TYPE(&d, out, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x53, 0xe0, 0xd3, 0x3b, 0xbb, 0x1c, 0x9c, 0x0e, 0x8e);
    HEXPECT(t, strcmp(out, "\x1b[A\x1b[3~\x1bOP\r\x7f") == 0);
    /* Keypad 7 is Home with Num Lock off and '7' with it on; keypad Enter is Enter either way. */
    TYPE(&d, out, 0x47, 0xc7, 0x45, 0xc5, 0x47, 0xc7, 0xe0, 0x1c, 0xe0, 0x9c, 0x4a, 0xca);
    HEXPECT(t, strcmp(out, "\x1b[H7\r-") == 0);
}

HTEST(keymap_releases_type_nothing)
{
    struct key_event ev = {.code = KEY_A, .mods = 0, .value = KEY_RELEASED};
    char out[KBD_TEXT_MAX];
    HEXPECT_EQ(t, kbd_translate(&ev, out), 0);
    ev = (struct key_event){.code = KEY_LEFTSHIFT, .mods = KMOD_LSHIFT, .value = KEY_PRESSED};
    HEXPECT_EQ(t, kbd_translate(&ev, out), 0);
    /* The longest text: Alt + F5. */
    ev = (struct key_event){.code = KEY_F5, .mods = KMOD_LALT, .value = KEY_PRESSED};
    HEXPECT_EQ(t, kbd_translate(&ev, out), 6);
}
