/* The C half of the user-mode boundary: SYSCALL set-up and dispatch, the checks a frame passes before
 * ring 3, and exceptions raised by user code (they become signals instead of kernel panics). */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/syscall.h>
#include <kestrel/percpu.h>
#include <kestrel/printk.h>
#include <kestrel/process.h>
#include <kestrel/string.h>
#include <kestrel/syscall.h>
#include <kestrel/vm.h>
#include <uapi/signal.h>

void syscall_entry(void);
bool syscall_handler(struct trap_frame *f);

void syscall_init(void)
{
    percpu_init();
    /* SYSCALL loads CS from STAR[47:32] (SS is that + 8); a 64-bit SYSRET loads CS from STAR[63:48] + 16
     * and SS from STAR[63:48] + 8, both with RPL 3: a base of 0x18 gives 0x2b and 0x23 (gdt.h). */
    wrmsr(MSR_STAR, ((uint64_t)GDT_USER_CODE32 << 48) | ((uint64_t)GDT_KERNEL_CODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    /* Cleared on entry: no interrupt before the stack is switched, and the C code may rely on DF clear
     * and AC clear (no user access without the extable helpers); TF would trap in ring 0. */
    wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC | RFLAGS_NT | RFLAGS_IOPL);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

/* Called by syscall_entry with the saved frame; returns (interrupts off) whether SYSRET can restore
 * it. SYSRET reloads rip from rcx and rflags from r11, so it is exact only when the frame still
 * agrees with them; execve, signal delivery and sigreturn rewrite the frame and go back by IRETQ. */
bool syscall_handler(struct trap_frame *f)
{
    cpu_sti(); /* on our own stack with the user state saved: interrupts may come */
    f->rax = (uint64_t)syscall_dispatch(f->error, (long)f->rdi, (long)f->rsi, (long)f->rdx, (long)f->r10,
                                        (long)f->r8, (long)f->r9);
    return_to_user_work(f);
    return f->rcx == f->rip && f->r11 == f->rflags && f->rip < USER_SYSRET_MAX &&
           !(f->rflags & (RFLAGS_RF | RFLAGS_TF));
}

void user_frame_init(struct trap_frame *f, uint64_t rip, uint64_t rsp)
{
    memset(f, 0, sizeof(*f));
    f->rip = rip;
    f->rsp = rsp;
    f->cs = GDT_USER_CODE | 3;
    f->ss = GDT_USER_DATA | 3;
    f->rflags = RFLAGS_USER_FIXED;
    f->vector = VEC_SYSCALL;
    f->error = (uint64_t)-1; /* no call to restart */
}

bool user_frame_sanitize(struct trap_frame *f)
{
    f->cs = GDT_USER_CODE | 3;
    f->ss = GDT_USER_DATA | 3;
    f->rflags = (f->rflags & RFLAGS_USER_MASK) | RFLAGS_USER_FIXED;
    return f->rip < USER_SPACE_END;
}

/* The signal Linux sends for each exception a user program can cause. */
static int exception_signal(uint64_t vector)
{
    switch (vector) {
    case 0:  /* #DE */
    case 16: /* #MF */
    case 19: /* #XM */
        return SIGFPE;
    case 1: /* #DB */
    case 3: /* #BP */
        return SIGTRAP;
    case 6: /* #UD */
        return SIGILL;
    case 17: /* #AC */
        return SIGBUS;
    default: /* #GP, #SS, #NP, #OF, #BR and the rest */
        return SIGSEGV;
    }
}

void user_exception(struct trap_frame *f)
{
    cpu_sti(); /* from user mode no kernel lock is held: ending the process may sleep */
    int sig = exception_signal(f->vector);
    struct process *p = current_process();
    printk(LOG_NOTICE, "pid %d (%s): exception %llu (error %#llx) at rip %#llx: signal %d\n", p ? p->pid : 0,
           p ? p->comm : "?", (unsigned long long)f->vector, (unsigned long long)f->error,
           (unsigned long long)f->rip, sig);
    process_fault_signal(sig, 0, 0);
}
