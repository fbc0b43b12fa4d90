/* Host tests for FAT32 (kernel/fs/fat) with the host's dosfstools and mtools as the oracles:
 * images made by mkfs.fat and filled by mmd/mcopy (long names, nested directories, files of many
 * clusters) are read back through the VFS; a write workload (create, append, overwrite, truncate,
 * rename, delete, a full disk) must leave an image fsck.fat -n finds clean and from which mcopy
 * extracts exactly the tree Kestrel wrote. Every test checks kmalloc leaks. */
#include "blkshim.h"
#include "htest.h"
#include "kshim.h"
#include <kestrel/fat.h>
#include <kestrel/vfs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uapi/dirent.h>
#include <uapi/statfs.h>

#define IMAGE_KB 34000 /* the smallest FAT32 mtools accepts: 65525 clusters of 512 bytes */

/* ---- Helpers ---- */

struct vol {
    char dir[64]; /* scratch directory, removed at the end */
    char img[96];
    struct block_device bd;
    struct super_block *sb;
    long allocs;
};

static int64_t clock_sec = 1700000001; /* an odd second: FAT keeps even ones */
static void test_clock(struct vfs_timespec *ts)
{
    ts->sec = clock_sec;
    ts->nsec = 500000000;
}

static void vol_begin(struct vol *v)
{
    static bool registered;
    if (!registered) {
        fat_init();
        registered = true;
    }
    vfs_set_clock(test_clock);
    strcpy(v->dir, "/tmp/kestrel-fat-XXXXXX");
    if (!mkdtemp(v->dir))
        abort();
    snprintf(v->img, sizeof(v->img), "%s/img", v->dir);
    v->allocs = kshim_live_allocs();
    if (blkshim_sh("mkfs.fat -F 32 -C %s %d >/dev/null 2>&1", v->img, IMAGE_KB) != 0)
        abort();
}

static int vol_mount_flags(struct vol *v, unsigned long flags, const char *options)
{
    int err = blkshim_open(v->img, &v->bd);
    if (err)
        return err;
    struct fs_type *type = fs_type_find("vfat");
    err = type ? type->mount(&v->bd, flags, options, &v->sb) : -ENODEV;
    if (err) {
        blkshim_close(&v->bd);
        return err;
    }
    vfs_set_root(v->sb->root);
    return 0;
}

static int vol_mount(struct vol *v, const char *options)
{
    return vol_mount_flags(v, 0, options);
}

static void vol_unmount(struct vol *v)
{
    vfs_set_root(NULL);
    v->sb->ops->put_super(v->sb);
    blkshim_close(&v->bd);
}

static void vol_end(struct htest *t, struct vol *v)
{
    blkshim_sh("rm -rf %s", v->dir);
    vfs_set_clock(NULL);
    HEXPECT_EQ(t, kshim_live_allocs(), v->allocs);
}

/* mtools on the image, without its geometry check (mkfs.fat's images are not floppies). */
static int mtools(const char *fmt, ...)
{
    char args[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    return blkshim_sh("MTOOLS_SKIP_CHECK=1 %s >/dev/null 2>&1", args);
}

/* Writes size bytes of data to a host file. */
static void host_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
}

/* A host file's contents (malloc'd) and size; NULL if unreadable. */
static char *host_read(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        n = 0;
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Deterministic contents that differ from file to file and from sector to sector. */
static void pattern(char *buf, size_t size, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (char)(x >> 16);
    }
}

static int put(const char *path, const void *data, size_t size, int flags)
{
    struct file *f;
    int err = vfs_open(NULL, path, O_WRONLY | O_CREAT | flags, 0644, &f);
    if (err)
        return err;
    ssize_t n = vfs_write(f, data, size);
    vfs_close(f);
    return n < 0 ? (int)n : n == (ssize_t)size ? 0 : -EIO;
}

/* Whether path holds exactly size bytes of data. */
static bool holds(const char *path, const void *data, size_t size)
{
    struct file *f;
    if (vfs_open(NULL, path, O_RDONLY, 0, &f))
        return false;
    char *buf = malloc(size + 1);
    ssize_t n = vfs_read(f, buf, size + 1);
    vfs_close(f);
    bool ok = n == (ssize_t)size && memcmp(buf, data, size) == 0;
    free(buf);
    return ok;
}

/* The names in a directory (without "." and ".."), each followed by '/', in readdir order. */
static int list_dir(const char *path, char *out, size_t size)
{
    struct file *f;
    int err = vfs_open(NULL, path, O_RDONLY | O_DIRECTORY, 0, &f);
    if (err)
        return err;
    char buf[1024];
    size_t len = 0;
    out[0] = 0;
    ssize_t n;
    while ((n = vfs_getdents64(f, buf, sizeof(buf))) > 0) {
        for (ssize_t off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
                continue;
            len += (size_t)snprintf(out + len, size - len, "%s/", d->d_name);
        }
    }
    vfs_close(f);
    return n < 0 ? (int)n : 0;
}

/* Whether the '/'-terminated name list holds exactly the given names, in any order. */
static bool same_names(const char *list, const char *const *names, int count)
{
    size_t total = 0;
    for (int i = 0; i < count; i++) {
        char item[300];
        snprintf(item, sizeof(item), "/%s/", names[i]);
        char padded[8192];
        snprintf(padded, sizeof(padded), "/%s", list);
        if (!strstr(padded, item))
            return false;
        total += strlen(names[i]) + 1;
    }
    return total == strlen(list);
}

/* The d_ino getdents64 reports for name in dir, or 0. */
static uint64_t dirent_ino(const char *dir, const char *name)
{
    struct file *f;
    if (vfs_open(NULL, dir, O_RDONLY | O_DIRECTORY, 0, &f))
        return 0;
    char buf[1024];
    uint64_t ino = 0;
    ssize_t n;
    while (!ino && (n = vfs_getdents64(f, buf, sizeof(buf))) > 0) {
        for (ssize_t off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            if (strcmp(d->d_name, name) == 0)
                ino = d->d_ino;
        }
    }
    vfs_close(f);
    return ino;
}

/* ---- Reading what mtools wrote ---- */

HTEST(fat_reads_image_filled_by_mtools)
{
    struct vol v;
    vol_begin(&v);
    size_t big_size = 300000; /* about 590 clusters */
    char *big = malloc(big_size);
    pattern(big, big_size, 7);
    char src[128];
    snprintf(src, sizeof(src), "%s/big", v.dir);
    host_write(src, big, big_size);
    snprintf(src, sizeof(src), "%s/small", v.dir);
    host_write(src, "hello, fat\n", 11);
    snprintf(src, sizeof(src), "%s/empty", v.dir);
    host_write(src, "", 0);
    HASSERT(t, mtools("mmd -i %s '::/Some Long Directory'", v.img) == 0);
    HASSERT(t, mtools("mmd -i %s '::/Some Long Directory/nested dir two'", v.img) == 0);
    HASSERT(t, mtools("mcopy -i %s %s/small ::/README.TXT", v.img, v.dir) == 0);
    HASSERT(t, mtools("mcopy -i %s %s/small ::/lower.txt", v.img, v.dir) == 0);
    HASSERT(t, mtools("mcopy -i %s %s/empty '::/an empty file'", v.img, v.dir) == 0);
    HASSERT(t, mtools("mcopy -i %s %s/big '::/Some Long Directory/nested dir two/A big file.bin'", v.img,
                      v.dir) == 0);
    HASSERT(t, mtools("mcopy -i %s %s/small '::/Some Long Directory/with.many.dots.in.name'", v.img, v.dir) ==
                   0);

    HASSERT(t, vol_mount(&v, NULL) == 0);
    char list[4096];
    HEXPECT(t, list_dir("/", list, sizeof(list)) == 0);
    const char *root[] = {"Some Long Directory", "README.TXT", "lower.txt", "an empty file"};
    HEXPECT(t, same_names(list, root, 4));
    HEXPECT(t, list_dir("/Some Long Directory", list, sizeof(list)) == 0);
    const char *sub[] = {"nested dir two", "with.many.dots.in.name"};
    HEXPECT(t, same_names(list, sub, 2));
    HEXPECT(t, holds("/README.TXT", "hello, fat\n", 11));
    HEXPECT(t, holds("/readme.txt", "hello, fat\n", 11)); /* vfat looks names up ignoring case */
    HEXPECT(t, holds("/lower.txt", "hello, fat\n", 11));
    HEXPECT(t, holds("/an empty file", "", 0));
    HEXPECT(t, holds("/Some Long Directory/nested dir two/A big file.bin", big, big_size));
    HEXPECT(t, holds("/Some Long Directory/with.many.dots.in.name", "hello, fat\n", 11));
    HEXPECT(t, holds("/SOMELO~1/nested dir two/../with.many.dots.in.name", "hello, fat\n", 11));

    struct stat st;
    HEXPECT(t, vfs_stat(NULL, "/Some Long Directory/nested dir two/A big file.bin", &st) == 0);
    HEXPECT_EQ(t, st.st_size, big_size);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 0755);
    HEXPECT_EQ(t, st.st_uid, 0);
    HEXPECT_EQ(t, st.st_nlink, 1);
    HEXPECT_EQ(t, st.st_blocks, (big_size + 511) / 512);
    HEXPECT(t, vfs_stat(NULL, "/Some Long Directory", &st) == 0);
    HEXPECT_EQ(t, st.st_mode, S_IFDIR | 0755);
    HEXPECT_EQ(t, st.st_nlink, 3); /* its entry, its ".", and the subdirectory's ".." */
    vol_unmount(&v);
    free(big);
    vol_end(t, &v);
}

/* ---- A write workload checked by fsck.fat and mtools ---- */

#define MAX_FILES 2500

/* What the workload wrote: every file's path and contents, every directory's path. */
struct model {
    char *path[MAX_FILES];
    char *data[MAX_FILES];
    size_t size[MAX_FILES];
    int nfiles;
    char *dirs[128];
    int ndirs;
};

static int model_find(struct model *m, const char *path)
{
    for (int i = 0; i < m->nfiles; i++)
        if (strcmp(m->path[i], path) == 0)
            return i;
    return -1;
}

static void model_set(struct model *m, const char *path, const char *data, size_t size)
{
    int i = model_find(m, path);
    if (i < 0) {
        i = m->nfiles++;
        m->path[i] = strdup(path);
    } else {
        free(m->data[i]);
    }
    m->data[i] = malloc(size + 1);
    memcpy(m->data[i], data, size);
    m->size[i] = size;
}

static void model_drop(struct model *m, const char *path)
{
    int i = model_find(m, path);
    if (i < 0)
        abort();
    free(m->path[i]);
    free(m->data[i]);
    m->nfiles--;
    m->path[i] = m->path[m->nfiles];
    m->data[i] = m->data[m->nfiles];
    m->size[i] = m->size[m->nfiles];
}

static void model_free(struct model *m)
{
    for (int i = 0; i < m->nfiles; i++) {
        free(m->path[i]);
        free(m->data[i]);
    }
    for (int i = 0; i < m->ndirs; i++)
        free(m->dirs[i]);
}

/* Renames a file in the model (and in Kestrel). */
static int move(struct model *m, const char *from, const char *to)
{
    int err = vfs_rename(NULL, from, NULL, to, 0);
    if (err)
        return err;
    if (model_find(m, to) >= 0)
        model_drop(m, to);
    int i = model_find(m, from);
    free(m->path[i]);
    m->path[i] = strdup(to);
    return 0;
}

/* Every file of the model reads back exactly through the VFS. */
static bool model_holds(struct model *m)
{
    for (int i = 0; i < m->nfiles; i++)
        if (!holds(m->path[i], m->data[i], m->size[i]))
            return false;
    return true;
}

/* Extracts the whole image with mcopy and compares the tree with the model: the same files with
 * the same contents, the same directories, nothing else. */
static bool mtools_agrees(struct htest *t, struct vol *v, struct model *m)
{
    char out[128], list[128];
    snprintf(out, sizeof(out), "%s/out", v->dir);
    snprintf(list, sizeof(list), "%s/list", v->dir);
    if (blkshim_sh("mkdir %s && MTOOLS_SKIP_CHECK=1 mcopy -s -i %s '::/*' %s/ >/dev/null 2>&1", out, v->img,
                   out) != 0)
        return HEXPECT(t, !"mcopy -s extracts the image");
    if (blkshim_sh("cd %s && find . -mindepth 1 -type d | sed 's|^\\.||' | sort > %s.dirs", out, list) != 0 ||
        blkshim_sh("cd %s && find . -type f | wc -l > %s.count", out, list) != 0)
        return false;
    bool ok = true;
    for (int i = 0; i < m->nfiles; i++) {
        char path[512];
        size_t size;
        snprintf(path, sizeof(path), "%s%s", out, m->path[i]);
        char *data = host_read(path, &size);
        if (!HEXPECT(t, data && size == m->size[i] && memcmp(data, m->data[i], size) == 0)) {
            fprintf(stderr, "# mtools reads %s differently\n", m->path[i]);
            ok = false;
        }
        free(data);
    }
    size_t n;
    char *count = host_read(strcat(list, ".count"), &n);
    ok &= HEXPECT_EQ(t, atoi(count), m->nfiles);
    free(count);
    list[strlen(list) - 6] = 0;
    char *dirs = host_read(strcat(list, ".dirs"), &n);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += dirs[i] == '\n';
    ok &= HEXPECT_EQ(t, lines, m->ndirs);
    for (int i = 0; i < m->ndirs; i++) {
        char line[300];
        snprintf(line, sizeof(line), "%s\n", m->dirs[i]);
        ok &= HEXPECT(t, strstr(dirs, line) != NULL);
    }
    free(dirs);
    return ok;
}

static void mkdirs(struct htest *t, struct model *m)
{
    const char *dirs[] = {"/Documents and Settings",
                          "/Documents and Settings/nested level two",
                          "/Documents and Settings/nested level two/third",
                          "/photos",
                          "/Mixed Case Dir",
                          "/to be removed",
                          "/moving dir",
                          "/moving dir/inner"};
    for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        HEXPECT_EQ(t, vfs_mkdir(NULL, dirs[i], 0755), 0);
        m->dirs[m->ndirs++] = strdup(dirs[i]);
    }
}

/* Many files with long names sharing a prefix (so short names need ~N tails), some spanning
 * many clusters. */
static void create_files(struct htest *t, struct model *m, char *buf)
{
    for (int i = 0; i < 120; i++) {
        char path[256];
        size_t size = (size_t)(i * 397) % 5000;
        snprintf(path, sizeof(path), "/photos/holiday picture number %03d.jpeg", i);
        pattern(buf, size, (unsigned)i);
        HEXPECT_EQ(t, put(path, buf, size, O_EXCL), 0);
        model_set(m, path, buf, size);
    }
    for (int i = 0; i < 10; i++) {
        char path[256];
        snprintf(path, sizeof(path),
                 "/Documents and Settings/nested level two/third/file %d of a deep tree.txt", i);
        snprintf(buf, 64, "file %d\n", i);
        HEXPECT_EQ(t, put(path, buf, strlen(buf), O_EXCL), 0);
        model_set(m, path, buf, strlen(buf));
    }
    HEXPECT_EQ(t, put("/SHORT.TXT", "short\n", 6, O_EXCL), 0);
    model_set(m, "/SHORT.TXT", "short\n", 6);
    HEXPECT_EQ(t, put("/short.txt", "x", 1, O_EXCL), -EEXIST); /* names compare without case */
    HEXPECT_EQ(t,
               put("/a name that is exactly long enough to need many entries in the directory because "
                   "it goes on and on.text",
                   "long\n", 5, O_EXCL),
               0);
    model_set(m,
              "/a name that is exactly long enough to need many entries in the directory because it goes on "
              "and on.text",
              "long\n", 5);
}

/* Appends, overwrites in the middle, truncates shorter and longer. */
static void modify_files(struct htest *t, struct model *m, char *buf)
{
    for (int i = 0; i < 120; i += 7) {
        char path[256];
        snprintf(path, sizeof(path), "/photos/holiday picture number %03d.jpeg", i);
        int k = model_find(m, path);
        size_t size = m->size[k];
        memcpy(buf, m->data[k], size);
        size_t extra = 1000 + (size_t)i * 13;
        pattern(buf + size, extra, (unsigned)i + 1000);
        HEXPECT_EQ(t, put(path, buf + size, extra, O_APPEND), 0);
        size += extra;
        if (i % 2) {
            memset(buf + size / 3, 'X', 700);
            struct file *f;
            HEXPECT_EQ(t, vfs_open(NULL, path, O_WRONLY, 0, &f), 0);
            HEXPECT_EQ(t, vfs_pwrite(f, buf + size / 3, 700, (int64_t)(size / 3)), 700);
            vfs_close(f);
        }
        size_t newsize = i % 3 == 0 ? size / 2 : size + 1500;
        if (newsize > size)
            memset(buf + size, 0, newsize - size);
        HEXPECT_EQ(t, vfs_truncate(NULL, path, (int64_t)newsize), 0);
        model_set(m, path, buf, newsize);
    }
}

/* Deletes every third file, then creates new ones that reuse the freed entries. */
static void delete_and_reuse(struct htest *t, struct model *m, char *buf)
{
    for (int i = 0; i < 120; i += 3) {
        char path[256];
        snprintf(path, sizeof(path), "/photos/holiday picture number %03d.jpeg", i);
        HEXPECT_EQ(t, vfs_unlink(NULL, path), 0);
        model_drop(m, path);
    }
    for (int i = 0; i < 30; i++) {
        char path[256];
        snprintf(path, sizeof(path), "/photos/new %d.png", i);
        pattern(buf, 2000, (unsigned)i + 5000);
        HEXPECT_EQ(t, put(path, buf, 2000, O_EXCL), 0);
        model_set(m, path, buf, 2000);
    }
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/photos"), -ENOTEMPTY);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/to be removed"), 0);
    for (int i = 0; i < m->ndirs; i++) {
        if (strcmp(m->dirs[i], "/to be removed") == 0) {
            free(m->dirs[i]);
            m->dirs[i] = m->dirs[--m->ndirs];
        }
    }
}

/* Renames within a directory, across directories, over an existing file, and a directory to a
 * new parent (its ".." must follow: fsck.fat checks it). */
static void renames(struct htest *t, struct model *m)
{
    HEXPECT_EQ(t, move(m, "/photos/holiday picture number 001.jpeg", "/photos/renamed in place.jpeg"), 0);
    HEXPECT_EQ(t, move(m, "/photos/holiday picture number 002.jpeg", "/Mixed Case Dir/Moved Across.JPEG"), 0);
    HEXPECT_EQ(
        t, move(m, "/photos/holiday picture number 004.jpeg", "/photos/holiday picture number 005.jpeg"), 0);
    HEXPECT_EQ(t, move(m, "/SHORT.TXT", "/Mixed Case Dir/now a long name.txt"), 0);
    HEXPECT_EQ(
        t, vfs_rename(NULL, "/moving dir", NULL, "/Documents and Settings/nested level two/moved dir", 0), 0);
    for (int i = 0; i < m->ndirs; i++) {
        if (strncmp(m->dirs[i], "/moving dir", 11) == 0) {
            char path[256];
            snprintf(path, sizeof(path), "/Documents and Settings/nested level two/moved dir%s",
                     m->dirs[i] + 11);
            free(m->dirs[i]);
            m->dirs[i] = strdup(path);
        }
    }
    HEXPECT_EQ(t, put("/Documents and Settings/nested level two/moved dir/inner/f", "in\n", 3, 0), 0);
    model_set(m, "/Documents and Settings/nested level two/moved dir/inner/f", "in\n", 3);
    struct stat a, b;
    HEXPECT_EQ(t, vfs_stat(NULL, "/Documents and Settings/nested level two/moved dir/inner/../..", &a), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/Documents and Settings/nested level two", &b), 0);
    HEXPECT_EQ(t, a.st_ino, b.st_ino);
}

/* Fills the disk with big files until ENOSPC; the last file keeps what fit. */
static void fill_disk(struct htest *t, struct model *m, struct vol *v)
{
    size_t chunk = 1 << 20;
    char *buf = malloc(chunk);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/fill", 0755), 0);
    m->dirs[m->ndirs++] = strdup("/fill");
    bool full = false;
    for (int i = 0; !full && i < 64; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/fill/big file %d", i);
        pattern(buf, chunk, (unsigned)i + 9000);
        struct file *f;
        int err = vfs_open(NULL, path, O_WRONLY | O_CREAT | O_EXCL, 0644, &f);
        if (err == -ENOSPC)
            break; /* not even a directory entry fits */
        HASSERT(t, err == 0);
        size_t done = 0;
        while (done < chunk) {
            ssize_t n = vfs_write(f, buf + done, 7000 < chunk - done ? 7000 : chunk - done);
            if (n == -ENOSPC) {
                full = true;
                break;
            }
            HASSERT(t, n > 0);
            done += (size_t)n;
        }
        vfs_close(f);
        model_set(m, path, buf, done);
    }
    HEXPECT(t, full);
    struct statfs st;
    HEXPECT_EQ(t, v->sb->ops->statfs(v->sb, &st), 0);
    HEXPECT_EQ(t, st.f_bfree, 0);
    HEXPECT_EQ(t, st.f_type, 0x4d44);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/fill/one more", 0755), -ENOSPC);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/fill/big file 0", 100 << 20), -ENOSPC);
    struct stat big;
    HEXPECT_EQ(t, vfs_stat(NULL, "/fill/big file 0", &big), 0);
    HEXPECT_EQ(t, big.st_size, chunk); /* the failed growth gave its clusters back */
    HEXPECT_EQ(t, put("/fill/big file 0", "more", 4, O_APPEND), -ENOSPC);
    /* Freeing space makes it usable again. */
    HEXPECT_EQ(t, vfs_unlink(NULL, "/fill/big file 1"), 0);
    model_drop(m, "/fill/big file 1");
    HEXPECT_EQ(t, v->sb->ops->statfs(v->sb, &st), 0);
    HEXPECT_EQ(t, st.f_bfree, chunk / 512);
    HEXPECT_EQ(t, put("/fill/after freeing", buf, 5000, O_EXCL), 0);
    model_set(m, "/fill/after freeing", buf, 5000);
    free(buf);
}

HTEST(fat_write_workload_passes_fsck_and_mtools)
{
    struct vol v;
    vol_begin(&v);
    HASSERT(t, vol_mount(&v, NULL) == 0);
    struct model *m = calloc(1, sizeof(*m));
    char *buf = malloc(64 * 1024);
    mkdirs(t, m);
    create_files(t, m, buf);
    modify_files(t, m, buf);
    delete_and_reuse(t, m, buf);
    renames(t, m);
    HEXPECT(t, model_holds(m));
    fill_disk(t, m, &v);
    HEXPECT(t, model_holds(m));
    vol_unmount(&v);

    /* Our own reading after a remount, then the host's. */
    HASSERT(t, vol_mount(&v, NULL) == 0);
    HEXPECT(t, model_holds(m));
    vol_unmount(&v);
    HEXPECT_EQ(t, blkshim_sh("fsck.fat -n %s >%s/fsck.log 2>&1 || cat %s/fsck.log >&2", v.img, v.dir, v.dir),
               0);
    HEXPECT_EQ(t, blkshim_sh("fsck.fat -n %s 2>&1 | grep -q 'Free cluster summary'", v.img), 1);
    HEXPECT(t, mtools_agrees(t, &v, m));
    model_free(m);
    free(m);
    free(buf);
    vol_end(t, &v);
}

/* The scale: thousands of files in many directories, half of them deleted again, and a
 * 64 MiB file, on a 100 MB volume. */
HTEST(fat_thousands_of_files_and_a_64mib_file)
{
    struct vol v;
    vol_begin(&v);
    HASSERT(t, blkshim_sh("rm %s && mkfs.fat -F 32 -C %s 100000 >/dev/null 2>&1", v.img, v.img) == 0);
    HASSERT(t, vol_mount(&v, NULL) == 0);
    struct model *m = calloc(1, sizeof(*m));
    char *buf = malloc(64 << 20);
    for (int d = 0; d < 20; d++) {
        char path[128];
        snprintf(path, sizeof(path), "/directory number %d", d);
        HEXPECT_EQ(t, vfs_mkdir(NULL, path, 0755), 0);
        m->dirs[m->ndirs++] = strdup(path);
        for (int i = 0; i < 100; i++) {
            size_t size = (size_t)(d * 100 + i) % 700;
            snprintf(path, sizeof(path), "/directory number %d/a file called %d.dat", d, i);
            pattern(buf, size, (unsigned)(d * 100 + i));
            HEXPECT_EQ(t, put(path, buf, size, O_EXCL), 0);
            model_set(m, path, buf, size);
        }
    }
    for (int d = 0; d < 20; d++) {
        for (int i = d % 2; i < 100; i += 2) {
            char path[128];
            snprintf(path, sizeof(path), "/directory number %d/a file called %d.dat", d, i);
            HEXPECT_EQ(t, vfs_unlink(NULL, path), 0);
            model_drop(m, path);
        }
    }
    /* getdents64 resumes across calls (a 1 KiB buffer holds a few dozen records). */
    char list[8192];
    HEXPECT_EQ(t, list_dir("/directory number 7", list, sizeof(list)), 0);
    const char *names[50];
    char storage[50][40];
    for (int i = 0; i < 50; i++) {
        snprintf(storage[i], sizeof(storage[i]), "a file called %d.dat", 2 * i);
        names[i] = storage[i];
    }
    HEXPECT(t, same_names(list, names, 50));
    pattern(buf, 64 << 20, 64);
    HEXPECT_EQ(t, put("/sixty-four mebibytes.bin", buf, 64 << 20, O_EXCL), 0);
    model_set(m, "/sixty-four mebibytes.bin", buf, 64 << 20);
    vol_unmount(&v);
    HASSERT(t, vol_mount(&v, NULL) == 0);
    HEXPECT(t, model_holds(m));
    vol_unmount(&v);
    HEXPECT_EQ(t, blkshim_sh("fsck.fat -n %s >%s/fsck.log 2>&1 || cat %s/fsck.log >&2", v.img, v.dir, v.dir),
               0);
    HEXPECT(t, mtools_agrees(t, &v, m));
    model_free(m);
    free(m);
    free(buf);
    vol_end(t, &v);
}

/* ---- vfat semantics ---- */

HTEST(fat_semantics_match_linux_vfat)
{
    struct vol v;
    vol_begin(&v);
    HASSERT(t, vol_mount(&v, "uid=1000,gid=100,umask=027") == 0);
    HEXPECT_EQ(t, put("/file", "abc", 3, 0), 0);
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(NULL, "/file", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 0750);
    HEXPECT_EQ(t, st.st_uid, 1000);
    HEXPECT_EQ(t, st.st_gid, 100);
    HEXPECT_EQ(t, st.st_blksize, 512);
    /* Timestamps keep FAT's 2-second resolution. */
    HEXPECT_EQ(t, st.st_mtime, clock_sec - 1);
    HEXPECT_EQ(t, st.st_mtime_nsec, 0);
    uint64_t ino = st.st_ino;
    HEXPECT_EQ(t, vfs_stat(NULL, "/FILE", &st), 0);
    HEXPECT_EQ(t, st.st_ino, ino);

    /* chmod: only the write bits, all or none (the read-only attribute). */
    HEXPECT_EQ(t, vfs_chmod(NULL, "/file", 0640), -EPERM);
    HEXPECT_EQ(t, vfs_chmod(NULL, "/file", 0550), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/file", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 0550);
    HEXPECT_EQ(t, vfs_chmod(NULL, "/file", 0777), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/file", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFREG | 0750);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0700), 0);
    HEXPECT_EQ(t, vfs_chmod(NULL, "/d", 0550), -EPERM); /* directories cannot be read-only */
    HEXPECT_EQ(t, vfs_chown(NULL, "/file", 0, (uint32_t)-1, 0), -EPERM);
    HEXPECT_EQ(t, vfs_chown(NULL, "/file", 1000, 100, 0), 0);

    /* utimensat: modification time to 2 s, access time to the day. */
    struct vfs_timespec times[2] = {{1700000003, 700000000}, {1700000003, 700000000}};
    HEXPECT_EQ(t, vfs_utimens(NULL, "/file", times, 0), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/file", &st), 0);
    HEXPECT_EQ(t, st.st_mtime, 1700000002);
    HEXPECT_EQ(t, st.st_atime, 1700000003 - 1700000003 % 86400);

    /* No symlinks, hard links or device nodes. */
    HEXPECT_EQ(t, vfs_symlink("file", NULL, "/link"), -EPERM);
    HEXPECT_EQ(t, vfs_link(NULL, "/file", NULL, "/hard", 0), -EPERM);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/fifo", S_IFIFO | 0644, 0), -EPERM);

    /* Trailing dots are dropped; UTF-8 names survive a remount. */
    HEXPECT_EQ(t, put("/dots...", "d", 1, O_EXCL), 0);
    HEXPECT(t, holds("/dots", "d", 1));
    HEXPECT_EQ(t, put("/caf\xc3\xa9 \xe2\x82\xac.txt", "u", 1, O_EXCL), 0);
    HEXPECT_EQ(t, put("/bad:name", "u", 1, O_EXCL), -EINVAL);
    HEXPECT_EQ(t, put("/bad?name", "u", 1, O_EXCL), -EINVAL);
    HEXPECT_EQ(t, put("/bad\x01name", "u", 1, O_EXCL), -EINVAL);
    HEXPECT_EQ(t, put("/del\x7fname", "u", 1, O_EXCL), 0); /* DEL is allowed, as on Linux */
    HEXPECT_EQ(t, vfs_unlink(NULL, "/del\x7fname"), 0);
    HEXPECT_EQ(t, vfs_rename(NULL, "/file", NULL, "/dots", RENAME_EXCHANGE), -EINVAL);
    struct file *f;
    HEXPECT_EQ(t, vfs_open(NULL, "/dots", O_WRONLY, 0, &f), 0);
    HEXPECT_EQ(t, vfs_pwrite(f, "x", 1, 0xffffffffll), -EFBIG); /* sizes are 32 bits */
    vfs_close(f);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/dots", 1ll << 32), -EFBIG);
    vol_unmount(&v);
    HASSERT(t, vol_mount(&v, "uid=1000,gid=100,umask=027") == 0);
    char list[1024];
    HEXPECT(t, list_dir("/", list, sizeof(list)) == 0);
    const char *names[] = {"file", "d", "dots", "caf\xc3\xa9 \xe2\x82\xac.txt"};
    HEXPECT(t, same_names(list, names, 4));
    HEXPECT(t, holds("/caf\xc3\xa9 \xe2\x82\xac.txt", "u", 1));
    HEXPECT_EQ(t, vfs_stat(NULL, "/file", &st), 0);
    HEXPECT_EQ(t, st.st_ino, ino);               /* numbered by the entry's position */
    HEXPECT_EQ(t, dirent_ino("/", "file"), ino); /* readdir and stat agree */

    /* A directory replacing an empty one in another directory: ".." and link counts follow. */
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d/sub", 0755), 0);
    HEXPECT_EQ(t, put("/d/sub/in", "i", 1, 0), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/empty", 0755), 0);
    HEXPECT_EQ(t, vfs_rename(NULL, "/d", NULL, "/empty", 0), 0);
    HEXPECT(t, holds("/empty/sub/in", "i", 1));
    HEXPECT_EQ(t, vfs_rename(NULL, "/empty/sub", NULL, "/sub", 0), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/empty", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 2);
    HEXPECT_EQ(t, vfs_stat(NULL, "/", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 4); /* ".", "..", /empty's and /sub's ".." */
    HEXPECT_EQ(t, put("/empty/keep", "k", 1, 0), 0);
    HEXPECT_EQ(t, vfs_rename(NULL, "/sub", NULL, "/empty", 0), -ENOTEMPTY);

    /* sync writes everything, FSInfo included: the image is clean while still mounted. */
    HEXPECT_EQ(t, v.sb->ops->sync(v.sb), 0);
    HEXPECT_EQ(t, blkshim_sh("fsck.fat -n %s >/dev/null 2>&1", v.img), 0);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/sub/in"), 0);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/sub"), 0);
    vol_unmount(&v);
    HEXPECT_EQ(t, blkshim_sh("fsck.fat -n %s >/dev/null 2>&1", v.img), 0);
    HEXPECT_EQ(t,
               blkshim_sh("MTOOLS_SKIP_CHECK=1 mdir -b -i %s ::/ | sort | tr '\\n' '|' | grep -qx "
                          "'::/caf.*txt|::/dots|::/empty/|::/file|'",
                          v.img),
               0);
    vol_end(t, &v);
}

/* A file unlinked while open stays usable; its clusters go back at the last close. */
HTEST(fat_unlinked_open_file_frees_at_last_close)
{
    struct vol v;
    vol_begin(&v);
    HASSERT(t, vol_mount(&v, NULL) == 0);
    struct statfs before, during, after;
    HEXPECT_EQ(t, v.sb->ops->statfs(v.sb, &before), 0);
    size_t size = 100000;
    char *data = malloc(size), *back = malloc(size);
    pattern(data, size, 3);
    struct file *f;
    HEXPECT_EQ(t, vfs_open(NULL, "/going away soon", O_RDWR | O_CREAT, 0644, &f), 0);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/going away soon"), 0);
    HEXPECT_EQ(t, vfs_write(f, data, size), (ssize_t)size);
    HEXPECT_EQ(t, vfs_pread(f, back, size, 0), (ssize_t)size);
    HEXPECT(t, memcmp(data, back, size) == 0);
    HEXPECT_EQ(t, v.sb->ops->statfs(v.sb, &during), 0);
    HEXPECT_EQ(t, during.f_bfree, before.f_bfree - (size + 511) / 512);
    HEXPECT_EQ(t, put("/another", "a", 1, O_EXCL), 0); /* may reuse the unlinked file's entry */
    vfs_close(f);
    HEXPECT_EQ(t, v.sb->ops->statfs(v.sb, &after), 0);
    HEXPECT_EQ(t, after.f_bfree, before.f_bfree - 1);
    HEXPECT(t, holds("/another", "a", 1));
    vol_unmount(&v);
    HEXPECT_EQ(t, blkshim_sh("fsck.fat -n %s >/dev/null 2>&1", v.img), 0);
    free(data);
    free(back);
    vol_end(t, &v);
}

/* 4 KiB sectors and 8 KiB clusters: the cache's blocks follow the volume's sector size. */
HTEST(fat_large_sectors_and_clusters)
{
    struct vol v;
    vol_begin(&v);
    HASSERT(t, blkshim_sh("rm %s && mkfs.fat -F 32 -S 4096 -s 2 -C %s 600000 >/dev/null 2>&1", v.img,
                          v.img) == 0);
    HASSERT(t, vol_mount(&v, NULL) == 0);
    size_t size = 100000;
    char *data = malloc(size);
    pattern(data, size, 42);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/a directory", 0755), 0);
    HEXPECT_EQ(t, put("/a directory/a file with a long name", data, size, O_EXCL), 0);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/a directory/a file with a long name", 9000), 0);
    struct statfs st;
    HEXPECT_EQ(t, v.sb->ops->statfs(v.sb, &st), 0);
    HEXPECT_EQ(t, st.f_bsize, 8192);
    vol_unmount(&v);
    HEXPECT_EQ(t, blkshim_sh("fsck.fat -n %s >/dev/null 2>&1", v.img), 0);
    char out[128];
    snprintf(out, sizeof(out), "%s/out", v.dir);
    HEXPECT_EQ(
        t,
        blkshim_sh("MTOOLS_SKIP_CHECK=1 mcopy -i %s '::/a directory/a file with a long name' %s", v.img, out),
        0);
    size_t n;
    char *back = host_read(out, &n);
    HEXPECT(t, back && n == 9000 && memcmp(back, data, n) == 0);
    free(back);
    free(data);
    vol_end(t, &v);
}

/* A read-only mount (MS_RDONLY) reads, refuses every change with EROFS and writes nothing. */
HTEST(fat_readonly_mount_writes_nothing)
{
    struct vol v;
    vol_begin(&v);
    HASSERT(t, mtools("mmd -i %s '::/a dir'", v.img) == 0);
    char src[128];
    snprintf(src, sizeof(src), "%s/src", v.dir);
    host_write(src, "data\n", 5);
    HASSERT(t, mtools("mcopy -i %s %s '::/a dir/a file'", v.img, src) == 0);
    HASSERT(t, blkshim_sh("md5sum < %s > %s/sum", v.img, v.dir) == 0);
    HASSERT(t, vol_mount_flags(&v, 1 /* MS_RDONLY */, NULL) == 0);
    HEXPECT(t, v.sb->readonly);
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(NULL, "/a dir/a file", &st), 0);
    HEXPECT(t, holds("/a dir/a file", "data\n", 5));
    HEXPECT_EQ(t, put("/new", "x", 1, 0), -EROFS);
    HEXPECT_EQ(t, put("/a dir/a file", "x", 1, 0), -EROFS);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/a dir/a file", 0), -EROFS);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/d", 0755), -EROFS);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/a dir/a file"), -EROFS);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/a dir"), -EROFS);
    HEXPECT_EQ(t, vfs_rename(NULL, "/a dir", NULL, "/b dir", 0), -EROFS);
    HEXPECT_EQ(t, vfs_chmod(NULL, "/a dir/a file", 0555), -EROFS);
    HEXPECT_EQ(t, v.sb->ops->sync(v.sb), 0);
    vol_unmount(&v);
    HEXPECT_EQ(t, blkshim_sh("md5sum < %s | cmp -s - %s/sum", v.img, v.dir), 0);
    vol_end(t, &v);
}

/* Walks a (possibly damaged) tree: lists every directory, reads the start of every file. Depth
 * is bounded: damage can make a directory its own descendant. */
static void walk(const char *path, int depth)
{
    struct file *f;
    if (depth > 6 || vfs_open(NULL, path, O_RDONLY | O_DIRECTORY, 0, &f))
        return;
    char buf[2048];
    ssize_t n;
    int entries = 0;
    while ((n = vfs_getdents64(f, buf, sizeof(buf))) > 0 && entries < 300) {
        for (ssize_t off = 0; off < n; entries++) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
                continue;
            char child[4096];
            snprintf(child, sizeof(child), "%s/%s", strcmp(path, "/") ? path : "", d->d_name);
            struct file *c;
            if (d->d_type == DT_DIR) {
                walk(child, depth + 1);
            } else if (vfs_open(NULL, child, O_RDONLY, 0, &c) == 0) {
                char data[8192];
                for (int i = 0; i < 8 && vfs_read(c, data, sizeof(data)) > 0; i++)
                    ;
                vfs_close(c);
            }
        }
    }
    vfs_close(f);
}

/* Damage on disk (random bytes in the boot sector, the FAT and the first directory clusters)
 * gives errors, never a crash, a hang, a leak or a panic, whatever is then read or written. */
HTEST(fat_damaged_images_never_crash)
{
    struct vol v;
    vol_begin(&v);
    char src[128];
    snprintf(src, sizeof(src), "%s/src", v.dir);
    host_write(src, "some file contents\n", 19);
    HASSERT(t, mtools("mmd -i %s '::/a long directory name' '::/a long directory name/sub dir'", v.img) == 0);
    for (int i = 0; i < 12; i++)
        HASSERT(t, mtools("mcopy -i %s %s '::/a long directory name/file %d with a long name'", v.img, src,
                          i) == 0);
    HASSERT(t, mtools("mcopy -i %s %s '::/a long directory name/sub dir/deeper file'", v.img, src) == 0);
    char pristine[128];
    snprintf(pristine, sizeof(pristine), "%s/pristine", v.dir);
    HASSERT(t, blkshim_sh("cp --sparse=always %s %s", v.img, pristine) == 0);
    srand(5);
    int mounted = 0;
    for (int round = 0; round < 40; round++) {
        HASSERT(t, blkshim_sh("cp --sparse=always %s %s", pristine, v.img) == 0);
        FILE *img = fopen(v.img, "r+b");
        HASSERT(t, img != NULL);
        /* The layout from the BPB: reserved sectors, then two FATs, then the data area. */
        unsigned char bpb[48];
        HASSERT(t, fread(bpb, 1, sizeof(bpb), img) == sizeof(bpb));
        long reserved = bpb[0x0e] | bpb[0x0f] << 8;
        long fat_size = bpb[0x24] | bpb[0x25] << 8 | (long)bpb[0x26] << 16;
        long fat = reserved * 512, data = (reserved + 2 * fat_size) * 512;
        for (int k = 0; k < 24; k++) {
            /* Every fourth round hits the boot sector too (most such mounts fail). */
            int where = rand() % (round % 4 ? 9 : 10);
            long off = where == 9 ? rand() % 90 : where < 3 ? fat + rand() % 256 : data + rand() % 8192;
            fseek(img, off, SEEK_SET);
            fputc(rand() & 0xff, img);
        }
        fclose(img);
        if (vol_mount(&v, NULL) != 0)
            continue;
        mounted++;
        walk("/", 0);
        put("/new file after damage", src, 19, 0);
        vfs_mkdir(NULL, "/a long directory name/new dir", 0755);
        vfs_rename(NULL, "/a long directory name/file 3 with a long name", NULL, "/moved", 0);
        vfs_unlink(NULL, "/a long directory name/file 5 with a long name");
        vfs_truncate(NULL, "/a long directory name/file 7 with a long name", 5000);
        walk("/", 0);
        vol_unmount(&v);
    }
    HEXPECT(t, mounted >= 20); /* the damage was mostly worked on, not just refused */
    vol_end(t, &v);
}

HTEST(fat_mount_rejects_bad_volumes_and_options)
{
    struct vol v;
    vol_begin(&v);
    HEXPECT_EQ(t, vol_mount(&v, "shortname=win95"), -EINVAL);
    HEXPECT_EQ(t, vol_mount(&v, "uid=abc"), -EINVAL);
    HEXPECT_EQ(t, blkshim_sh("dd if=/dev/zero of=%s bs=512 count=1 conv=notrunc 2>/dev/null", v.img), 0);
    HEXPECT_EQ(t, vol_mount(&v, NULL), -EINVAL);
    vol_end(t, &v);
}
