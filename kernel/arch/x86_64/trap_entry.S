/* Entry stubs for all 256 interrupt vectors. Each pushes a dummy error code where the CPU pushes
 * none, then its vector number, so every trap reaches trap_dispatch() with one frame layout
 * (struct trap_frame in arch/trap.h). */
#include <arch/frame.inc>

    /* Every stub is 16 bytes (padded), so the table below can compute their addresses. */
    .text
    .globl trap_stubs_start
trap_stubs_start:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp trap_common
    .set vec, vec + 1
    .endr

trap_common:
    /* From user mode, GS must hold the kernel's per-CPU base: swap it in (and out on return).
     * The CS saved by the CPU sits 24 bytes up: vector, error code, RIP, then CS. */
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:  PUSH_GPRS
    cld
    mov %rsp, %rdi
    call trap_dispatch
    .globl trap_return
trap_return:
    POP_GPRS
    testb $3, 24(%rsp)
    jz 2f
    swapgs
2:  addq $16, %rsp /* vector and error code */
    iretq

    .section .rodata
    .balign 8
    .globl trap_stub_table
trap_stub_table:
    .set vec, 0
    .rept 256
    .quad trap_stubs_start + vec * 16
    .set vec, vec + 1
    .endr
