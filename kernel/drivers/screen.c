/* The screen console: picks the framebuffer or VGA text backend, replays the boot log onto it and
 * registers it as a printk sink. */
#include "screen_backend.h"
#include "vt100.h"
#include <kestrel/console.h>
#include <kestrel/kmalloc.h>
#include <kestrel/printk.h>
#include <kestrel/screen.h>
#include <kestrel/spinlock.h>
#include <uapi/errno.h>

#define REPLAY_CHUNK 256

/* Protects grid (cursor, cells, colours, what the device shows). printk calls in holding its own
 * lock, other writers come straight here: the order is printk lock, then screen lock. */
static struct spinlock screen_lock = SPINLOCK_INIT("screen");
static struct textgrid grid;
static struct vt100 vt; /* the terminal's escape-sequence state (screen_tty_write) */
static bool ready;

void screen_write(const char *s, size_t n)
{
    if (!ready)
        return;
    uint64_t flags = spin_lock_irqsave(&screen_lock);
    textgrid_write(&grid, s, n);
    spin_unlock_irqrestore(&screen_lock, flags);
}

void screen_tty_write(const char *s, size_t n)
{
    if (!ready)
        return;
    uint64_t flags = spin_lock_irqsave(&screen_lock);
    /* The terminal's colours are the escape layer's; printk's stay as they were around it. */
    uint8_t fg = grid.fg, bg = grid.bg;
    grid.lf_keeps_column = true;
    vt100_write(&vt, s, n);
    grid.lf_keeps_column = false;
    textgrid_flush(&grid);
    textgrid_set_colour(&grid, fg, bg);
    spin_unlock_irqrestore(&screen_lock, flags);
}

size_t screen_take_reply(char *buf, size_t n)
{
    if (!ready)
        return 0;
    uint64_t flags = spin_lock_irqsave(&screen_lock);
    size_t got = vt100_take_reply(&vt, buf, n);
    spin_unlock_irqrestore(&screen_lock, flags);
    return got;
}

void screen_set_colour(enum screen_colour fg, enum screen_colour bg)
{
    if (!ready || fg >= SCREEN_NCOLOURS || bg >= SCREEN_NCOLOURS)
        return;
    uint64_t flags = spin_lock_irqsave(&screen_lock);
    textgrid_set_colour(&grid, fg, bg);
    spin_unlock_irqrestore(&screen_lock, flags);
}

unsigned screen_cols(void)
{
    return ready ? grid.cols : 0;
}

unsigned screen_rows(void)
{
    return ready ? grid.rows : 0;
}

static void screen_console_write(struct console *c, const char *s, size_t n)
{
    (void)c;
    screen_write(s, n);
}

static struct console screen_console = {.name = "tty0", .write = screen_console_write};

/* Everything printed before the screen existed (the banner among it) is in the log ring. Putting
 * it all into the grid first and drawing once costs one screenful, however long the log. */
static void replay_log(void)
{
    char buf[REPLAY_CHUNK];
    size_t total = klog_size(), off = 0;
    int state = 0;
    while (off < total) {
        size_t got = klog_read(off, buf, MIN(sizeof(buf), total - off));
        if (!got)
            break;
        off += got;
        textgrid_put(&grid, buf, klog_strip_levels(buf, got, &state));
    }
    textgrid_flush(&grid);
}

static int pick_backend(const char **kind)
{
    if (boot_info.has_framebuffer) {
        int err = fbcon_init(&grid, &boot_info.fb);
        *kind = "framebuffer";
        if (!err)
            return 0;
        printk(LOG_WARNING, "screen: framebuffer at %#llx unusable (%d); trying VGA text\n",
               (unsigned long long)boot_info.fb.phys, err);
    }
    *kind = "VGA text";
    return vgacon_init(&grid);
}

void screen_console_init(void)
{
    const char *kind;
    int err = pick_backend(&kind);
    if (err) {
        printk(LOG_WARNING, "screen: no screen console (%d)\n", err);
        return;
    }
    /* No other CPU or interrupt handler prints yet, so nothing is logged between the replay and
     * the registration that the screen would miss. */
    /* Room to keep the main screen while a full-screen program shows the alternate one; without
     * it the main screen comes back blank. */
    struct textcell *alt = kmalloc((size_t)grid.rows * grid.cols * sizeof(struct textcell));
    vt100_init(&vt, &grid, alt);
    replay_log();
    ready = true;
    console_register(&screen_console);
    printk(LOG_INFO, "screen: %s console, %ux%u cells\n", kind, grid.cols, grid.rows);
}
