/* Per-CPU data. In kernel mode the GS base points at this CPU's struct percpu; in user mode the user's
 * GS base is loaded instead and ours waits in MSR_KERNEL_GS_BASE until an entry from user mode swaps
 * it back (swapgs). The syscall entry reaches it with %gs-relative moves, hence the fixed offsets. */
#pragma once

#define PERCPU_SELF       0  /* struct percpu *: the structure's own address */
#define PERCPU_KERNEL_RSP 8  /* the running thread's kernel stack top: syscall entry switches to it */
#define PERCPU_USER_RSP   16 /* the user rsp, parked by syscall entry while it changes stacks */

#ifndef __ASSEMBLY__
#include <kestrel/types.h>

struct percpu {
    struct percpu *self;
    uint64_t kernel_rsp;
    uint64_t user_rsp;
    uint32_t cpu;
};

_Static_assert(offsetof(struct percpu, self) == PERCPU_SELF, "percpu layout");
_Static_assert(offsetof(struct percpu, kernel_rsp) == PERCPU_KERNEL_RSP, "percpu layout");
_Static_assert(offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "percpu layout");

/* Points this CPU's GS base at its struct percpu (and the user GS base at 0). */
void percpu_init(void);
/* This CPU's structure (one CPU for now; the GS base keeps the entry paths ready for more). */
struct percpu *this_cpu(void);
/* The stack syscall entry switches to: the incoming thread's kernel stack top, set on every switch
 * (the TSS's rsp0, the interrupt stack from user mode, gets the same value). */
void percpu_set_kernel_stack(uint64_t rsp0);
#endif
