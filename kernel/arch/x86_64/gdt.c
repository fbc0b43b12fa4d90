/* GDT and TSS. Long mode ignores segment bases and limits except for FS/GS, so the GDT only says
 * "64-bit code", "data" and at which privilege; the TSS supplies the stacks for interrupts. */
#include <arch/gdt.h>
#include <kestrel/string.h>

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __packed;

struct gdt_pointer {
    uint16_t limit;
    uint64_t base;
} __packed;

#define IST_STACK_SIZE (16 * 1024)

static uint64_t gdt[8] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
/* Faults that can strike on a broken kernel stack (double fault, NMI, machine check) run on stacks
 * of their own, so they can still report. */
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

#define SEG_PRESENT (1ull << 47)
#define SEG_USER    (3ull << 45)
#define SEG_CODE    ((1ull << 44) | (1ull << 43) | (1ull << 41)) /* S, executable, readable */
#define SEG_DATA    ((1ull << 44) | (1ull << 41))                /* S, writable */
#define SEG_LONG    (1ull << 53)
#define SEG_BIG     (1ull << 54) /* 32-bit default size, for the compat-mode code segment */
#define SEG_GRAN    ((1ull << 55) | 0x000f00000000ffffull) /* 4 KiB granularity, limit 4 GiB */

static void load_tss_descriptor(void)
{
    uint64_t base = (uint64_t)&tss;
    uint64_t limit = sizeof(tss) - 1;
    /* A 64-bit TSS descriptor takes two slots: type 9 (available TSS), present, base split up. */
    gdt[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (9ull << 40) | SEG_PRESENT |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[7] = base >> 32;
}

void gdt_init(void)
{
    gdt[0] = 0;
    gdt[1] = SEG_PRESENT | SEG_CODE | SEG_LONG | SEG_GRAN;
    gdt[2] = SEG_PRESENT | SEG_DATA | SEG_BIG | SEG_GRAN;
    gdt[3] = SEG_PRESENT | SEG_USER | SEG_CODE | SEG_BIG | SEG_GRAN;
    gdt[4] = SEG_PRESENT | SEG_USER | SEG_DATA | SEG_BIG | SEG_GRAN;
    gdt[5] = SEG_PRESENT | SEG_USER | SEG_CODE | SEG_LONG | SEG_GRAN;
    memset(&tss, 0, sizeof(tss));
    for (int i = 0; i < 3; i++)
        tss.ist[i] = (uint64_t)&ist_stacks[i][IST_STACK_SIZE];
    tss.iomap_base = sizeof(tss); /* no I/O permission bitmap: user mode gets no ports */
    load_tss_descriptor();

    struct gdt_pointer p = {sizeof(gdt) - 1, (uint64_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     /* Reload CS with a far return, then the data segments. */
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ds\n\t"
                     "movw %w2, %%es\n\t"
                     "movw %w2, %%ss\n\t"
                     "ltr %w3\n\t"
                     :
                     : "m"(p), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(GDT_TSS)
                     : "rax", "memory");
}

void tss_set_kernel_stack(uint64_t rsp0)
{
    tss.rsp[0] = rsp0;
}
