/* KTAP tests of the keyboard: the scancode decoder on synthetic input, and the driver's rings fed
 * through keyboard_inject exactly as the IRQ handler feeds them. */
#include <kestrel/keyboard.h>
#include <kestrel/ktest.h>
#include <kestrel/string.h>
#include <uapi/errno.h>

static void keyboard_decoder_handles_shift_and_extended_keys(struct ktest *t)
{
    static const uint8_t bytes[] = {0x2a, 0x1e, 0x9e, 0xaa, 0xe0, 0x4b, 0xe0, 0xcb, 0x1d, 0x2e, 0xae, 0x9d};
    struct kbd_decoder d;
    kbd_decoder_init(&d);
    char text[32];
    size_t len = 0;
    int events = 0;
    for (size_t i = 0; i < sizeof(bytes); i++) {
        struct key_event ev;
        if (!kbd_decode(&d, bytes[i], &ev))
            continue;
        events++;
        len += kbd_translate(&ev, text + len);
    }
    KTEST_EXPECT_EQ(t, events, 10);
    KTEST_ASSERT_EQ(t, len, 5);
    KTEST_EXPECT(t, memcmp(text, "A\x1b[D\x03", 5) == 0);
    KTEST_EXPECT_EQ(t, d.mods, 0);
}

static void drain(void)
{
    struct key_event ev;
    while (keyboard_getchar() >= 0)
        ;
    while (keyboard_read_event(&ev) == 0)
        ;
}

static void keyboard_injected_keys_reach_both_rings(struct ktest *t)
{
    drain();
    struct key_event ev;
    keyboard_inject(0x30); /* b down */
    keyboard_inject(0xb0); /* b up */
    KTEST_ASSERT_EQ(t, keyboard_read_event(&ev), 0);
    KTEST_EXPECT_EQ(t, ev.code, KEY_B);
    KTEST_EXPECT_EQ(t, ev.value, KEY_PRESSED);
    KTEST_EXPECT(t, ev.time_ns > 0);
    KTEST_ASSERT_EQ(t, keyboard_read_event(&ev), 0);
    KTEST_EXPECT_EQ(t, ev.value, KEY_RELEASED);
    KTEST_EXPECT_EQ(t, keyboard_read_event(&ev), -EAGAIN);
    KTEST_EXPECT_EQ(t, keyboard_getchar(), 'b');
    KTEST_EXPECT_EQ(t, keyboard_getchar(), -EAGAIN);
}

static void keyboard_full_rings_keep_the_oldest_input(struct ktest *t)
{
    drain();
    for (int i = 0; i < 400; i++) {
        keyboard_inject(0x1e); /* a */
        keyboard_inject(0x9e);
    }
    int chars = 0;
    while (keyboard_getchar() == 'a')
        chars++;
    KTEST_EXPECT(t, chars >= 64 && chars < 400);
    KTEST_EXPECT_EQ(t, keyboard_getchar(), -EAGAIN);
    drain();
}

KTEST_SUITE(keyboard, KTEST_CASE(keyboard_decoder_handles_shift_and_extended_keys),
            KTEST_CASE(keyboard_injected_keys_reach_both_rings),
            KTEST_CASE(keyboard_full_rings_keep_the_oldest_input));
