/* User threads: starting one in ring 3 with a given register frame, and the work every return to user
 * mode does first. A user thread is a kernel thread whose stack top holds its user trap frame. */
#include "internal.h"
#include <arch/cpu.h>
#include <kestrel/kmalloc.h>
#include <kestrel/printk.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>

/* What a new thread needs from its creator; the creator may return before the thread first runs. */
struct user_start {
    struct fpu_state fpu; /* first: kmalloc's 16-byte alignment is FXRSTOR's */
    bool has_fpu;
    struct trap_frame frame;
    struct process *proc;
    int tid;
    uint64_t fs_base, gs_base;
    uint64_t set_child_tid, clear_child_tid;
    uint64_t sigmask; /* the creator's: fork keeps the mask and the alternate stack (not pending signals) */
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;
    int (*setup)(void *arg); /* run in the new thread before user mode (the first exec); may be NULL */
    void *setup_arg;
    /* Set (under the process lock) once the creator has made the thread its process's. */
    bool attached;
    struct waitqueue attached_wq;
};

/* Runs on the new thread's stack below its trap frame (run_on_stack), never returns. */
static void user_thread_run(void *arg)
{
    struct user_start *s = arg;
    struct thread *t = thread_current();
    /* The creator may not have made us its process's thread yet (attach_thread); until it has, we are
     * no one's and must not run as anyone's. */
    wait_event(&s->attached_wq, s->attached);
    struct trap_frame *f = t->user.frame;
    *f = s->frame;
    /* Our bases and memory, which the creator set while another thread ran. */
    uint64_t irq = irq_save();
    if (s->has_fpu)
        fpu_restore(&s->fpu);
    process_switch_to(t);
    irq_restore(irq);

    if (s->set_child_tid) {
        int tid = t->user.tid;
        (void)copy_to_user((void *)s->set_child_tid, &tid, sizeof(tid)); /* a bad pointer is ignored */
    }
    int (*setup)(void *) = s->setup;
    void *setup_arg = s->setup_arg;
    kfree(s);
    if (setup) {
        int err = setup(setup_arg);
        if (err)
            process_exit((-err & 0xff) << 8);
    }
    return_to_user_work(f);
    user_enter(f);
}

static int user_thread_main(void *arg)
{
    struct thread *t = thread_current();
    /* Leave the frame's 176 bytes at the stack top alone: the C frames start below it. */
    run_on_stack((uint64_t)user_frame_at(t->stack_top), user_thread_run, arg);
}

/* Makes t a thread of s->proc: its user state, and a place in the thread list, so that from the
 * moment clone returns the thread can be signalled (tkill, kill) like any other, as on Linux.
 * Interrupts off throughout (the process lock): process_switch_to must see either a kernel thread
 * or a complete user thread. */
static void attach_thread(struct thread *t, struct user_start *s)
{
    struct process *p = s->proc;
    struct thread_user *u = &t->user;
    uint64_t flags = spin_lock_irqsave(&p->lock);
    u->proc = p;
    u->tid = s->tid ? s->tid : p->pid;
    u->frame = user_frame_at(t->stack_top);
    u->fs_base = s->fs_base;
    u->gs_base = s->gs_base;
    u->clear_child_tid = s->clear_child_tid;
    u->sigmask = s->sigmask;
    u->altstack_sp = s->altstack_sp;
    u->altstack_size = s->altstack_size;
    u->altstack_flags = s->altstack_flags;
    qlist_push_back(&p->threads, &u->group_link);
    s->attached = true;
    /* Woken under the lock: the thread frees s as soon as it sees attached. */
    wq_wake_all(&s->attached_wq);
    spin_unlock_irqrestore(&p->lock, flags);
}

/* Counts the thread in its process before it exists: from here until it exits, the process cannot
 * end under it (the last thread out would otherwise free the process this one is about to join). */
static int start_thread(struct user_start *s)
{
    struct process *p = s->proc;
    waitqueue_init(&s->attached_wq, "uthread-start");
    uint64_t flags = spin_lock_irqsave(&p->lock);
    p->nthreads++;
    spin_unlock_irqrestore(&p->lock, flags);
    struct thread *t = thread_create(p->comm, user_thread_main, s, PRIO_DEFAULT);
    if (!t) {
        flags = spin_lock_irqsave(&p->lock);
        /* Back to 0 only for a fork child, which its creator then discards; a thread's process still
         * counts its creator. */
        p->nthreads--;
        spin_unlock_irqrestore(&p->lock, flags);
        kfree(s);
        return -ENOMEM;
    }
    /* process_thread_exit ends it; nobody joins. Still ours to use below: it cannot exit before attached. */
    thread_detach(t);
    attach_thread(t, s);
    return 0;
}

int user_thread_start(struct process *p, const struct user_thread_init *init)
{
    struct user_start *s = kzalloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->has_fpu = init->fpu != NULL;
    if (init->fpu)
        s->fpu = *init->fpu;
    s->frame = *init->frame;
    s->proc = p;
    s->tid = init->tid;
    s->fs_base = init->fs_base;
    s->gs_base = init->gs_base;
    s->set_child_tid = init->set_child_tid;
    s->clear_child_tid = init->clear_child_tid;
    const struct thread_user *me = &thread_current()->user;
    s->sigmask = me->sigmask;
    if (!init->clear_altstack) {
        s->altstack_sp = me->altstack_sp;
        s->altstack_size = me->altstack_size;
        s->altstack_flags = me->altstack_flags;
    }
    return start_thread(s);
}

int user_thread_start_setup(struct process *p, int (*setup)(void *arg), void *arg)
{
    struct user_start *s = kzalloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->proc = p;
    s->setup = setup;
    s->setup_arg = arg;
    return start_thread(s);
}

void return_to_user_work(struct trap_frame *f)
{
    struct thread *t = thread_current();
    /* exit_group, a fatal signal or an execve elsewhere in the group: this thread goes no further. */
    if (process_thread_doomed(t->user.proc, t)) {
        cpu_sti();
        process_thread_exit(0); /* the status is the group's, or unused (execve keeps the process) */
    }
    /* Interrupts on: delivery may sleep (a stopped process waits here for SIGCONT). Entries from
     * interrupt gates arrive with them off; the interrupt is already acknowledged. */
    if (signal_return_to_user) {
        cpu_sti();
        signal_return_to_user(f);
    }
    cpu_cli();
    if (!user_frame_sanitize(f)) {
        /* IRETQ to a non-canonical rip would fault in ring 0: the process dies as Linux's would. */
        cpu_sti();
        struct process *p = current_process();
        printk(LOG_NOTICE, "pid %d (%s): return to non-canonical rip %#llx: SIGSEGV\n", p->pid, p->comm,
               (unsigned long long)f->rip);
        process_exit_by_signal(SIGSEGV);
    }
}

void process_fault_signal(int sig, int code, uint64_t addr)
{
    if (signal_force_fault) {
        signal_force_fault(sig, code, addr);
        return;
    }
    process_exit_by_signal(sig);
}
