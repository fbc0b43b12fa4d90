/* VGA text-mode console backend: the 80x25 character/attribute cells at 0xb8000 and the CRTC's
 * hardware cursor, for boots where the loader set up no framebuffer (QEMU -kernel, text-mode GRUB). */
#include "screen_backend.h"
#include <arch/io.h>
#include <kestrel/mm.h>
#include <kestrel/screen.h>
#include <uapi/errno.h>

#define VGA_TEXT_PHYS 0xb8000
#define VGA_COLS      80
#define VGA_ROWS      25

#define CRTC_INDEX        0x3d4
#define CRTC_DATA         0x3d5
#define CRTC_CURSOR_START 0x0a
#define CRTC_CURSOR_END   0x0b
#define CRTC_CURSOR_HI    0x0e
#define CRTC_CURSOR_LO    0x0f

#define INPUT_STATUS_1  0x3da /* reading it resets the attribute controller's index/data flip-flop */
#define ATTR_INDEX      0x3c0
#define ATTR_DATA_READ  0x3c1
#define ATTR_PAS        0x20 /* keep the palette address source on, or the screen blanks */
#define ATTR_MODE       0x10
#define ATTR_MODE_BLINK 0x08

/* VGA numbers its colours blue-green-red where ANSI says red-green-blue. */
static const uint8_t ansi_to_vga[SCREEN_NCOLOURS] = {0, 4, 2, 6, 1, 5, 3, 7, 8, 12, 10, 14, 9, 13, 11, 15};

static volatile uint16_t *vga_mem;
static struct textcell cells[VGA_COLS * VGA_ROWS], shown[VGA_COLS * VGA_ROWS];

static uint16_t vga_entry(struct textcell c)
{
    return (uint16_t)(ansi_to_vga[c.bg] << 12 | ansi_to_vga[c.fg] << 8 | (c.ch & 0xff));
}

static void vgacon_draw(void *ctx, unsigned row, unsigned col, struct textcell c)
{
    (void)ctx;
    vga_mem[row * VGA_COLS + col] = vga_entry(c);
}

static void crtc_write(uint8_t reg, uint8_t v)
{
    outb(CRTC_INDEX, reg);
    outb(CRTC_DATA, v);
}

static void vgacon_cursor(void *ctx, unsigned row, unsigned col)
{
    (void)ctx;
    uint16_t pos = (uint16_t)(row * VGA_COLS + col);
    crtc_write(CRTC_CURSOR_HI, pos >> 8);
    crtc_write(CRTC_CURSOR_LO, pos & 0xff);
}

/* The VGA font is code page 437, whose ASCII half matches Unicode; anything else shows as '?'. */
static uint16_t vgacon_map(uint32_t cp)
{
    return cp >= 0x20 && cp < 0x7f ? (uint16_t)cp : '?';
}

/* Bit 5 of the cursor start register hides the hardware cursor (DECTCEM off). */
static void vgacon_cursor_visible(void *ctx, bool on)
{
    (void)ctx;
    crtc_write(CRTC_CURSOR_START, on ? 14 : 0x20);
}

static const struct textgrid_ops vgacon_ops = {
    .draw = vgacon_draw, .cursor = vgacon_cursor, .map = vgacon_map, .cursor_visible = vgacon_cursor_visible};

/* Attribute bit 7 means blink by default; turned off, it selects the bright background colours. */
static void disable_blink(void)
{
    inb(INPUT_STATUS_1);
    outb(ATTR_INDEX, ATTR_PAS | ATTR_MODE);
    uint8_t mode = inb(ATTR_DATA_READ);
    outb(ATTR_INDEX, mode & ~ATTR_MODE_BLINK);
}

/* An underline cursor on the last two scan lines of the 16-line cell; bit 5 of the start register
 * clear means shown (a loader may have hidden it). */
static void show_cursor(void)
{
    crtc_write(CRTC_CURSOR_START, 14);
    crtc_write(CRTC_CURSOR_END, 15);
}

int vgacon_init(struct textgrid *g)
{
    vga_mem = ioremap(VGA_TEXT_PHYS, VGA_COLS * VGA_ROWS * sizeof(uint16_t));
    if (!vga_mem)
        return -ENOMEM;
    disable_blink();
    show_cursor();
    textgrid_init(g, VGA_COLS, VGA_ROWS, cells, shown, &vgacon_ops, NULL, SCREEN_DEFAULT_FG,
                  SCREEN_DEFAULT_BG);
    for (unsigned i = 0; i < VGA_COLS * VGA_ROWS; i++)
        vga_mem[i] = vga_entry(shown[i]);
    return 0;
}
