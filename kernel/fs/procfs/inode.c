/* The proc filesystem: inodes made at lookup and freed at their last reference, each naming an
 * entry of a table (the root's, or /proc/[pid]'s), a pid directory, the fd directory or one of its
 * links. Inode numbers are computed from what an inode names, so that the same file always has the
 * same number (getcwd finds a directory's name by its number). */
#include <kestrel/format.h>
#include <kestrel/kmalloc.h>
#include <kestrel/procfs.h>
#include <kestrel/process.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <uapi/dirent.h>
#include <uapi/statfs.h>
#include "internal.h"

enum proc_kind {
    PK_ROOT,   /* /proc */
    PK_ENTRY,  /* a file or link of a table */
    PK_TABLE,  /* a directory of a table (/proc/sys and below) */
    PK_PID,    /* /proc/[pid] */
    PK_FDDIR,  /* /proc/[pid]/fd */
    PK_FDLINK, /* /proc/[pid]/fd/N */
    PK_TASK,   /* /proc/[pid]/task: the process's threads, each a PK_PID directory of its own */
};

struct proc_inode {
    struct inode vfs;
    enum proc_kind kind;
    int pid;  /* 0 outside /proc/[pid]; a thread's id in /proc/[pid]/task/[tid] */
    int tgid; /* in /proc/[pid]/task/[tid] and below: the process's id; else 0 */
    int fd;
    const struct proc_entry *entry;
    const struct proc_table *table; /* PK_TABLE: its contents; PK_ENTRY: the table it is in */
    struct pbuf text;               /* the text the last read from position 0 generated */
    bool have_text;
};

/* Numbers: the pid in the high half, what within it in the low half. */
#define INO_ROOT       1
#define INO_DIR        1
#define INO_FDDIR      2
#define INO_TASK       3
#define INO_FD(fd)     (0x10000ull + (uint64_t)(fd))
#define INO(pid, what) (((uint64_t)(pid) << 32) | (what))
#define FD_DIR_NAME    "fd"
#define TASK_DIR_NAME  "task"

static const struct inode_ops proc_ops;

static struct proc_inode *P(struct inode *inode)
{
    return container_of(inode, struct proc_inode, vfs);
}

/* The owner of a pid's files is its effective user, as on Linux. */
static void set_owner(struct inode *inode, int pid)
{
    struct proc_snap s;
    if (pid && proc_snapshot(pid, 0, &s) == 0) {
        inode->uid = s.cred.euid;
        inode->gid = s.cred.egid;
        proc_snap_release(&s);
    }
}

static int new_inode(struct super_block *sb, enum proc_kind kind, int pid, uint64_t what, uint32_t mode,
                     struct inode **out)
{
    struct proc_inode *pi = kzalloc(sizeof(*pi));
    if (!pi)
        return -ENOMEM;
    inode_init(&pi->vfs, sb, &proc_ops, mode);
    pi->vfs.ino = INO(pid, what);
    if (S_ISDIR(mode))
        pi->vfs.nlink = 2;
    pi->kind = kind;
    pi->pid = pid;
    set_owner(&pi->vfs, pid);
    *out = &pi->vfs;
    return 0;
}

static bool pid_alive(int pid)
{
    struct proc_snap s;
    if (proc_snapshot(pid, 0, &s))
        return false;
    proc_snap_release(&s);
    return true;
}

/* The decimal number name names, or -1 ("01" names nothing, as on Linux). */
static int parse_number(const char *name, size_t len)
{
    if (len == 0 || len > 9 || (name[0] == '0' && len > 1))
        return -1;
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        n = n * 10 + (name[i] - '0');
    }
    return n;
}

static bool name_is(const char *name, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(name, s, len) == 0;
}

static uint64_t entry_ino(const struct proc_table *t, size_t i)
{
    const struct proc_entry *e = &t->entries[i];
    return e->sub ? e->sub->ino_base - 1 : t->ino_base + i;
}

/* The inode of a table's directory (its own number, pid 0: /proc/sys is system-wide). */
static int table_dir(struct super_block *sb, const struct proc_table *t, uint32_t mode, struct inode **out)
{
    int err = new_inode(sb, PK_TABLE, 0, t->ino_base - 1, mode, out);
    if (!err)
        P(*out)->table = t;
    return err;
}

static int lookup_table(struct inode *dir, const struct proc_table *t, const char *name, size_t len,
                        struct inode **out)
{
    for (size_t i = 0; i < t->count; i++) {
        const struct proc_entry *e = &t->entries[i];
        if (!name_is(name, len, e->name))
            continue;
        if (e->sub)
            return table_dir(dir->sb, e->sub, e->mode, out);
        int err = new_inode(dir->sb, PK_ENTRY, P(dir)->pid, entry_ino(t, i), e->mode, out);
        if (!err) {
            P(*out)->entry = e;
            P(*out)->table = t;
        }
        return err;
    }
    return -ENOENT;
}

/* ".." of a table's directory: the directory of its parent table, or /proc. */
static int table_parent(struct inode *dir, struct inode **out)
{
    const struct proc_table *parent = P(dir)->table->parent;
    if (!parent) {
        *out = inode_get(dir->sb->root);
        return 0;
    }
    return table_dir(dir->sb, parent, S_IFDIR | 0555, out);
}

static int proc_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    struct proc_inode *pi = P(dir);
    bool dotdot = name_is(name, len, "..");
    switch (pi->kind) {
    case PK_ROOT: {
        if (dotdot) {
            *out = inode_get(dir);
            return 0;
        }
        int pid = parse_number(name, len);
        if (pid > 0)
            return pid_alive(pid) ? new_inode(dir->sb, PK_PID, pid, INO_DIR, S_IFDIR | 0555, out) : -ENOENT;
        return lookup_table(dir, &proc_root_table, name, len, out);
    }
    case PK_TABLE:
        return dotdot ? table_parent(dir, out) : lookup_table(dir, pi->table, name, len, out);
    case PK_PID:
        if (dotdot && pi->tgid)
            return new_inode(dir->sb, PK_TASK, pi->tgid, INO_TASK, S_IFDIR | 0555, out);
        if (dotdot) {
            *out = inode_get(dir->sb->root);
            return 0;
        }
        if (!pid_alive(pi->pid))
            return -ENOENT;
        if (name_is(name, len, FD_DIR_NAME))
            return new_inode(dir->sb, PK_FDDIR, pi->pid, INO_FDDIR, S_IFDIR | 0500, out);
        if (name_is(name, len, TASK_DIR_NAME) && !pi->tgid)
            return new_inode(dir->sb, PK_TASK, pi->pid, INO_TASK, S_IFDIR | 0555, out);
        return lookup_table(dir, &proc_pid_table, name, len, out);
    case PK_TASK: {
        if (dotdot)
            return new_inode(dir->sb, PK_PID, pi->pid, INO_DIR, S_IFDIR | 0555, out);
        int tid = parse_number(name, len);
        if (tid <= 0 || proc_next_tid(pi->pid, tid) != tid)
            return -ENOENT;
        int err = new_inode(dir->sb, PK_PID, tid, INO_DIR, S_IFDIR | 0555, out);
        if (!err)
            P(*out)->tgid = pi->pid;
        return err;
    }
    case PK_FDDIR: {
        if (dotdot)
            return new_inode(dir->sb, PK_PID, pi->pid, INO_DIR, S_IFDIR | 0555, out);
        int fd = parse_number(name, len);
        if (fd < 0 || !proc_fd_exists(pi->pid, fd))
            return -ENOENT;
        int err = new_inode(dir->sb, PK_FDLINK, pi->pid, INO_FD(fd), S_IFLNK | 0700, out);
        if (!err)
            P(*out)->fd = fd;
        return err;
    }
    default:
        return -ENOTDIR;
    }
}

/* Positions: 0 ".", 1 "..", then the table entries, then (in the root) pids from PID_POS on. */
#define TABLE_POS 2
#define PID_POS   0x100

static int emit_table(struct inode *dir, const struct proc_table *t, uint64_t *pos, filldir_t emit, void *ctx)
{
    for (; *pos >= TABLE_POS && *pos < TABLE_POS + t->count; ++*pos) {
        const struct proc_entry *e = &t->entries[*pos - TABLE_POS];
        uint64_t ino = INO(e->sub ? 0 : P(dir)->pid, entry_ino(t, *pos - TABLE_POS));
        if (!emit(ctx, e->name, strlen(e->name), ino, IFTODT(e->mode), *pos + 1))
            return 1;
    }
    return 0;
}

/* The smallest live pid >= from, or 0 (owner: unused, for emit_ids). */
static int next_pid(int owner, int from)
{
    (void)owner;
    int best = 0;
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    process_for_each(p)
    {
        if (p->pid >= from && (!best || p->pid < best))
            best = p->pid;
    }
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return best;
}

/* Directory entries named by ids, from PID_POS on (position PID_POS + id): next(owner, from) gives
 * the smallest id >= from, 0 at the end. The pids in /proc, the thread ids in /proc/[pid]/task. */
static void emit_ids(int (*next)(int owner, int from), int owner, uint64_t *pos, filldir_t emit, void *ctx)
{
    if (*pos < PID_POS)
        *pos = PID_POS;
    for (int id; (id = next(owner, (int)(*pos - PID_POS))) != 0;) {
        char name[12];
        int n = ksnprintf(name, sizeof(name), "%d", id);
        *pos = PID_POS + (uint64_t)id;
        if (!emit(ctx, name, (size_t)n, INO(id, INO_DIR), DT_DIR, *pos + 1))
            return;
        ++*pos;
    }
}

static int proc_readdir(struct inode *dir, uint64_t *pos, filldir_t emit, void *ctx)
{
    struct proc_inode *pi = P(dir);
    uint64_t parent_ino = INO_ROOT;
    if (pi->kind == PK_FDDIR || pi->kind == PK_TASK)
        parent_ino = INO(pi->pid, INO_DIR);
    else if (pi->kind == PK_PID && pi->tgid)
        parent_ino = INO(pi->tgid, INO_TASK);
    else if (pi->kind == PK_TABLE && pi->table->parent)
        parent_ino = pi->table->parent->ino_base - 1;
    if (*pos == 0) {
        if (!emit(ctx, ".", 1, dir->ino, DT_DIR, 1))
            return 0;
        *pos = 1;
    }
    if (*pos == 1) {
        if (!emit(ctx, "..", 2, parent_ino, DT_DIR, 2))
            return 0;
        *pos = 2;
    }
    switch (pi->kind) {
    case PK_ROOT:
        if (emit_table(dir, &proc_root_table, pos, emit, ctx) == 0)
            emit_ids(next_pid, 0, pos, emit, ctx);
        return 0;
    case PK_TABLE:
        emit_table(dir, pi->table, pos, emit, ctx);
        return 0;
    case PK_PID:
        if (*pos < TABLE_POS + proc_pid_table.count && emit_table(dir, &proc_pid_table, pos, emit, ctx))
            return 0;
        if (*pos == TABLE_POS + proc_pid_table.count) {
            if (!emit(ctx, FD_DIR_NAME, 2, INO(pi->pid, INO_FDDIR), DT_DIR, *pos + 1))
                return 0;
            ++*pos;
        }
        if (*pos == TABLE_POS + proc_pid_table.count + 1 && !pi->tgid) {
            if (!emit(ctx, TASK_DIR_NAME, 4, INO(pi->pid, INO_TASK), DT_DIR, *pos + 1))
                return 0;
            ++*pos;
        }
        return 0;
    case PK_TASK:
        emit_ids(proc_next_tid, pi->pid, pos, emit, ctx);
        return 0;
    case PK_FDDIR:
        return proc_fd_readdir(pi->pid, pos, INO(pi->pid, INO_FD(0)), emit, ctx);
    default:
        return -ENOTDIR;
    }
}

/* The whole text of a file or link, generated now. */
static int generate(struct inode *inode, struct pbuf *b)
{
    struct proc_inode *pi = P(inode);
    int err;
    if (pi->kind == PK_FDLINK)
        err = proc_fd_link(b, pi->pid, pi->fd);
    else if (S_ISLNK(inode->mode))
        err = pi->entry->link(b, pi->pid);
    else if (pi->entry->show)
        err = pi->entry->show(b, pi->pid);
    else
        err = -EACCES; /* a write-only setting (drop_caches): Linux refuses root's read too */
    return err ? err : b->err;
}

/* A read from position 0 generates the text and keeps it; reads further on continue in that text,
 * as Linux's seq_file does. Regenerating at every read let a file that changes as it is read
 * (/proc/self/io counts the read itself) come out as the head of one text and the tail of
 * another. Each open has an inode of its own (lookup makes one each time), so this is per open. */
static ssize_t proc_read(struct inode *inode, void *buf, size_t count, uint64_t pos)
{
    struct proc_inode *pi = P(inode);
    if (pos == 0 || !pi->have_text) {
        kfree(pi->text.data);
        pi->text = (struct pbuf){0};
        pi->have_text = false;
        int err = generate(inode, &pi->text);
        if (err) {
            kfree(pi->text.data);
            pi->text = (struct pbuf){0};
            return err;
        }
        pi->have_text = true;
    }
    if (pos >= pi->text.len)
        return 0;
    size_t n = (size_t)MIN((uint64_t)count, pi->text.len - pos);
    memcpy(buf, pi->text.data + pos, n);
    return (ssize_t)n;
}

/* A setting takes the whole write at once; files without one answer as Linux's do. */
static ssize_t proc_write(struct inode *inode, const void *buf, size_t count, uint64_t pos)
{
    (void)pos;
    const struct proc_entry *e = P(inode)->entry;
    if (!e || !e->store)
        return -EIO;
    int err = e->store(buf, count);
    return err ? err : (ssize_t)count;
}

/* The files of /proc/sys have their mode bits checked alone, root included: root cannot read
 * drop_caches (0200) or write ostype (0444), as on Linux, where open fails with EACCES. */
static int proc_permission(const struct inode *inode, unsigned mask, const struct cred *c)
{
    const struct proc_inode *pi = container_of(inode, const struct proc_inode, vfs);
    if (pi->kind != PK_ENTRY || !pi->table->sysctl)
        return cred_permission(c, inode->uid, inode->gid, inode->mode, mask);
    if (mask & MAY_EXEC)
        return -EACCES;
    unsigned bits = c->fsuid == inode->uid         ? inode->mode >> 6
                    : cred_in_group(c, inode->gid) ? inode->mode >> 3
                                                   : inode->mode;
    return (bits & mask & 7) == (mask & 7) ? 0 : -EACCES;
}

/* O_TRUNC (`echo 3 > drop_caches`) is allowed and changes nothing; the owner and mode are fixed. */
static int proc_setattr(struct inode *inode, const struct iattr *attr)
{
    if (attr->valid & (ATTR_MODE | ATTR_UID | ATTR_GID))
        return -EPERM;
    struct iattr times = *attr;
    times.valid &= ATTR_ATIME | ATTR_MTIME | ATTR_CTIME;
    inode_apply_attr(inode, &times);
    return 0;
}

static ssize_t proc_readlink(struct inode *link, char *buf, size_t size)
{
    return proc_read(link, buf, size, 0);
}

static void proc_release(struct inode *inode)
{
    inode->sb->live_inodes--;
    kfree(P(inode)->text.data);
    kfree(P(inode));
}

static const struct inode_ops proc_ops = {
    .lookup = proc_lookup,
    .readdir = proc_readdir,
    .readlink = proc_readlink,
    .read = proc_read,
    .write = proc_write,
    .setattr = proc_setattr,
    .permission = proc_permission,
    .release = proc_release,
};

static void proc_put_super(struct super_block *sb)
{
    inode_put(sb->root);
    kfree(sb);
}

static const struct super_ops proc_super_ops = {.put_super = proc_put_super};

static int proc_mount(struct block_device *bd, unsigned long flags, const char *data,
                      struct super_block **out)
{
    (void)bd, (void)flags, (void)data;
    struct super_block *sb = kmalloc(sizeof(*sb));
    if (!sb)
        return -ENOMEM;
    super_init(sb);
    sb->ops = &proc_super_ops;
    sb->magic = PROC_SUPER_MAGIC;
    sb->fixed_names = true;
    sb->names_volatile = true;
    int err = new_inode(sb, PK_ROOT, 0, INO_ROOT, S_IFDIR | 0555, &sb->root);
    if (err) {
        kfree(sb);
        return err;
    }
    *out = sb;
    return 0;
}

static struct fs_type proc_type = {.name = "proc", .mount = proc_mount};

void procfs_register(void)
{
    fs_type_register(&proc_type);
}
