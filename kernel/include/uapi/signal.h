/* Signals as the Linux x86-64 kernel ABI defines them: numbers, sigaction flags, siginfo, stack_t and
 * the rt_sigframe a handler finds on its stack (ucontext, sigcontext, FXSAVE area). Offsets and sizes
 * are pinned with _Static_assert; musl reads these structures by offset. */
#pragma once
#include <kestrel/types.h>

#define SIGHUP    1
#define SIGINT    2
#define SIGQUIT   3
#define SIGILL    4
#define SIGTRAP   5
#define SIGABRT   6
#define SIGBUS    7
#define SIGFPE    8
#define SIGKILL   9
#define SIGUSR1   10
#define SIGSEGV   11
#define SIGUSR2   12
#define SIGPIPE   13
#define SIGALRM   14
#define SIGTERM   15
#define SIGSTKFLT 16
#define SIGCHLD   17
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGXCPU   24
#define SIGXFSZ   25
#define SIGVTALRM 26
#define SIGPROF   27
#define SIGWINCH  28
#define SIGIO     29
#define SIGPWR    30
#define SIGSYS    31
#define SIGRTMIN  32
#define SIGRTMAX  64
#define NSIG      64 /* the highest signal number (Linux's _NSIG) */

/* The kernel's sigset_t: one bit per signal, bit n-1 for signal n. rt_sig* calls insist on 8 bytes. */
typedef uint64_t ksigset_t;

#define SIG_DFL ((uint64_t)0)
#define SIG_IGN ((uint64_t)1)

#define SA_NOCLDSTOP 0x00000001u
#define SA_NOCLDWAIT 0x00000002u
#define SA_SIGINFO   0x00000004u
#define SA_RESTORER  0x04000000u
#define SA_ONSTACK   0x08000000u
#define SA_RESTART   0x10000000u
#define SA_NODEFER   0x40000000u
#define SA_RESETHAND 0x80000000u

#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

/* struct sigaction as rt_sigaction(2) passes it (not the C library's layout). */
struct k_sigaction {
    uint64_t handler; /* SIG_DFL, SIG_IGN or the handler's address */
    uint64_t flags;
    uint64_t restorer; /* with SA_RESTORER: where the handler returns (it calls rt_sigreturn) */
    ksigset_t mask;    /* blocked while the handler runs */
};
_Static_assert(sizeof(struct k_sigaction) == 32, "struct sigaction is 32 bytes on x86-64");

/* stack_t for sigaltstack. */
struct kstack {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};
_Static_assert(sizeof(struct kstack) == 24, "stack_t is 24 bytes");
_Static_assert(offsetof(struct kstack, ss_size) == 16, "stack_t.ss_size");

#define SS_ONSTACK    1
#define SS_DISABLE    2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ   2048
#define SIGSTKSZ      8192

/* si_code values. */
#define SI_USER   0
#define SI_KERNEL 0x80
#define SI_QUEUE  (-1)
#define SI_TIMER  (-2)
#define SI_TKILL  (-6)

#define ILL_ILLOPN    2
#define FPE_INTDIV    1
#define SEGV_MAPERR   1
#define SEGV_ACCERR   2
#define BUS_ADRALN    1
#define BUS_ADRERR    2
#define TRAP_BRKPT    1
#define CLD_EXITED    1
#define CLD_KILLED    2
#define CLD_DUMPED    3
#define CLD_STOPPED   5
#define CLD_CONTINUED 6

/* siginfo_t: 128 bytes; the union starts at offset 16. Only the members Kestrel fills are named. */
typedef struct ksiginfo {
    int32_t si_signo;
    int32_t si_errno;
    int32_t si_code;
    int32_t pad0;
    union {
        struct { /* kill, tkill, sigqueue */
            int32_t pid;
            uint32_t uid;
            uint64_t value; /* sigval for sigqueue and timers */
        } kill;
        struct { /* SIGCHLD */
            int32_t pid;
            uint32_t uid;
            int32_t status; /* exit code or signal number */
            int32_t pad;
            int64_t utime, stime; /* clock ticks */
        } chld;
        struct { /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP */
            uint64_t addr;
        } fault;
        struct { /* POSIX timers (SI_TIMER) */
            int32_t tid;
            int32_t overrun;
            uint64_t value;
        } timer;
        uint8_t raw[112];
    } u;
} ksiginfo_t;
_Static_assert(sizeof(ksiginfo_t) == 128, "siginfo_t is 128 bytes");
_Static_assert(offsetof(ksiginfo_t, u.kill.pid) == 16, "si_pid");
_Static_assert(offsetof(ksiginfo_t, u.kill.uid) == 20, "si_uid");
_Static_assert(offsetof(ksiginfo_t, u.kill.value) == 24, "si_value");
_Static_assert(offsetof(ksiginfo_t, u.chld.status) == 24, "si_status");
_Static_assert(offsetof(ksiginfo_t, u.chld.utime) == 32, "si_utime");
_Static_assert(offsetof(ksiginfo_t, u.fault.addr) == 16, "si_addr");

/* struct sigcontext (= uc_mcontext, musl's mcontext_t with gregs in REG_R8.. order). */
struct ksigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss; /* ss is honoured on return (UC_STRICT_RESTORE_SS) */
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate; /* user address of the FXSAVE area, or 0 when there is no FPU state */
    uint64_t reserved1[8];
};
_Static_assert(sizeof(struct ksigcontext) == 256, "sigcontext is 256 bytes");
_Static_assert(offsetof(struct ksigcontext, rdi) == 8 * 8, "REG_RDI is 8");
_Static_assert(offsetof(struct ksigcontext, rip) == 16 * 8, "REG_RIP is 16");
_Static_assert(offsetof(struct ksigcontext, eflags) == 17 * 8, "REG_EFL is 17");
_Static_assert(offsetof(struct ksigcontext, cs) == 18 * 8, "REG_CSGSFS is 18");
_Static_assert(offsetof(struct ksigcontext, err) == 19 * 8, "REG_ERR is 19");
_Static_assert(offsetof(struct ksigcontext, oldmask) == 21 * 8, "REG_OLDMASK is 21");
_Static_assert(offsetof(struct ksigcontext, cr2) == 22 * 8, "REG_CR2 is 22");
_Static_assert(offsetof(struct ksigcontext, fpstate) == 23 * 8, "fpregs pointer follows gregs[23]");

#define UC_FP_XSTATE         0x1
#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4

/* The kernel's struct ucontext; its uc_sigmask holds 8 bytes (the C library's is larger, but only
 * the first 8 bytes are the kernel's). */
struct kucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct kstack uc_stack;
    struct ksigcontext uc_mcontext;
    ksigset_t uc_sigmask;
};
_Static_assert(offsetof(struct kucontext, uc_stack) == 16, "uc_stack");
_Static_assert(offsetof(struct kucontext, uc_mcontext) == 40, "uc_mcontext");
_Static_assert(offsetof(struct kucontext, uc_sigmask) == 296, "uc_sigmask");
_Static_assert(sizeof(struct kucontext) == 304, "struct ucontext");

/* What the handler finds at its stack pointer: the return address (the restorer), then the
 * ucontext and the siginfo whose addresses it gets in rdx and rsi. The 512-byte FXSAVE image lies
 * above, 64-byte aligned, pointed to by uc_mcontext.fpstate. */
struct rt_sigframe {
    uint64_t pretcode;
    struct kucontext uc;
    ksiginfo_t info;
};
_Static_assert(offsetof(struct rt_sigframe, uc) == 8, "rt_sigframe.uc");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "rt_sigframe.info");
_Static_assert(sizeof(struct rt_sigframe) == 440, "rt_sigframe");

#define FXSAVE_SIZE  512
#define FXSAVE_ALIGN 64  /* Linux aligns the signal FPU area to 64 (XSAVE's demand; FXSAVE needs 16) */
#define FXSAVE_MXCSR 24  /* offset of MXCSR in the image */
#define REDZONE_SIZE 128 /* the SysV red zone below rsp that a signal frame must not overwrite */

/* ITIMER_REAL and friends (getitimer/setitimer). */
#define ITIMER_REAL    0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF    2

struct sig_timeval {
    int64_t tv_sec, tv_usec;
};
struct sig_itimerval {
    struct sig_timeval it_interval, it_value;
};
_Static_assert(sizeof(struct sig_itimerval) == 32, "struct itimerval");

/* struct timespec, for rt_sigtimedwait. */
struct sig_timespec {
    int64_t tv_sec, tv_nsec;
};
