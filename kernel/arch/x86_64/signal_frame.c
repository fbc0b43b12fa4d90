/* The x86-64 signal frame: builds Linux's rt_sigframe (return address, ucontext, siginfo, then a
 * 64-byte aligned FXSAVE area) on the user stack for a handler, and takes it down in rt_sigreturn,
 * trusting nothing in it that could give user code kernel privileges. */
#include <arch/context.h>
#include <arch/gdt.h>
#include <arch/syscall.h>
#include <arch/trap.h>
#include <kestrel/process.h>
#include <kestrel/signal.h>
#include <kestrel/string.h>
#include <kestrel/thread.h>
#include <kestrel/uaccess.h>

/* Flags sigreturn takes from the frame (Linux's FIX_EFLAGS): the arithmetic flags, TF, DF, AC, RF.
 * Everything else (IF, IOPL, NT, VM...) stays the kernel's. */
#define SIGRETURN_FLAGS   0x50dd5ul
#define FXSAVE_MXCSR_MASK 28 /* offset of the MXCSR_MASK field (0 there means 0xffbf) */

static struct thread_user *me(void)
{
    return &thread_current()->user;
}

bool signal_on_altstack(uint64_t sp)
{
    const struct thread_user *u = me();
    return u->altstack_size && sp > u->altstack_sp && sp - u->altstack_sp <= u->altstack_size;
}

int signal_altstack_flags(uint64_t sp)
{
    if (!me()->altstack_size)
        return SS_DISABLE;
    return signal_on_altstack(sp) ? SS_ONSTACK : 0;
}

/* Where the frame goes: below the red zone, or at the top of the alternate stack for SA_ONSTACK
 * when not already on it. Sets *fpstate to the FXSAVE area; returns the frame address, which leaves
 * rsp % 16 == 8 at the handler's first instruction, as if it had been called. 0 when a frame on the
 * alternate stack would overflow it. */
static uint64_t frame_place(const struct trap_frame *f, const struct k_sigaction *ka, uint64_t *fpstate)
{
    struct thread_user *u = me();
    uint64_t sp = f->rsp - REDZONE_SIZE;
    bool was_on = signal_on_altstack(f->rsp);
    if ((ka->flags & SA_ONSTACK) && u->altstack_size && !was_on)
        sp = u->altstack_sp + u->altstack_size;
    *fpstate = ALIGN_DOWN(sp - FXSAVE_SIZE, FXSAVE_ALIGN);
    uint64_t frame = ALIGN_DOWN(*fpstate - sizeof(struct rt_sigframe), 16) - 8;
    if (was_on && !signal_on_altstack(frame))
        return 0;
    return frame;
}

static void save_regs(struct ksigcontext *sc, const struct trap_frame *f, ksigset_t oldmask, uint64_t fpstate,
                      const ksiginfo_t *info)
{
    *sc = (struct ksigcontext){
        .r8 = f->r8,
        .r9 = f->r9,
        .r10 = f->r10,
        .r11 = f->r11,
        .r12 = f->r12,
        .r13 = f->r13,
        .r14 = f->r14,
        .r15 = f->r15,
        .rdi = f->rdi,
        .rsi = f->rsi,
        .rbp = f->rbp,
        .rbx = f->rbx,
        .rdx = f->rdx,
        .rax = f->rax,
        .rcx = f->rcx,
        .rsp = f->rsp,
        .rip = f->rip,
        .eflags = f->rflags,
        .cs = (uint16_t)f->cs,
        .ss = (uint16_t)f->ss,
        .oldmask = oldmask,
        .fpstate = fpstate,
    };
    if (f->vector < 32) { /* an exception: say which, as Linux does */
        sc->trapno = f->vector;
        sc->err = f->error;
        if (f->vector == VEC_PAGE_FAULT)
            sc->cr2 = info->u.fault.addr;
    }
}

int signal_frame_setup(struct trap_frame *f, int sig, const struct k_sigaction *ka, const ksiginfo_t *info,
                       ksigset_t oldmask)
{
    /* x86-64 has no kernel-provided return trampoline: a handler without SA_RESTORER (every C
     * library sets it) could not return, and Linux treats that as an unwritable frame. */
    if (!(ka->flags & SA_RESTORER))
        return -EFAULT;
    uint64_t fpstate, frame = frame_place(f, ka, &fpstate);
    if (!frame)
        return -EFAULT;
    struct thread_user *u = me();

    struct fpu_state fx;
    memset(&fx, 0, sizeof(fx)); /* FXSAVE leaves bytes 464-511 alone: no stale kernel data out */
    fpu_save(&fx);

    struct rt_sigframe fr;
    memset(&fr, 0, sizeof(fr));
    fr.pretcode = ka->restorer;
    fr.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    fr.uc.uc_stack = (struct kstack){
        .ss_sp = u->altstack_sp, .ss_flags = signal_altstack_flags(f->rsp), .ss_size = u->altstack_size};
    save_regs(&fr.uc.uc_mcontext, f, oldmask, fpstate, info);
    fr.uc.uc_sigmask = oldmask;
    fr.info = *info;
    if (copy_to_user((void *)fpstate, &fx, sizeof(fx)) < 0 ||
        copy_to_user((void *)frame, &fr, sizeof(fr)) < 0)
        return -EFAULT;

    f->rdi = (uint64_t)sig;
    f->rsi = frame + offsetof(struct rt_sigframe, info);
    f->rdx = frame + offsetof(struct rt_sigframe, uc);
    f->rax = 0; /* no vector registers in use, for variadic handlers */
    f->rsp = frame;
    f->rip = ka->handler;
    f->rflags &= ~(RFLAGS_DF | RFLAGS_TF | RFLAGS_RF);
    f->cs = GDT_USER_CODE | 3;
    f->ss = GDT_USER_DATA | 3;
    /* The handler starts with a clean FPU (default MXCSR), as on Linux. */
    fpu_state_init(&fx);
    fpu_restore(&fx);
    if ((u->altstack_flags & SS_AUTODISARM) && signal_on_altstack(frame)) {
        u->altstack_sp = 0;
        u->altstack_size = 0;
        u->altstack_flags = 0;
    }
    return 0;
}

/* The MXCSR bits this CPU implements; loading any other bit makes FXRSTOR fault. */
static uint32_t mxcsr_mask(void)
{
    static uint32_t mask;
    if (!mask) {
        struct fpu_state fx;
        memset(&fx, 0, sizeof(fx));
        fpu_save(&fx);
        memcpy(&mask, fx.image + FXSAVE_MXCSR_MASK, 4);
        if (!mask)
            mask = 0xffbf;
    }
    return mask;
}

/* Loads the handler-modified FPU image from user memory, or the clean state when there is none. */
static int restore_fpu(uint64_t fpstate)
{
    struct fpu_state fx;
    if (!fpstate) {
        fpu_state_init(&fx);
        fpu_restore(&fx);
        return 0;
    }
    if (copy_from_user(&fx, (const void *)fpstate, sizeof(fx)) < 0)
        return -EFAULT;
    uint32_t mxcsr;
    memcpy(&mxcsr, fx.image + FXSAVE_MXCSR, 4);
    mxcsr &= mxcsr_mask();
    memcpy(fx.image + FXSAVE_MXCSR, &mxcsr, 4);
    fpu_restore(&fx);
    return 0;
}

static void restore_regs(struct trap_frame *f, const struct ksigcontext *sc)
{
    f->r8 = sc->r8, f->r9 = sc->r9, f->r10 = sc->r10, f->r11 = sc->r11;
    f->r12 = sc->r12, f->r13 = sc->r13, f->r14 = sc->r14, f->r15 = sc->r15;
    f->rdi = sc->rdi, f->rsi = sc->rsi, f->rbp = sc->rbp, f->rbx = sc->rbx;
    f->rdx = sc->rdx, f->rax = sc->rax, f->rcx = sc->rcx, f->rsp = sc->rsp, f->rip = sc->rip;
    f->rflags = (f->rflags & ~SIGRETURN_FLAGS) | (sc->eflags & SIGRETURN_FLAGS) | RFLAGS_USER_FIXED;
    /* Whatever the frame says, the program goes back to ring 3 with the user segments. */
    f->cs = GDT_USER_CODE | 3;
    f->ss = GDT_USER_DATA | 3;
    f->error = SYSCALL_NR_NONE; /* sigreturn's own result must never look like a restart request */
}

long signal_frame_restore(struct trap_frame *f)
{
    struct kucontext uc;
    uint64_t frame = f->rsp - 8;
    if (copy_from_user(&uc, (const void *)(frame + offsetof(struct rt_sigframe, uc)), sizeof(uc)) < 0)
        return -EFAULT;
    if (restore_fpu(uc.uc_mcontext.fpstate) < 0)
        return -EFAULT;
    signal_set_mask(uc.uc_sigmask);
    restore_regs(f, &uc.uc_mcontext);
    /* The interrupted code's alternate stack, as the handler may have changed it; like Linux, only a
     * fault reading it counts as an error. */
    signal_do_sigaltstack(&uc.uc_stack, NULL, f->rsp);
    return (long)f->rax;
}
