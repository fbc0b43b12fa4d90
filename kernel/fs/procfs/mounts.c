/* /proc/[pid]/mounts and /proc/[pid]/mountinfo: the mount table as process pid sees it (paths
 * from its root), in the layouts of Linux's fstab-like mounts and of mountinfo. */
#include <kestrel/kmalloc.h>
#include <kestrel/mount.h>
#include <kestrel/process.h>
#include <kestrel/vfs.h>
#include "internal.h"

/* Paths and sources go into space-separated fields: space, tab, newline and backslash are
 * written as octal escapes, as Linux does (getmntent and libmount undo them). */
static void put_escaped(struct pbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
            pb_printf(b, "\\%03o", (unsigned char)*s);
        else
            pb_putn(b, s, 1);
    }
}

/* The per-mount options, the same in both files. */
static void put_options(struct pbuf *b, const struct mount *m)
{
    pb_printf(b, "%s%s%s%s", m->sb->readonly ? "ro" : "rw", m->flags & MS_NOSUID ? ",nosuid" : "",
              m->flags & MS_NODEV ? ",nodev" : "", m->flags & MS_NOEXEC ? ",noexec" : "");
}

static const char *type_name(const struct mount *m)
{
    return m->sb->type ? m->sb->type->name : "none";
}

/* "source mountpoint type options 0 0" */
static void show_mount(struct pbuf *b, const struct mount *m, const char *target)
{
    put_escaped(b, m->source);
    pb_putn(b, " ", 1);
    put_escaped(b, target);
    pb_printf(b, " %s ", type_name(m));
    put_options(b, m);
    pb_printf(b, " 0 0\n");
}

/* "id parent major:minor root mountpoint options - type source super-options"; no optional
 * fields, every mount is private. The namespace root names itself as its parent. */
static void show_mountinfo(struct pbuf *b, const struct mount *m, const char *target, char *buf)
{
    char *root;
    if (mount_root_path(m, buf, PATH_MAX, &root))
        return; /* its root was removed: Linux would show "//deleted" */
    pb_printf(b, "%d %d %u:%u ", m->id, m->parent ? m->parent->id : m->id, vfs_major(m->sb->dev),
              vfs_minor(m->sb->dev));
    put_escaped(b, root);
    pb_putn(b, " ", 1);
    put_escaped(b, target);
    pb_putn(b, " ", 1);
    put_options(b, m);
    pb_printf(b, " - %s ", type_name(m));
    put_escaped(b, m->source);
    pb_printf(b, " %s\n", m->sb->readonly ? "ro" : "rw");
}

/* Every mount whose mountpoint process pid can name, from its root. */
static int show_all(struct pbuf *b, int pid, bool info)
{
    struct proc_snap s;
    int err = proc_snapshot(pid, SNAP_DIRS, &s);
    if (err)
        return err;
    char *target = kmalloc(PATH_MAX);
    char *buf = kmalloc(PATH_MAX);
    err = target && buf ? 0 : -ENOMEM;
    struct inode *root = s.root ? s.root : vfs_root();
    for (struct mount *m = mount_first(); m && !err; m = m->next) {
        char *start;
        if (mount_point_path(m, root, target, PATH_MAX, &start))
            continue; /* its mountpoint is gone from the tree, or outside pid's root */
        if (info)
            show_mountinfo(b, m, start, buf);
        else
            show_mount(b, m, start);
    }
    kfree(buf);
    kfree(target);
    proc_snap_release(&s);
    return err;
}

int proc_show_mounts(struct pbuf *b, int pid)
{
    return show_all(b, pid, false);
}

int proc_show_mountinfo(struct pbuf *b, int pid)
{
    return show_all(b, pid, true);
}
