/* execve: reading the program, "#!" scripts, building the new address space through the user-memory
 * helpers (kestrel/uvm.h) and, past the point of no return, replacing the process's image. Everything
 * that can fail happens before the old image is touched, so a failed execve returns to the caller. */
#include "internal.h"
#include <arch/cpu.h>
#include <kestrel/elf.h>
#include <kestrel/file.h>
#include <kestrel/kmalloc.h>
#include <kestrel/string.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>
#include <kestrel/vfs.h>

#define MAX_SCRIPT_DEPTH 4          /* interpreters that are scripts themselves: Linux allows 4 levels too */
#define SHEBANG_MAX      256        /* bytes of the "#!" line looked at (Linux's BINPRM_BUF_SIZE) */
#define EXEC_MAX_SIZE    (4u << 20) /* the whole file is read into one kmalloc block */

struct exec_image {
    char *data;
    size_t size;
    uint32_t uid, gid, mode; /* the file's owner and mode, for set-user-ID and set-group-ID */
    struct file *file;       /* the open executable (a reference): becomes the process's exe */
};

/* Checks that path names an executable regular file and reads it whole. */
static int read_image(const char *path, struct exec_image *img)
{
    struct process *p = current_process();
    struct file *f;
    struct stat st;
    vfs_lock();
    int err = vfs_open_exec(p->fs.cwd, path, &f);
    if (err) {
        vfs_unlock();
        return err;
    }
    err = vfs_fstat(f, &st);
    if (!err && !S_ISREG(st.st_mode))
        err = -EACCES;
    img->uid = st.st_uid;
    img->gid = st.st_gid;
    img->mode = st.st_mode;
    if (!err && (uint64_t)st.st_size > EXEC_MAX_SIZE)
        err = -ENOMEM;
    img->size = err ? 0 : (size_t)st.st_size;
    img->data = err ? NULL : kmalloc(img->size ? img->size : 1);
    if (!err && !img->data)
        err = -ENOMEM;
    if (!err) {
        ssize_t n = vfs_pread(f, img->data, img->size, 0);
        if (n < 0 || (size_t)n != img->size)
            err = n < 0 ? (int)n : -EIO;
    }
    vfs_unlock();
    img->file = f;
    if (err) {
        file_put(f);
        kfree(img->data);
    }
    return err;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Splits a "#!interp [arg]" line into interp and arg (empty when absent), as Linux does: the whole
 * rest of the line, trimmed, is one argument. -ENOEXEC when there is no interpreter. */
static int parse_shebang(const char *data, size_t size, char *interp, char *arg)
{
    size_t end = 2;
    size_t limit = MIN(size, (size_t)SHEBANG_MAX);
    while (end < limit && data[end] != '\n')
        end++;
    size_t i = 2;
    while (i < end && is_blank(data[i]))
        i++;
    size_t start = i;
    while (i < end && !is_blank(data[i]))
        i++;
    if (i == start)
        return -ENOEXEC;
    memcpy(interp, data + start, i - start);
    interp[i - start] = '\0';
    while (i < end && is_blank(data[i]))
        i++;
    while (end > i && is_blank(data[end - 1]))
        end--;
    memcpy(arg, data + i, end - i);
    arg[end - i] = '\0';
    return 0;
}

static int exec_at_depth(const char *path, char *const argv[], char *const envp[], const char *execfn,
                         int depth);

/* Runs the script's interpreter with argv = interp [arg] path argv[1...]. */
static int exec_script(const struct exec_image *img, const char *path, char *const argv[], char *const envp[],
                       const char *execfn, int depth)
{
    if (depth >= MAX_SCRIPT_DEPTH)
        return -ELOOP;
    char *interp = kmalloc(SHEBANG_MAX), *arg = kmalloc(SHEBANG_MAX);
    size_t argc = 0;
    while (argv[argc])
        argc++;
    char **nargv = kmalloc((argc + 4) * sizeof(char *));
    int err = -ENOMEM;
    if (interp && arg && nargv)
        err = parse_shebang(img->data, img->size, interp, arg);
    if (!err) {
        size_t n = 0;
        nargv[n++] = interp;
        if (arg[0])
            nargv[n++] = arg;
        nargv[n++] = (char *)path;
        for (size_t i = 1; i < argc; i++)
            nargv[n++] = argv[i];
        nargv[n] = NULL;
        err = exec_at_depth(interp, nargv, envp, execfn, depth + 1);
    }
    kfree(nargv);
    kfree(arg);
    kfree(interp);
    return err;
}

/* The credentials the program runs with: a set-user-ID file runs as its owner, a set-group-ID
 * (and group-executable) one with its group; the saved ids take the effective ones, as on every
 * Linux exec. Returns whether the ids changed, which makes the program "secure" (AT_SECURE). */
static bool exec_cred(const struct cred *old, const struct exec_image *img, struct cred *new)
{
    *new = *old;
    if (img->mode & S_ISUID)
        new->euid = new->fsuid = img->uid;
    if ((img->mode & S_ISGID) && (img->mode & 0010))
        new->egid = new->fsgid = img->gid;
    new->suid = new->euid;
    new->sgid = new->egid;
    return new->euid != old->uid || new->egid != old->gid;
}

/* Past the point of no return: the process takes the new memory and starts over at entry. */
static void exec_commit(struct mm *mm, vaddr_t entry, vaddr_t sp, const char *execfn, const struct cred *cred,
                        struct file *exe)
{
    struct thread *t = thread_current();
    struct process *p = t->user.proc;
    p->cred = *cred;
    struct mm *old = p->mm;
    /* Swapped under the tree lock, under which procfs takes its reference. */
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    struct file *old_exe = p->exe;
    p->exe = vfs_file_get(exe);
    spin_unlock_irqrestore(&process_tree_lock, flags);
    if (old_exe)
        file_put(old_exe);
    /* Interrupts off so no switch sees the new mm without the new bases, or the reverse. */
    uint64_t irq = irq_save();
    p->mm = mm;
    t->user.fs_base = t->user.gs_base = 0;
    process_switch_to(t);
    irq_restore(irq);
    if (old)
        mm_put(old);
    if (p->files)
        files_close_on_exec(p->files);
    if (signal_exec)
        signal_exec(p);
    const char *base = execfn;
    for (const char *c = execfn; *c; c++)
        if (*c == '/' && c[1])
            base = c + 1;
    strlcpy(p->comm, base, sizeof(p->comm));
    strlcpy(t->name, base, sizeof(t->name));
    p->did_exec = true;
    user_frame_init(t->user.frame, entry, sp);
    struct fpu_state clean;
    fpu_state_init(&clean);
    fpu_restore(&clean);
    process_vfork_release(p);
}

/* Builds the new image of an ELF file into a fresh mm; commits it when everything worked. */
static int exec_elf(const struct exec_image *img, char *const argv[], char *const envp[], const char *execfn)
{
    struct process *p = current_process();
    struct elf_info *info = kmalloc(sizeof(*info));
    if (!info)
        return -ENOMEM;
    int err = elf_parse(img->data, img->size, info);
    if (!err && info->has_interp)
        err = -ENOEXEC; /* dynamically linked: Kestrel has no ld.so loading yet */
    struct mm *mm = err ? NULL : mm_create();
    if (!err && !mm)
        err = -ENOMEM;
    vaddr_t entry = 0, bias = 0, sp = 0;
    if (!err)
        err = mm_load_elf(mm, img->data, img->size, info, &entry, &bias);
    struct cred *cred = err ? NULL : kmalloc(sizeof(*cred));
    if (!err && !cred)
        err = -ENOMEM;
    if (!err) {
        bool secure = exec_cred(&p->cred, img, cred);
        struct exec_params params = {info,       bias,      execfn,     cred->uid,
                                     cred->euid, cred->gid, cred->egid, secure};
        err = mm_setup_stack(mm, argv, envp, &params, &sp);
    }
    /* The last step that can fail: the other threads end before the image they run is replaced. */
    if (!err)
        err = process_exec_kill_threads();
    if (!err)
        process_thread_release_futexes(thread_current(), p);
    if (err) {
        if (mm)
            mm_put(mm);
    } else {
        exec_commit(mm, entry, sp, execfn, cred, img->file);
    }
    kfree(cred);
    kfree(info);
    return err;
}

static int exec_at_depth(const char *path, char *const argv[], char *const envp[], const char *execfn,
                         int depth)
{
    struct exec_image img;
    int err = read_image(path, &img);
    if (err)
        return err;
    if (img.size >= 2 && img.data[0] == '#' && img.data[1] == '!')
        err = exec_script(&img, path, argv, envp, execfn, depth);
    else
        err = exec_elf(&img, argv, envp, execfn);
    file_put(img.file);
    kfree(img.data);
    return err;
}

int process_execve(const char *path, char *const argv[], char *const envp[])
{
    if (!path[0])
        return -ENOENT;
    return exec_at_depth(path, argv, envp, path, 0);
}

/* A NULL-terminated vector of kernel copies of user strings. */
struct strvec {
    char **v;
    size_t n, cap;
};

static void strvec_free(struct strvec *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        kfree(sv->v[i]);
    kfree(sv->v);
}

static int strvec_push(struct strvec *sv, char *s)
{
    if (sv->n + 1 >= sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 16;
        char **v = kmalloc(cap * sizeof(char *));
        if (!v)
            return -ENOMEM;
        if (sv->n)
            memcpy(v, sv->v, sv->n * sizeof(char *));
        kfree(sv->v);
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
    return 0;
}

#define ARG_STRLEN_MAX (32 * 4096) /* one string, as Linux's MAX_ARG_STRLEN */

/* Copies one user string (at most ARG_STRLEN_MAX bytes with its NUL) into a fitting kmalloc block. */
static long copy_arg_string(const char *ustr, char **out, char *scratch)
{
    long len = strncpy_from_user(scratch, ustr, ARG_STRLEN_MAX);
    if (len == -ENAMETOOLONG)
        return -E2BIG;
    if (len < 0)
        return len;
    char *s = kmalloc((size_t)len + 1);
    if (!s)
        return -ENOMEM;
    memcpy(s, scratch, (size_t)len + 1);
    *out = s;
    return len;
}

/* Copies a user argv or envp (NULL counts as empty, as on Linux) while *budget bytes last. */
static int copy_strvec(const char *const *uvec, struct strvec *sv, size_t *budget, char *scratch)
{
    sv->v = kzalloc(sizeof(char *));
    sv->n = 0;
    sv->cap = 1;
    if (!sv->v)
        return -ENOMEM;
    for (size_t i = 0; uvec; i++) {
        const char *ustr;
        if (copy_from_user(&ustr, &uvec[i], sizeof(ustr)))
            return -EFAULT;
        if (!ustr)
            break;
        char *s;
        long len = copy_arg_string(ustr, &s, scratch);
        if (len < 0)
            return (int)len;
        if ((size_t)len + 1 + sizeof(char *) > *budget || strvec_push(sv, s)) {
            kfree(s);
            return (size_t)len + 1 + sizeof(char *) > *budget ? -E2BIG : -ENOMEM;
        }
        *budget -= (size_t)len + 1 + sizeof(char *);
    }
    return 0;
}

long proc_execve_user(const char *upath, const char *const *uargv, const char *const *uenvp)
{
    char *path = kmalloc(PATH_MAX);
    char *scratch = kmalloc(ARG_STRLEN_MAX);
    struct strvec argv = {0}, envp = {0};
    long err = path && scratch ? 0 : -ENOMEM;
    if (!err) {
        err = strncpy_from_user(path, upath, PATH_MAX);
        err = err < 0 ? err : 0;
    }
    size_t budget = USER_ARG_MAX;
    if (!err)
        err = copy_strvec(uargv, &argv, &budget, scratch);
    if (!err)
        err = copy_strvec(uenvp, &envp, &budget, scratch);
    kfree(scratch);
    if (!err)
        err = process_execve(path, argv.v, envp.v);
    strvec_free(&argv);
    strvec_free(&envp);
    kfree(path);
    return err;
}
