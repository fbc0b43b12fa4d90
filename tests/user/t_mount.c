/* Syscall tests: mount(2) (new, bind, move, remount, private), umount2(2) (MNT_DETACH, MNT_EXPIRE),
 * statfs(2), fstatfs(2), chroot(2), sync(2), syncfs(2) and their errors, the path walk across
 * mount points and /proc/self/mountinfo. Runs as root; on the host it works in a private mount
 * namespace (where unshare exists), inside its scratch directory. Mount ids and devices differ
 * between the host and Kestrel: the checks compare them with each other, never print them. */
#include "check.h"
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#define TMPFS_MAGIC      0x01021994
#define PROC_SUPER_MAGIC 0x9fa0
#define PIPEFS_MAGIC     0x50495045
#define NOBODY           65534

static void private_namespace(void)
{
    /* Kestrel has one namespace and no unshare; Linux gets a private copy so nothing leaks. */
    if (unshare(CLONE_NEWNS) == 0)
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

static ino_t ino_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

static dev_t dev_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_dev : 0;
}

static void test_mount_errors(void)
{
    mkdir("m", 0755);
    close(open("file", O_CREAT | O_WRONLY, 0644));
    T_ERR("mount/unknown-type-enodev", mount("none", "m", "nosuchfs", 0, NULL), ENODEV);
    T_ERR("mount/missing-target-enoent", mount("none", "nosuchdir", "tmpfs", 0, NULL), ENOENT);
    T_ERR("mount/target-below-file-enotdir", mount("none", "file/x", "tmpfs", 0, NULL), ENOTDIR);
    T_ERR("mount/target-file-enotdir", mount("none", "file", "tmpfs", 0, NULL), ENOTDIR);
    T_ERR("mount/target-efault", mount("none", BAD_KERNEL, "tmpfs", 0, NULL), EFAULT);
    T_ERR("mount/remount-not-mountpoint-einval", mount(NULL, "m", NULL, MS_REMOUNT, NULL), EINVAL);
    T_ERR("umount2/not-mountpoint-einval", umount2("m", 0), EINVAL);
    T_ERR("umount2/bad-flags-einval", umount2("m", 0x100), EINVAL);
    T_ERR("umount2/missing-enoent", umount2("nosuchdir", 0), ENOENT);
}

static void test_crossing(void)
{
    dev_t here = dev_of(".");
    ino_t dir_ino = ino_of("m");
    T_OK("mount/tmpfs", mount("none", "m", "tmpfs", 0, NULL));
    T_TRUE("mount/new-dev", dev_of("m") != here);
    T_TRUE("mount/root-covers-dir", ino_of("m") != dir_ino || dev_of("m") != here);
    T_EQ("mount/dotdot-is-parent", ino_of("m/.."), ino_of("."));
    T_EQ("mount/dotdot-dev", dev_of("m/.."), here);
    int fd = open("m/f", O_CREAT | O_RDWR, 0644);
    T_TRUE("mount/create-inside", fd >= 0);
    T_EQ("mount/file-dev", dev_of("m/f"), dev_of("m"));
    struct statfs sf;
    T_OK("statfs/tmpfs", statfs("m/f", &sf));
    T_EQ("statfs/tmpfs-magic", sf.f_type, TMPFS_MAGIC);
    T_EQ("statfs/tmpfs-namelen", sf.f_namelen, 255);
    T_TRUE("statfs/tmpfs-blocks", sf.f_blocks > 0 && sf.f_bfree <= sf.f_blocks);
    T_OK("fstatfs/tmpfs", fstatfs(fd, &sf));
    T_EQ("fstatfs/tmpfs-magic", sf.f_type, TMPFS_MAGIC);
    T_ERR("umount2/open-file-ebusy", umount2("m", 0), EBUSY);
    T_OK("syncfs/ok", syscall(SYS_syncfs, fd));
    T_EQ("mount/write-inside", write(fd, "data", 4), 4);
    /* A mapping keeps the file open after close: still busy (a regression: it used to pass the
     * check and make tmpfs find a referenced inode at unmount). */
    void *map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    T_TRUE("mount/mmap-inside", map != MAP_FAILED);
    close(fd);
    T_ERR("umount2/mapped-file-ebusy", umount2("m", 0), EBUSY);
    munmap(map, 4096);
    mkdir("m/sub", 0755);
    T_OK("mount/nested", mount("none", "m/sub", "tmpfs", 0, NULL));
    T_ERR("umount2/mount-below-ebusy", umount2("m", 0), EBUSY);
    T_ERR("rmdir/mountpoint-ebusy", rmdir("m/sub"), EBUSY);
    T_OK("umount2/nested", umount2("m/sub", 0));
    T_ERR("umount2/twice-einval", umount2("m/sub", 0), EINVAL);
    T_OK("chdir/into-mount", chdir("m"));
    T_ERR("umount2/cwd-inside-ebusy", umount2("../m", 0), EBUSY);
    T_OK("chdir/back", chdir(".."));
    T_OK("umount2/tmpfs", umount2("m", 0));
    T_EQ("umount2/dir-back", dev_of("m"), here);
    T_ERR("umount2/file-gone", access("m/f", F_OK), ENOENT);
}

static void test_readonly(void)
{
    T_OK("mount/for-ro", mount("none", "m", "tmpfs", 0, NULL));
    close(open("m/f", O_CREAT | O_WRONLY, 0644));
    mkdir("m/d", 0755);
    T_OK("mount/remount-ro", mount(NULL, "m", NULL, MS_REMOUNT | MS_RDONLY, NULL));
    struct statfs sf;
    T_OK("statfs/ro", statfs("m", &sf));
    T_TRUE("statfs/ro-flag", (sf.f_flags & ST_RDONLY) != 0);
    T_ERR("ro/creat-erofs", open("m/g", O_CREAT | O_WRONLY, 0644), EROFS);
    T_ERR("ro/open-write-erofs", open("m/f", O_WRONLY), EROFS);
    int fd = open("m/f", O_RDONLY);
    T_TRUE("ro/open-read", fd >= 0);
    close(fd);
    T_ERR("ro/mkdir-erofs", mkdir("m/e", 0755), EROFS);
    T_ERR("ro/mkdir-existing-eexist", mkdir("m/d", 0755), EEXIST);
    T_ERR("ro/unlink-erofs", unlink("m/f"), EROFS);
    T_ERR("ro/rmdir-erofs", rmdir("m/d"), EROFS);
    T_ERR("ro/rename-erofs", rename("m/f", "m/h"), EROFS);
    T_ERR("ro/chmod-erofs", chmod("m/f", 0600), EROFS);
    T_ERR("ro/truncate-erofs", truncate("m/f", 0), EROFS);
    T_ERR("ro/symlink-erofs", symlink("f", "m/l"), EROFS);
    T_OK("mount/remount-rw", mount(NULL, "m", NULL, MS_REMOUNT, NULL));
    T_OK("rw/unlink", unlink("m/f"));
    T_OK("umount2/ro-test", umount2("m", 0));
}

static char here_path[256]; /* the test's directory, absolute */

/* One line of /proc/self/mountinfo. */
struct minfo {
    int id, parent;
    unsigned major, minor;
    char root[256], point[256], opts[128], type[32], source[128], super[128];
};

static int parse_minfo(const char *line, struct minfo *mi)
{
    const char *sep = strstr(line, " - ");
    if (!sep || sscanf(line, "%d %d %u:%u %255s %255s %127s", &mi->id, &mi->parent, &mi->major, &mi->minor,
                       mi->root, mi->point, mi->opts) != 7)
        return -1;
    return sscanf(sep + 3, "%31s %127s %127s", mi->type, mi->source, mi->super) == 3 ? 0 : -1;
}

/* The mountinfo line of the mount on name (in the test's directory), the last one: the top of a
 * stack. With name NULL, the mount the test's directory is in (the longest mount point above
 * it). 0 when found; -1 when not, or when a line does not parse. */
static int find_minfo(const char *name, struct minfo *out)
{
    char want[300];
    snprintf(want, sizeof(want), "%s/%s", here_path, name ? name : "");
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f)
        return -1;
    char line[1024];
    size_t best = 0;
    int found = -1;
    struct minfo mi;
    while (fgets(line, sizeof(line), f)) {
        if (parse_minfo(line, &mi)) {
            found = -1;
            break;
        }
        size_t n = strlen(mi.point);
        bool above = strncmp(mi.point, want, n) == 0 && (n == 1 || want[n] == '/');
        if (name ? strcmp(mi.point, want) == 0 : above && n >= best) {
            best = n;
            *out = mi;
            found = 0;
        }
    }
    fclose(f);
    return found;
}

/* Whether /proc/self/mounts has a line for the mount on name in the test's directory. */
static bool mounts_has(const char *name)
{
    char want[300], line[1024], point[256];
    snprintf(want, sizeof(want), "%s/%s", here_path, name);
    FILE *f = fopen("/proc/self/mounts", "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f))
        found = sscanf(line, "%*s %255s", point) == 1 && strcmp(point, want) == 0;
    if (f)
        fclose(f);
    return found;
}

static bool minfo_dev_is(const struct minfo *mi, const char *path)
{
    dev_t d = dev_of(path);
    return mi->major == major(d) && mi->minor == minor(d);
}

static bool ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), m = strlen(end);
    return n >= m && strcmp(s + n - m, end) == 0;
}

static int read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return (int)n;
}

static void write_text(const char *path, const char *text)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0)
            perror(path);
        close(fd);
    }
}

static bool text_is(const char *path, const char *want)
{
    char buf[64];
    return read_text(path, buf, sizeof(buf)) >= 0 && strcmp(buf, want) == 0;
}

static void test_mountinfo(void)
{
    struct minfo top, m, sub;
    T_OK("mountinfo/parses", find_minfo(NULL, &top));
    T_OK("mount/for-info", mount("none", "m", "tmpfs", 0, NULL));
    mkdir("m/sub", 0755);
    T_OK("mount/for-info-sub", mount("none", "m/sub", "tmpfs", MS_NOSUID | MS_NODEV, NULL));
    T_OK("mountinfo/m", find_minfo("m", &m));
    T_OK("mountinfo/sub", find_minfo("m/sub", &sub));
    T_EQ("mountinfo/parent", m.parent, top.id);
    T_EQ("mountinfo/nested-parent", sub.parent, m.id);
    T_TRUE("mountinfo/ids-differ", m.id != sub.id && m.id != top.id);
    T_TRUE("mountinfo/dev", minfo_dev_is(&m, "m") && minfo_dev_is(&sub, "m/sub"));
    T_TRUE("mountinfo/root", strcmp(m.root, "/") == 0);
    T_TRUE("mountinfo/type", strcmp(m.type, "tmpfs") == 0 && strcmp(m.source, "none") == 0);
    T_TRUE("mountinfo/opts-rw", strncmp(m.opts, "rw", 2) == 0 && strncmp(m.super, "rw", 2) == 0);
    T_TRUE("mountinfo/opts-nosuid", strstr(sub.opts, "nosuid") && strstr(sub.opts, "nodev"));
    T_OK("mount/info-remount-ro", mount(NULL, "m", NULL, MS_REMOUNT | MS_RDONLY, NULL));
    T_OK("mountinfo/m-again", find_minfo("m", &m));
    T_TRUE("mountinfo/opts-ro", strncmp(m.opts, "ro", 2) == 0 && strncmp(m.super, "ro", 2) == 0);
    /* Fields are space-separated: a space in a path comes out as \040, in both files. */
    mkdir("sp ace", 0755);
    struct minfo sp;
    T_OK("mount/space", mount("none", "sp ace", "tmpfs", 0, NULL));
    T_OK("mountinfo/space-escaped", find_minfo("sp\\040ace", &sp));
    T_TRUE("mounts/space-escaped", mounts_has("sp\\040ace"));
    T_OK("umount2/space", umount2("sp ace", 0));
    T_TRUE("mounts/lists-m", mounts_has("m"));
    T_OK("umount2/info-sub", umount2("m/sub", 0));
    T_EQ("mountinfo/sub-gone", find_minfo("m/sub", &sub), -1);
    T_OK("umount2/info", umount2("m", 0));
    T_EQ("mountinfo/m-gone", find_minfo("m", &m), -1);
}

/* Every mount in Kestrel is private: making one private or a slave (of nothing) holds. */
static void test_propagation(void)
{
    T_ERR("private/not-mountpoint-einval", mount(NULL, "m", NULL, MS_PRIVATE, NULL), EINVAL);
    T_ERR("private/missing-enoent", mount(NULL, "nosuch", NULL, MS_PRIVATE, NULL), ENOENT);
    T_OK("private/mount", mount("none", "m", "tmpfs", 0, NULL));
    T_OK("private/ok", mount(NULL, "m", NULL, MS_PRIVATE, NULL));
    T_OK("private/rec", mount(NULL, "m", NULL, MS_PRIVATE | MS_REC, NULL));
    T_OK("slave/ok", mount(NULL, "m", NULL, MS_SLAVE, NULL));
    T_ERR("private/two-types-einval", mount(NULL, "m", NULL, MS_PRIVATE | MS_SLAVE, NULL), EINVAL);
    T_ERR("private/other-flag-einval", mount(NULL, "m", NULL, MS_PRIVATE | MS_NOSUID, NULL), EINVAL);
    T_OK("umount2/private", umount2("m", 0));
}

static void test_bind(void)
{
    mkdir("src", 0755);
    mkdir("b", 0755);
    write_text("src/f", "hello");
    T_ERR("bind/no-source-einval", mount(NULL, "b", NULL, MS_BIND, NULL), EINVAL);
    T_ERR("bind/empty-source-einval", mount("", "b", NULL, MS_BIND, NULL), EINVAL);
    T_ERR("bind/missing-source-enoent", mount("nosuch", "b", NULL, MS_BIND, NULL), ENOENT);
    /* A bind's source is a path, longer than any device name (a regression: 64 bytes at most). */
    char longsrc[400];
    snprintf(longsrc, sizeof(longsrc), "%s/./././././././././././././././././././././././src", here_path);
    T_OK("bind/long-source", mount(longsrc, "b", NULL, MS_BIND, NULL));
    T_OK("umount2/long-source", umount2("b", 0));
    T_ERR("bind/missing-target-enoent", mount("src", "nosuch", NULL, MS_BIND, NULL), ENOENT);
    T_ERR("bind/file-on-dir-enotdir", mount("file", "b", NULL, MS_BIND, NULL), ENOTDIR);
    T_ERR("bind/dir-on-file-enotdir", mount("src", "file", NULL, MS_BIND, NULL), ENOTDIR);
    T_OK("bind/dir", mount("src", "b", NULL, MS_BIND, NULL));
    T_EQ("bind/same-inode", ino_of("b"), ino_of("src"));
    T_EQ("bind/same-dev", dev_of("b"), dev_of("src"));
    T_TRUE("bind/reads-through", text_is("b/f", "hello"));
    write_text("b/g", "written");
    T_TRUE("bind/writes-seen", text_is("src/g", "written"));
    T_OK("bind/unlink-through", unlink("src/g"));
    T_ERR("bind/unlink-seen", access("b/g", F_OK), ENOENT);
    T_EQ("bind/dotdot", ino_of("b/.."), ino_of("."));
    T_ERR("bind/rmdir-mountpoint-ebusy", rmdir("b"), EBUSY);
    struct minfo top, b;
    T_OK("bind/mountinfo", find_minfo("b", &b));
    T_OK("bind/mountinfo-top", find_minfo(NULL, &top));
    T_TRUE("bind/mountinfo-root", ends_with(b.root, "/t_mount.d/src"));
    T_EQ("bind/mountinfo-parent", b.parent, top.id);
    T_TRUE("bind/mountinfo-dev", minfo_dev_is(&b, "b"));
    T_TRUE("bind/mountinfo-type", strcmp(b.type, top.type) == 0 && strcmp(b.source, top.source) == 0);
    T_TRUE("bind/mounts", mounts_has("b"));
    T_OK("umount2/bind", umount2("b", 0));
    T_ERR("umount2/bind-gone", access("b/f", F_OK), ENOENT);
    T_TRUE("umount2/bind-source-stays", text_is("src/f", "hello"));
    T_OK("bind/rec", mount("src", "b", NULL, MS_BIND | MS_REC, NULL));
    T_TRUE("bind/rec-reads", text_is("b/f", "hello"));
    T_OK("umount2/bind-rec", umount2("b", 0));
    /* A mount below the bound directory keeps its own place in mountinfo and getcwd (a
     * regression: paths climbed through the bind, the newest mount of that directory). */
    mkdir("outer", 0755);
    mkdir("outer/in", 0755);
    T_OK("bind/nested-mount", mount("none", "outer/in", "tmpfs", 0, NULL));
    T_OK("bind/outer", mount("outer", "b", NULL, MS_BIND, NULL));
    struct minfo in;
    T_OK("bind/nested-mountinfo", find_minfo("outer/in", &in));
    T_TRUE("bind/nested-mounts", mounts_has("outer/in") && !mounts_has("b/in"));
    char cwd[300];
    T_OK("bind/nested-chdir", chdir("outer/in"));
    T_TRUE("bind/nested-getcwd", getcwd(cwd, sizeof(cwd)) && ends_with(cwd, "/t_mount.d/outer/in"));
    T_OK("bind/nested-chdir-back", chdir(here_path));
    T_OK("umount2/outer", umount2("b", 0));
    T_OK("umount2/nested", umount2("outer/in", 0));
    /* A directory bound onto itself: a mount point that shows what was there. */
    T_OK("bind/onto-itself", mount("src", "src", NULL, MS_BIND, NULL));
    T_TRUE("bind/onto-itself-reads", text_is("src/f", "hello"));
    T_EQ("bind/onto-itself-dotdot", ino_of("src/.."), ino_of("."));
    T_OK("umount2/onto-itself", umount2("src", 0));
    T_ERR("umount2/onto-itself-twice", umount2("src", 0), EINVAL);
}

static void test_bind_mounts(void)
{
    /* The root of a mount bound elsewhere: one filesystem, two mounts. */
    T_OK("bind/tmpfs", mount("none", "m", "tmpfs", 0, NULL));
    write_text("m/f", "tmp");
    int fd = open("m/f", O_RDONLY);
    T_OK("bind/mount-root", mount("m", "b", NULL, MS_BIND, NULL));
    T_EQ("bind/mount-root-dev", dev_of("b"), dev_of("m"));
    struct minfo m, b;
    T_TRUE("bind/mount-root-info", find_minfo("m", &m) == 0 && find_minfo("b", &b) == 0);
    T_TRUE("bind/mount-root-info-root", strcmp(b.root, "/") == 0 && strcmp(b.type, "tmpfs") == 0);
    T_TRUE("bind/mount-root-info-dev", m.major == b.major && m.minor == b.minor && m.id != b.id);
    /* The file was opened through m: unmounting b leaves it alone, unmounting m is busy. */
    T_OK("umount2/other-mount-of-busy-fs", umount2("b", 0));
    T_ERR("umount2/last-mount-busy", umount2("m", 0), EBUSY);
    T_OK("bind/mount-root-again", mount("m", "b", NULL, MS_BIND, NULL));
    close(fd);
    T_OK("umount2/first-of-two", umount2("m", 0));
    T_TRUE("umount2/fs-lives-on", text_is("b/f", "tmp"));
    T_OK("umount2/second-of-two", umount2("b", 0));
    /* A file bound onto a file. */
    write_text("ff", "one");
    write_text("tf", "two");
    T_OK("bind/file", mount("ff", "tf", NULL, MS_BIND, NULL));
    T_TRUE("bind/file-reads", text_is("tf", "one"));
    T_EQ("bind/file-inode", ino_of("tf"), ino_of("ff"));
    T_ERR("bind/file-unlink-ebusy", unlink("tf"), EBUSY);
    struct minfo tf;
    T_OK("bind/file-mountinfo", find_minfo("tf", &tf));
    T_TRUE("bind/file-mountinfo-root", ends_with(tf.root, "/t_mount.d/ff"));
    T_OK("umount2/file", umount2("tf", 0));
    T_TRUE("umount2/file-back", text_is("tf", "two"));
}

static void test_move(void)
{
    T_ERR("move/no-source-einval", mount(NULL, "b", NULL, MS_MOVE, NULL), EINVAL);
    T_ERR("move/missing-source-enoent", mount("nosuch", "b", NULL, MS_MOVE, NULL), ENOENT);
    T_ERR("move/not-mountpoint-einval", mount("src", "b", NULL, MS_MOVE, NULL), EINVAL);
    T_OK("move/mount", mount("none", "m", "tmpfs", 0, NULL));
    write_text("m/x", "x");
    mkdir("m/sub", 0755);
    T_ERR("move/under-itself-eloop", mount("m", "m/sub", NULL, MS_MOVE, NULL), ELOOP);
    T_ERR("move/onto-itself-eloop", mount("m", "m", NULL, MS_MOVE, NULL), ELOOP);
    T_ERR("move/onto-file-einval", mount("m", "file", NULL, MS_MOVE, NULL), EINVAL);
    T_OK("move/submount", mount("none", "m/sub", "tmpfs", 0, NULL));
    write_text("m/sub/y", "y");
    struct minfo before, after, sub;
    find_minfo("m", &before);
    T_OK("move/ok", mount("m", "b", NULL, MS_MOVE, NULL));
    T_TRUE("move/seen-there", text_is("b/x", "x") && text_is("b/sub/y", "y"));
    T_ERR("move/gone-here", access("m/x", F_OK), ENOENT);
    T_EQ("move/uncovered", dev_of("m"), dev_of("."));
    T_ERR("move/old-place-einval", umount2("m", 0), EINVAL);
    T_TRUE("move/mountinfo", find_minfo("b", &after) == 0 && find_minfo("b/sub", &sub) == 0);
    T_EQ("move/mountinfo-same-id", after.id, before.id);
    T_EQ("move/mountinfo-sub-parent", sub.parent, after.id);
    T_EQ("move/mountinfo-old-gone", find_minfo("m", &before), -1);
    T_ERR("umount2/moved-has-submount", umount2("b", 0), EBUSY);
    T_OK("umount2/moved-sub", umount2("b/sub", 0));
    T_OK("umount2/moved", umount2("b", 0));
}

static void test_umount_flags(void)
{
    T_ERR("umount2/detach-not-mountpoint-einval", umount2("m", MNT_DETACH), EINVAL);
    T_ERR("umount2/expire-not-mountpoint-einval", umount2("m", MNT_EXPIRE), EINVAL);
    T_OK("expire/mount", mount("none", "m", "tmpfs", 0, NULL));
    T_ERR("umount2/expire-detach-einval", umount2("m", MNT_EXPIRE | MNT_DETACH), EINVAL);
    T_ERR("umount2/expire-force-einval", umount2("m", MNT_EXPIRE | MNT_FORCE), EINVAL);
    T_ERR("umount2/expire-first-eagain", umount2("m", MNT_EXPIRE), EAGAIN);
    int fd = open("m/f", O_CREAT | O_RDWR, 0644);
    T_ERR("umount2/expire-busy-ebusy", umount2("m", MNT_EXPIRE), EBUSY);
    T_ERR("umount2/force-busy-ebusy", umount2("m", MNT_FORCE), EBUSY);
    close(fd);
    /* The open cleared the mark: asked twice more, without use in between. */
    T_ERR("umount2/expire-used-eagain", umount2("m", MNT_EXPIRE), EAGAIN);
    T_EQ("expire/stat-uses", dev_of("m/f") != 0, 1); /* a path into it is a use too */
    T_ERR("umount2/expire-stat-eagain", umount2("m", MNT_EXPIRE), EAGAIN);
    T_OK("umount2/expire-second", umount2("m", MNT_EXPIRE));
    T_EQ("umount2/expire-gone", dev_of("m"), dev_of("."));

    /* Lazy: gone from the namespace at once, alive for the open file. */
    T_OK("detach/mount", mount("none", "m", "tmpfs", 0, NULL));
    write_text("m/f", "kept");
    fd = open("m/f", O_RDWR);
    T_OK("umount2/detach-busy", umount2("m", MNT_DETACH));
    T_EQ("detach/uncovered", dev_of("m"), dev_of("."));
    T_ERR("detach/name-gone", access("m/f", F_OK), ENOENT);
    struct minfo mi;
    T_EQ("detach/mountinfo-gone", find_minfo("m", &mi), -1);
    char buf[16] = {0};
    T_EQ("detach/read-open-file", pread(fd, buf, sizeof(buf) - 1, 0), 4);
    T_EQ("detach/write-open-file", pwrite(fd, "more", 4, 4), 4);
    struct statfs sf;
    T_OK("detach/fstatfs", fstatfs(fd, &sf));
    T_EQ("detach/fstatfs-magic", sf.f_type, TMPFS_MAGIC);
    close(fd);

    /* Lazy with the cwd inside and a mount below: both leave, the cwd keeps its filesystem. */
    T_OK("detach/mount2", mount("none", "m", "tmpfs", 0, NULL));
    mkdir("m/sub", 0755);
    T_OK("detach/submount", mount("none", "m/sub", "tmpfs", 0, NULL));
    write_text("m/sub/z", "z");
    write_text("m/w", "w");
    dev_t inner = dev_of("m");
    T_OK("detach/chdir-in", chdir("m"));
    T_ERR("umount2/cwd-inside-ebusy2", umount2("../m", 0), EBUSY);
    T_OK("umount2/detach-tree", umount2("../m", MNT_DETACH));
    T_TRUE("detach/cwd-works", text_is("w", "w"));
    T_EQ("detach/cwd-dev", dev_of("."), inner);
    T_ERR("detach/submount-gone", access("sub/z", F_OK), ENOENT);
    T_EQ("detach/dotdot-stays", ino_of(".."), ino_of("."));
    /* Nothing joins a detached tree, and nothing leaves it (a regression: a mount in it made its
     * release find an inode still in use). */
    T_ERR("detach/mount-inside-enoent", mount("none", "sub", "tmpfs", 0, NULL), ENOENT);
    T_ERR("detach/bind-inside-enoent", mount(here_path, "sub", NULL, MS_BIND, NULL), ENOENT);
    char target[300];
    snprintf(target, sizeof(target), "%s/b", here_path);
    T_ERR("detach/bind-out-einval", mount(".", target, NULL, MS_BIND, NULL), EINVAL);
    T_OK("detach/chdir-out", chdir(here_path));
    T_EQ("detach/tree-uncovered", dev_of("m"), dev_of("."));
    T_EQ("detach/submount-mountinfo-gone", find_minfo("m/sub", &mi), -1);
}

static void test_statfs_errors(void)
{
    struct statfs sf;
    T_ERR("statfs/enoent", statfs("nosuchfile", &sf), ENOENT);
    T_ERR("statfs/enotdir", statfs("file/x", &sf), ENOTDIR);
    T_ERR("statfs/path-efault", syscall(SYS_statfs, BAD_KERNEL, &sf), EFAULT);
    T_ERR("statfs/buf-efault", syscall(SYS_statfs, ".", BAD_KERNEL), EFAULT); /* musl clears buf first */
    T_ERR("fstatfs/ebadf", fstatfs(-1, &sf), EBADF);
    T_ERR("syncfs/ebadf", syscall(SYS_syncfs, -1), EBADF);
    T_OK("statfs/proc", statfs("/proc", &sf));
    T_EQ("statfs/proc-magic", sf.f_type, PROC_SUPER_MAGIC);
    int p[2];
    if (pipe(p) == 0) { /* a regression: a pipe's filesystem is mounted nowhere */
        T_OK("fstatfs/pipe", fstatfs(p[0], &sf));
        T_EQ("fstatfs/pipe-magic", sf.f_type, PIPEFS_MAGIC);
        close(p[0]);
        close(p[1]);
    }
    sync();
}

static void as_nobody(void *arg)
{
    (void)arg;
    if (setuid(NOBODY) != 0)
        return;
    T_ERR("mount/nonroot-eperm", mount("none", "m", "tmpfs", 0, NULL), EPERM);
    T_ERR("umount2/nonroot-eperm", umount2("m", 0), EPERM);
    T_ERR("chroot/nonroot-eperm", chroot("m"), EPERM);
}

/* The mount points in a mountinfo text, space-separated (the fifth field of each line). */
static void mount_points(const char *text, char *out, size_t size)
{
    out[0] = '\0';
    for (const char *line = text; *line;) {
        struct minfo mi;
        if (parse_minfo(line, &mi) == 0 && strlen(out) + strlen(mi.point) + 2 < size)
            strcat(strcat(out, out[0] ? " " : ""), mi.point);
        const char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : line + strlen(line);
    }
}

static void in_chroot(void *arg)
{
    (void)arg;
    T_ERR("chroot/file-enotdir", chroot("file"), ENOTDIR);
    T_ERR("chroot/missing-enoent", chroot("nosuchdir"), ENOENT);
    T_OK("chroot/ok", chroot("m"));
    T_OK("chroot/chdir-root", chdir("/"));
    T_OK("chroot/sees-inside", access("/inside", F_OK));
    T_EQ("chroot/dotdot-stops", ino_of("/.."), ino_of("/"));
    char buf[64];
    T_TRUE("chroot/getcwd", getcwd(buf, sizeof(buf)) && strcmp(buf, "/") == 0);
    /* Only the mounts inside the new root show, from there; the ones above it are left out. */
    char text[8192], points[256];
    T_TRUE("chroot/mountinfo-read", read_text("/proc/self/mountinfo", text, sizeof(text)) > 0);
    mount_points(text, points, sizeof(points));
    T_TRUE("chroot/mountinfo", strcmp(points, "/inner /proc") == 0);
}

int main(void)
{
    check_init();
    private_namespace();
    /* Its own directory: in Kestrel the test programs share /tmp. */
    mkdir("t_mount.d", 0755);
    if (chdir("t_mount.d") != 0 || !getcwd(here_path, sizeof(here_path)))
        return 1;
    test_mount_errors();
    test_crossing();
    test_readonly();
    test_mountinfo();
    test_propagation();
    test_bind();
    test_bind_mounts();
    test_move();
    test_umount_flags();
    test_statfs_errors();
    T_EQ("nobody/child", run_child(as_nobody, NULL), 0);
    close(open("m/inside", O_CREAT | O_WRONLY, 0644));
    mkdir("m/inner", 0755);
    mkdir("m/proc", 0755);
    T_OK("mount/inner", mount("none", "m/inner", "tmpfs", 0, NULL));
    T_OK("mount/proc", mount("proc", "m/proc", "proc", 0, NULL));
    T_EQ("chroot/child", run_child(in_chroot, NULL), 0);
    T_OK("umount2/proc", umount2("m/proc", 0));
    T_OK("umount2/inner", umount2("m/inner", 0));
    return check_done("t_mount");
}
