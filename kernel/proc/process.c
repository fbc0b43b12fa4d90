/* Processes: allocation, pids (allocation, the pid hash, reuse rules), the process list, process
 * groups and sessions as pid uses, and the scheduler hook that loads a process's state on a switch. */
#include "internal.h"
#include <arch/cpu.h>
#include <arch/syscall.h>
#include <kestrel/fs.h>
#include <kestrel/kmalloc.h>
#include <kestrel/file.h>
#include <kestrel/panic.h>
#include <kestrel/percpu.h>
#include <kestrel/string.h>
#include <kestrel/time.h>
#include <kestrel/uvm.h>

#define PID_HASH_SIZE 256
/* After wrapping around, allocation resumes here: low pids stay with long-lived daemons, as Linux's
 * RESERVED_PIDS keeps them. */
#define PID_WRAP_TO   300

struct spinlock process_tree_lock = SPINLOCK_INIT("process_tree");
struct qlink process_list = QLIST_INIT(process_list);
struct process *init_process;

/* All below: protected by process_tree_lock. */
static struct qlink pid_hash[PID_HASH_SIZE];
static bool pid_hash_ready;
/* How many uses each number has: as a pid, a process group id and a session id. A number is
 * reused only when its count is zero, so a new process can never join an old group by accident. */
static uint16_t pid_uses[PID_MAX];
static int last_pid;
static uint64_t processes_created; /* since boot (/proc/stat); under process_tree_lock */

#define RLIM_INF (~0ull)
/* Linux's defaults for init (RLIMIT_NPROC and SIGPENDING are scaled to memory there). */
static const struct rlimit64 default_rlimits[RLIMIT_COUNT] = {
    [0] = {RLIM_INF, RLIM_INF},     /* CPU */
    [1] = {RLIM_INF, RLIM_INF},     /* FSIZE */
    [2] = {RLIM_INF, RLIM_INF},     /* DATA */
    [3] = {8ull << 20, RLIM_INF},   /* STACK */
    [4] = {0, RLIM_INF},            /* CORE */
    [5] = {RLIM_INF, RLIM_INF},     /* RSS */
    [6] = {4096, 4096},             /* NPROC */
    [7] = {1024, 4096},             /* NOFILE */
    [8] = {8ull << 20, 8ull << 20}, /* MEMLOCK */
    [9] = {RLIM_INF, RLIM_INF},     /* AS */
    [10] = {RLIM_INF, RLIM_INF},    /* LOCKS */
    [11] = {4096, 4096},            /* SIGPENDING */
    [12] = {819200, 819200},        /* MSGQUEUE */
    [13] = {0, 0},                  /* NICE */
    [14] = {0, 0},                  /* RTPRIO */
    [15] = {RLIM_INF, RLIM_INF},    /* RTTIME */
};

static struct qlink *hash_bucket(int pid)
{
    return &pid_hash[(unsigned)pid % PID_HASH_SIZE];
}

static void pid_hash_init_locked(void)
{
    if (pid_hash_ready)
        return;
    for (int i = 0; i < PID_HASH_SIZE; i++)
        qlist_init(&pid_hash[i]);
    pid_hash_ready = true;
}

struct process *current_process(void)
{
    struct thread *t = thread_current();
    return t ? t->user.proc : NULL;
}

struct process *process_find(int pid)
{
    if (pid <= 0 || pid >= PID_MAX || !pid_hash_ready)
        return NULL;
    qlist_for_each(l, hash_bucket(pid))
    {
        struct process *p = qlist_entry(l, struct process, hash_link);
        if (p->pid == pid)
            return p;
    }
    return NULL;
}

struct thread *process_find_thread(int tgid, int tid)
{
    process_for_each(p)
    {
        if (tgid != -1 && p->pid != tgid)
            continue;
        qlist_for_each(l, &p->threads)
        {
            struct thread *t = qlist_entry(l, struct thread, user.group_link);
            if (t->user.tid == tid)
                return t;
        }
    }
    return NULL;
}

static void pid_use(int nr)
{
    if (++pid_uses[nr] == 0)
        panic("pid %d: use count overflow", nr);
}

static void pid_unuse(int nr)
{
    if (pid_uses[nr]-- == 0)
        panic("pid %d: use count underflow", nr);
}

/* The next number with no use at all, cycling through the range; 0 when all are taken. */
static int pid_alloc_locked(void)
{
    int nr = last_pid;
    for (int tries = 0; tries < PID_MAX; tries++) {
        nr = nr + 1 >= PID_MAX ? PID_WRAP_TO : nr + 1;
        if (!pid_uses[nr]) {
            last_pid = nr;
            pid_use(nr);
            return nr;
        }
    }
    return 0;
}

uint64_t process_created_count(void)
{
    return __atomic_load_n(&processes_created, __ATOMIC_RELAXED);
}

struct mm *process_next_mm(int *pid)
{
    struct process *best = NULL;
    struct mm *mm = NULL;
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    process_for_each(p)
    {
        if (p->pid >= *pid && p->mm && (!best || p->pid < best->pid))
            best = p;
    }
    if (best) {
        mm = mm_get(best->mm); /* exit detaches p->mm under this lock: it is still alive here */
        *pid = best->pid + 1;
    }
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return mm;
}

int process_last_pid(void)
{
    return __atomic_load_n(&last_pid, __ATOMIC_RELAXED);
}

struct process *process_alloc(void)
{
    struct process *p = kzalloc(sizeof(*p));
    if (!p)
        return NULL;
    qlist_init(&p->children);
    qlist_init(&p->sibling);
    qlist_init(&p->hash_link);
    qlist_init(&p->all_link);
    qlist_init(&p->threads);
    waitqueue_init(&p->child_wait, "wait4");
    waitqueue_init(&p->thread_wait, "exec-threads");
    p->lock = (struct spinlock)SPINLOCK_INIT("process");
    p->exit_signal = SIGCHLD;
    p->fs.umask = 022;
    cred_init_root(&p->cred);
    memcpy(p->rlimits, default_rlimits, sizeof(p->rlimits));
    p->start_ns = time_ns();
    return p;
}

void process_set_pgid_locked(struct process *p, int pgid)
{
    pid_use(pgid);
    if (p->pgid)
        pid_unuse(p->pgid);
    p->pgid = pgid;
}

void process_set_sid_locked(struct process *p, int sid)
{
    pid_use(sid);
    if (p->sid)
        pid_unuse(p->sid);
    p->sid = sid;
}

int process_register(struct process *p, struct process *parent)
{
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    pid_hash_init_locked();
    int pid = pid_alloc_locked();
    if (!pid) {
        spin_unlock_irqrestore(&process_tree_lock, flags);
        return -EAGAIN;
    }
    p->pid = pid;
    process_set_pgid_locked(p, parent ? parent->pgid : pid);
    process_set_sid_locked(p, parent ? parent->sid : pid);
    p->parent = parent;
    if (parent)
        qlist_push_back(&parent->children, &p->sibling);
    qlist_push_back(hash_bucket(pid), &p->hash_link);
    qlist_push_back(&process_list, &p->all_link);
    processes_created++;
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return 0;
}

int process_tid_alloc(void)
{
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    pid_hash_init_locked();
    int tid = pid_alloc_locked();
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return tid ? tid : -EAGAIN;
}

void process_tid_free(int tid)
{
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    pid_unuse(tid);
    spin_unlock_irqrestore(&process_tree_lock, flags);
}

bool pgrp_exists_in_session_locked(int pgid, int sid)
{
    process_for_each(q)
    {
        if (q->pgid == pgid && q->sid == sid)
            return true;
    }
    return false;
}

void process_free_locked(struct process *p)
{
    if (!qlist_empty(&p->children) || !qlist_empty(&p->threads))
        panic("process %d freed with children or threads", p->pid);
    qlist_remove(&p->sibling);
    qlist_remove(&p->hash_link);
    qlist_remove(&p->all_link);
    pid_unuse(p->pid);
    pid_unuse(p->pgid);
    pid_unuse(p->sid);
    kfree(p);
}

void process_discard(struct process *p)
{
    if (p->exe)
        file_put(p->exe);
    vfs_lock(); /* a last reference to an inode writes it back (ext2): only under the VFS lock */
    if (p->fs.cwd)
        inode_put(p->fs.cwd);
    if (p->fs.root)
        inode_put(p->fs.root);
    vfs_unlock();
    kfree(p);
}

void process_switch_to(struct thread *next)
{
    percpu_set_kernel_stack(next->stack_top);
    struct process *p = next->user.proc;
    if (!p)
        return;
    /* The user's bases: FS directly, GS in the MSR swapgs exchanges on the way out. */
    wrmsr(MSR_FS_BASE, next->user.fs_base);
    wrmsr(MSR_KERNEL_GS_BASE, next->user.gs_base);
    if (p->mm)
        mm_activate(p->mm);
}

void process_notify_parent_locked(struct process *child)
{
    struct process *parent = child->parent;
    if (!parent)
        return;
    parent->child_events++;
    wq_wake_all(&parent->child_wait);
}
