/* Thin wrappers around x86-64 instructions and control registers. */
#pragma once
#include <kestrel/types.h>

static inline void cpu_cli(void)
{
    __asm__ volatile("cli" ::: "memory");
}

static inline void cpu_sti(void)
{
    __asm__ volatile("sti" ::: "memory");
}

static inline void cpu_hlt(void)
{
    __asm__ volatile("hlt" ::: "memory");
}

static inline void cpu_pause(void)
{
    __asm__ volatile("pause");
}

static inline uint64_t cpu_flags(void)
{
    uint64_t f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f)::"memory");
    return f;
}

#define RFLAGS_IF (1ul << 9)

static inline bool irqs_enabled(void)
{
    return cpu_flags() & RFLAGS_IF;
}

/* Saves the interrupt flag and disables interrupts; pair with irq_restore. */
static inline uint64_t irq_save(void)
{
    uint64_t f = cpu_flags();
    cpu_cli();
    return f;
}

static inline void irq_restore(uint64_t flags)
{
    if (flags & RFLAGS_IF)
        cpu_sti();
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

#define DEFINE_CR_ACCESSORS(n)                                                                               \
    static inline uint64_t read_cr##n(void)                                                                  \
    {                                                                                                        \
        uint64_t v;                                                                                          \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                                    \
        return v;                                                                                            \
    }                                                                                                        \
    static inline void write_cr##n(uint64_t v)                                                               \
    {                                                                                                        \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                                           \
    }
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)

static inline void invlpg(uint64_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t read_rbp(void)
{
    uint64_t v;
    __asm__ volatile("mov %%rbp, %0" : "=r"(v));
    return v;
}

/* Resets the CPU the hard way: with an empty IDT the breakpoint becomes a double and then a triple
 * fault, which every x86 machine answers with a reset. */
static inline __noreturn void cpu_triple_fault(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __packed empty = {0, 0};
    __asm__ volatile("lidt %0; int3" : : "m"(empty));
    __builtin_unreachable();
}

/* Stops this CPU for good: interrupts off, halt forever (an NMI would only return to the loop). */
static inline __noreturn void cpu_halt_forever(void)
{
    for (;;) {
        cpu_cli();
        cpu_hlt();
    }
}
