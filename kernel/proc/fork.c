/* fork, vfork and the process form of clone: a new process with a copy (or, with CLONE_VM, a share) of
 * the caller's memory, a duplicate (or shared) file table, the same credentials, directories, limits
 * and signal dispositions, and one thread that returns 0 from the same system call. The checks of
 * clone's flags are here for both forms; the thread form itself is in thread_group.c. */
#include "internal.h"
#include <kestrel/file.h>
#include <kestrel/fs.h>
#include <kestrel/string.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>

/* What clone supports; namespaces and pidfds are refused with EINVAL. In the process form CLONE_FS
 * is accepted but the directories are copied, not shared, and CLONE_SIGHAND copies the dispositions. */
#define CLONE_SUPPORTED                                                                                      \
    (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_VFORK |              \
     CLONE_PARENT | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |              \
     CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_PTRACE)
/* A thread shares all of these with its process: Kestrel keeps them per process, so the thread form
 * without one of them (legal on Linux, and unused by C libraries) is refused with EINVAL. */
#define CLONE_THREAD_NEEDS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND)

/* Linux's combination rules: a thread shares its handlers, and shared handlers need shared memory
 * (a handler's address means nothing in another address space). */
static int clone_flags_check(uint64_t flags)
{
    if (flags & ~CLONE_SUPPORTED)
        return -EINVAL;
    if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
        return -EINVAL;
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
        return -EINVAL;
    if ((flags & CLONE_THREAD) &&
        ((flags & CLONE_THREAD_NEEDS) != CLONE_THREAD_NEEDS || (flags & CLONE_VFORK)))
        return -EINVAL;
    return 0;
}

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
    int err = clone_flags_check(flags);
    if (err)
        return err;
    if (flags & CLONE_THREAD)
        return thread_clone(flags, newsp, parent_tid, child_tid, tls);
    struct thread *t = thread_current();
    struct process *parent = t->user.proc;
    struct process *child = process_alloc();
    if (!child)
        return -ENOMEM;
    err = copy_process_state(child, parent, flags);
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
    struct vfork_completion vfork = {.done = false};
    if (flags & CLONE_VFORK) {
        waitqueue_init(&vfork.wq, "vfork");
        child->vfork = &vfork; /* not yet visible to anyone: the child has not started */
    }
    struct user_thread_init init = {
        .frame = &frame,
        .fpu = &fpu,
        .fs_base = fs_base,
        .gs_base = t->user.gs_base,
        .set_child_tid = flags & CLONE_CHILD_SETTID ? child_tid : 0,
        .clear_child_tid = flags & CLONE_CHILD_CLEARTID ? child_tid : 0,
        /* Linux: a child sharing the memory but not waiting (vfork) must not share a signal stack. */
        .clear_altstack = (flags & (CLONE_VM | CLONE_VFORK)) == CLONE_VM,
    };
    err = user_thread_start(child, &init);
    if (err)
        goto fail_registered;
    /* The child borrows our memory until it execs or exits. Waiting on our own completion: the child
     * may be gone (and freed) by the time we run again. */
    if (flags & CLONE_VFORK)
        wait_event(&vfork.wq, vfork.done);
    return pid;

fail_registered:
    if (child->files)
        files_put(child->files);
    if (child->mm)
        mm_put(child->mm);
    if (signal_exit && child->sighand)
        signal_exit(child);
    vfs_lock(); /* a last reference to an inode writes it back (ext2): only under the VFS lock */
    if (child->fs.cwd)
        inode_put(child->fs.cwd);
    if (child->fs.root)
        inode_put(child->fs.root);
    vfs_unlock();
    unregister_child(child);
    return err;
}
