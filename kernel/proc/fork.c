/* fork, vfork and the process form of clone: a new process with a copy (or, with CLONE_VM, a share) of
 * the caller's memory, a duplicate (or shared) file table, the same credentials, directories, limits
 * and signal dispositions, and one thread that returns 0 from the same system call. */
#include "internal.h"
#include <kestrel/file.h>
#include <kestrel/fs.h>
#include <kestrel/string.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>

#define CSIGNAL              0x000000ffull
#define CLONE_VM             0x00000100ull
#define CLONE_FS             0x00000200ull
#define CLONE_FILES          0x00000400ull
#define CLONE_SIGHAND        0x00000800ull
#define CLONE_PIDFD          0x00001000ull
#define CLONE_PTRACE         0x00002000ull
#define CLONE_VFORK          0x00004000ull
#define CLONE_PARENT         0x00008000ull
#define CLONE_THREAD         0x00010000ull
#define CLONE_NEWNS          0x00020000ull
#define CLONE_SYSVSEM        0x00040000ull
#define CLONE_SETTLS         0x00080000ull
#define CLONE_PARENT_SETTID  0x00100000ull
#define CLONE_CHILD_CLEARTID 0x00200000ull
#define CLONE_DETACHED       0x00400000ull
#define CLONE_UNTRACED       0x00800000ull
#define CLONE_CHILD_SETTID   0x01000000ull

/* What the process form supports; threads (CLONE_THREAD, CLONE_SIGHAND), namespaces and pidfds are
 * refused with EINVAL. CLONE_FS is accepted but the directories are copied, not shared. */
#define CLONE_SUPPORTED                                                                                      \
    (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_VFORK | CLONE_PARENT | CLONE_SYSVSEM |              \
     CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED |           \
     CLONE_CHILD_SETTID | CLONE_PTRACE)

/* Copies or shares everything but the thread. Returns 0 or a negative errno (child then discarded by
 * the caller through undo_child). */
static int copy_process_state(struct process *child, struct process *parent, uint64_t flags)
{
    memcpy(child->comm, parent->comm, sizeof(child->comm));
    uint64_t irq = spin_lock_irqsave(&parent->lock);
    child->cred = parent->cred;
    memcpy(child->rlimits, parent->rlimits, sizeof(child->rlimits));
    spin_unlock_irqrestore(&parent->lock, irq);
    child->fs.umask = parent->fs.umask;
    child->fs.cwd = parent->fs.cwd ? inode_get(parent->fs.cwd) : NULL;
    child->fs.root = parent->fs.root ? inode_get(parent->fs.root) : NULL;
    child->exe = parent->exe ? vfs_file_get(parent->exe) : NULL;
    child->exit_signal = (int)(flags & CSIGNAL);
    child->did_exec = false;

    if (parent->mm) {
        child->mm = flags & CLONE_VM ? mm_get(parent->mm) : mm_fork(parent->mm);
        if (!child->mm)
            return -ENOMEM;
    }
    if (parent->files) {
        child->files = flags & CLONE_FILES ? files_get(parent->files) : files_fork(parent->files);
        if (!child->files)
            return -ENOMEM;
    }
    if (signal_fork)
        return signal_fork(child, parent, flags);
    return 0;
}

/* Undoes copy_process_state for a child that never ran. */
static void undo_child(struct process *child)
{
    if (child->files)
        files_put(child->files);
    if (child->mm)
        mm_put(child->mm);
    if (signal_exit && child->sighand)
        signal_exit(child);
    process_discard(child);
}

static void unregister_child(struct process *child)
{
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    process_free_locked(child);
    spin_unlock_irqrestore(&process_tree_lock, flags);
}

long process_clone(uint64_t flags, uint64_t newsp, uint64_t parent_tid, uint64_t child_tid, uint64_t tls)
{
    if (flags & ~CLONE_SUPPORTED)
        return -EINVAL;
    struct thread *t = thread_current();
    struct process *parent = t->user.proc;
    struct process *child = process_alloc();
    if (!child)
        return -ENOMEM;
    int err = copy_process_state(child, parent, flags);
    if (err) {
        undo_child(child);
        return err;
    }
    /* CLONE_PARENT: a sibling of the caller rather than its child. */
    struct process *new_parent = (flags & CLONE_PARENT) && parent->parent ? parent->parent : parent;
    err = process_register(child, new_parent);
    if (err) {
        undo_child(child);
        return err;
    }
    int pid = child->pid;
    if ((flags & CLONE_PARENT_SETTID) && copy_to_user((void *)parent_tid, &pid, sizeof(pid))) {
        err = -EFAULT;
        goto fail_registered;
    }

    struct trap_frame frame = *t->user.frame;
    frame.rax = 0; /* the child's return value */
    if (newsp)
        frame.rsp = newsp;
    /* The child's FPU state is the parent's as it is now: the live registers hold it (the kernel itself
     * never touches them, and a switch in between saves and restores them unchanged). */
    struct fpu_state fpu;
    fpu_save(&fpu);
    uint64_t fs_base = flags & CLONE_SETTLS ? tls : t->user.fs_base;
    if (flags & CLONE_VFORK) {
        parent->vfork_done = false;
        child->vfork_parent = parent;
    }
    err = user_thread_start(child, &frame, &fpu, fs_base, t->user.gs_base,
                            flags & CLONE_CHILD_SETTID ? child_tid : 0,
                            flags & CLONE_CHILD_CLEARTID ? child_tid : 0);
    if (err)
        goto fail_registered;
    /* The child borrows our memory until it execs or exits. Waiting on our own fields: the child
     * may be gone (and freed) by the time we run again. */
    if (flags & CLONE_VFORK)
        wait_event(&parent->vfork_wait, parent->vfork_done);
    return pid;

fail_registered:
    if (child->files)
        files_put(child->files);
    if (child->mm)
        mm_put(child->mm);
    if (signal_exit && child->sighand)
        signal_exit(child);
    if (child->fs.cwd)
        inode_put(child->fs.cwd);
    if (child->fs.root)
        inode_put(child->fs.root);
    unregister_child(child);
    return err;
}
