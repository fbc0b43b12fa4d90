/* Process life-cycle system calls: fork, vfork, clone, execve, exit, exit_group, wait4, waitid, the pid
 * queries, and the per-thread settings of the C library's start-up (set_tid_address, robust lists,
 * arch_prctl). The work is in kernel/proc; these check and convert arguments. */
#include "../proc/internal.h"
#include <arch/cpu.h>
#include <kestrel/sched.h>
#include <kestrel/syscall.h>
#include <kestrel/uaccess.h>
#include <kestrel/vm.h>

#define SIGCHLD_FLAG   17ull /* the exit signal of fork and vfork */
#define CLONE_VM_VFORK (0x00000100ull | 0x00004000ull)

SYSCALL_DEFINE0(fork)
{
    return process_clone(SIGCHLD_FLAG, 0, 0, 0, 0);
}

SYSCALL_DEFINE0(vfork)
{
    return process_clone(CLONE_VM_VFORK | SIGCHLD_FLAG, 0, 0, 0, 0);
}

/* x86-64 argument order: flags, newsp, parent_tid, child_tid, tls. */
SYSCALL_DEFINE5(clone, uint64_t, flags, uint64_t, newsp, uint64_t, parent_tid, uint64_t, child_tid, uint64_t,
                tls)
{
    return process_clone(flags, newsp, parent_tid, child_tid, tls);
}

SYSCALL_DEFINE3(execve, const char *, path, const char *const *, argv, const char *const *, envp)
{
    return proc_execve_user(path, argv, envp);
}

/* Ends the calling thread only; the process ends with its last thread. */
SYSCALL_DEFINE1(exit, int, code)
{
    process_thread_exit((code & 0xff) << 8);
}

SYSCALL_DEFINE1(exit_group, int, code)
{
    process_exit((code & 0xff) << 8);
}

SYSCALL_DEFINE4(wait4, int, pid, int *, status, int, options, void *, rusage)
{
    return proc_wait4(pid, status, options, rusage);
}

SYSCALL_DEFINE5(waitid, int, idtype, int, id, void *, info, int, options, void *, rusage)
{
    return proc_waitid(idtype, id, info, options, rusage);
}

SYSCALL_DEFINE0(getpid)
{
    return current_process()->pid;
}

SYSCALL_DEFINE0(gettid)
{
    return thread_current()->user.tid;
}

SYSCALL_DEFINE0(getppid)
{
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    struct process *parent = current_process()->parent;
    int ppid = parent ? parent->pid : 0;
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return ppid;
}

SYSCALL_DEFINE1(set_tid_address, int *, tidptr)
{
    struct thread *t = thread_current();
    t->user.clear_child_tid = (uint64_t)tidptr;
    return t->user.tid;
}

#define ROBUST_LIST_HEAD_SIZE 24 /* struct robust_list_head: list, futex_offset, list_op_pending */

SYSCALL_DEFINE2(set_robust_list, uint64_t, head, size_t, len)
{
    if (len != ROBUST_LIST_HEAD_SIZE)
        return -EINVAL;
    struct thread *t = thread_current();
    t->user.robust_list = head;
    t->user.robust_len = len;
    return 0;
}

/* Another thread's list: Linux asks for ptrace read access; Kestrel grants it within the process and
 * to root, and says EPERM otherwise. */
static long robust_list_of(int tid, uint64_t *head)
{
    struct process *self = current_process();
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    struct thread *t = process_find_thread(-1, tid);
    long rc = !t ? -ESRCH : (t->user.proc != self && self->cred.euid != 0) ? -EPERM : 0;
    if (!rc)
        *head = t->user.robust_list;
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return rc;
}

SYSCALL_DEFINE3(get_robust_list, int, pid, uint64_t *, head, size_t *, len)
{
    uint64_t h = thread_current()->user.robust_list;
    if (pid != 0) {
        long rc = robust_list_of(pid, &h);
        if (rc)
            return rc;
    }
    size_t l = ROBUST_LIST_HEAD_SIZE;
    if (copy_to_user(head, &h, sizeof(h)) || copy_to_user(len, &l, sizeof(l)))
        return -EFAULT;
    return 0;
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

SYSCALL_DEFINE2(arch_prctl, int, code, uint64_t, addr)
{
    struct thread *t = thread_current();
    switch (code) {
    case ARCH_SET_FS:
    case ARCH_SET_GS: {
        if (addr >= USER_SPACE_END)
            return -EPERM; /* a kernel or non-canonical base would fault on the way out */
        /* Interrupts off: a switch in between would reload the MSR from the old value. */
        uint64_t irq = irq_save();
        if (code == ARCH_SET_FS) {
            t->user.fs_base = addr;
            wrmsr(MSR_FS_BASE, addr);
        } else {
            t->user.gs_base = addr;
            wrmsr(MSR_KERNEL_GS_BASE, addr); /* swapgs installs it on the way out */
        }
        irq_restore(irq);
        return 0;
    }
    case ARCH_GET_FS:
        return copy_to_user((void *)addr, &t->user.fs_base, sizeof(uint64_t));
    case ARCH_GET_GS:
        return copy_to_user((void *)addr, &t->user.gs_base, sizeof(uint64_t));
    default:
        return -EINVAL;
    }
}

SYSCALL_DEFINE0(sched_yield)
{
    thread_yield();
    return 0;
}
