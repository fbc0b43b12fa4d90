/* The screen console: kernel messages on the boot framebuffer (fbcon) or, when the loader gave
 * none, in VGA text mode (vgacon). See docs/console.md. */
#pragma once
#include <kestrel/types.h>

/* The 16 colours of ANSI SGR 30-37 / 90-97, in that order, so a later escape-sequence parser can
 * pass its numbers straight through. */
enum screen_colour {
    COLOUR_BLACK,
    COLOUR_RED,
    COLOUR_GREEN,
    COLOUR_YELLOW, /* dark yellow: VGA's brown */
    COLOUR_BLUE,
    COLOUR_MAGENTA,
    COLOUR_CYAN,
    COLOUR_LIGHT_GREY,
    COLOUR_DARK_GREY,
    COLOUR_BRIGHT_RED,
    COLOUR_BRIGHT_GREEN,
    COLOUR_BRIGHT_YELLOW,
    COLOUR_BRIGHT_BLUE,
    COLOUR_BRIGHT_MAGENTA,
    COLOUR_BRIGHT_CYAN,
    COLOUR_WHITE,
    SCREEN_NCOLOURS,
};

#define SCREEN_DEFAULT_FG COLOUR_LIGHT_GREY
#define SCREEN_DEFAULT_BG COLOUR_BLACK

/* Picks the framebuffer or VGA text backend, shows the log printed so far and registers the screen
 * as a console sink. Call once, after ioremap works and before interrupts can print. */
void screen_console_init(void);
/* Writes UTF-8 text at the cursor (printk reaches the screen this way too). Safe in any context:
 * takes the screen lock with interrupts off and never sleeps or allocates. */
void screen_write(const char *s, size_t n);
/* Colours for text written from now on; the values are enum screen_colour. */
void screen_set_colour(enum screen_colour fg, enum screen_colour bg);
/* Text columns and rows of the screen console, 0 when there is none. */
unsigned screen_cols(void);
unsigned screen_rows(void);
/* Terminal output (the console tty): like screen_write, but through the VT100/ANSI escape-sequence
 * layer (kernel/drivers/vt100.c), with LF moving down only (the tty's ONLCR adds the CR). */
void screen_tty_write(const char *s, size_t n);
/* Takes the escape layer's answers to status requests (CSI 6n), which the tty feeds back as input. */
size_t screen_take_reply(char *buf, size_t n);
