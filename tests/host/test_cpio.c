/* Host tests for the initramfs unpacker: archives built here entry by entry (every file type,
 * attributes, hard links in both conventions, concatenation), every kind of malformed input (each
 * one in a buffer of exactly its size, so AddressSanitizer catches any read past it), and an
 * archive made by the host's own cpio(1) from a real directory tree. */
#include "htest.h"
#include "kshim.h"
#include <kestrel/initramfs.h>
#include <kestrel/tmpfs.h>
#include <kestrel/vfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct archive {
    char *buf;
    size_t len, cap;
};

static void put(struct archive *a, const void *p, size_t n)
{
    if (a->len + n > a->cap) {
        a->cap = (a->len + n) * 2 + 256;
        a->buf = realloc(a->buf, a->cap);
    }
    memcpy(a->buf + a->len, p, n);
    a->len += n;
}

static void pad4(struct archive *a)
{
    while (a->len & 3)
        put(a, "", 1);
}

struct ent {
    const char *name;
    uint32_t mode, uid, gid, nlink, mtime, ino;
    const char *data;
    size_t size; /* of data; strlen(data) when 0 and data is set */
    uint32_t rmaj, rmin;
};

static void add(struct archive *a, const struct ent *e)
{
    static uint32_t next_ino = 100;
    size_t size = e->size ? e->size : e->data ? strlen(e->data) : 0;
    char hdr[111];
    snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             e->ino ? e->ino : next_ino++, e->mode, e->uid, e->gid, e->nlink ? e->nlink : 1, e->mtime,
             (unsigned)size, 0u, 0u, e->rmaj, e->rmin, (unsigned)strlen(e->name) + 1, 0u);
    put(a, hdr, 110);
    put(a, e->name, strlen(e->name) + 1);
    pad4(a);
    if (size)
        put(a, e->data, size);
    pad4(a);
}

static void trailer(struct archive *a)
{
    add(a, &(struct ent){.name = "TRAILER!!!"});
}

struct fx {
    struct super_block *sb;
    long allocs;
};

static void fx_setup(struct fx *fx)
{
    fx->allocs = kshim_live_allocs();
    if (tmpfs_mount(&fx->sb))
        abort();
    vfs_set_root(fx->sb->root);
}

static void fx_teardown(struct htest *t, struct fx *fx)
{
    vfs_set_root(NULL);
    tmpfs_unmount(fx->sb);
    HEXPECT_EQ(t, kshim_live_allocs(), fx->allocs);
}

/* Unpacks from a heap copy of exactly len bytes. */
static int unpack(struct fx *fx, const void *data, size_t len)
{
    void *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    int err = initramfs_unpack(fx->sb->root, copy, len);
    free(copy);
    return err;
}

static bool file_is(const char *path, const char *want, size_t n)
{
    struct file *f;
    if (vfs_open(NULL, path, O_RDONLY, 0, &f))
        return false;
    char *buf = malloc(n + 16);
    ssize_t got = vfs_read(f, buf, n + 16);
    vfs_close(f);
    bool ok = got == (ssize_t)n && memcmp(buf, want, n) == 0;
    free(buf);
    return ok;
}

static bool is_empty_root(void)
{
    struct file *f;
    if (vfs_open(NULL, "/", O_RDONLY, 0, &f))
        return false;
    char buf[256];
    ssize_t n = vfs_getdents64(f, buf, sizeof(buf));
    vfs_close(f);
    return n == 48; /* "." and ".." only */
}

static void build_sample(struct archive *a)
{
    add(a, &(struct ent){.name = ".", .mode = S_IFDIR | 0700, .mtime = 11});
    add(a, &(struct ent){.name = "./bin", .mode = S_IFDIR | 0755, .mtime = 22});
    add(a, &(struct ent){.name = "./bin/prog",
                         .mode = S_IFREG | 04755,
                         .uid = 0,
                         .gid = 0,
                         .mtime = 33,
                         .data = "#!/bin/sh\necho hi\n"});
    add(a, &(struct ent){.name = "bin/sh", .mode = S_IFLNK | 0777, .mtime = 44, .data = "prog"});
    add(a, &(struct ent){.name = "/etc", .mode = S_IFDIR | 0750, .uid = 5, .gid = 6, .mtime = 55});
    add(a, &(struct ent){.name = "etc/empty", .mode = S_IFREG | 0600, .uid = 1000, .gid = 100, .mtime = 66});
    add(a, &(struct ent){.name = "dev", .mode = S_IFDIR | 0755, .mtime = 77});
    add(a, &(struct ent){.name = "dev/console", .mode = S_IFCHR | 0600, .rmaj = 5, .rmin = 1, .mtime = 88});
    add(a, &(struct ent){.name = "dev/sda", .mode = S_IFBLK | 0660, .rmaj = 8, .rmin = 0});
    add(a, &(struct ent){.name = "dev/fifo", .mode = S_IFIFO | 0644});
    add(a, &(struct ent){.name = "dev/sock", .mode = S_IFSOCK | 0755});
    trailer(a);
}

HTEST(cpio_unpacks_types_modes_owners_times)
{
    struct fx fx;
    fx_setup(&fx);
    struct archive a = {0};
    build_sample(&a);
    HEXPECT_EQ(t, unpack(&fx, a.buf, a.len), 0);
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(NULL, "/", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFDIR | 0700);
    HEXPECT_EQ(t, st.st_mtime, 11);
    HEXPECT_EQ(t, vfs_stat(NULL, "/bin", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFDIR | 0755);
    HEXPECT_EQ(t, st.st_mtime, 22); /* set after its entries were created */
    HEXPECT_EQ(t, vfs_stat(NULL, "/bin/prog", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 04755);
    HEXPECT_EQ(t, st.st_mtime, 33);
    HEXPECT_EQ(t, st.st_atime, 33);
    HEXPECT(t, file_is("/bin/prog", "#!/bin/sh\necho hi\n", 18));
    HEXPECT_EQ(t, vfs_lstat(NULL, "/bin/sh", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFLNK | 0777);
    HEXPECT_EQ(t, st.st_mtime, 44);
    char target[16];
    HEXPECT_EQ(t, vfs_readlink(NULL, "/bin/sh", target, sizeof(target)), 4);
    HEXPECT(t, memcmp(target, "prog", 4) == 0);
    HEXPECT(t, file_is("/bin/sh", "#!/bin/sh\necho hi\n", 18));
    HEXPECT_EQ(t, vfs_stat(NULL, "/etc", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFDIR | 0750);
    HEXPECT_EQ(t, st.st_uid, 5);
    HEXPECT_EQ(t, st.st_gid, 6);
    HEXPECT_EQ(t, st.st_mtime, 55);
    HEXPECT_EQ(t, vfs_stat(NULL, "/etc/empty", &st), 0);
    HEXPECT_EQ(t, st.st_size, 0);
    HEXPECT_EQ(t, st.st_uid, 1000);
    HEXPECT_EQ(t, st.st_gid, 100);
    HEXPECT_EQ(t, vfs_stat(NULL, "/dev/console", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFCHR | 0600);
    HEXPECT_EQ(t, st.st_rdev, vfs_mkdev(5, 1));
    HEXPECT_EQ(t, st.st_mtime, 88);
    HEXPECT_EQ(t, vfs_stat(NULL, "/dev/sda", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFBLK | 0660);
    HEXPECT_EQ(t, st.st_rdev, vfs_mkdev(8, 0));
    HEXPECT_EQ(t, vfs_stat(NULL, "/dev/fifo", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFIFO | 0644);
    HEXPECT_EQ(t, vfs_stat(NULL, "/dev/sock", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFSOCK | 0755);
    free(a.buf);
    fx_teardown(t, &fx);
}

HTEST(cpio_hard_links_both_conventions)
{
    struct fx fx;
    fx_setup(&fx);
    struct archive a = {0};
    /* GNU cpio: the data comes with the last name. */
    add(&a, &(struct ent){.name = "g1", .mode = S_IFREG | 0644, .nlink = 3, .ino = 7});
    add(&a, &(struct ent){.name = "g2", .mode = S_IFREG | 0644, .nlink = 3, .ino = 7});
    add(&a, &(struct ent){.name = "g3", .mode = S_IFREG | 0644, .nlink = 3, .ino = 7, .data = "gnu"});
    /* gen_init_cpio: the data comes with the first. */
    add(&a, &(struct ent){.name = "k1", .mode = S_IFREG | 0644, .nlink = 2, .ino = 8, .data = "kernel"});
    add(&a, &(struct ent){.name = "k2", .mode = S_IFREG | 0644, .nlink = 2, .ino = 8});
    trailer(&a);
    HEXPECT_EQ(t, unpack(&fx, a.buf, a.len), 0);
    struct stat st1, st3;
    HEXPECT_EQ(t, vfs_stat(NULL, "/g1", &st1), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/g3", &st3), 0);
    HEXPECT_EQ(t, st1.st_ino, st3.st_ino);
    HEXPECT_EQ(t, st1.st_nlink, 3);
    HEXPECT(t, file_is("/g1", "gnu", 3));
    HEXPECT(t, file_is("/g2", "gnu", 3));
    HEXPECT_EQ(t, vfs_stat(NULL, "/k2", &st1), 0);
    HEXPECT_EQ(t, st1.st_nlink, 2);
    HEXPECT(t, file_is("/k2", "kernel", 6));
    free(a.buf);
    fx_teardown(t, &fx);
}

HTEST(cpio_replaces_existing_and_concatenates)
{
    struct fx fx;
    fx_setup(&fx);
    struct archive a = {0};
    add(&a, &(struct ent){.name = "x", .mode = S_IFREG | 0644, .data = "first"});
    add(&a, &(struct ent){.name = "y", .mode = S_IFDIR | 0755});
    add(&a, &(struct ent){.name = "z", .mode = S_IFREG | 0644, .data = "a long first version"});
    trailer(&a);
    /* Zero padding between archives, as bootloaders concatenate them. */
    put(&a, "\0\0\0\0\0\0\0\0", 8);
    add(&a, &(struct ent){.name = "x", .mode = S_IFLNK | 0777, .data = "z"});
    add(&a, &(struct ent){.name = "y", .mode = S_IFREG | 0600, .data = "was a dir"});
    add(&a, &(struct ent){.name = "z", .mode = S_IFREG | 0644, .data = "short"});
    trailer(&a);
    put(&a, "\0\0\0\0", 4);
    HEXPECT_EQ(t, unpack(&fx, a.buf, a.len), 0);
    struct stat st;
    HEXPECT_EQ(t, vfs_lstat(NULL, "/x", &st), 0);
    HEXPECT(t, S_ISLNK(st.st_mode));
    HEXPECT(t, file_is("/y", "was a dir", 9));
    HEXPECT(t, file_is("/x", "short", 5));
    free(a.buf);
    fx_teardown(t, &fx);
}

HTEST(cpio_every_truncation_is_einval)
{
    struct fx fx;
    fx_setup(&fx);
    struct archive a = {0};
    build_sample(&a);
    /* Every prefix ends inside an entry or lacks the trailer, except those that only lose the
     * padding after the trailer's name (3 bytes here), which is optional. */
    for (size_t len = 1; len < a.len - 3; len++) {
        int err = unpack(&fx, a.buf, len);
        if (!HEXPECT_EQ(t, err, -EINVAL))
            printf("#   prefix of %zu bytes\n", len);
    }
    HEXPECT(t, is_empty_root());             /* a bad archive changes nothing */
    HEXPECT_EQ(t, unpack(&fx, a.buf, 0), 0); /* nothing at all is fine */
    HEXPECT_EQ(t, unpack(&fx, a.buf, a.len - 3), 0);
    HEXPECT_EQ(t, unpack(&fx, a.buf, a.len), 0);
    free(a.buf);
    fx_teardown(t, &fx);
}

/* Builds the sample, lets mutate() damage it, and checks the unpack fails with err. */
static void expect_bad(struct htest *t, void (*mutate)(struct archive *a), int err)
{
    struct fx fx;
    fx_setup(&fx);
    struct archive a = {0};
    build_sample(&a);
    mutate(&a);
    HEXPECT_EQ(t, unpack(&fx, a.buf, a.len), err);
    HEXPECT(t, is_empty_root());
    free(a.buf);
    fx_teardown(t, &fx);
}

static void bad_magic(struct archive *a)
{
    memcpy(a->buf, "070707", 6); /* the old portable format */
}
static void bad_hex(struct archive *a)
{
    a->buf[6 + 8 * 1 + 3] = 'g'; /* in the mode field */
}
static void bad_hex_space(struct archive *a)
{
    a->buf[6 + 8 * 11] = ' '; /* a space in namesize, which strtoul would have skipped */
}
static void zero_namesize(struct archive *a)
{
    memcpy(a->buf + 6 + 8 * 11, "00000000", 8);
}
static void huge_namesize(struct archive *a)
{
    memcpy(a->buf + 6 + 8 * 11, "FFFFFFFF", 8);
}
static void huge_filesize(struct archive *a)
{
    memcpy(a->buf + 6 + 8 * 6, "7FFFFFFF", 8);
}
static void name_not_terminated(struct archive *a)
{
    a->buf[110 + 1] = 'x'; /* the first entry is ".": its NUL goes */
}
static void name_with_inner_nul(struct archive *a)
{
    memcpy(a->buf + 6 + 8 * 11, "00000003", 8); /* ".\0" would now be ".\0?" */
}
static void no_trailer(struct archive *a)
{
    a->len -= 124; /* the trailer: 110 + 11 bytes of name, padded */
}
static void junk_after_trailer(struct archive *a)
{
    put(a, "\0\0junk", 6);
}

HTEST(cpio_malformed_headers)
{
    expect_bad(t, bad_magic, -EINVAL);
    expect_bad(t, bad_hex, -EINVAL);
    expect_bad(t, bad_hex_space, -EINVAL);
    expect_bad(t, zero_namesize, -EINVAL);
    expect_bad(t, huge_namesize, -EINVAL);
    expect_bad(t, huge_filesize, -EINVAL);
    expect_bad(t, name_not_terminated, -EINVAL);
    expect_bad(t, name_with_inner_nul, -EINVAL);
    expect_bad(t, no_trailer, -EINVAL);
    expect_bad(t, junk_after_trailer, -EINVAL);
}

HTEST(cpio_crc_format_is_checked)
{
    struct fx fx;
    fx_setup(&fx);
    struct archive a = {0};
    add(&a, &(struct ent){.name = "f", .mode = S_IFREG | 0644, .data = "abc"});
    trailer(&a);
    a.buf[5] = '2';
    memcpy(a.buf + 6 + 8 * 12, "00000126", 8); /* 'a' + 'b' + 'c' = 0x126 */
    HEXPECT_EQ(t, unpack(&fx, a.buf, a.len), 0);
    HEXPECT(t, file_is("/f", "abc", 3));
    memcpy(a.buf + 6 + 8 * 12, "00000127", 8);
    HEXPECT_EQ(t, unpack(&fx, a.buf, a.len), -EINVAL);
    free(a.buf);
    fx_teardown(t, &fx);
}

HTEST(cpio_bad_entries_are_skipped_and_reported)
{
    struct fx fx;
    fx_setup(&fx);
    struct archive a = {0};
    add(&a, &(struct ent){.name = "nodir/f", .mode = S_IFREG | 0644, .data = "x"});
    add(&a, &(struct ent){.name = "weird", .mode = 0170000 | 0644});
    add(&a, &(struct ent){.name = "emptylink", .mode = S_IFLNK | 0777});
    add(&a, &(struct ent){.name = "ok", .mode = S_IFREG | 0644, .data = "fine"});
    trailer(&a);
    HEXPECT_EQ(t, unpack(&fx, a.buf, a.len), -ENOENT); /* the first failure */
    HEXPECT(t, file_is("/ok", "fine", 4));
    struct stat st;
    HEXPECT_EQ(t, vfs_lstat(NULL, "/weird", &st), -ENOENT);
    HEXPECT_EQ(t, vfs_lstat(NULL, "/emptylink", &st), -ENOENT);
    free(a.buf);
    fx_teardown(t, &fx);
}

/* Runs a shell command and returns its standard output (NULL if it failed). */
static char *run_capture(const char *cmd, size_t *len)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    struct archive out = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        put(&out, chunk, n);
    if (pclose(p) != 0) {
        free(out.buf);
        return NULL;
    }
    *len = out.len;
    return out.buf;
}

HTEST(cpio_archive_from_host_cpio)
{
    if (system("command -v cpio >/dev/null 2>&1") != 0) {
        printf("# SKIP cpio(1) not installed\n");
        return;
    }
    char dir[] = "/tmp/kestrel-cpio-XXXXXX";
    HASSERT(t, mkdtemp(dir) != NULL);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "set -e; cd %s; mkdir -p usr/bin etc/init.d; printf 'root:x:0:0::/root:/bin/sh\\n' > etc/passwd;"
             "head -c 10000 /dev/urandom > usr/bin/blob; chmod 751 usr/bin/blob; ln -s blob usr/bin/alias;"
             "ln usr/bin/blob usr/bin/hard; printf '#!/bin/sh\\n' > etc/init.d/rcS; chmod 755 etc/init.d/rcS;"
             "touch -d @1234567890 etc/passwd; touch -d @1000000000 etc",
             dir);
    HASSERT(t, system(cmd) == 0);
    size_t len = 0;
    snprintf(cmd, sizeof(cmd), "cd %s && find . | LC_ALL=C sort | cpio --quiet -o -H newc", dir);
    char *archive = run_capture(cmd, &len);
    HASSERT(t, archive != NULL);

    struct fx fx;
    fx_setup(&fx);
    HEXPECT_EQ(t, unpack(&fx, archive, len), 0);
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(NULL, "/etc/passwd", &st), 0);
    HEXPECT_EQ(t, st.st_mtime, 1234567890);
    HEXPECT(t, file_is("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 26));
    HEXPECT_EQ(t, vfs_stat(NULL, "/etc", &st), 0);
    HEXPECT_EQ(t, st.st_mtime, 1000000000);
    HEXPECT_EQ(t, vfs_stat(NULL, "/etc/init.d/rcS", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 0755);
    HEXPECT_EQ(t, vfs_stat(NULL, "/usr/bin/blob", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 0751);
    HEXPECT_EQ(t, st.st_size, 10000);
    HEXPECT_EQ(t, st.st_nlink, 2);
    struct stat hard;
    HEXPECT_EQ(t, vfs_stat(NULL, "/usr/bin/hard", &hard), 0);
    HEXPECT_EQ(t, hard.st_ino, st.st_ino);
    /* The blob's bytes are the host file's bytes, through the symlink too. */
    char path[256];
    snprintf(path, sizeof(path), "%s/usr/bin/blob", dir);
    FILE *hf = fopen(path, "rb");
    HASSERT(t, hf != NULL);
    char *want = malloc(10000);
    HEXPECT_EQ(t, fread(want, 1, 10000, hf), 10000);
    fclose(hf);
    HEXPECT(t, file_is("/usr/bin/alias", want, 10000));
    HEXPECT(t, file_is("/usr/bin/hard", want, 10000));
    free(want);
    fx_teardown(t, &fx);
    free(archive);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    HEXPECT_EQ(t, system(cmd), 0);
}
