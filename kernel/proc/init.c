/* Bringing user space up: the system-call MSRs at boot, then the root filesystem (a tmpfs holding the
 * initramfs the boot loader passed as the first module) and pid 1, started like Linux starts init:
 * the init= path (default /init, then the usual fallbacks) with the console on fds 0, 1 and 2, the
 * command line's "key=value" words as its environment and the words after "--" as its arguments. */
#include "internal.h"
#include <kestrel/blkdev.h>
#include <kestrel/bootinfo.h>
#include <kestrel/chardev.h>
#include <kestrel/cmdline.h>
#include <kestrel/file.h>
#include <kestrel/initramfs.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/mount.h>
#include <kestrel/procfs.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>
#include <kestrel/string.h>
#include <kestrel/tmpfs.h>
#include <kestrel/vfs.h>

#define INIT_MAX_WORDS 32

void proc_init(void)
{
    syscall_init();
}

/* Whose permissions the VFS checks: the calling process's (kernel threads have none: root). */
static const struct cred *process_cred(void)
{
    struct process *p = current_process();
    return p ? &p->cred : NULL;
}

/* A filesystem on the disk the root= parameter names (/dev/vda1, sda1), of the type rootfstype=
 * names or else the first disk filesystem type that recognises it, as Linux tries them. */
static int mount_disk_root(const char *root, struct super_block **out)
{
    struct block_device *bd = block_find(root);
    if (!bd) {
        pr_err("init: root=%s: no such block device\n", root);
        return -ENODEV;
    }
    unsigned long flags = cmdline_get("ro") ? MS_RDONLY : 0;
    const char *want = cmdline_get("rootfstype");
    int err = -EINVAL;
    for (struct fs_type *t = fs_type_first(); t; t = t->next) {
        if (!t->needs_device || (want && strcmp(t->name, want) != 0))
            continue;
        err = t->mount(bd, flags, NULL, out);
        if (!err) {
            (*out)->type = t;
            pr_info("init: root: %s on %s%s\n", t->name, root, flags ? " (read-only)" : "");
            return mount_set_root(*out, root, flags);
        }
    }
    pr_err("init: root=%s: no filesystem type could mount it (error %d)\n", root, err);
    return err;
}

static int mount_tmpfs_root(struct super_block **out)
{
    if (boot_info.nmodules == 0)
        return -ENOENT; /* an empty tmpfs holds no init */
    struct fs_type *tmpfs = fs_type_find("tmpfs");
    int err = tmpfs->mount(NULL, 0, NULL, out);
    if (err)
        return err;
    (*out)->type = tmpfs;
    return mount_set_root(*out, "tmpfs", 0); /* not "rootfs": df and mount skip that name */
}

/* /dev on a tmpfs root is a directory of that tmpfs, filled here. A disk root gets a devtmpfs
 * mounted over its /dev instead, so device nodes never go to the disk (Linux's devtmpfs.mount). */
static int dev_setup(bool disk_root)
{
    struct inode *dev;
    chardev_init_builtin();
    /* Nothing else runs yet (the write-back thread starts after), but the lookups go through the
     * dentry cache, which the VFS lock protects like everything else there. */
    vfs_lock();
    int err = vfs_lookup(NULL, "/dev", 0, &dev);
    if (err == -ENOENT && !disk_root) {
        vfs_mkdir(NULL, "/dev", 0755);
        err = vfs_lookup(NULL, "/dev", 0, &dev);
    }
    if (err) {
        vfs_unlock();
        return err;
    }
    if (disk_root) {
        struct fs_type *t = fs_type_find("devtmpfs");
        struct super_block *sb;
        err = t->mount(NULL, 0, NULL, &sb);
        if (!err) {
            sb->type = t;
            err = mount_add(sb, dev, "devtmpfs", 0);
        }
    } else {
        err = devfs_populate(dev);
    }
    inode_put(dev);
    vfs_unlock();
    return err;
}

/* The root filesystem: the disk root= names, or a tmpfs holding the initramfs. When the disk
 * cannot be mounted (no such disk: the ISO booted without one) and there is an initramfs, the
 * tmpfs root serves instead. On a disk root the initramfs is unpacked only with initramfs=onto-root
 * (tools/krun brings its files that way); otherwise it would overwrite the disk's own /init, /etc...
 * at every boot. Then /dev is populated. */
static int root_setup(struct inode **out)
{
    tmpfs_register();
    procfs_register();
    const char *root = cmdline_get("root");
    struct super_block *sb;
    int err = root ? mount_disk_root(root, &sb) : -ENOENT;
    bool disk_root = !err;
    if (root && err && boot_info.nmodules > 0)
        pr_warn("init: root=%s unusable (error %d): running from the initramfs in RAM\n", root, err);
    if (!disk_root)
        err = mount_tmpfs_root(&sb);
    if (err)
        return err;
    vfs_set_root(sb->root);
    vfs_set_clock(vfs_realtime_clock);
    vfs_set_cred_source(process_cred);
    const char *initramfs = cmdline_get("initramfs");
    bool unpack = !disk_root || (initramfs && strcmp(initramfs, "onto-root") == 0);
    if (boot_info.nmodules > 0 && unpack) {
        const struct boot_module *m = &boot_info.modules[0];
        err = initramfs_unpack(sb->root, phys_to_virt(m->start), m->end - m->start);
        if (err)
            pr_warn("init: initramfs: error %d (unpacked what it could)\n", err);
    }
    err = dev_setup(disk_root);
    if (err)
        pr_warn("init: /dev: error %d\n", err);
    writeback_start();
    *out = sb->root;
    return 0;
}

/* fds 0, 1 and 2 on /dev/console, as Linux gives init. Without a console init starts with none. */
static void open_console(struct process *p)
{
    struct file *f;
    vfs_lock();
    int err = vfs_open(NULL, "/dev/console", O_RDWR, 0, &f);
    vfs_unlock();
    if (err) {
        pr_warn("init: cannot open /dev/console: error %d\n", err);
        return;
    }
    for (int fd = 0; fd < 3; fd++)
        fd_install(p->files, fd ? vfs_file_get(f) : f, fd, FILES_DEFAULT_LIMIT, false);
}

struct init_args {
    const char *paths[6]; /* candidates, tried in order; NULL-terminated */
    char *argv[INIT_MAX_WORDS + 2];
    char *envp[INIT_MAX_WORDS + 3];
    char words[1024]; /* the command line, split in place */
};

/* Splits the command line: "key=value" words (but init=) go to the environment, words after "--" to
 * the arguments; argv[0] stays free for the path. */
static void split_cmdline(struct init_args *a)
{
    strlcpy(a->words, cmdline_raw(), sizeof(a->words));
    size_t argc = 1, envc = 0;
    a->envp[envc++] = "HOME=/";
    a->envp[envc++] = "TERM=linux";
    bool after_dashes = false;
    char *w = a->words;
    while (*w) {
        while (*w == ' ')
            *w++ = '\0';
        if (!*w)
            break;
        char *word = w;
        while (*w && *w != ' ')
            w++;
        if (*w)
            *w++ = '\0';
        if (after_dashes) {
            if (argc < INIT_MAX_WORDS)
                a->argv[argc++] = word;
        } else if (strcmp(word, "--") == 0) {
            after_dashes = true;
        } else if (strchr(word, '=') && strncmp(word, "init=", 5) != 0 && envc < INIT_MAX_WORDS + 2) {
            a->envp[envc++] = word;
        }
    }
    a->argv[argc] = NULL;
    a->envp[envc] = NULL;
}

/* Runs in pid 1's thread: the first path that execs wins. */
static int init_exec(void *arg)
{
    struct init_args *a = arg;
    int err = -ENOENT;
    for (int i = 0; a->paths[i]; i++) {
        a->argv[0] = (char *)a->paths[i];
        err = process_execve(a->paths[i], a->argv, a->envp);
        if (err == 0) {
            pr_info("init: started %s as pid 1\n", a->paths[i]);
            break;
        }
        pr_warn("init: cannot run %s: error %d\n", a->paths[i], err);
    }
    /* The frame now points at the new program, whose strings were copied to its stack. */
    kfree(a);
    return err;
}

int proc_start_init(const char *path)
{
    struct inode *root;
    int err = root_setup(&root);
    if (err) {
        pr_info("init: no initramfs module: no user space (error %d)\n", err);
        return err;
    }
    struct init_args *a = kzalloc(sizeof(*a));
    struct process *p = process_alloc();
    struct files *files = files_create();
    if (!a || !p || !files) {
        kfree(a);
        if (p)
            process_discard(p);
        if (files)
            files_put(files);
        return -ENOMEM;
    }
    const char *want = cmdline_get("init");
    a->paths[0] = want && *want ? want : path;
    const char *fallbacks[] = {"/sbin/init", "/etc/init", "/bin/init", "/bin/sh"};
    for (size_t i = 0; i < ARRAY_SIZE(fallbacks); i++)
        a->paths[i + 1] = fallbacks[i];
    split_cmdline(a);

    strlcpy(p->comm, "init", sizeof(p->comm));
    p->fs.cwd = inode_get(root);
    p->fs.root = inode_get(root);
    p->files = files;
    err = process_register(p, NULL);
    if (!err && p->pid != 1)
        panic("init: got pid %d, not 1", p->pid);
    if (!err) {
        init_process = p;
        open_console(p);
        err = user_thread_start_setup(p, init_exec, a);
    }
    if (err)
        panic("init: cannot start the first process: error %d", err);
    return 0;
}
