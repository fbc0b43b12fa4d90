/* The one context-switch routine: voluntary yields, blocking and timer preemption all end up here
 * (see kernel/sched/core.c). Only the callee-saved registers need saving: the caller of
 * context_switch has already saved the rest, as the C calling convention requires, and an interrupted
 * thread's full register set sits in its trap frame further up the same stack. */

    .text
    .globl context_switch
    .type context_switch, @function
/* void context_switch(uint64_t *save_rsp, uint64_t new_rsp) */
context_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size context_switch, . - context_switch

    .globl context_trampoline
    .type context_trampoline, @function
/* Where a new thread's first context_switch returns to. context_init_stack left the entry function
 * in rbx and its two arguments in r12 and r13; rbp is zero, so backtraces end at this frame. The
 * stack is 16-byte aligned here, as the call below requires. */
context_trampoline:
    movq %r12, %rdi
    movq %r13, %rsi
    call *%rbx
    ud2 /* entry functions never return */
    .size context_trampoline, . - context_trampoline
