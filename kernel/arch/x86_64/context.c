/* The initial stack of a new thread, laid out the way context_switch pops it (see switch.S). */
#include <arch/context.h>

void context_trampoline(void);

/* The frame context_switch pops, lowest address first. */
struct initial_frame {
    uint64_t r15, r14, r13, r12, rbx, rbp;
    uint64_t ret; /* context_switch's ret lands in the trampoline */
};

uint64_t context_init_stack(void *top, void (*entry)(void *, void *), void *a, void *b)
{
    /* After the ret pops 'ret', the stack pointer is top again: 16-byte aligned for the call. */
    struct initial_frame *f = (struct initial_frame *)top - 1;
    *f = (struct initial_frame){
        .r12 = (uint64_t)a,
        .r13 = (uint64_t)b,
        .rbx = (uint64_t)entry,
        .rbp = 0,
        .ret = (uint64_t)context_trampoline,
    };
    return (uint64_t)f;
}
