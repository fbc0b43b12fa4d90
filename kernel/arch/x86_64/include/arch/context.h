/* The CPU state of a thread that is not running: its kernel stack pointer (context_switch pushes the
 * callee-saved registers onto that stack) and its x87/SSE register file, saved with FXSAVE. */
#pragma once
#include <kestrel/types.h>

/* The 512-byte FXSAVE image; the instruction demands 16-byte alignment. */
struct fpu_state {
    uint8_t image[512];
} __attribute__((aligned(16)));

/* Pushes rbp, rbx, r12-r15 on the current stack, stores the stack pointer in *save_rsp, switches to
 * new_rsp and pops the other thread's registers: "returns" into whatever that thread was doing. */
void context_switch(uint64_t *save_rsp, uint64_t new_rsp);

/* Prepares a fresh stack (top 16-byte aligned) so that the first context_switch to the returned
 * stack pointer calls entry(a, b) with a zero frame pointer (backtraces stop there). entry must not
 * return. */
uint64_t context_init_stack(void *top, void (*entry)(void *, void *), void *a, void *b);

/* Enables SSE (CR4.OSFXSR and OSXMMEXCPT, CR0.MP, clearing CR0.EM and TS) and records the clean
 * initial register state new threads start from. */
void fpu_init(void);
void fpu_state_init(struct fpu_state *s);
void fpu_save(struct fpu_state *s);
void fpu_restore(const struct fpu_state *s);
