/* Keyboard input: key events with Linux input key codes (so evdev can pass them through unchanged),
 * the scancode decoder (pure code, also host-tested), and the driver's non-blocking read interface. */
#pragma once
#include <kestrel/types.h>

/* Linux input key codes (the evdev ABI numbers). */
#define KEY_RESERVED     0
#define KEY_ESC          1
#define KEY_1            2
#define KEY_2            3
#define KEY_3            4
#define KEY_4            5
#define KEY_5            6
#define KEY_6            7
#define KEY_7            8
#define KEY_8            9
#define KEY_9            10
#define KEY_0            11
#define KEY_MINUS        12
#define KEY_EQUAL        13
#define KEY_BACKSPACE    14
#define KEY_TAB          15
#define KEY_Q            16
#define KEY_W            17
#define KEY_E            18
#define KEY_R            19
#define KEY_T            20
#define KEY_Y            21
#define KEY_U            22
#define KEY_I            23
#define KEY_O            24
#define KEY_P            25
#define KEY_LEFTBRACE    26
#define KEY_RIGHTBRACE   27
#define KEY_ENTER        28
#define KEY_LEFTCTRL     29
#define KEY_A            30
#define KEY_S            31
#define KEY_D            32
#define KEY_F            33
#define KEY_G            34
#define KEY_H            35
#define KEY_J            36
#define KEY_K            37
#define KEY_L            38
#define KEY_SEMICOLON    39
#define KEY_APOSTROPHE   40
#define KEY_GRAVE        41
#define KEY_LEFTSHIFT    42
#define KEY_BACKSLASH    43
#define KEY_Z            44
#define KEY_X            45
#define KEY_C            46
#define KEY_V            47
#define KEY_B            48
#define KEY_N            49
#define KEY_M            50
#define KEY_COMMA        51
#define KEY_DOT          52
#define KEY_SLASH        53
#define KEY_RIGHTSHIFT   54
#define KEY_KPASTERISK   55
#define KEY_LEFTALT      56
#define KEY_SPACE        57
#define KEY_CAPSLOCK     58
#define KEY_F1           59
#define KEY_F2           60
#define KEY_F3           61
#define KEY_F4           62
#define KEY_F5           63
#define KEY_F6           64
#define KEY_F7           65
#define KEY_F8           66
#define KEY_F9           67
#define KEY_F10          68
#define KEY_NUMLOCK      69
#define KEY_SCROLLLOCK   70
#define KEY_KP7          71
#define KEY_KP8          72
#define KEY_KP9          73
#define KEY_KPMINUS      74
#define KEY_KP4          75
#define KEY_KP5          76
#define KEY_KP6          77
#define KEY_KPPLUS       78
#define KEY_KP1          79
#define KEY_KP2          80
#define KEY_KP3          81
#define KEY_KP0          82
#define KEY_KPDOT        83
#define KEY_102ND        86
#define KEY_F11          87
#define KEY_F12          88
#define KEY_KPENTER      96
#define KEY_RIGHTCTRL    97
#define KEY_KPSLASH      98
#define KEY_SYSRQ        99
#define KEY_RIGHTALT     100
#define KEY_HOME         102
#define KEY_UP           103
#define KEY_PAGEUP       104
#define KEY_LEFT         105
#define KEY_RIGHT        106
#define KEY_END          107
#define KEY_DOWN         108
#define KEY_PAGEDOWN     109
#define KEY_INSERT       110
#define KEY_DELETE       111
#define KEY_MUTE         113
#define KEY_VOLUMEDOWN   114
#define KEY_VOLUMEUP     115
#define KEY_POWER        116
#define KEY_PAUSE        119
#define KEY_LEFTMETA     125
#define KEY_RIGHTMETA    126
#define KEY_COMPOSE      127
#define KEY_SLEEP        142
#define KEY_WAKEUP       143
#define KEY_NEXTSONG     163
#define KEY_PLAYPAUSE    164
#define KEY_PREVIOUSSONG 165
#define KEY_STOPCD       166
#define KEY_CODE_LIMIT   256 /* every code above is below this */

/* Event values, as evdev reports them. */
#define KEY_RELEASED 0
#define KEY_PRESSED  1
#define KEY_REPEATED 2 /* typematic repeat of a key that is still down */

/* Modifier and lock state; left and right keys are tracked separately. */
#define KMOD_LSHIFT 0x0001
#define KMOD_RSHIFT 0x0002
#define KMOD_LCTRL  0x0004
#define KMOD_RCTRL  0x0008
#define KMOD_LALT   0x0010
#define KMOD_RALT   0x0020
#define KMOD_LMETA  0x0040
#define KMOD_RMETA  0x0080
#define KMOD_CAPS   0x0100 /* the lock states, toggled on each press */
#define KMOD_NUM    0x0200
#define KMOD_SCROLL 0x0400
#define KMOD_SHIFT  (KMOD_LSHIFT | KMOD_RSHIFT)
#define KMOD_CTRL   (KMOD_LCTRL | KMOD_RCTRL)
#define KMOD_ALT    (KMOD_LALT | KMOD_RALT)
#define KMOD_META   (KMOD_LMETA | KMOD_RMETA)
#define KMOD_LOCKS  (KMOD_CAPS | KMOD_NUM | KMOD_SCROLL)

struct key_event {
    uint64_t time_ns; /* time_ns() when the driver decoded it; 0 from the bare decoder */
    uint16_t code;    /* KEY_* */
    uint16_t mods;    /* KMOD_* after this event took effect */
    uint8_t value;    /* KEY_RELEASED, KEY_PRESSED or KEY_REPEATED */
};

/* Scancode set 1 decoder state: one per keyboard. */
struct kbd_decoder {
    bool e0;         /* the previous byte was the 0xE0 extension prefix */
    uint8_t e1_left; /* bytes still to come of a 0xE1 (Pause) sequence */
    uint16_t mods;
    uint64_t down[KEY_CODE_LIMIT / 64]; /* keys held now, to tell repeats and stray releases apart */
};

void kbd_decoder_init(struct kbd_decoder *d);
/* Feeds one byte from the keyboard; returns true when it completed an event, stored in *ev. Prefixes,
 * controller replies (ACK, resend, errors) and unknown codes return false. */
bool kbd_decode(struct kbd_decoder *d, uint8_t byte, struct key_event *ev);

/* The longest text one key produces: ESC (Alt) + "\x1b[15~". */
#define KBD_TEXT_MAX 8
/* The text a press or repeat types on a US layout: characters (Enter is '\r', Backspace 0x7f, Ctrl+letter
 * a control character, Alt prefixes ESC) or an xterm escape sequence for arrows, editing and function
 * keys. Returns its length (0 for releases and keys that type nothing); out is not NUL-terminated. */
size_t kbd_translate(const struct key_event *ev, char out[KBD_TEXT_MAX]);

/* The PS/2 keyboard driver. Initializes the i8042 and the keyboard and routes IRQ 1; -ENODEV without one.
 * With "kbdecho" on the command line every typed character is also logged as a "kbd: '<c>'" line. */
int keyboard_init(void);
/* The oldest unread key event; -EAGAIN when there is none. Never blocks; callable from any context. */
int keyboard_read_event(struct key_event *ev);
/* Handles one byte as if the keyboard had sent it (tests use it; so could a virtual keyboard). */
void keyboard_inject(uint8_t scancode);
/* The oldest unread typed byte (0-255); -EAGAIN when there is none. Never blocks. */
int keyboard_getchar(void);
/* Also hands the text of every key to fn (the console tty), in the context that decoded it - the
 * interrupt handler, or keyboard_inject's caller. The text still goes to keyboard_getchar's ring. */
void keyboard_set_text_hook(void (*fn)(const char *s, size_t n));
