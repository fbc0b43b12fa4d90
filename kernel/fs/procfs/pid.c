/* /proc/[pid]: a process as Linux shows it. Everything is read from a snapshot taken under the
 * process tree lock; the address space and directories are read through references taken there,
 * so the process may exit while its file is generated. */
#include <kestrel/file.h>
#include <kestrel/mutex.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/mount.h>
#include <kestrel/process.h>
#include <kestrel/sched.h>
#include <kestrel/signal.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <kestrel/thread.h>
#include <kestrel/uvm.h>
#include <kestrel/vfs.h>
#include "internal.h"

#define USER_HZ        100
#define NS_PER_USER_HZ (1000000000ull / USER_HZ)
#define PAGE_BYTES     4096ull

/* R when a thread is on the CPU or runnable, T when stopped by a signal, Z when gone, else S. */
static char process_state(struct process *p)
{
    if (p->state == PROCESS_ZOMBIE)
        return 'Z';
    if (p->sighand && p->sighand->group_stopped)
        return 'T';
    char state = 'S';
    qlist_for_each(l, &p->threads)
    {
        struct thread *t = container_of(l, struct thread, user.group_link);
        if (t->state == THREAD_RUNNING || t->state == THREAD_READY)
            state = 'R';
    }
    return state;
}

static char thread_state(const struct process *p, const struct thread *t)
{
    if (p->state == PROCESS_ZOMBIE)
        return 'Z';
    if (p->sighand && p->sighand->group_stopped)
        return 'T';
    return t->state == THREAD_RUNNING || t->state == THREAD_READY ? 'R' : 'S';
}

struct process *proc_find_locked(int id, struct thread **thread)
{
    struct process *p = process_find(id);
    *thread = NULL;
    if (p)
        return p;
    struct thread *t = process_find_thread(-1, id);
    if (!t || !t->user.proc)
        return NULL;
    *thread = t;
    return t->user.proc;
}

int proc_next_tid(int pid, int from)
{
    int best = 0;
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    struct process *p = process_find(pid);
    if (p) {
        qlist_for_each(l, &p->threads)
        {
            int tid = container_of(l, struct thread, user.group_link)->user.tid;
            if (tid >= from && (!best || tid < best))
                best = tid;
        }
    }
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return best;
}

static uint64_t process_cpu_ns_locked(struct process *p)
{
    uint64_t ns = p->utime_ns + p->stime_ns;
    qlist_for_each(l, &p->threads)
    {
        ns += sched_thread_stats(container_of(l, struct thread, user.group_link)).run_ns;
    }
    return ns;
}

static void take_refs(struct process *p, unsigned what, struct proc_snap *s)
{
    if ((what & SNAP_MM) && p->mm)
        s->mm = mm_get(p->mm);
    /* Inode references change under the VFS lock, which every procfs read holds. */
    if ((what & SNAP_DIRS) && p->fs.cwd)
        s->cwd = inode_get(p->fs.cwd);
    if ((what & SNAP_DIRS) && p->fs.root)
        s->root = inode_get(p->fs.root);
}

/* The tree lock keeps p from being freed; with interrupts off on the one CPU, it also keeps p's
 * threads, credentials and resources from changing under us (exit detaches them under the tree
 * lock too). An SMP kernel will want p->lock here as well. */
int proc_snapshot(int pid, unsigned what, struct proc_snap *s)
{
    memset(s, 0, sizeof(*s));
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    struct thread *t;
    struct process *p = proc_find_locked(pid, &t);
    if (p) {
        s->pid = pid;
        s->tgid = p->pid;
        s->ppid = p->parent ? p->parent->pid : 0;
        s->pgid = p->pgid;
        s->sid = p->sid;
        s->nthreads = p->nthreads;
        s->exit_signal = p->exit_signal;
        s->state = t ? thread_state(p, t) : process_state(p);
        memcpy(s->comm, p->comm, sizeof(s->comm));
        s->comm[sizeof(s->comm) - 1] = '\0';
        s->cred = p->cred;
        s->umask = p->fs.umask;
        s->start_ns = p->start_ns;
        s->cpu_ns = t ? sched_thread_stats(t).run_ns : process_cpu_ns_locked(p);
        s->child_cpu_ns = p->cutime_ns + p->cstime_ns;
        s->user_ticks = __atomic_load_n(&p->user_ticks, __ATOMIC_RELAXED);
        s->system_ticks = __atomic_load_n(&p->system_ticks, __ATOMIC_RELAXED);
        memcpy(s->rlimits, p->rlimits, sizeof(s->rlimits));
        s->io = p->io; /* each counter is one aligned word: no torn value, at worst one update behind */
        take_refs(p, what, s);
    }
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return p ? 0 : -ESRCH;
}

/* The lowest open descriptor >= from in p's table and (when out is set) the file there, with a
 * reference; -1 when there is none. Tree lock held, so p's table stays. */
static int next_fd_locked(struct process *p, int from, struct file **out)
{
    struct files *t = p->files;
    if (!t)
        return -1;
    int found = -1;
    uint64_t flags = spin_lock_irqsave(&t->lock);
    for (int fd = MAX(from, 0); fd < t->size && found < 0; fd++)
        if (t->fd[fd])
            found = fd;
    if (found >= 0 && out)
        *out = vfs_file_get(t->fd[found]);
    spin_unlock_irqrestore(&t->lock, flags);
    return found;
}

int proc_next_fd(int pid, int from, struct file **out)
{
    int fd = -1;
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    struct thread *t;
    struct process *p = proc_find_locked(pid, &t);
    if (p)
        fd = next_fd_locked(p, from, out);
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return fd;
}

void proc_put_file(struct file *f)
{
    /* The reader holds the VFS lock, so the last reference (the process closed the descriptor
     * meanwhile) is released here rather than through file_put, which would take it again. */
    if (__atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        vfs_file_free(f);
}

bool proc_may_inspect(const struct proc_snap *s)
{
    struct process *me = current_process();
    return !me || cred_is_root(&me->cred) || me->cred.euid == s->cred.uid;
}

void proc_snap_release(struct proc_snap *s)
{
    if (s->mm)
        mm_put(s->mm);
    if (s->cwd)
        inode_put(s->cwd);
    if (s->root)
        inode_put(s->root);
}

/* Virtual size (bytes) and the address-space layout, read under the mm's own lock. */
struct mm_info {
    uint64_t vsize, rss_pages;
    uint64_t data_bytes; /* private writable mappings, the stack included (Linux's data_vm + stack_vm) */
    uint64_t start_code, end_code, start_data, end_data, start_brk, brk, stack_top;
    uint64_t arg_start, arg_end, env_start, env_end;
};

/* procfs runs under the VFS lock (every read holds it), but the lock order is the address space
 * first, then the VFS (a page fault reads file pages under its mm's lock): so the VFS lock is let
 * go while another process's mm is locked. The inode being read stays, its file holds it. */
static void mm_lock_outside_vfs(struct mm *mm)
{
    vfs_unlock();
    mutex_lock(&mm->lock);
}

static void mm_unlock_back_to_vfs(struct mm *mm)
{
    mutex_unlock(&mm->lock);
    vfs_lock();
}

static void mm_info(struct mm *mm, struct mm_info *i)
{
    memset(i, 0, sizeof(*i));
    if (!mm)
        return;
    mm_lock_outside_vfs(mm);
    for (struct vma *v = vma_first(&mm->vmas); v; v = vma_next(v)) {
        i->vsize += v->end - v->start;
        if ((v->prot & PROT_WRITE) && !(v->flags & (VMA_SHARED | VMA_FILE_SHARED)))
            i->data_bytes += v->end - v->start;
    }
    i->rss_pages = mm->rss;
    i->start_code = mm->start_code;
    i->end_code = mm->end_code;
    i->start_data = mm->start_data;
    i->end_data = mm->end_data;
    i->start_brk = mm->brk_start;
    i->brk = mm->brk;
    i->stack_top = mm->stack_top;
    i->arg_start = mm->arg_start;
    i->arg_end = mm->arg_end;
    i->env_start = mm->env_start;
    i->env_end = mm->env_end;
    mm_unlock_back_to_vfs(mm);
}

/* The process's snapshot with its address space summed up (stat, status, statm). */
static int snapshot_with_mm(int pid, struct proc_snap *s, struct mm_info *m)
{
    int err = proc_snapshot(pid, SNAP_MM, s);
    if (!err)
        mm_info(s->mm, m);
    return err;
}

/* The measured CPU time, in USER_HZ, split into user and system time in the ratio the timer's
 * samples found (Linux's cputime_adjust does the same): all user time when nothing was sampled. */
static void split_cpu_time(const struct proc_snap *s, uint64_t *ut, uint64_t *st)
{
    uint64_t total = s->cpu_ns / NS_PER_USER_HZ, sys = s->system_ticks, samples = s->user_ticks + sys;
    /* Only the ratio matters: shrinking both keeps total * sys within 64 bits (total stays below
     * 2^40 for centuries of CPU time). */
    while (samples >= (1u << 24)) {
        samples >>= 1;
        sys >>= 1;
    }
    *st = samples ? MIN(total * sys / samples, total) : 0;
    *ut = total - *st;
}

static int show_stat(struct pbuf *b, int pid)
{
    struct proc_snap s;
    struct mm_info m;
    int err = snapshot_with_mm(pid, &s, &m);
    if (err)
        return err;
    uint64_t ut, st;
    split_cpu_time(&s, &ut, &st);
    unsigned long long cut = s.child_cpu_ns / NS_PER_USER_HZ;
    /* Fields 1-22: identity, state, family, faults, times (children's all counted as user time),
     * priority, nice, threads, start time, size. */
    pb_printf(b, "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 %llu %llu %llu 0 20 0 %d 0 %llu %llu %llu ", s.pid,
              s.comm, s.state, s.ppid, s.pgid, s.sid, (unsigned long long)ut, (unsigned long long)st, cut,
              s.nthreads, (unsigned long long)(s.start_ns / NS_PER_USER_HZ), (unsigned long long)m.vsize,
              (unsigned long long)m.rss_pages);
    /* 25-52: limits and layout, signals (shown in /proc/[pid]/status), scheduling, exit code. */
    pb_printf(b,
              "18446744073709551615 %llu %llu %llu 0 0 0 0 0 0 0 0 0 %d 0 0 0 0 0 0 %llu %llu %llu %llu %llu "
              "%llu %llu 0\n",
              (unsigned long long)m.start_code, (unsigned long long)m.end_code,
              (unsigned long long)m.stack_top, s.exit_signal, (unsigned long long)m.start_data,
              (unsigned long long)m.end_data, (unsigned long long)m.start_brk,
              (unsigned long long)m.arg_start, (unsigned long long)m.arg_end, (unsigned long long)m.env_start,
              (unsigned long long)m.env_end);
    proc_snap_release(&s);
    return 0;
}

static const char *state_name(char state)
{
    switch (state) {
    case 'R':
        return "R (running)";
    case 'T':
        return "T (stopped)";
    case 'Z':
        return "Z (zombie)";
    default:
        return "S (sleeping)";
    }
}

static int show_status(struct pbuf *b, int pid)
{
    struct proc_snap s;
    struct mm_info m;
    int err = snapshot_with_mm(pid, &s, &m);
    if (err)
        return err;
    const struct cred *c = &s.cred;
    pb_printf(
        b, "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n",
        s.comm, s.umask, state_name(s.state), s.tgid, s.pid, s.ppid);
    pb_printf(b, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nGroups:\t", c->uid, c->euid, c->suid, c->fsuid,
              c->gid, c->egid, c->sgid, c->fsgid);
    for (uint32_t i = 0; i < c->ngroups; i++)
        pb_printf(b, "%u ", c->groups[i]);
    pb_printf(b, "\n");
    if (s.mm)
        pb_printf(b, "VmSize:\t%8llu kB\nVmRSS:\t%8llu kB\n", (unsigned long long)(m.vsize / 1024),
                  (unsigned long long)(m.rss_pages * 4));
    pb_printf(b, "Threads:\t%d\n", s.nthreads);
    proc_snap_release(&s);
    return 0;
}

/* Sizes in pages: total, resident, shared (file pages are not counted apart: 0), text, library
 * (0 since Linux 2.6), data plus stack, dirty (0 since 2.6). */
static int show_statm(struct pbuf *b, int pid)
{
    struct proc_snap s;
    struct mm_info m;
    int err = snapshot_with_mm(pid, &s, &m);
    if (err)
        return err;
    uint64_t text =
        m.end_code > m.start_code ? (ALIGN_UP(m.end_code, PAGE_SIZE) - m.start_code) / PAGE_SIZE : 0;
    pb_printf(b, "%llu %llu 0 %llu 0 %llu 0\n", (unsigned long long)(m.vsize / PAGE_SIZE),
              (unsigned long long)m.rss_pages, (unsigned long long)text,
              (unsigned long long)(m.data_bytes / PAGE_SIZE));
    proc_snap_release(&s);
    return 0;
}

static int show_comm(struct pbuf *b, int pid)
{
    struct proc_snap s;
    int err = proc_snapshot(pid, 0, &s);
    if (!err)
        pb_printf(b, "%s\n", s.comm);
    return err;
}

/* Copies [start, end) of the process's memory: the strings exec put on its stack. mm_copy_from
 * takes the mm's lock, so the VFS lock is let go around it (see mm_lock_outside_vfs). */
static int show_user_range(struct pbuf *b, struct mm *mm, uint64_t start, uint64_t end)
{
    char chunk[256];
    int err = 0;
    vfs_unlock();
    for (uint64_t at = start; at < end && !err;) {
        size_t n = (size_t)MIN(sizeof(chunk), end - at);
        err = mm_copy_from(mm, chunk, at, n);
        if (!err)
            pb_putn(b, chunk, n);
        at += n;
    }
    vfs_lock();
    return err;
}

static int show_args(struct pbuf *b, int pid, bool environ)
{
    struct proc_snap s;
    int err = proc_snapshot(pid, SNAP_MM, &s);
    if (err)
        return err;
    /* The environment may hold secrets. */
    if (environ && !proc_may_inspect(&s))
        err = -EACCES;
    else if (s.mm) {
        struct mm_info m;
        mm_info(s.mm, &m);
        err = environ ? show_user_range(b, s.mm, m.env_start, m.env_end)
                      : show_user_range(b, s.mm, m.arg_start, m.arg_end);
    }
    proc_snap_release(&s);
    return err;
}

static int show_cmdline(struct pbuf *b, int pid)
{
    return show_args(b, pid, false);
}

static int show_environ(struct pbuf *b, int pid)
{
    return show_args(b, pid, true);
}

static void show_vma(struct pbuf *b, const struct mm *mm, const struct vma *v)
{
    const char *name = "";
    if (v->flags & VMA_HEAP)
        name = "[heap]";
    else if (v->flags & VMA_GROWSDOWN || v->end == mm->stack_top)
        name = "[stack]";
    uint64_t ino = v->file ? v->file->inode->ino : 0;
    uint32_t dev = v->file ? v->file->inode->sb->dev : 0;
    pb_printf(b, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ", (unsigned long long)v->start,
              (unsigned long long)v->end, v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
              v->prot & PROT_EXEC ? 'x' : '-', v->flags & (VMA_SHARED | VMA_FILE_SHARED) ? 's' : 'p',
              (unsigned long long)(v->pgoff * PAGE_BYTES), vfs_major(dev), vfs_minor(dev),
              (unsigned long long)ino);
    pb_printf(b, "%*s%s\n", *name ? 8 : 0, "", name);
}

static int show_maps(struct pbuf *b, int pid)
{
    struct proc_snap s;
    int err = proc_snapshot(pid, SNAP_MM, &s);
    if (err)
        return err;
    if (s.mm) {
        mm_lock_outside_vfs(s.mm);
        for (struct vma *v = vma_first(&s.mm->vmas); v; v = vma_next(v))
            show_vma(b, s.mm, v);
        mm_unlock_back_to_vfs(s.mm);
    }
    proc_snap_release(&s);
    return 0;
}

int proc_dir_path(struct pbuf *b, struct inode *dir)
{
    char *buf = kmalloc(PATH_MAX);
    if (!buf)
        return -ENOMEM;
    /* As the reader sees it: from its own root. */
    struct process *me = current_process();
    struct inode *root = me && me->fs.root ? me->fs.root : vfs_root();
    char *start;
    int err = vfs_dir_path(root, dir, buf, PATH_MAX, &start);
    if (!err)
        pb_printf(b, "%s", start);
    kfree(buf);
    return err;
}

static int link_dir(struct pbuf *b, int pid, bool cwd)
{
    struct proc_snap s;
    int err = proc_snapshot(pid, SNAP_DIRS, &s);
    if (err)
        return err;
    struct inode *dir = cwd ? s.cwd : s.root;
    if (!dir)
        dir = vfs_root();
    err = dir ? proc_dir_path(b, dir) : -ENOENT;
    proc_snap_release(&s);
    return err;
}

static int link_exe(struct pbuf *b, int pid)
{
    struct file *exe = NULL;
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    struct thread *t;
    struct process *p = proc_find_locked(pid, &t);
    if (p && p->exe)
        exe = vfs_file_get(p->exe);
    spin_unlock_irqrestore(&process_tree_lock, flags);
    if (!exe)
        return p ? -ENOENT : -ESRCH;
    int err = proc_file_path(b, exe);
    proc_put_file(exe);
    return err;
}

static int link_cwd(struct pbuf *b, int pid)
{
    return link_dir(b, pid, true);
}

static int link_root(struct pbuf *b, int pid)
{
    return link_dir(b, pid, false);
}

const struct proc_entry proc_pid_entries[] = {
    {"stat", S_IFREG | 0444, .show = show_stat},
    {"status", S_IFREG | 0444, .show = show_status},
    {"statm", S_IFREG | 0444, .show = show_statm},
    {"limits", S_IFREG | 0444, .show = proc_show_limits},
    {"io", S_IFREG | 0400, .show = proc_show_io},
    {"cmdline", S_IFREG | 0444, .show = show_cmdline},
    {"comm", S_IFREG | 0444, .show = show_comm},
    {"environ", S_IFREG | 0400, .show = show_environ},
    {"maps", S_IFREG | 0444, .show = show_maps},
    {"mounts", S_IFREG | 0444, .show = proc_show_mounts},
    {"mountinfo", S_IFREG | 0444, .show = proc_show_mountinfo},
    {"exe", S_IFLNK | 0777, .link = link_exe},
    {"cwd", S_IFLNK | 0777, .link = link_cwd},
    {"root", S_IFLNK | 0777, .link = link_root},
};
const struct proc_table proc_pid_table = {proc_pid_entries, ARRAY_SIZE(proc_pid_entries), 16, NULL, false};
