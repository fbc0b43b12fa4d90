/* The end of a process once its last thread has left (thread_group.c): releasing what it holds, giving
 * its children to init, becoming a zombie for the parent's wait4, and the special case of init itself. */
#include "internal.h"
#include <arch/cpu.h>
#include <kestrel/file.h>
#include <kestrel/fs.h>
#include <kestrel/machine.h>
#include <kestrel/mount.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>
#include <kestrel/signal.h>
#include <kestrel/uvm.h>

/* Init has nobody to report to: say how it ended and stop the machine (Linux would panic; a clean
 * stop serves the test harness and tools/krun better, and the log line says what happened). */
static __noreturn void init_exited(int status)
{
    if (status & 0x7f)
        pr_notice("proc: init (pid 1) killed by signal %d%s\n", status & 0x7f,
                  status & 0x80 ? " (core)" : "");
    else
        pr_notice("proc: init (pid 1) exited with status %d\n", (status >> 8) & 0xff);
    if (machine_test_mode) {
        if (status == 0)
            machine_stop_passed();
        machine_stop_failed();
    }
    machine_poweroff();
}

/* The vfork parent may run again: the child no longer uses its memory. The wake-up happens under the
 * lock: the completion lives on the parent's stack, which is gone as soon as the parent sees done. */
void process_vfork_release(struct process *p)
{
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    struct vfork_completion *c = p->vfork;
    p->vfork = NULL;
    if (c) {
        c->done = true;
        wq_wake_all(&c->wq);
    }
    spin_unlock_irqrestore(&process_tree_lock, flags);
}

/* Everything a zombie does not need. Sleeps (files, memory): no lock held. */
static void release_resources(struct process *p)
{
    /* Detached under the tree lock, so that whoever looks at another process under it (procfs,
     * umount's busy check) either sees them and takes a reference, or sees NULL. The mm goes
     * first, so no switch loads it again. */
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    struct files *files = p->files;
    struct inode *cwd = p->fs.cwd, *root = p->fs.root;
    struct mm *mm = p->mm;
    struct file *exe = p->exe;
    p->exe = NULL;
    p->files = NULL;
    p->fs.cwd = p->fs.root = NULL;
    p->mm = NULL;
    spin_unlock_irqrestore(&process_tree_lock, flags);
    if (files)
        files_put(files);
    if (exe)
        file_put(exe);
    vfs_lock(); /* inode references change under the VFS lock */
    if (cwd)
        inode_put(cwd);
    if (root)
        inode_put(root);
    mount_reap(); /* they may have held a detached filesystem */
    vfs_unlock();
    if (mm)
        mm_put(mm);
    if (signal_exit && p->sighand)
        signal_exit(p);
    process_vfork_release(p);
}

/* Gives every child of p to init (or, with no init, lets each go: a zombie is freed at once, a live
 * one is freed when it exits). Lock held. */
static void reparent_children_locked(struct process *p)
{
    struct process *heir = init_process != p ? init_process : NULL;
    while (!qlist_empty(&p->children)) {
        struct process *c = qlist_entry(p->children.next, struct process, sibling);
        qlist_remove(&c->sibling);
        c->parent = heir;
        if (heir)
            qlist_push_back(&heir->children, &c->sibling);
        if (c->state == PROCESS_ZOMBIE) {
            if (heir)
                process_notify_parent_locked(c);
            else
                process_free_locked(c);
        }
    }
}

__noreturn void process_end(struct process *p, struct thread *t)
{
    if (p == init_process)
        init_exited(p->exit_status);
    release_resources(p);

    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    reparent_children_locked(p);
    p->state = PROCESS_ZOMBIE;
    /* From here the parent may free p at any moment: this thread stops being p's first. */
    t->user.proc = NULL;
    struct process *parent = p->parent;
    if (!parent || (signal_child_exited && signal_child_exited(parent, p))) {
        process_free_locked(p); /* nobody will wait for it */
        if (parent) {
            parent->child_events++;
            wq_wake_all(&parent->child_wait); /* a waiter may now have no children: ECHILD */
        }
    } else {
        process_notify_parent_locked(p);
    }
    spin_unlock_irqrestore(&process_tree_lock, flags);
    thread_exit(0);
}

__noreturn void process_exit_by_signal(int signo)
{
    /* Kestrel writes no core file, but reports the "core" default action as Linux does. */
    bool core = sig_default_action(signo) == SIGDFL_CORE;
    process_exit((signo & 0x7f) | (core ? 0x80 : 0));
}
