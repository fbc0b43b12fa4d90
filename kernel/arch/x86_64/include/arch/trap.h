/* Traps and interrupts: the saved register frame, handler registration, and the exception table
 * that lets chosen instructions fault without killing the kernel. */
#pragma once
#include <kestrel/types.h>

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

typedef void (*trap_handler_t)(struct trap_frame *f);

#define VEC_PAGE_FAULT 14
#define VEC_IRQ_BASE   32
#define VEC_SPURIOUS   0xff

void idt_init(void);
/* Installs the handler for a vector (for exceptions, it runs before the default report). */
void trap_set_handler(uint8_t vector, trap_handler_t h);
/* Interrupt controllers set this to acknowledge an interrupt after its handler ran. */
extern void (*irq_eoi)(void);

/* An exception-table entry: a fault at insn resumes at fixup instead of panicking. */
struct extable_entry {
    uint64_t insn;
    uint64_t fixup;
};

/* Returns the fixup for a faulting kernel rip, or 0. */
uint64_t extable_find(uint64_t rip);

/* The last exception a fixup recovered from, for tests and diagnostics. */
struct trap_record {
    uint64_t vector, error, rip, cr2;
    uint64_t count;
};
extern struct trap_record last_recovered_trap;

void trap_report(const struct trap_frame *f);
/* For handlers that take over an exception vector: the exception-table fixup (true when it redirected
 * rip), and the default end of an unexpected exception (full report, then panic). */
bool trap_try_fixup(struct trap_frame *f);
__noreturn void trap_die(struct trap_frame *f);
/* Called by the entry stubs for every trap and interrupt. */
void trap_dispatch(struct trap_frame *f);
