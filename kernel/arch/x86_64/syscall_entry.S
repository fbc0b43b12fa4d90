/* The SYSCALL entry and the return to user mode. SYSCALL leaves the user rip in rcx and rflags in r11,
 * masks rflags with FMASK (interrupts, direction, trap and alignment-check flags off) and does not
 * switch stacks: we swap to the kernel GS base, park the user rsp in the per-CPU area, switch to the
 * thread's kernel stack and build the same struct trap_frame an interrupt from user mode would. */
#include <arch/frame.inc>
#include <arch/gdt.h>
#include <arch/syscall.h>
#include <kestrel/percpu.h>

#define FRAME_RSP   (15 * 8 + 5 * 8) /* offset of the saved user rsp in struct trap_frame */

    .text
    .globl syscall_entry
    .type syscall_entry, @function
syscall_entry:
    swapgs
    movq %rsp, %gs:PERCPU_USER_RSP
    movq %gs:PERCPU_KERNEL_RSP, %rsp
    pushq $(GDT_USER_DATA | 3)     /* ss */
    pushq %gs:PERCPU_USER_RSP      /* rsp */
    pushq %r11                     /* rflags */
    pushq $(GDT_USER_CODE | 3)     /* cs */
    pushq %rcx                     /* rip */
    pushq %rax                     /* error: the call number, kept for restarts */
    pushq $VEC_SYSCALL             /* vector */
    PUSH_GPRS
    movq %rsp, %rdi
    xorl %ebp, %ebp                /* backtraces stop at the user boundary */
    call syscall_handler           /* returns with interrupts off: true when SYSRET may be used */
    testb %al, %al
    jz trap_return                 /* IRETQ restores every register exactly (and swaps GS back) */
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11                      /* == the saved rflags: syscall_handler checked */
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx                      /* == the saved rip */
    popq %rbx
    popq %rax
    movq FRAME_RSP - 15 * 8(%rsp), %rsp
    /* Interrupts stay off from here to ring 3: an interrupt now would find the user GS base loaded
     * while CS says kernel. */
    swapgs
    sysretq
    .size syscall_entry, . - syscall_entry

    .globl run_on_stack
    .type run_on_stack, @function
/* void run_on_stack(uint64_t sp, void (*fn)(void *), void *arg) */
run_on_stack:
    movq %rdi, %rsp
    xorl %ebp, %ebp
    movq %rdx, %rdi
    call *%rsi
    ud2
    .size run_on_stack, . - run_on_stack

    .globl user_enter
    .type user_enter, @function
/* void user_enter(struct trap_frame *f): the frame is at the top of this thread's kernel stack, so
 * after IRETQ the stack is empty, as the next entry from user mode expects. */
user_enter:
    movq %rdi, %rsp
    jmp trap_return
    .size user_enter, . - user_enter
