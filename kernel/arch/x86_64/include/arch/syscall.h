/* The user-mode boundary on x86-64: the SYSCALL entry, the way back to ring 3 (SYSRET when it is safe,
 * IRETQ otherwise) and the entry of a new thread into user mode. Every way into the kernel from user
 * mode leaves one struct trap_frame at the top of the thread's kernel stack (see docs/processes.md). */
#pragma once

/* The trap frame's vector field for a system call. The error field holds the call number as it was
 * at entry (Linux's orig_rax), which signal code needs to restart a call after rax was overwritten. */
#define VEC_SYSCALL 0x100

#ifndef __ASSEMBLY__
#include <arch/trap.h>

#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102 /* while in the kernel: the user's GS base */
#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_FMASK          0xc0000084

#define RFLAGS_TF         (1ul << 8)
#define RFLAGS_DF         (1ul << 10)
#define RFLAGS_IOPL       (3ul << 12)
#define RFLAGS_NT         (1ul << 14)
#define RFLAGS_RF         (1ul << 16)
#define RFLAGS_VM         (1ul << 17)
#define RFLAGS_AC         (1ul << 18)
/* The flags user code may change (CF PF AF ZF SF TF DF OF RF AC ID); the rest come from the kernel. */
#define RFLAGS_USER_MASK  0x250dd5ul
/* Bit 1 is always set; user mode always runs with interrupts on. */
#define RFLAGS_USER_FIXED 0x202ul

/* The highest address a user rip may have for SYSRET: Intel CPUs take the #GP of a non-canonical rip
 * in ring 0 after SYSRET has switched stacks, so the last page below the hole goes through IRETQ. */
#define USER_SYSRET_MAX 0x00007ffffffff000ull

/* Programs the SYSCALL MSRs (STAR, LSTAR, FMASK, EFER.SCE) and the per-CPU data. */
void syscall_init(void);
/* The frame at the top of a thread's kernel stack, where its user registers live while it is in the
 * kernel (stack_top is the thread's struct thread stack_top). */
static inline struct trap_frame *user_frame_at(uint64_t stack_top)
{
    return (struct trap_frame *)stack_top - 1;
}
/* A fresh frame for entering user mode at rip with stack rsp: user segments, interrupts on, every
 * general register zero. */
void user_frame_init(struct trap_frame *f, uint64_t rip, uint64_t rsp);
/* Forces what user code must never control in a frame about to go back to ring 3: the segments,
 * the privileged flags. Returns false when rip is not a canonical user address (the caller then
 * kills the process: IRETQ would fault in ring 0). */
bool user_frame_sanitize(struct trap_frame *f);
/* An exception raised by user code with no handler of its own: logs it and gives the process the
 * matching signal (SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS). */
void user_exception(struct trap_frame *f);
/* Runs fn(arg) on the stack whose top is sp; fn must not return. New user threads use it to put
 * their C frames below the trap frame they are about to fill. */
__noreturn void run_on_stack(uint64_t sp, void (*fn)(void *), void *arg);
/* Enters ring 3 with the registers in f (which must be the frame at the top of the current kernel
 * stack); interrupts must be off. */
__noreturn void user_enter(struct trap_frame *f);
#endif
