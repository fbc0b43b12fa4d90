/* The interrupt descriptor table: every vector points at its stub in trap_entry.S. */
#include <arch/gdt.h>
#include <arch/trap.h>

struct idt_entry {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __packed;

struct idt_pointer {
    uint16_t limit;
    uint64_t base;
} __packed;

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate: IF cleared on entry */
#define GATE_DPL3      0x60

extern const uint64_t trap_stub_table[256];
static struct idt_entry idt[256] __attribute__((aligned(16)));

static void set_gate(int vec, uint8_t ist, uint8_t attr)
{
    uint64_t a = trap_stub_table[vec];
    idt[vec] = (struct idt_entry){
        .offset_low = a & 0xffff,
        .selector = GDT_KERNEL_CODE,
        .ist = ist,
        .type_attr = attr,
        .offset_mid = (a >> 16) & 0xffff,
        .offset_high = a >> 32,
    };
}

void idt_init(void)
{
    for (int v = 0; v < 256; v++)
        set_gate(v, 0, GATE_INTERRUPT);
    set_gate(2, IST_NMI, GATE_INTERRUPT);
    set_gate(8, IST_DOUBLE_FAULT, GATE_INTERRUPT);
    set_gate(18, IST_MACHINE_CHECK, GATE_INTERRUPT);
    /* int3 may be used from user mode (debuggers), so its gate allows ring 3. */
    set_gate(3, 0, GATE_INTERRUPT | GATE_DPL3);
    struct idt_pointer p = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" : : "m"(p));
}
