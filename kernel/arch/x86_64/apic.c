/* The local APIC in xAPIC (MMIO) mode: enabling it, EOI, its error interrupt, and the timer registers
 * that timer.c drives. */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <kestrel/acpi.h>
#include <kestrel/mm.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>

#define LAPIC_ID          0x020
#define LAPIC_VERSION     0x030
#define LAPIC_TPR         0x080
#define LAPIC_EOI         0x0b0
#define LAPIC_SVR         0x0f0
#define LAPIC_ESR         0x280
#define LAPIC_LVT_TIMER   0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF    0x340
#define LAPIC_LVT_LINT0   0x350
#define LAPIC_LVT_LINT1   0x360
#define LAPIC_LVT_ERROR   0x370
#define LAPIC_TIMER_INIT  0x380
#define LAPIC_TIMER_CUR   0x390
#define LAPIC_TIMER_DIV   0x3e0

#define SVR_ENABLE         0x100
#define LVT_MASKED         (1u << 16)
#define LVT_NMI            (4u << 8)
#define LVT_TIMER_PERIODIC (1u << 17)
#define TIMER_DIV_16       0x3 /* the divide-configuration encoding for 16 */

#define MSR_APIC_BASE  0x1b
#define APIC_BASE_EN   (1ull << 11)
#define APIC_BASE_EXTD (1ull << 10) /* x2APIC mode: MMIO is off while it is set */

static volatile uint32_t *lapic;

static uint32_t rd(uint32_t reg)
{
    return lapic[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
    lapic[reg / 4] = v;
}

void lapic_eoi(void)
{
    wr(LAPIC_EOI, 0);
}

uint8_t lapic_id(void)
{
    return rd(LAPIC_ID) >> 24;
}

static void lapic_error(struct trap_frame *f)
{
    (void)f;
    wr(LAPIC_ESR, 0); /* the write latches the current errors into the readable register */
    pr_warn("lapic: error interrupt, ESR %#x\n", rd(LAPIC_ESR));
}

/* Firmware may hand over in x2APIC mode; xAPIC is only reachable again through the disabled state. */
static void enable_xapic_mode(paddr_t phys)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if (base & APIC_BASE_EXTD)
        wrmsr(MSR_APIC_BASE, base & ~(APIC_BASE_EN | APIC_BASE_EXTD));
    wrmsr(MSR_APIC_BASE, (phys & ~0xfffull) | (base & 0xfff & ~APIC_BASE_EXTD) | APIC_BASE_EN);
}

/* Masks every local interrupt source except the NMI pin the firmware names (an 8259 wired to LINT0
 * would otherwise still reach the CPU as ExtINT). */
static void setup_lvts(void)
{
    unsigned max_lvt = (rd(LAPIC_VERSION) >> 16) & 0xff;
    int nmi = acpi_get()->lapic_nmi_lint;
    wr(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
    wr(LAPIC_LVT_LINT0, nmi == 0 ? LVT_NMI : LVT_MASKED);
    wr(LAPIC_LVT_LINT1, nmi == 1 ? LVT_NMI : LVT_MASKED);
    if (max_lvt >= 4)
        wr(LAPIC_LVT_PERF, LVT_MASKED);
    if (max_lvt >= 5)
        wr(LAPIC_LVT_THERMAL, LVT_MASKED);
    wr(LAPIC_LVT_ERROR, VEC_LAPIC_ERROR);
    wr(LAPIC_ESR, 0);
    wr(LAPIC_ESR, 0); /* twice: the first write arms it, the second clears anything stale */
}

void lapic_init(paddr_t phys)
{
    enable_xapic_mode(phys);
    lapic = ioremap(phys, 4096);
    if (!lapic)
        panic("lapic: cannot map the local APIC at %#llx", (unsigned long long)phys);
    trap_set_handler(VEC_LAPIC_ERROR, lapic_error);
    setup_lvts();
    wr(LAPIC_TPR, 0); /* accept every priority class */
    wr(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
    irq_eoi = lapic_eoi;
    lapic_eoi(); /* in case firmware left something in service */
}

void lapic_timer_start_free(void)
{
    wr(LAPIC_TIMER_DIV, TIMER_DIV_16);
    wr(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
    wr(LAPIC_TIMER_INIT, 0xffffffff);
}

uint32_t lapic_timer_current(void)
{
    return rd(LAPIC_TIMER_CUR);
}

void lapic_timer_periodic(uint32_t count)
{
    BUG_ON(count == 0); /* a zero initial count stops the timer instead */
    wr(LAPIC_TIMER_DIV, TIMER_DIV_16);
    /* The LVT first: writing the initial count is what starts the timer. */
    wr(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | VEC_LAPIC_TIMER);
    wr(LAPIC_TIMER_INIT, count);
}
