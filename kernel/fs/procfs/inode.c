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
    PK_PID,    /* /proc/[pid] */
    PK_FDDIR,  /* /proc/[pid]/fd */
    PK_FDLINK, /* /proc/[pid]/fd/N */
};

struct proc_inode {
    struct inode vfs;
    enum proc_kind kind;
    int pid; /* 0 outside /proc/[pid] */
    int fd;
    const struct proc_entry *entry;
};

/* Numbers: the pid in the high half, what within it in the low half. */
#define INO_ROOT       1
#define INO_DIR        1
#define INO_FDDIR      2
#define INO_ENTRY(i)   (16 + (i))
#define INO_FD(fd)     (0x10000ull + (uint64_t)(fd))
#define INO(pid, what) (((uint64_t)(pid) << 32) | (what))
#define FD_DIR_NAME    "fd"

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

static int lookup_table(struct inode *dir, const struct proc_entry *table, size_t count, const char *name,
                        size_t len, struct inode **out)
{
    int pid = P(dir)->pid;
    for (size_t i = 0; i < count; i++) {
        if (!name_is(name, len, table[i].name))
            continue;
        int err = new_inode(dir->sb, PK_ENTRY, pid, INO_ENTRY(i), table[i].mode, out);
        if (!err)
            P(*out)->entry = &table[i];
        return err;
    }
    return -ENOENT;
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
        return lookup_table(dir, proc_root_entries, proc_root_count, name, len, out);
    }
    case PK_PID:
        if (dotdot) {
            *out = inode_get(dir->sb->root);
            return 0;
        }
        if (!pid_alive(pi->pid))
            return -ENOENT;
        if (name_is(name, len, FD_DIR_NAME))
            return new_inode(dir->sb, PK_FDDIR, pi->pid, INO_FDDIR, S_IFDIR | 0500, out);
        return lookup_table(dir, proc_pid_entries, proc_pid_count, name, len, out);
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

static int emit_table(struct inode *dir, const struct proc_entry *table, size_t count, uint64_t *pos,
                      filldir_t emit, void *ctx)
{
    for (; *pos >= TABLE_POS && *pos < TABLE_POS + count; ++*pos) {
        const struct proc_entry *e = &table[*pos - TABLE_POS];
        uint64_t ino = INO(P(dir)->pid, INO_ENTRY(*pos - TABLE_POS));
        if (!emit(ctx, e->name, strlen(e->name), ino, IFTODT(e->mode), *pos + 1))
            return 1;
    }
    return 0;
}

/* The smallest live pid >= from, or 0. */
static int next_pid(int from)
{
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

static void emit_pids(uint64_t *pos, filldir_t emit, void *ctx)
{
    if (*pos < PID_POS)
        *pos = PID_POS;
    for (int pid; (pid = next_pid((int)(*pos - PID_POS))) != 0;) {
        char name[12];
        int n = ksnprintf(name, sizeof(name), "%d", pid);
        *pos = PID_POS + (uint64_t)pid;
        if (!emit(ctx, name, (size_t)n, INO(pid, INO_DIR), DT_DIR, *pos + 1))
            return;
        ++*pos;
    }
}

static int proc_readdir(struct inode *dir, uint64_t *pos, filldir_t emit, void *ctx)
{
    struct proc_inode *pi = P(dir);
    uint64_t parent_ino = pi->kind == PK_FDDIR ? INO(pi->pid, INO_DIR) : INO_ROOT;
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
        if (emit_table(dir, proc_root_entries, proc_root_count, pos, emit, ctx) == 0)
            emit_pids(pos, emit, ctx);
        return 0;
    case PK_PID:
        if (*pos < TABLE_POS + proc_pid_count &&
            emit_table(dir, proc_pid_entries, proc_pid_count, pos, emit, ctx))
            return 0;
        if (*pos == TABLE_POS + proc_pid_count) {
            if (!emit(ctx, FD_DIR_NAME, 2, INO(pi->pid, INO_FDDIR), DT_DIR, *pos + 1))
                return 0;
            ++*pos;
        }
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
    else
        err = pi->entry->show(b, pi->pid);
    return err ? err : b->err;
}

static ssize_t proc_read(struct inode *inode, void *buf, size_t count, uint64_t pos)
{
    struct pbuf b = {0};
    ssize_t ret = generate(inode, &b);
    if (ret == 0 && pos < b.len) {
        ret = (ssize_t)MIN(count, b.len - pos);
        memcpy(buf, b.data + pos, (size_t)ret);
    }
    kfree(b.data);
    return ret;
}

static ssize_t proc_readlink(struct inode *link, char *buf, size_t size)
{
    return proc_read(link, buf, size, 0);
}

static void proc_release(struct inode *inode)
{
    inode->sb->live_inodes--;
    kfree(P(inode));
}

static const struct inode_ops proc_ops = {
    .lookup = proc_lookup,
    .readdir = proc_readdir,
    .readlink = proc_readlink,
    .read = proc_read,
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
