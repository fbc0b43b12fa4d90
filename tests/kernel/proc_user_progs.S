/* Tiny user programs for the process-core KTAP tests (proc_user_test.c), assembled into the kernel
 * as data: position-independent x86-64 code that the test wraps in an ELF file and runs as a process.
 * Each ends with exit(code); the test checks the wait status. */

    .section .rodata
    .balign 16

/* exit(42) */
    .globl proc_prog_exit42, proc_prog_exit42_end
proc_prog_exit42:
    movl $60, %eax
    movl $42, %edi
    syscall
proc_prog_exit42_end:

/* An invalid opcode: the process dies of SIGILL (status 4, with the core flag 0x80). */
    .globl proc_prog_ud2, proc_prog_ud2_end
proc_prog_ud2:
    ud2
proc_prog_ud2_end:

/* fork; the child exits 5; the parent waits for it and exits 10 + the child's exit code, or 1 when
 * wait4 returned another pid. */
    .globl proc_prog_fork, proc_prog_fork_end
proc_prog_fork:
    movl $57, %eax
    syscall
    testl %eax, %eax
    jnz 1f
    movl $60, %eax
    movl $5, %edi
    syscall
1:  movl %eax, %ebx                /* the child's pid; rbx survives system calls */
    subq $16, %rsp
    movl %eax, %edi
    movq %rsp, %rsi
    xorl %edx, %edx
    xorl %r10d, %r10d
    movl $61, %eax                 /* wait4(pid, &status, 0, NULL) */
    syscall
    cmpl %eax, %ebx
    jne 2f
    movl (%rsp), %edi
    shrl $8, %edi
    addl $10, %edi
    movl $60, %eax
    syscall
2:  movl $60, %eax
    movl $1, %edi
    syscall
proc_prog_fork_end:

/* Registers across system calls: callee-saved ones and the argument registers survive, rcx and r11
 * come back as rip and rflags (what SYSRET loads them from); arch_prctl sets and reads FS base.
 * exit(0) when all holds, else the number of the failed check. */
    .globl proc_prog_regs, proc_prog_regs_end
proc_prog_regs:
    movq $0x1111, %rbx
    movq $0x2222, %rbp
    movq $0x3333, %r12
    movq $0x4444, %r15
    movq $0x5555, %rdi
    movl $39, %eax                 /* getpid */
    syscall
4:  movl $1, %edi
    cmpq $0x1111, %rbx
    jne 9f
    cmpq $0x2222, %rbp
    jne 9f
    cmpq $0x3333, %r12
    jne 9f
    cmpq $0x4444, %r15
    jne 9f
    movl $2, %edi
    leaq 4b(%rip), %rdx
    cmpq %rdx, %rcx                /* rcx = the rip after the syscall instruction */
    jne 9f
    movl $3, %edi
    cmpl $1, %eax                  /* getpid: the test's process is pid 1 only by chance; > 0 */
    jl 9f
    movl $158, %eax                /* arch_prctl(ARCH_SET_FS, 0x12345000) */
    movl $0x1002, %edi
    movq $0x12345000, %rsi
    syscall
    movl $4, %edi
    testq %rax, %rax
    jnz 9f
    subq $16, %rsp
    movl $158, %eax                /* arch_prctl(ARCH_GET_FS, rsp) */
    movl $0x1003, %edi
    movq %rsp, %rsi
    syscall
    movl $5, %edi
    cmpq $0x12345000, (%rsp)
    jne 9f
    movl $158, %eax                /* ARCH_SET_FS to a kernel address: EPERM */
    movl $0x1002, %edi
    movq $0xffff800000000000, %rsi
    syscall
    movl $6, %edi
    cmpq $-1, %rax
    jne 9f
    xorl %edi, %edi
9:  movl $60, %eax
    syscall
proc_prog_regs_end:
