/* Scancode set 1 to key events, and key events to text on a US layout. Pure code: a state machine fed
 * one byte at a time, with no I/O and no globals, so the host tests can drive it. */
#include <kestrel/keyboard.h>
#include <kestrel/string.h>

#define SC_RELEASE     0x80 /* set 1: the break code is the make code with bit 7 set */
#define SC_E0          0xe0
#define SC_E1          0xe1
#define SC_PAUSE       0x45 /* last byte of the Pause make sequence E1 1D 45 (break: E1 9D C5) */
#define SC_FAKE_LSHIFT 0x2a /* E0 2A / E0 36: fake shifts some keyboards wrap around extended keys */
#define SC_FAKE_RSHIFT 0x36

#define ESC "\x1b"

void kbd_decoder_init(struct kbd_decoder *d)
{
    memset(d, 0, sizeof(*d));
}

/* Bytes that are replies or errors, never keys: ACK, resend, echo, and the two overrun codes. */
static bool is_controller_reply(uint8_t b)
{
    return b == 0xfa || b == 0xfe || b == 0xee || b == 0x00 || b == 0xff;
}

/* Linux numbers its key codes after the set 1 make codes, so the plain codes up to the keypad's dot are
 * the scancodes themselves. */
static uint16_t plain_code(uint8_t sc)
{
    if (sc >= 0x01 && sc <= 0x53)
        return sc;
    switch (sc) {
    case 0x54:
        return KEY_SYSRQ; /* Alt+PrintScreen */
    case 0x56:
        return KEY_102ND;
    case 0x57:
        return KEY_F11;
    case 0x58:
        return KEY_F12;
    }
    return KEY_RESERVED;
}

static uint16_t extended_code(uint8_t sc)
{
    static const uint8_t map[0x80] = {
        [0x10] = KEY_PREVIOUSSONG, [0x19] = KEY_NEXTSONG,  [0x1c] = KEY_KPENTER, [0x1d] = KEY_RIGHTCTRL,
        [0x20] = KEY_MUTE,         [0x22] = KEY_PLAYPAUSE, [0x24] = KEY_STOPCD,  [0x2e] = KEY_VOLUMEDOWN,
        [0x30] = KEY_VOLUMEUP,     [0x35] = KEY_KPSLASH,   [0x37] = KEY_SYSRQ,   [0x38] = KEY_RIGHTALT,
        [0x46] = KEY_PAUSE,        [0x47] = KEY_HOME,      [0x48] = KEY_UP,      [0x49] = KEY_PAGEUP,
        [0x4b] = KEY_LEFT,         [0x4d] = KEY_RIGHT,     [0x4f] = KEY_END,     [0x50] = KEY_DOWN,
        [0x51] = KEY_PAGEDOWN,     [0x52] = KEY_INSERT,    [0x53] = KEY_DELETE,  [0x5b] = KEY_LEFTMETA,
        [0x5c] = KEY_RIGHTMETA,    [0x5d] = KEY_COMPOSE,   [0x5e] = KEY_POWER,   [0x5f] = KEY_SLEEP,
        [0x63] = KEY_WAKEUP,
    };
    return map[sc & 0x7f];
}

static uint16_t modifier_bit(uint16_t code)
{
    switch (code) {
    case KEY_LEFTSHIFT:
        return KMOD_LSHIFT;
    case KEY_RIGHTSHIFT:
        return KMOD_RSHIFT;
    case KEY_LEFTCTRL:
        return KMOD_LCTRL;
    case KEY_RIGHTCTRL:
        return KMOD_RCTRL;
    case KEY_LEFTALT:
        return KMOD_LALT;
    case KEY_RIGHTALT:
        return KMOD_RALT;
    case KEY_LEFTMETA:
        return KMOD_LMETA;
    case KEY_RIGHTMETA:
        return KMOD_RMETA;
    }
    return 0;
}

static uint16_t lock_bit(uint16_t code)
{
    switch (code) {
    case KEY_CAPSLOCK:
        return KMOD_CAPS;
    case KEY_NUMLOCK:
        return KMOD_NUM;
    case KEY_SCROLLLOCK:
        return KMOD_SCROLL;
    }
    return 0;
}

static bool is_down(const struct kbd_decoder *d, uint16_t code)
{
    return d->down[code / 64] & (1ull << (code % 64));
}

static void set_down(struct kbd_decoder *d, uint16_t code, bool down)
{
    if (down)
        d->down[code / 64] |= 1ull << (code % 64);
    else
        d->down[code / 64] &= ~(1ull << (code % 64));
}

/* Applies a key transition to the key and modifier state and describes it in *ev. */
static bool key_event(struct kbd_decoder *d, uint16_t code, bool release, struct key_event *ev)
{
    if (release && !is_down(d, code))
        return false; /* a release we never saw pressed (held during boot, or a self-test reply) */
    uint8_t value = release ? KEY_RELEASED : (is_down(d, code) ? KEY_REPEATED : KEY_PRESSED);
    set_down(d, code, !release);
    uint16_t mod = modifier_bit(code);
    d->mods = release ? d->mods & ~mod : d->mods | mod;
    if (value == KEY_PRESSED)
        d->mods ^= lock_bit(code);
    *ev = (struct key_event){.code = code, .mods = d->mods, .value = value};
    return true;
}

/* Pause has no break code of its own: E1 1D 45 E1 9D C5 arrives all at once on press. The two halves
 * become a press and a release. */
static bool pause_byte(struct kbd_decoder *d, uint8_t b, struct key_event *ev)
{
    if (--d->e1_left)
        return false;
    if ((b & ~SC_RELEASE) != SC_PAUSE)
        return false;
    return key_event(d, KEY_PAUSE, b & SC_RELEASE, ev);
}

bool kbd_decode(struct kbd_decoder *d, uint8_t b, struct key_event *ev)
{
    if (is_controller_reply(b))
        return false;
    if (d->e1_left)
        return pause_byte(d, b, ev);
    if (b == SC_E1 || b == SC_E0) {
        d->e1_left = b == SC_E1 ? 2 : 0;
        d->e0 = b == SC_E0;
        return false;
    }
    bool ext = d->e0;
    d->e0 = false;
    uint8_t sc = b & ~SC_RELEASE;
    if (ext && (sc == SC_FAKE_LSHIFT || sc == SC_FAKE_RSHIFT))
        return false;
    uint16_t code = ext ? extended_code(sc) : plain_code(sc);
    return code != KEY_RESERVED && key_event(d, code, b & SC_RELEASE, ev);
}

/* US layout, indexed by key code: what the key types plain and with Shift. */
static const char plain_chars[KEY_SPACE + 1] = {
    [KEY_ESC] = 0x1b,       [KEY_1] = '1',          [KEY_2] = '2',           [KEY_3] = '3',
    [KEY_4] = '4',          [KEY_5] = '5',          [KEY_6] = '6',           [KEY_7] = '7',
    [KEY_8] = '8',          [KEY_9] = '9',          [KEY_0] = '0',           [KEY_MINUS] = '-',
    [KEY_EQUAL] = '=',      [KEY_BACKSPACE] = 0x7f, [KEY_TAB] = '\t',        [KEY_Q] = 'q',
    [KEY_W] = 'w',          [KEY_E] = 'e',          [KEY_R] = 'r',           [KEY_T] = 't',
    [KEY_Y] = 'y',          [KEY_U] = 'u',          [KEY_I] = 'i',           [KEY_O] = 'o',
    [KEY_P] = 'p',          [KEY_LEFTBRACE] = '[',  [KEY_RIGHTBRACE] = ']',  [KEY_ENTER] = '\r',
    [KEY_A] = 'a',          [KEY_S] = 's',          [KEY_D] = 'd',           [KEY_F] = 'f',
    [KEY_G] = 'g',          [KEY_H] = 'h',          [KEY_J] = 'j',           [KEY_K] = 'k',
    [KEY_L] = 'l',          [KEY_SEMICOLON] = ';',  [KEY_APOSTROPHE] = '\'', [KEY_GRAVE] = '`',
    [KEY_BACKSLASH] = '\\', [KEY_Z] = 'z',          [KEY_X] = 'x',           [KEY_C] = 'c',
    [KEY_V] = 'v',          [KEY_B] = 'b',          [KEY_N] = 'n',           [KEY_M] = 'm',
    [KEY_COMMA] = ',',      [KEY_DOT] = '.',        [KEY_SLASH] = '/',       [KEY_KPASTERISK] = '*',
    [KEY_SPACE] = ' ',
};

static const char shifted_chars[KEY_SPACE + 1] = {
    [KEY_ESC] = 0x1b,      [KEY_1] = '!',          [KEY_2] = '@',          [KEY_3] = '#',
    [KEY_4] = '$',         [KEY_5] = '%',          [KEY_6] = '^',          [KEY_7] = '&',
    [KEY_8] = '*',         [KEY_9] = '(',          [KEY_0] = ')',          [KEY_MINUS] = '_',
    [KEY_EQUAL] = '+',     [KEY_BACKSPACE] = 0x7f, [KEY_TAB] = '\t',       [KEY_Q] = 'Q',
    [KEY_W] = 'W',         [KEY_E] = 'E',          [KEY_R] = 'R',          [KEY_T] = 'T',
    [KEY_Y] = 'Y',         [KEY_U] = 'U',          [KEY_I] = 'I',          [KEY_O] = 'O',
    [KEY_P] = 'P',         [KEY_LEFTBRACE] = '{',  [KEY_RIGHTBRACE] = '}', [KEY_ENTER] = '\r',
    [KEY_A] = 'A',         [KEY_S] = 'S',          [KEY_D] = 'D',          [KEY_F] = 'F',
    [KEY_G] = 'G',         [KEY_H] = 'H',          [KEY_J] = 'J',          [KEY_K] = 'K',
    [KEY_L] = 'L',         [KEY_SEMICOLON] = ':',  [KEY_APOSTROPHE] = '"', [KEY_GRAVE] = '~',
    [KEY_BACKSLASH] = '|', [KEY_Z] = 'Z',          [KEY_X] = 'X',          [KEY_C] = 'C',
    [KEY_V] = 'V',         [KEY_B] = 'B',          [KEY_N] = 'N',          [KEY_M] = 'M',
    [KEY_COMMA] = '<',     [KEY_DOT] = '>',        [KEY_SLASH] = '?',      [KEY_KPASTERISK] = '*',
    [KEY_SPACE] = ' ',
};

/* Keys that type an escape sequence (xterm's, which every terminal emulator understands). */
static const struct {
    uint16_t code;
    const char *text;
} sequences[] = {
    {KEY_UP, ESC "[A"},      {KEY_DOWN, ESC "[B"},      {KEY_RIGHT, ESC "[C"},   {KEY_LEFT, ESC "[D"},
    {KEY_HOME, ESC "[H"},    {KEY_END, ESC "[F"},       {KEY_INSERT, ESC "[2~"}, {KEY_DELETE, ESC "[3~"},
    {KEY_PAGEUP, ESC "[5~"}, {KEY_PAGEDOWN, ESC "[6~"}, {KEY_F1, ESC "OP"},      {KEY_F2, ESC "OQ"},
    {KEY_F3, ESC "OR"},      {KEY_F4, ESC "OS"},        {KEY_F5, ESC "[15~"},    {KEY_F6, ESC "[17~"},
    {KEY_F7, ESC "[18~"},    {KEY_F8, ESC "[19~"},      {KEY_F9, ESC "[20~"},    {KEY_F10, ESC "[21~"},
    {KEY_F11, ESC "[23~"},   {KEY_F12, ESC "[24~"},
};

static const char *sequence(uint16_t code)
{
    for (size_t i = 0; i < ARRAY_SIZE(sequences); i++)
        if (sequences[i].code == code)
            return sequences[i].text;
    return NULL;
}

/* The keypad: digits with Num Lock on, the editing keys printed on it with Num Lock off. */
static uint16_t keypad_key(uint16_t code, bool numlock, char *c)
{
    static const char digits[] = "789-456+1230.";
    static const uint16_t editing[] = {KEY_HOME,     KEY_UP,     KEY_PAGEUP, KEY_KPMINUS, KEY_LEFT,
                                       KEY_KP5,      KEY_RIGHT,  KEY_KPPLUS, KEY_END,     KEY_DOWN,
                                       KEY_PAGEDOWN, KEY_INSERT, KEY_DELETE};
    *c = 0;
    if (code == KEY_KPENTER || code == KEY_KPSLASH) {
        *c = code == KEY_KPENTER ? '\r' : '/';
        return code;
    }
    if (code < KEY_KP7 || code > KEY_KPDOT)
        return code;
    unsigned i = code - KEY_KP7;
    if (numlock || code == KEY_KPMINUS || code == KEY_KPPLUS) {
        *c = digits[i];
        return code;
    }
    return editing[i];
}

static bool is_letter(char c)
{
    return c >= 'a' && c <= 'z';
}

/* Ctrl turns '@'..'~' into the control characters 0-31 (Ctrl+A is 1, Ctrl+[ is ESC), Space into NUL
 * and '?' into DEL, as terminals do. */
static char apply_ctrl(char c)
{
    if (c >= '@' && c <= '~')
        return c & 0x1f;
    if (c == ' ')
        return 0;
    return c == '?' ? 0x7f : c;
}

/* The single character a key types under mods, or -1 when it types none. */
static int key_char(uint16_t code, uint16_t mods)
{
    if (code > KEY_SPACE || !plain_chars[code])
        return -1;
    char plain = plain_chars[code];
    bool shift = mods & KMOD_SHIFT;
    if (is_letter(plain) && (mods & KMOD_CAPS))
        shift = !shift;
    char c = shift ? shifted_chars[code] : plain;
    return (uint8_t)(mods & KMOD_CTRL ? apply_ctrl(c) : c);
}

size_t kbd_translate(const struct key_event *ev, char out[KBD_TEXT_MAX])
{
    if (ev->value == KEY_RELEASED)
        return 0;
    char kp;
    uint16_t code = keypad_key(ev->code, ev->mods & KMOD_NUM, &kp);
    int c = kp ? (uint8_t)kp : key_char(code, ev->mods);
    const char *seq = c < 0 ? sequence(code) : NULL;
    if (c < 0 && !seq)
        return 0;
    size_t n = 0;
    /* Alt (Meta) sends ESC before the key's text, like xterm's metaSendsEscape and the Linux console. */
    if (ev->mods & KMOD_ALT)
        out[n++] = 0x1b;
    if (seq) {
        size_t len = strlen(seq);
        memcpy(out + n, seq, len);
        return n + len;
    }
    out[n++] = (char)c;
    return n;
}
