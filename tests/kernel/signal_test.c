/* KTAP tests of signals without a user program: a kernel thread joins a made-up process (and, for the
 * frame tests, a real user address space) and exercises sending, masks, interruptible sleeps, stops,
 * the rt_sigframe round trip, restarts, the alternate stack and ITIMER_REAL. */
#include <arch/gdt.h>
#include <arch/syscall.h>
#include <kestrel/kmalloc.h>
#include <kestrel/ktest.h>
#include <kestrel/panic.h>
#include <kestrel/process.h>
#include <kestrel/sched.h>
#include <kestrel/signal.h>
#include <kestrel/string.h>
#include <kestrel/thread.h>
#include <kestrel/time.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>

#define USTACK_BASE 0x10000000ull
#define USTACK_SIZE (64 * 1024ull)
#define USTACK_TOP  (USTACK_BASE + USTACK_SIZE)
#define ALT_BASE    0x20000000ull
#define ALT_SIZE    (16 * 1024ull)
#define HANDLER     0x401234ull
#define RESTORER    0x401500ull

/* A process no one else knows: not in the process list, no parent, optionally an mm. */
static struct process *fake_process(bool with_mm)
{
    struct process *p = kzalloc(sizeof(*p));
    if (!p)
        return NULL;
    p->pid = 31000;
    p->pgid = p->sid = p->pid;
    p->state = PROCESS_ALIVE;
    qlist_init(&p->threads);
    qlist_init(&p->children);
    qlist_init(&p->sibling);
    waitqueue_init(&p->child_wait, "fake-child");
    p->lock = (struct spinlock)SPINLOCK_INIT("fake-proc");
    if (signal_fork(p, NULL, 0) < 0) {
        kfree(p);
        return NULL;
    }
    if (with_mm) {
        vaddr_t out;
        p->mm = mm_create();
        if (!p->mm ||
            mm_map_region(p->mm, USTACK_BASE, USTACK_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, &out) < 0 ||
            mm_map_region(p->mm, ALT_BASE, ALT_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, &out) < 0)
            panic("signal_test: no user memory");
    }
    return p;
}

static void fake_free(struct process *p)
{
    signal_exit(p);
    if (p->mm)
        mm_put(p->mm);
    kfree(p);
}

struct as_user {
    struct process *p;
    struct ktest *t;
    void (*body)(struct ktest *t, struct process *p);
};

/* The thread joins p, as a user thread of p would be, runs the body and leaves. */
static int as_user_main(void *arg)
{
    struct as_user *a = arg;
    struct thread *me = thread_current();
    signal_thread_init(me, NULL);
    me->user.tid = a->p->pid;
    me->user.proc = a->p;
    uint64_t fl = spin_lock_irqsave(&a->p->lock);
    qlist_push_back(&a->p->threads, &me->user.group_link);
    a->p->nthreads++;
    spin_unlock_irqrestore(&a->p->lock, fl);
    if (a->p->mm)
        mm_activate(a->p->mm);
    a->body(a->t, a->p);
    fl = spin_lock_irqsave(&a->p->lock);
    qlist_remove(&me->user.group_link);
    a->p->nthreads--;
    spin_unlock_irqrestore(&a->p->lock, fl);
    me->user.proc = NULL;
    mm_activate(NULL);
    return 0;
}

static struct thread *start_as_user(struct as_user *a)
{
    return thread_create("sigtest", as_user_main, a, PRIO_DEFAULT);
}

static void run_as_user(struct ktest *t, bool with_mm, void (*body)(struct ktest *, struct process *))
{
    struct process *p = fake_process(with_mm);
    KTEST_ASSERT(t, p);
    struct as_user a = {p, t, body};
    struct thread *th = start_as_user(&a);
    KTEST_ASSERT(t, th);
    thread_join(th);
    fake_free(p);
}

static void signal_default_actions_match_linux(struct ktest *t)
{
    KTEST_EXPECT_EQ(t, sig_default_action(SIGTERM), SIGDFL_TERM);
    KTEST_EXPECT_EQ(t, sig_default_action(SIGKILL), SIGDFL_TERM);
    KTEST_EXPECT_EQ(t, sig_default_action(SIGRTMIN + 3), SIGDFL_TERM);
    KTEST_EXPECT_EQ(t, sig_default_action(SIGSEGV), SIGDFL_CORE);
    KTEST_EXPECT_EQ(t, sig_default_action(SIGQUIT), SIGDFL_CORE);
    KTEST_EXPECT_EQ(t, sig_default_action(SIGTSTP), SIGDFL_STOP);
    KTEST_EXPECT_EQ(t, sig_default_action(SIGCONT), SIGDFL_CONT);
    KTEST_EXPECT_EQ(t, sig_default_action(SIGCHLD), SIGDFL_IGNORE);
    KTEST_EXPECT_EQ(t, sig_default_action(SIGWINCH), SIGDFL_IGNORE);
    KTEST_EXPECT_EQ(t, sig_kill_status(SIGSEGV), 11 | 0x80);
    KTEST_EXPECT_EQ(t, sig_kill_status(SIGTERM), 15);
}

static void body_pending_and_discard(struct ktest *t, struct process *p)
{
    struct thread *me = thread_current();
    KTEST_EXPECT(t, !signal_pending_current());
    KTEST_EXPECT_EQ(t, signal_send_process(p, SIGUSR1, NULL), 0);
    KTEST_EXPECT_EQ(t, p->shared_pending, sigmask_of(SIGUSR1));
    KTEST_EXPECT(t, signal_pending_current());
    /* Ignored by default and not blocked: dropped at once. Blocked: kept. */
    signal_send_process(p, SIGCHLD, NULL);
    KTEST_EXPECT(t, !(p->shared_pending & sigmask_of(SIGCHLD)));
    ksigset_t set = sigmask_of(SIGCHLD) | sigmask_of(SIGUSR1), old;
    KTEST_EXPECT_EQ(t, signal_do_sigprocmask(SIG_BLOCK, &set, &old), 0);
    KTEST_EXPECT_EQ(t, old, 0);
    signal_send_process(p, SIGCHLD, NULL);
    KTEST_EXPECT(t, p->shared_pending & sigmask_of(SIGCHLD));
    KTEST_EXPECT(t, !signal_pending_current()); /* both pending signals are blocked */
    /* Ignoring a pending signal discards it, blocked or not. */
    struct k_sigaction ign = {.handler = SIG_IGN};
    KTEST_EXPECT_EQ(t, signal_do_sigaction(SIGUSR1, &ign, NULL), 0);
    KTEST_EXPECT(t, !(p->shared_pending & sigmask_of(SIGUSR1)));
    /* Thread-directed signals land in the thread's set. */
    signal_send_thread(me, SIGUSR2, NULL);
    KTEST_EXPECT_EQ(t, me->user.pending, sigmask_of(SIGUSR2));
    KTEST_EXPECT_EQ(t, signal_send_process(p, 65, NULL), -EINVAL);
    KTEST_EXPECT_EQ(t, signal_send_process(p, 0, NULL), 0);
    ksiginfo_t info;
    KTEST_EXPECT_EQ(t, signal_dequeue_set(sigmask_of(SIGUSR2), &info), SIGUSR2);
    KTEST_EXPECT_EQ(t, info.si_code, SI_KERNEL);
    KTEST_EXPECT_EQ(t, me->user.pending, 0);
}

static void signal_send_pending_and_ignored(struct ktest *t)
{
    run_as_user(t, false, body_pending_and_discard);
}

static void body_masks_and_actions(struct ktest *t, struct process *p)
{
    ksigset_t all = ~0ull, got;
    KTEST_EXPECT_EQ(t, signal_do_sigprocmask(SIG_SETMASK, &all, NULL), 0);
    KTEST_EXPECT_EQ(t, signal_do_sigprocmask(SIG_BLOCK, NULL, &got), 0);
    KTEST_EXPECT_EQ(t, got, ~SIG_UNCATCHABLE); /* SIGKILL and SIGSTOP cannot be blocked */
    KTEST_EXPECT_EQ(t, signal_do_sigprocmask(SIG_UNBLOCK, &all, NULL), 0);
    KTEST_EXPECT_EQ(t, signal_do_sigprocmask(3, &all, NULL), -EINVAL);
    KTEST_EXPECT_EQ(t, signal_do_sigprocmask(3, NULL, &got), 0); /* how only matters with a set */
    struct k_sigaction act = {.handler = HANDLER, .flags = SA_RESTORER, .mask = ~0ull}, old;
    KTEST_EXPECT_EQ(t, signal_do_sigaction(SIGKILL, &act, NULL), -EINVAL);
    KTEST_EXPECT_EQ(t, signal_do_sigaction(SIGSTOP, &act, NULL), -EINVAL);
    KTEST_EXPECT_EQ(t, signal_do_sigaction(SIGKILL, NULL, &old), 0);
    KTEST_EXPECT_EQ(t, signal_do_sigaction(0, NULL, &old), -EINVAL);
    KTEST_EXPECT_EQ(t, signal_do_sigaction(65, NULL, &old), -EINVAL);
    KTEST_EXPECT_EQ(t, signal_do_sigaction(SIGINT, &act, NULL), 0);
    KTEST_EXPECT_EQ(t, signal_do_sigaction(SIGINT, NULL, &old), 0);
    KTEST_EXPECT_EQ(t, old.handler, HANDLER);
    KTEST_EXPECT_EQ(t, old.mask, ~SIG_UNCATCHABLE);
    /* exec: caught signals go back to the default, ignored ones stay ignored. */
    struct k_sigaction ign = {.handler = SIG_IGN};
    signal_do_sigaction(SIGHUP, &ign, NULL);
    signal_exec(p);
    signal_do_sigaction(SIGINT, NULL, &old);
    KTEST_EXPECT_EQ(t, old.handler, SIG_DFL);
    signal_do_sigaction(SIGHUP, NULL, &old);
    KTEST_EXPECT_EQ(t, old.handler, SIG_IGN);
}

static void signal_masks_and_actions(struct ktest *t)
{
    run_as_user(t, false, body_masks_and_actions);
}

static void body_stop_cont(struct ktest *t, struct process *p)
{
    ksigset_t set = SIG_STOP_MASK | sigmask_of(SIGCONT);
    signal_do_sigprocmask(SIG_BLOCK, &set, NULL);
    signal_send_process(p, SIGTSTP, NULL);
    KTEST_EXPECT(t, p->shared_pending & sigmask_of(SIGTSTP));
    signal_send_process(p, SIGCONT, NULL); /* cancels the pending stop */
    KTEST_EXPECT_EQ(t, p->shared_pending, sigmask_of(SIGCONT));
    signal_send_process(p, SIGTTOU, NULL); /* and a stop cancels a pending SIGCONT */
    KTEST_EXPECT_EQ(t, p->shared_pending, sigmask_of(SIGTTOU));
    p->shared_pending = 0;
    signal_set_mask(0);
}

static void signal_stop_and_cont_cancel_each_other(struct ktest *t)
{
    run_as_user(t, false, body_stop_cont);
}

static volatile int sleeper_result;
static volatile uint64_t sleeper_ticks;
static struct waitqueue never_wq = WAITQUEUE_INIT(never_wq, "never");

static void body_sleeper(struct ktest *t, struct process *p)
{
    (void)t;
    (void)p;
    ksigset_t set = sigmask_of(SIGUSR2);
    signal_do_sigprocmask(SIG_BLOCK, &set, NULL);
    uint64_t t0 = sched_ticks();
    sleeper_result = wait_event_interruptible_timeout(&never_wq, false, 2000);
    sleeper_ticks = sched_ticks() - t0;
}

static void signal_interrupts_sleep_unless_blocked(struct ktest *t)
{
    struct process *p = fake_process(false);
    KTEST_ASSERT(t, p);
    struct as_user a = {p, t, body_sleeper};
    sleeper_result = 1;
    struct thread *th = start_as_user(&a);
    thread_sleep(20);
    signal_send_process(p, SIGUSR2, NULL); /* blocked: the sleep goes on */
    thread_sleep(20);
    KTEST_EXPECT_EQ(t, sleeper_result, 1);
    signal_send_process(p, SIGUSR1, NULL);
    thread_join(th);
    KTEST_EXPECT_EQ(t, sleeper_result, -ERESTARTSYS);
    KTEST_EXPECT(t, sleeper_ticks < 1000);
    fake_free(p);
}

static void body_restart_without_handler(struct ktest *t, struct process *p)
{
    (void)p;
    static const long codes[] = {-ERESTARTSYS, -ERESTARTNOHAND, -ERESTARTNOINTR};
    for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
        struct trap_frame f = {
            .vector = VEC_SYSCALL, .error = 34, .rax = (uint64_t)codes[i], .rip = 0x401002};
        signal_return_to_user(&f);
        KTEST_EXPECT_EQ(t, f.rip, 0x401000);
        KTEST_EXPECT_EQ(t, f.rax, 34);
    }
    struct trap_frame f = {.vector = VEC_SYSCALL, .error = 34, .rax = (uint64_t)-EINTR, .rip = 0x401002};
    signal_return_to_user(&f);
    KTEST_EXPECT_EQ(t, f.rip, 0x401002);
    KTEST_EXPECT_EQ(t, (long)f.rax, -EINTR);
    /* Not a system call (an interrupt): rax is the program's own. */
    f = (struct trap_frame){.vector = 32, .rax = (uint64_t)-ERESTARTSYS, .rip = 0x401002};
    signal_return_to_user(&f);
    KTEST_EXPECT_EQ(t, f.rip, 0x401002);
}

static void signal_restart_when_no_handler_runs(struct ktest *t)
{
    run_as_user(t, false, body_restart_without_handler);
}

static uint32_t read_mxcsr(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}

static void write_mxcsr(uint32_t v)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static struct trap_frame interrupted_call(long rc)
{
    struct trap_frame f = {
        .r8 = 8,
        .r9 = 9,
        .r10 = 10,
        .r11 = 11,
        .r12 = 12,
        .r13 = 13,
        .r14 = 14,
        .r15 = 15,
        .rbp = 0x5555,
        .rdi = 3,
        .rsi = 0x10001000,
        .rdx = 100,
        .rcx = 0x401002,
        .rbx = 0xb,
        .rax = (uint64_t)rc,
        .vector = VEC_SYSCALL,
        .error = 0 /* read */,
        .rip = 0x401002,
        .cs = GDT_USER_CODE | 3,
        .rflags = 0x203,
        .rsp = USTACK_TOP - 0x1003,
        .ss = GDT_USER_DATA | 3,
    };
    return f;
}

static void body_frame_round_trip(struct ktest *t, struct process *p)
{
    struct thread *me = thread_current();
    struct k_sigaction act = {.handler = HANDLER,
                              .flags = SA_RESTORER | SA_SIGINFO | SA_RESTART,
                              .restorer = RESTORER,
                              .mask = sigmask_of(SIGUSR2)};
    signal_do_sigaction(SIGUSR1, &act, NULL);
    struct sig_record rec = {.code = SI_USER, .pid = 77, .uid = 1000};
    signal_send_process(p, SIGUSR1, &rec);
    struct trap_frame f = interrupted_call(-ERESTARTSYS), orig = f;
    write_mxcsr(0x7f80); /* round toward zero: must come back after the handler */
    signal_return_to_user(&f);
    KTEST_EXPECT_EQ(t, read_mxcsr(), 0x1f80); /* the handler starts clean */
    KTEST_EXPECT_EQ(t, f.rip, HANDLER);
    KTEST_EXPECT_EQ(t, f.rsp % 16, 8);
    KTEST_EXPECT(t, f.rsp + sizeof(struct rt_sigframe) + FXSAVE_SIZE <= orig.rsp - REDZONE_SIZE);
    KTEST_EXPECT_EQ(t, f.rdi, SIGUSR1);
    KTEST_EXPECT_EQ(t, f.rsi, f.rsp + 312);
    KTEST_EXPECT_EQ(t, f.rdx, f.rsp + 8);
    KTEST_EXPECT_EQ(t, me->user.sigmask, sigmask_of(SIGUSR1) | sigmask_of(SIGUSR2));

    struct rt_sigframe fr;
    KTEST_ASSERT_EQ(t, copy_from_user(&fr, (void *)f.rsp, sizeof(fr)), 0);
    KTEST_EXPECT_EQ(t, fr.pretcode, RESTORER);
    const struct ksigcontext *sc = &fr.uc.uc_mcontext;
    KTEST_EXPECT_EQ(t, sc->rip, orig.rip - 2); /* SA_RESTART: the call runs again */
    KTEST_EXPECT_EQ(t, sc->rax, 0);
    KTEST_EXPECT_EQ(t, sc->r15, 15);
    KTEST_EXPECT_EQ(t, sc->rsp, orig.rsp);
    KTEST_EXPECT_EQ(t, sc->eflags, orig.rflags);
    KTEST_EXPECT_EQ(t, sc->cs, GDT_USER_CODE | 3);
    KTEST_EXPECT_EQ(t, fr.uc.uc_sigmask, 0);
    KTEST_EXPECT_EQ(t, fr.uc.uc_stack.ss_flags, SS_DISABLE);
    KTEST_EXPECT_EQ(t, fr.info.si_signo, SIGUSR1);
    KTEST_EXPECT_EQ(t, fr.info.si_code, SI_USER);
    KTEST_EXPECT_EQ(t, fr.info.u.kill.pid, 77);
    KTEST_EXPECT_EQ(t, fr.info.u.kill.uid, 1000);
    KTEST_EXPECT_EQ(t, sc->fpstate % 64, 0);
    KTEST_EXPECT(t, sc->fpstate >= f.rsp + sizeof(fr));
    uint32_t saved_mxcsr = 0;
    copy_from_user(&saved_mxcsr, (void *)(sc->fpstate + FXSAVE_MXCSR), 4);
    KTEST_EXPECT_EQ(t, saved_mxcsr, 0x7f80);

    /* The handler changes rbx in its context and tries to smuggle in ring 0 and IOPL 3. */
    struct ksigcontext evil = *sc;
    evil.rbx = 0xfeed;
    evil.cs = 0x08;
    evil.ss = 0x10;
    evil.eflags |= 0x3000;
    copy_to_user((void *)(f.rsp + 8 + offsetof(struct kucontext, uc_mcontext)), &evil, sizeof(evil));
    f.rsp += 8; /* its ret popped pretcode */
    f.error = 15;
    long rax = signal_frame_restore(&f);
    KTEST_EXPECT_EQ(t, rax, 0);
    KTEST_EXPECT_EQ(t, f.rip, orig.rip - 2);
    KTEST_EXPECT_EQ(t, f.rbx, 0xfeed);
    KTEST_EXPECT_EQ(t, f.rsp, orig.rsp);
    KTEST_EXPECT_EQ(t, f.cs, GDT_USER_CODE | 3);
    KTEST_EXPECT_EQ(t, f.ss, GDT_USER_DATA | 3);
    KTEST_EXPECT_EQ(t, f.rflags & 0x3000, 0);
    KTEST_EXPECT_EQ(t, f.rflags & 1, 1);
    KTEST_EXPECT_EQ(t, f.error, SYSCALL_NR_NONE);
    KTEST_EXPECT_EQ(t, me->user.sigmask, 0);
    KTEST_EXPECT_EQ(t, read_mxcsr(), 0x7f80);
    write_mxcsr(0x1f80);

    /* Without SA_RESTART the call fails with EINTR instead. */
    act.flags &= ~SA_RESTART;
    signal_do_sigaction(SIGUSR1, &act, NULL);
    signal_send_process(p, SIGUSR1, &rec);
    f = interrupted_call(-ERESTARTSYS);
    signal_return_to_user(&f);
    copy_from_user(&fr, (void *)f.rsp, sizeof(fr));
    KTEST_EXPECT_EQ(t, fr.uc.uc_mcontext.rip, orig.rip);
    KTEST_EXPECT_EQ(t, (long)fr.uc.uc_mcontext.rax, -EINTR);
    signal_set_mask(0);
}

static void signal_frame_round_trip(struct ktest *t)
{
    run_as_user(t, true, body_frame_round_trip);
}

static void body_frame_faults_and_altstack(struct ktest *t, struct process *p)
{
    (void)p;
    struct k_sigaction act = {.handler = HANDLER, .flags = SA_RESTORER | SA_ONSTACK, .restorer = RESTORER};
    ksiginfo_t info = {.si_signo = SIGUSR1};
    struct trap_frame f = interrupted_call(0);
    f.rsp = 0x30000000; /* nothing mapped below */
    KTEST_EXPECT_EQ(t, signal_frame_setup(&f, SIGUSR1, &act, &info, 0), -EFAULT);
    struct k_sigaction no_restorer = {.handler = HANDLER};
    f = interrupted_call(0);
    KTEST_EXPECT_EQ(t, signal_frame_setup(&f, SIGUSR1, &no_restorer, &info, 0), -EFAULT);

    struct kstack ss = {.ss_sp = ALT_BASE, .ss_size = MINSIGSTKSZ - 1}, old;
    KTEST_EXPECT_EQ(t, signal_do_sigaltstack(&ss, NULL, f.rsp), -ENOMEM);
    ss.ss_flags = 5;
    ss.ss_size = ALT_SIZE;
    KTEST_EXPECT_EQ(t, signal_do_sigaltstack(&ss, NULL, f.rsp), -EINVAL);
    ss.ss_flags = 0;
    KTEST_EXPECT_EQ(t, signal_do_sigaltstack(&ss, &old, f.rsp), 0);
    KTEST_EXPECT_EQ(t, old.ss_flags, SS_DISABLE);
    KTEST_EXPECT_EQ(t, signal_frame_setup(&f, SIGUSR1, &act, &info, 0), 0);
    KTEST_EXPECT(t, f.rsp > ALT_BASE && f.rsp < ALT_BASE + ALT_SIZE);
    KTEST_EXPECT_EQ(t, f.rsp % 16, 8);
    KTEST_EXPECT_EQ(t, signal_altstack_flags(f.rsp), SS_ONSTACK);
    KTEST_EXPECT_EQ(t, signal_do_sigaltstack(&ss, NULL, f.rsp), -EPERM);
    KTEST_EXPECT_EQ(t, signal_do_sigaltstack(NULL, &old, f.rsp), 0);
    KTEST_EXPECT_EQ(t, old.ss_flags, SS_ONSTACK);
    /* A nested signal on the alternate stack stacks below the first frame. */
    uint64_t first = f.rsp;
    KTEST_EXPECT_EQ(t, signal_frame_setup(&f, SIGUSR1, &act, &info, 0), 0);
    KTEST_EXPECT(t, f.rsp < first && f.rsp > ALT_BASE);
    ss.ss_flags = SS_DISABLE;
    KTEST_EXPECT_EQ(t, signal_do_sigaltstack(&ss, NULL, USTACK_TOP - 64), 0);
    KTEST_EXPECT_EQ(t, signal_altstack_flags(USTACK_TOP - 64), SS_DISABLE);
    write_mxcsr(0x1f80);
}

static void signal_frame_faults_and_altstack(struct ktest *t)
{
    run_as_user(t, true, body_frame_faults_and_altstack);
}

static volatile bool stop_body_done;

static void body_group_stop(struct ktest *t, struct process *p)
{
    (void)p;
    struct trap_frame f = {.vector = 32, .rip = 0x401000};
    signal_send_thread(thread_current(), SIGSTOP, NULL);
    signal_return_to_user(&f); /* parks until SIGCONT */
    stop_body_done = true;
    KTEST_EXPECT_EQ(t, f.rip, 0x401000);
}

static void signal_stop_parks_until_sigcont(struct ktest *t)
{
    struct process *p = fake_process(false);
    KTEST_ASSERT(t, p);
    struct as_user a = {p, t, body_group_stop};
    stop_body_done = false;
    struct thread *th = start_as_user(&a);
    thread_sleep(30);
    KTEST_EXPECT(t, p->sighand->group_stopped);
    KTEST_EXPECT(t, !stop_body_done);
    KTEST_EXPECT(t, p->stopped_report);
    KTEST_EXPECT_EQ(t, p->stop_status, (SIGSTOP << 8) | 0x7f);
    signal_send_process(p, SIGCONT, NULL);
    thread_join(th);
    KTEST_EXPECT(t, stop_body_done);
    KTEST_EXPECT_EQ(t, p->stop_status, 0xffff);
    fake_free(p);
}

static void body_itimer(struct ktest *t, struct process *p)
{
    uint64_t v, i, t0 = time_ns();
    KTEST_EXPECT_EQ(t, signal_itimer_set(p, 20 * NSEC_PER_MSEC, 0, &v, &i), 0);
    KTEST_EXPECT_EQ(t, v, 0);
    int rc = wait_event_interruptible_timeout(&never_wq, false, 2000);
    uint64_t dt = time_ns() - t0;
    KTEST_EXPECT_EQ(t, rc, -ERESTARTSYS);
    KTEST_EXPECT(t, p->shared_pending & sigmask_of(SIGALRM));
    KTEST_EXPECT(t, dt >= 19 * NSEC_PER_MSEC && dt < 500 * NSEC_PER_MSEC);
    p->shared_pending = 0;
    /* A long one reads back its remainder and is cancelled by a zero value. */
    signal_itimer_set(p, 5 * NSEC_PER_SEC, NSEC_PER_SEC, NULL, NULL);
    signal_itimer_get(p, &v, &i);
    KTEST_EXPECT(t, v > 4 * NSEC_PER_SEC && v <= 5 * NSEC_PER_SEC);
    KTEST_EXPECT_EQ(t, i, NSEC_PER_SEC);
    signal_itimer_set(p, 0, 0, &v, NULL);
    KTEST_EXPECT(t, v > 4 * NSEC_PER_SEC);
    signal_itimer_get(p, &v, &i);
    KTEST_EXPECT_EQ(t, v, 0);
}

static void signal_itimer_real_sends_sigalrm(struct ktest *t)
{
    run_as_user(t, false, body_itimer);
}

KTEST_SUITE(signal, KTEST_CASE(signal_default_actions_match_linux),
            KTEST_CASE(signal_send_pending_and_ignored), KTEST_CASE(signal_masks_and_actions),
            KTEST_CASE(signal_stop_and_cont_cancel_each_other),
            KTEST_CASE(signal_interrupts_sleep_unless_blocked),
            KTEST_CASE(signal_restart_when_no_handler_runs), KTEST_CASE(signal_frame_round_trip),
            KTEST_CASE(signal_frame_faults_and_altstack), KTEST_CASE(signal_stop_parks_until_sigcont),
            KTEST_CASE(signal_itimer_real_sends_sigalrm));
