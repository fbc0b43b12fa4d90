/* Shared by the files of procfs: the text buffer files are generated into, the entry tables, and
 * the snapshot of a process that per-pid files are generated from. */
#pragma once
#include <kestrel/cred.h>
#include <kestrel/process.h>
#include <kestrel/fs.h>
#include <kestrel/types.h>

/* A growing text buffer. A failed allocation sets err and drops further output. */
struct pbuf {
    char *data;
    size_t len, cap;
    int err;
};
void pb_printf(struct pbuf *b, const char *fmt, ...) __printf(2, 3);
void pb_putn(struct pbuf *b, const char *s, size_t n);

/* One name in a procfs directory. Files generate their whole text at each read (show); symlinks
 * generate their target (link); the pid is 0 outside /proc/[pid]. Both return 0 or an errno.
 * Writable files (the /proc/sys settings) take what is written, whole, in store: 0 or an errno.
 * A directory's contents are another table (sub). */
struct proc_table;
struct proc_entry {
    const char *name;
    uint32_t mode;
    int (*show)(struct pbuf *b, int pid);
    int (*link)(struct pbuf *b, int pid);
    int (*store)(const char *text, size_t len);
    const struct proc_table *sub;
};

/* The entries of one directory. Entry i's inode number is ino_base + i; a subdirectory's own
 * number is its table's ino_base - 1, so numbers stay fixed across lookups (getcwd relies on it).
 * parent is NULL for the tables of /proc itself and of /proc/[pid]. */
struct proc_table {
    const struct proc_entry *entries;
    size_t count;
    uint64_t ino_base;
    const struct proc_table *parent;
    bool sysctl; /* /proc/sys: root has no override on the files' mode bits */
};

extern const struct proc_entry proc_root_entries[];
extern const struct proc_table proc_root_table;
extern const struct proc_entry proc_pid_entries[];
extern const struct proc_table proc_pid_table;
extern const struct proc_table proc_sys_table; /* /proc/sys (sysctl.c) */

/* What a per-pid file needs of a process, copied under the process tree lock so that the
 * process may exit meanwhile. References (mm, files, cwd, root) are taken only when asked. */
enum { SNAP_MM = 1, SNAP_DIRS = 2 };
struct proc_snap {
    int pid, tgid, ppid, pgid, sid, nthreads, exit_signal;
    char state;
    char comm[16];
    struct cred cred;
    uint32_t umask;
    uint64_t start_ns, cpu_ns, child_cpu_ns;
    uint64_t user_ticks, system_ticks;
    uint64_t sigpending, sigmask;
    struct rlimit64 rlimits[RLIMIT_COUNT];
    struct process_io io;
    struct mm *mm;
    struct inode *cwd, *root;
};
/* pid may be any thread's id, as on Linux (/proc/TID exists though readdir does not list it): the
 * snapshot is then the thread's view of its process, with pid the thread's id, tgid the
 * process's, and the state and CPU time the thread's own. */
int proc_snapshot(int pid, unsigned what, struct proc_snap *s);
/* The process id names (a process, or the process of a thread: *thread set then). Tree lock held. */
struct thread;
struct process *proc_find_locked(int id, struct thread **thread);
/* The smallest thread id >= from in process pid, or 0 (task/ directories). */
int proc_next_tid(int pid, int from);
void proc_snap_release(struct proc_snap *s);
/* Whether the calling process may look at the process's environment and open files: root, or the
 * process's owner (Linux asks for ptrace rights; Kestrel has no ptrace). */
bool proc_may_inspect(const struct proc_snap *s);

/* The lowest descriptor >= from open in pid, and when out is set the file there (a reference for
 * proc_put_file); -1 when none. */
struct file;
int proc_next_fd(int pid, int from, struct file **out);
void proc_put_file(struct file *f);
/* The path of an open file (what /proc/[pid]/fd/N and exe show). */
int proc_file_path(struct pbuf *b, struct file *f);
/* The link text of /proc/[pid]/fd/N. */
int proc_fd_link(struct pbuf *b, int pid, int fd);
/* Whether fd is open in pid (for lookups in /proc/[pid]/fd). */
bool proc_fd_exists(int pid, int fd);
/* Emits the descriptors of pid from readdir position *pos on (2 + fd). */
int proc_fd_readdir(int pid, uint64_t *pos, uint64_t ino_base, filldir_t emit, void *ctx);
/* /proc/[pid]/limits and io (resources.c). */
int proc_show_limits(struct pbuf *b, int pid);
int proc_show_io(struct pbuf *b, int pid);
/* The /proc/mounts and /proc/[pid]/mountinfo texts as the reader sees them (mounts.c). */
int proc_show_mounts(struct pbuf *b, int pid);
int proc_show_mountinfo(struct pbuf *b, int pid);
/* The path of directory dir as the reading process sees it (from its root). */
int proc_dir_path(struct pbuf *b, struct inode *dir);
