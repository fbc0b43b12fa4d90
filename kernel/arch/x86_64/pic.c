/* The legacy 8259A PIC pair. Kestrel routes everything through the APICs, but the PICs still exist:
 * they are remapped off the exception vectors (their power-on vectors 8-15 collide with #DF..#PF) and
 * masked, so the only thing that can still come out of them, a spurious IRQ 7 or 15, is harmless. */
#include <arch/apic.h>
#include <arch/io.h>

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT_ICW4 0x11 /* edge triggered, cascaded, ICW4 follows */
#define ICW3_MASTER    0x04 /* the slave hangs off the master's IRQ 2 */
#define ICW3_SLAVE     0x02 /* ... and knows its cascade identity is 2 */
#define ICW4_8086      0x01

static uint64_t stray;

static void pic_stray(struct trap_frame *f)
{
    (void)f;
    /* No PIC EOI: with every line masked only spurious interrupts get here, and those must not be
     * acknowledged. trap_dispatch's local APIC EOI is a no-op, since nothing is in service. */
    __atomic_add_fetch(&stray, 1, __ATOMIC_RELAXED);
}

/* Each initialization word goes through an io_wait: old PICs need time between writes. */
static void pic_write(uint16_t port, uint8_t v)
{
    outb(port, v);
    io_wait();
}

void pic_disable(void)
{
    pic_write(PIC1_CMD, ICW1_INIT_ICW4);
    pic_write(PIC2_CMD, ICW1_INIT_ICW4);
    pic_write(PIC1_DATA, VEC_PIC_BASE);
    pic_write(PIC2_DATA, VEC_PIC_BASE + 8);
    pic_write(PIC1_DATA, ICW3_MASTER);
    pic_write(PIC2_DATA, ICW3_SLAVE);
    pic_write(PIC1_DATA, ICW4_8086);
    pic_write(PIC2_DATA, ICW4_8086);
    pic_write(PIC1_DATA, 0xff);
    pic_write(PIC2_DATA, 0xff);
    for (int v = VEC_PIC_BASE; v < VEC_PIC_BASE + 16; v++)
        trap_set_handler(v, pic_stray);
}

uint64_t pic_stray_count(void)
{
    return __atomic_load_n(&stray, __ATOMIC_RELAXED);
}
