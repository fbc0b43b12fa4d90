/* Framebuffer text console backend: draws the built-in 8x16 font into the boot loader's linear
 * 32-bpp framebuffer, one cell at a time, as the text grid asks. */
#include "font.h"
#include "screen_backend.h"
#include <kestrel/mm.h>
#include <kestrel/screen.h>
#include <uapi/errno.h>

/* Enough for 2048x1536; a larger framebuffer shows the console in its top-left part. The limit
 * keeps the two cell arrays static (192 KiB), since the console starts before any allocator. */
#define MAX_COLS 256
#define MAX_ROWS 96

#define BYTES_PER_PIXEL 4

/* VGA's 16 colours, which is what every PC console has shown for these ANSI numbers. */
static const uint32_t palette_rgb[SCREEN_NCOLOURS] = {
    0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa,
    0x555555, 0xff5555, 0x55ff55, 0xffff55, 0x5555ff, 0xff55ff, 0x55ffff, 0xffffff,
};

/* Two pixels written with one store; the framebuffer only promises 4-byte alignment. */
typedef uint64_t __attribute__((aligned(4), may_alias)) pixel_pair;

struct fbcon {
    uint8_t *base;
    uint32_t pitch, width, height;
    uint32_t palette[SCREEN_NCOLOURS]; /* palette_rgb in the framebuffer's pixel format */
};

static struct fbcon fbcon;
static struct textcell cells[MAX_COLS * MAX_ROWS], shown[MAX_COLS * MAX_ROWS];

/* Scales an 8-bit colour channel to the framebuffer's channel size and moves it into place. */
static uint32_t channel(uint32_t v8, uint8_t pos, uint8_t size)
{
    uint32_t v = size <= 8 ? v8 >> (8 - size) : v8 << (size - 8);
    return v << pos;
}

static uint32_t pixel(const struct boot_framebuffer *fb, uint32_t rgb)
{
    return channel(rgb >> 16 & 0xff, fb->red_pos, fb->red_size) |
           channel(rgb >> 8 & 0xff, fb->green_pos, fb->green_size) |
           channel(rgb & 0xff, fb->blue_pos, fb->blue_size);
}

static void fbcon_draw(void *ctx, unsigned row, unsigned col, struct textcell c)
{
    struct fbcon *fb = ctx;
    uint64_t f = fb->palette[c.fg], b = fb->palette[c.bg];
    /* Indexed by two bits of a glyph row: the higher bit is the left pixel, at the lower address. */
    const uint64_t pairs[4] = {b | b << 32, b | f << 32, f | b << 32, f | f << 32};
    const uint8_t *glyph = font_glyphs[c.ch];
    uint8_t *line =
        fb->base + (size_t)row * FONT_HEIGHT * fb->pitch + (size_t)col * FONT_WIDTH * BYTES_PER_PIXEL;
    for (unsigned y = 0; y < FONT_HEIGHT; y++, line += fb->pitch) {
        pixel_pair *p = (pixel_pair *)line;
        uint8_t bits = glyph[y];
        p[0] = pairs[bits >> 6];
        p[1] = pairs[bits >> 4 & 3];
        p[2] = pairs[bits >> 2 & 3];
        p[3] = pairs[bits & 3];
    }
}

static uint16_t fbcon_map(uint32_t cp)
{
    return font_glyph(cp);
}

static const struct textgrid_ops fbcon_ops = {.draw = fbcon_draw, .cursor = NULL, .map = fbcon_map};

/* The whole framebuffer, margins below and right of the grid included, so no loader text remains. */
static void fbcon_clear(struct fbcon *fb, uint32_t colour)
{
    for (uint32_t y = 0; y < fb->height; y++) {
        uint32_t *p = (uint32_t *)(fb->base + (size_t)y * fb->pitch);
        for (uint32_t x = 0; x < fb->width; x++)
            p[x] = colour;
    }
}

int fbcon_init(struct textgrid *g, const struct boot_framebuffer *fb)
{
    if (fb->bpp != 32 || fb->pitch < fb->width * BYTES_PER_PIXEL)
        return -EINVAL;
    unsigned cols = MIN(fb->width / FONT_WIDTH, MAX_COLS), rows = MIN(fb->height / FONT_HEIGHT, MAX_ROWS);
    if (!cols || !rows)
        return -EINVAL;
    void *base = ioremap(fb->phys, (size_t)fb->pitch * fb->height);
    if (!base)
        return -ENOMEM;
    fbcon = (struct fbcon){.base = base, .pitch = fb->pitch, .width = fb->width, .height = fb->height};
    for (unsigned i = 0; i < SCREEN_NCOLOURS; i++)
        fbcon.palette[i] = pixel(fb, palette_rgb[i]);
    fbcon_clear(&fbcon, fbcon.palette[SCREEN_DEFAULT_BG]);
    textgrid_init(g, cols, rows, cells, shown, &fbcon_ops, &fbcon, SCREEN_DEFAULT_FG, SCREEN_DEFAULT_BG);
    return 0;
}
