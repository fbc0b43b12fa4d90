/* Host tests for the buffer cache and ext2, with the host's e2fsprogs as the oracles: images made
 * by mke2fs -d from a directory are read back through the VFS and compared with the directory;
 * a write workload is checked by e2fsck -fn (must be clean), by debugfs (contents, modes,
 * owners) and by reading it back after a remount. Every test checks kmalloc leaks. */
#include "blkshim.h"
#include "htest.h"
#include "kshim.h"
#include <kestrel/bcache.h>
#include <kestrel/ext2.h>
#include <kestrel/vfs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uapi/statfs.h>

/* ---- Helpers ---- */

struct work {
    char dir[64]; /* a scratch directory, removed at the end */
    char img[96];
    struct block_device bd;
    struct super_block *sb;
    long allocs;
};

/* A clock that only moves when the test says so. */
static int64_t test_now = 1700000000;
static void test_clock(struct vfs_timespec *ts)
{
    ts->sec = test_now;
    ts->nsec = 123456789;
}

static void work_begin(struct work *w)
{
    vfs_set_clock(test_clock);
    strcpy(w->dir, "/tmp/kestrel-ext2-XXXXXX");
    if (!mkdtemp(w->dir))
        abort();
    snprintf(w->img, sizeof(w->img), "%s/img", w->dir);
    w->allocs = kshim_live_allocs();
}

static void work_end(struct htest *t, struct work *w)
{
    blkshim_sh("rm -rf %s", w->dir);
    vfs_set_clock(NULL);
    HEXPECT_EQ(t, kshim_live_allocs(), w->allocs);
}

/* mke2fs -t ext2 with block size bs, size in KiB, extra options, and a source directory (or
 * NULL for an empty filesystem). */
static int mkfs(struct work *w, unsigned bs, unsigned kib, const char *opts, const char *src)
{
    char from[160] = "";
    if (src)
        snprintf(from, sizeof(from), "-d %s", src);
    return blkshim_sh("mke2fs -q -F -t ext2 -b %u %s %s %s %u >/dev/null 2>&1", bs, opts ? opts : "", from,
                      w->img, kib);
}

static int do_mount(struct work *w, unsigned long flags)
{
    int err = blkshim_open(w->img, &w->bd);
    if (err)
        return err;
    err = ext2_fs_type.mount(&w->bd, flags, NULL, &w->sb);
    if (err) {
        blkshim_close(&w->bd);
        return err;
    }
    vfs_set_root(w->sb->root);
    return 0;
}

static void do_umount(struct work *w)
{
    vfs_set_root(NULL);
    w->sb->ops->put_super(w->sb);
    blkshim_close(&w->bd);
}

/* e2fsck -fn finds nothing, and the superblock's free counts are the sum of the groups' (e2fsck
 * fixes those silently, so they are checked here with dumpe2fs). */
static int fsck_clean(struct work *w)
{
    if (blkshim_sh("e2fsck -fn %s > %s/fsck.log 2>&1 || { cat %s/fsck.log >&2; exit 1; }", w->img, w->dir,
                   w->dir))
        return 1;
    return blkshim_sh("dumpe2fs %s 2>/dev/null | awk '/^Free blocks:/ {sb = $3} /^Free inodes:/ {si = $3}"
                      " / free blocks, .* free inodes, / {gb += $1; gi += $4}"
                      " END {if (sb != gb || si != gi) {print \"superblock free counts \" sb \"/\" si"
                      " \" != groups \" gb \"/\" gi > \"/dev/stderr\"; exit 1}}'",
                      w->img);
}

/* A deterministic pattern: byte i of content seed. */
static unsigned char pat(unsigned seed, uint64_t i)
{
    return (unsigned char)((i * 131 + seed * 7 + (i >> 10) * 3) & 0xff);
}

static int write_pattern(const char *path, unsigned seed, uint64_t off, size_t len, int flags)
{
    struct file *f;
    int err = vfs_open(NULL, path, O_WRONLY | O_CREAT | flags, 0644, &f);
    if (err)
        return err;
    unsigned char buf[4096];
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = pat(seed, off + done + i);
        ssize_t w = vfs_pwrite(f, buf, n, (int64_t)(off + done));
        if (w <= 0) {
            vfs_close(f);
            return w < 0 ? (int)w : -EIO;
        }
        done += (size_t)w;
    }
    vfs_close(f);
    return 0;
}

/* Whether [off, off+len) of path holds the pattern (or zeroes, for seed -1). */
static bool check_pattern(const char *path, int seed, uint64_t off, size_t len)
{
    struct file *f;
    if (vfs_open(NULL, path, O_RDONLY, 0, &f) != 0)
        return false;
    unsigned char buf[4096];
    bool ok = true;
    for (size_t done = 0; done < len && ok;) {
        size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
        ok = vfs_pread(f, buf, n, (int64_t)(off + done)) == (ssize_t)n;
        for (size_t i = 0; i < n && ok; i++)
            ok = buf[i] == (seed < 0 ? 0 : pat((unsigned)seed, off + done + i));
        done += n;
    }
    vfs_close(f);
    return ok;
}

/* ---- The buffer cache ---- */

HTEST(bcache_bound_writeback_and_forget)
{
    struct work w;
    work_begin(&w);
    HASSERT(t, blkshim_sh("truncate -s 64K %s", w.img) == 0);
    HASSERT(t, blkshim_open(w.img, &w.bd) == 0);
    struct bcache *bc = bcache_create(&w.bd, 1024, 8);
    HASSERT(t, bc);
    struct buf *b, *held;
    /* A dirty block written once, then pushed out by 20 others: it reaches the disk. */
    HASSERT(t, bcache_new(bc, 3, &b) == 0);
    memcpy(b->data, "written back", 12);
    bcache_put(b);
    HEXPECT_EQ(t, blkshim_sectors_written(&w.bd), 0);
    HASSERT(t, bcache_get(bc, 10, &held) == 0); /* a referenced block is never evicted */
    for (unsigned i = 20; i < 40; i++) {
        HASSERT(t, bcache_get(bc, i, &b) == 0);
        bcache_put(b);
        HEXPECT(t, bcache_count(bc) <= 8);
    }
    HEXPECT_EQ(t, blkshim_sectors_written(&w.bd), 2);
    HEXPECT_EQ(t, held->blockno, 10);
    bcache_put(held);
    char out[16] = "";
    HEXPECT_EQ(
        t,
        blkshim_sh_out(out, sizeof(out), "dd if=%s bs=1024 skip=3 count=1 2>/dev/null | head -c 12", w.img),
        12);
    HEXPECT(t, strcmp(out, "written back") == 0);
    /* Two gets of one block share the buffer; a forgotten dirty block is never written. */
    HASSERT(t, bcache_get(bc, 5, &b) == 0);
    HASSERT(t, bcache_get(bc, 5, &held) == 0);
    HEXPECT(t, b == held);
    memset(b->data, 0xee, 1024);
    bcache_mark_dirty(b);
    bcache_put(b);
    bcache_put(held);
    bcache_forget(bc, 5);
    HEXPECT_EQ(t, bcache_get(bc, 64, &b), -EINVAL); /* past the end of the device */
    HEXPECT_EQ(t, bcache_destroy(bc), 0);
    HEXPECT_EQ(t, blkshim_sectors_written(&w.bd), 2);
    blkshim_close(&w.bd);
    work_end(t, &w);
}

/* Regression: a failed read used to unlink its never-listed buffer from the LRU list, emptying the
 * list, so no unreferenced block was evicted again and bcache_destroy panicked. */
HTEST(bcache_failed_read_keeps_eviction_working)
{
    struct work w;
    work_begin(&w);
    HASSERT(t, blkshim_sh("truncate -s 64K %s", w.img) == 0);
    HASSERT(t, blkshim_open(w.img, &w.bd) == 0);
    struct bcache *bc = bcache_create(&w.bd, 1024, 4);
    HASSERT(t, bc);
    struct buf *b;
    for (unsigned i = 0; i < 4; i++) {
        HASSERT(t, bcache_get(bc, i, &b) == 0);
        bcache_put(b);
    }
    HASSERT(t, blkshim_sh("truncate -s 8K %s", w.img) == 0); /* blocks 8 and up now fail to read */
    HEXPECT_EQ(t, bcache_get(bc, 20, &b), -EIO);
    for (unsigned i = 0; i < 8; i++) {
        HASSERT(t, bcache_get(bc, i, &b) == 0);
        bcache_put(b);
        HEXPECT(t, bcache_count(bc) <= 4);
    }
    HEXPECT_EQ(t, bcache_destroy(bc), 0);
    blkshim_close(&w.bd);
    work_end(t, &w);
}

/* ---- Reading images made by mke2fs ---- */

/* The source tree: every kind of file mke2fs -d copies without privileges. */
static int make_source(const char *src)
{
    return blkshim_sh(
        "set -e; mkdir -p %1$s/dir/sub %1$s/many; cd %1$s;"
        "printf 'hello, ext2\\n' > small; : > empty;"
        "head -c 300000 /dev/urandom > double;" /* past 268 KiB: double indirect at 1 KiB */
        "head -c 5000 /dev/urandom > dir/sub/deep; chmod 640 dir/sub/deep;"
        "truncate -s 70M sparse; printf tail >> sparse; printf head | dd of=sparse conv=notrunc 2>/dev/null;"
        "ln -s small fast; ln -s $(printf 'x%%.0s' $(seq 1 100)) slow; ln double hard; mkfifo fifo;"
        "for i in $(seq 1 300); do echo \"file $i\" > many/entry-with-a-longish-name-$i; done;"
        "touch -d @1000000000 small",
        src);
}

/* Compares the host file (read directly) with the same path in the mounted image. */
static bool same_contents(const char *src, const char *path)
{
    char host[512];
    snprintf(host, sizeof(host), "%s%s", src, path);
    FILE *f = fopen(host, "rb");
    if (!f)
        return false;
    struct file *k;
    if (vfs_open(NULL, path, O_RDONLY, 0, &k) != 0) {
        fclose(f);
        return false;
    }
    bool ok = true;
    char a[8192], b[8192];
    for (;;) {
        size_t n = fread(a, 1, sizeof(a), f);
        ssize_t m = vfs_read(k, b, sizeof(b));
        if (m != (ssize_t)n || memcmp(a, b, n) != 0) {
            ok = false;
            break;
        }
        if (n == 0)
            break;
    }
    fclose(f);
    vfs_close(k);
    return ok;
}

/* Mode, owner, size, links and mtime as the host's stat(1) reports them (mke2fs -d keeps whole
 * seconds: the nanoseconds are 0 in the image). */
static bool same_stat(const char *src, const char *path)
{
    char out[256];
    blkshim_sh_out(out, sizeof(out), "stat -c '%%f %%u %%g %%s %%h %%Y' %s%s", src, path);
    unsigned mode, uid, gid, nlink;
    unsigned long long size, mtime;
    if (sscanf(out, "%x %u %u %llu %u %llu", &mode, &uid, &gid, &size, &nlink, &mtime) != 6)
        return false;
    struct stat st;
    if (vfs_lstat(NULL, path, &st) != 0)
        return false;
    bool dir = S_ISDIR(st.st_mode); /* directory sizes differ between filesystems */
    return st.st_mode == mode && st.st_uid == uid && st.st_gid == gid &&
           (dir || (uint64_t)st.st_size == size) && st.st_nlink == nlink && (uint64_t)st.st_mtime == mtime &&
           st.st_mtime_nsec == 0;
}

struct names {
    int count;
    bool dot, dotdot;
};

static void count_entries(const char *path, struct names *names)
{
    memset(names, 0, sizeof(*names));
    struct file *f;
    if (vfs_open(NULL, path, O_RDONLY | O_DIRECTORY, 0, &f) != 0)
        return;
    char buf[700]; /* small, so the listing takes many calls and resumes from d_off */
    ssize_t n;
    while ((n = vfs_getdents64(f, buf, sizeof(buf))) > 0) {
        for (ssize_t off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            if (strcmp(d->d_name, ".") == 0)
                names->dot = true;
            else if (strcmp(d->d_name, "..") == 0)
                names->dotdot = true;
            else
                names->count++;
            off += d->d_reclen;
        }
    }
    vfs_close(f);
}

static void read_image(struct htest *t, unsigned bs, const char *opts, bool nsec)
{
    struct work w;
    work_begin(&w);
    char src[128];
    snprintf(src, sizeof(src), "%s/src", w.dir);
    HASSERT(t, make_source(src) == 0);
    HASSERT(t, mkfs(&w, bs, 16384, opts, src) == 0);
    HASSERT(t, do_mount(&w, 0) == 0);
    static const char *const files[] = {"/small", "/empty", "/double", "/dir/sub/deep", "/sparse", "/hard"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        HEXPECT(t, same_contents(src, files[i]));
        HEXPECT(t, same_stat(src, files[i]));
    }
    static const char *const others[] = {"/fast", "/slow", "/fifo", "/dir", "/dir/sub", "/many"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        HEXPECT(t, same_stat(src, others[i]));
    char target[128];
    HEXPECT_EQ(t, vfs_readlink(NULL, "/fast", target, sizeof(target)), 5);
    HEXPECT(t, memcmp(target, "small", 5) == 0);
    HEXPECT_EQ(t, vfs_readlink(NULL, "/slow", target, sizeof(target)), 100);
    HEXPECT(t, target[0] == 'x' && target[99] == 'x');
    HEXPECT(t, same_contents(src, "/fast")); /* followed */
    struct names names;
    count_entries("/many", &names);
    HEXPECT_EQ(t, names.count, 300);
    HEXPECT(t, names.dot && names.dotdot);
    HEXPECT(t, same_contents(src, "/many/entry-with-a-longish-name-277"));
    struct stat a, b;
    HEXPECT_EQ(t, vfs_stat(NULL, "/double", &a), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/hard", &b), 0);
    HEXPECT_EQ(t, a.st_ino, b.st_ino);
    HEXPECT_EQ(t, vfs_stat(NULL, "/dir/sub/..", &a), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/dir", &b), 0);
    HEXPECT_EQ(t, a.st_ino, b.st_ino);
    HEXPECT_EQ(t, vfs_stat(NULL, "/nonexistent", &a), -ENOENT);
    /* The sparse file's holes cost nothing: 70 MiB of size, a few blocks of storage. */
    HEXPECT_EQ(t, vfs_stat(NULL, "/sparse", &a), 0);
    HEXPECT(t, a.st_blocks < 64);
    HEXPECT(t, check_pattern("/sparse", -1, 4096, 65536));
    do_umount(&w);
    HEXPECT_EQ(t, fsck_clean(&w), 0); /* mounting and reading changed nothing e2fsck minds */
    if (nsec) {
        /* A large inode's extra time word: nanoseconds << 2, and epoch bits adding 2^32 seconds. */
        HASSERT(t, blkshim_sh("debugfs -w -R 'sif /small mtime_extra 0x1d6f3455' %s >/dev/null 2>&1",
                              w.img) == 0);
        HASSERT(t, do_mount(&w, 0) == 0);
        struct stat st;
        HEXPECT_EQ(t, vfs_stat(NULL, "/small", &st), 0);
        HEXPECT_EQ(t, st.st_mtime, 1000000000 + (1ll << 32));
        HEXPECT_EQ(t, st.st_mtime_nsec, 123456789);
        do_umount(&w);
    }
    work_end(t, &w);
}

HTEST(ext2_reads_mke2fs_image_1k)
{
    read_image(t, 1024, "-I 128", false);
}

HTEST(ext2_reads_mke2fs_image_4k)
{
    read_image(t, 4096, "-I 256", true);
}

/* Reads path from the start to its end in chunk-byte read(2)s; whether it held the pattern. */
static bool read_sequentially(const char *path, unsigned seed, uint64_t size, size_t chunk)
{
    struct file *f;
    if (vfs_open(NULL, path, O_RDONLY, 0, &f) != 0)
        return false;
    static unsigned char buf[64 * 1024];
    uint64_t done = 0;
    bool ok = chunk <= sizeof(buf);
    while (ok) {
        ssize_t n = vfs_read(f, buf, chunk);
        if (n <= 0) {
            ok = n == 0 && done == size;
            break;
        }
        for (ssize_t i = 0; i < n && ok; i++)
            ok = buf[i] == pat(seed, done + (uint64_t)i);
        done += (uint64_t)n;
    }
    vfs_close(f);
    return ok;
}

/* Readahead (kernel/fs/pagecache.c): a cold sequential read of a contiguous 2 MiB file in 64 KiB
 * reads grows its fills to 256 KiB, so the device sees about a dozen read requests, not one per
 * read(2) (32) or per page (512); the bytes up to the odd end are right. Page-sized reads of a
 * cold file ramp up the same way. */
HTEST(pagecache_readahead_on_sequential_reads)
{
    struct work w;
    work_begin(&w);
    const uint64_t size = 2 * 1024 * 1024 + 1000;
    HASSERT(t, mkfs(&w, 4096, 8192, NULL, NULL) == 0);
    HASSERT(t, do_mount(&w, 0) == 0);
    HASSERT(t, write_pattern("/big", 3, 0, size, 0) == 0);
    do_umount(&w);
    for (size_t chunk = 64 * 1024; chunk >= 4096; chunk /= 16) {
        HASSERT(t, do_mount(&w, 0) == 0);
        unsigned long before = blkshim_read_requests(&w.bd);
        HEXPECT(t, read_sequentially("/big", 3, size, chunk));
        unsigned long requests = blkshim_read_requests(&w.bd) - before;
        HEXPECT(t, requests <= 16);
        if (requests > 16)
            fprintf(stderr, "  %zu-byte reads: %lu device read requests\n", chunk, requests);
        do_umount(&w);
    }
    HEXPECT_EQ(t, fsck_clean(&w), 0);
    work_end(t, &w);
}

/* ---- A write workload, checked by e2fsck, debugfs and a remount ---- */

/* What the workload believes a file holds. Hard links are separate entries written last. */
struct mfile {
    char path[64];
    unsigned char *data;
    size_t size;
    uint32_t mode, uid, gid;
    bool live;
};

#define NDIRS      20
#define PER_DIR    100
#define MAX_MFILES (NDIRS * PER_DIR + 400)

struct model {
    struct mfile f[MAX_MFILES];
    int n;
    unsigned seed;
};

static unsigned next_rand(struct model *m)
{
    m->seed = m->seed * 1103515245u + 12345u;
    return m->seed >> 8;
}

static struct mfile *model_add(struct model *m, const char *path)
{
    struct mfile *f = &m->f[m->n++];
    snprintf(f->path, sizeof(f->path), "%s", path);
    f->data = NULL;
    f->size = 0;
    f->mode = S_IFREG | 0644;
    f->uid = f->gid = 0;
    f->live = true;
    return f;
}

/* Writes len random bytes at off, through the VFS and into the model. */
static int mwrite(struct model *m, struct mfile *f, uint64_t off, size_t len, int flags)
{
    size_t end = (size_t)off + len;
    if (end > f->size) {
        f->data = realloc(f->data, end ? end : 1);
        memset(f->data + f->size, 0, end - f->size);
        f->size = end;
    }
    for (size_t i = 0; i < len; i++)
        f->data[off + i] = (unsigned char)next_rand(m);
    struct file *file;
    int err = vfs_open(NULL, f->path, O_WRONLY | O_CREAT | flags, 0644, &file);
    if (err)
        return err;
    ssize_t n = len ? vfs_pwrite(file, f->data + off, len, (int64_t)off) : 0;
    vfs_close(file);
    return n == (ssize_t)len ? 0 : -EIO;
}

static int mtruncate(struct mfile *f, size_t size)
{
    if (size > f->size) {
        f->data = realloc(f->data, size);
        memset(f->data + f->size, 0, size - f->size);
    }
    f->size = size;
    return vfs_truncate(NULL, f->path, (int64_t)size);
}

static void mrename_prefix(struct model *m, const char *from, const char *to)
{
    size_t n = strlen(from);
    for (int i = 0; i < m->n; i++) {
        char rest[64];
        if (!m->f[i].live || strncmp(m->f[i].path, from, n) != 0)
            continue;
        snprintf(rest, sizeof(rest), "%s", m->f[i].path + n);
        snprintf(m->f[i].path, sizeof(m->f[i].path), "%s%s", to, rest);
    }
}

static bool matches(const struct mfile *f)
{
    struct stat st;
    if (vfs_stat(NULL, f->path, &st) != 0 || (uint64_t)st.st_size != f->size || st.st_mode != f->mode ||
        st.st_uid != f->uid || st.st_gid != f->gid)
        return false;
    struct file *file;
    if (vfs_open(NULL, f->path, O_RDONLY, 0, &file) != 0)
        return false;
    unsigned char *buf = malloc(f->size + 1);
    ssize_t n = vfs_read(file, buf, f->size + 1);
    bool ok = n == (ssize_t)f->size && (f->size == 0 || memcmp(buf, f->data, f->size) == 0);
    free(buf);
    vfs_close(file);
    return ok;
}

static int mismatches(struct model *m)
{
    int bad = 0;
    for (int i = 0; i < m->n; i++)
        if (m->f[i].live && !matches(&m->f[i])) {
            fprintf(stderr, "# mismatch: %s\n", m->f[i].path);
            bad++;
        }
    return bad;
}

/* debugfs's view of a file: its contents, mode and owner must be the model's. */
static bool debugfs_agrees(struct work *w, const struct mfile *f)
{
    static char out[8192];
    size_t n = blkshim_sh_out(out, sizeof(out), "debugfs -R 'cat %s' %s 2>/dev/null", f->path, w->img);
    if (n != f->size || (n && memcmp(out, f->data, n) != 0))
        return false;
    blkshim_sh_out(out, sizeof(out), "debugfs -R 'stat %s' %s 2>/dev/null", f->path, w->img);
    const char *mode = strstr(out, "Mode:"), *user = strstr(out, "User:"), *size = strstr(out, "Size:");
    unsigned mo, uid, gid;
    unsigned long long sz;
    return mode && user && size && sscanf(mode, "Mode: %o", &mo) == 1 &&
           sscanf(user, "User: %u Group: %u", &uid, &gid) == 2 && sscanf(size, "Size: %llu", &sz) == 1 &&
           mo == (f->mode & 07777) && uid == f->uid && gid == f->gid && sz == f->size;
}

static void model_free(struct model *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->f[i].data);
    free(m);
}

/* Creates, writes, appends, overwrites and truncates thousands of files in NDIRS directories. */
static void workload_files(struct htest *t, struct model *m)
{
    char path[64];
    for (int d = 0; d < NDIRS; d++) {
        snprintf(path, sizeof(path), "/d%02d", d);
        HEXPECT_EQ(t, vfs_mkdir(NULL, path, 0755), 0);
        snprintf(path, sizeof(path), "/d%02d/sub", d);
        HEXPECT_EQ(t, vfs_mkdir(NULL, path, 0700), 0);
        for (int i = 0; i < PER_DIR; i++) {
            snprintf(path, sizeof(path), "/d%02d/f%03d", d, i);
            struct mfile *f = model_add(m, path);
            HEXPECT_EQ(t, mwrite(m, f, 0, next_rand(m) % 3000 * (i % 5 != 0), O_EXCL), 0);
        }
    }
    for (int i = 0; i < m->n; i++) {
        struct mfile *f = &m->f[i];
        switch (i % 6) {
        case 1:
            HEXPECT_EQ(t, mwrite(m, f, f->size, 1 + next_rand(m) % 2000, O_APPEND), 0);
            break;
        case 2:
            HEXPECT_EQ(t, mwrite(m, f, f->size / 2, 100, 0), 0);
            break;
        case 3:
            HEXPECT_EQ(t, mtruncate(f, f->size / 3), 0);
            break;
        case 4:
            HEXPECT_EQ(t, mtruncate(f, f->size + 5000), 0);
            break;
        }
    }
}

/* Renames (in a directory, across directories, over an existing file, a whole directory),
 * unlinks, rmdirs, chmod, chown. */
static void workload_names(struct htest *t, struct model *m)
{
    char path[64];
    for (int i = 0; i < m->n; i += 7) {
        snprintf(path, sizeof(path), "/d%02d/sub/r%03d", (i / PER_DIR + 1) % NDIRS, i % PER_DIR);
        HEXPECT_EQ(t, vfs_rename(NULL, m->f[i].path, NULL, path, 0), 0);
        snprintf(m->f[i].path, sizeof(m->f[i].path), "%s", path);
    }
    /* f001 replaces f002 in each directory: the old f002 goes. */
    for (int d = 0; d < NDIRS; d++) {
        struct mfile *a = &m->f[d * PER_DIR + 1], *b = &m->f[d * PER_DIR + 2];
        HEXPECT_EQ(t, vfs_rename(NULL, a->path, NULL, b->path, 0), 0);
        b->live = false;
        memcpy(a->path, b->path, sizeof(a->path));
    }
    for (int i = 3; i < m->n; i += 3) {
        if (!m->f[i].live || i % 7 == 0)
            continue;
        HEXPECT_EQ(t, vfs_unlink(NULL, m->f[i].path), 0);
        m->f[i].live = false;
    }
    HEXPECT_EQ(t, vfs_rename(NULL, "/d05", NULL, "/d06/moved", 0), 0);
    mrename_prefix(m, "/d05/", "/d06/moved/");
    HEXPECT_EQ(t, vfs_rename(NULL, "/d06/moved/sub", NULL, "/d07/sub2", 0), 0);
    mrename_prefix(m, "/d06/moved/sub/", "/d07/sub2/");
    for (int d = 0; d < 50; d++) { /* directories created and removed */
        snprintf(path, sizeof(path), "/d08/tmp%d", d);
        HEXPECT_EQ(t, vfs_mkdir(NULL, path, 0755), 0);
    }
    for (int d = 0; d < 50; d += 2) {
        snprintf(path, sizeof(path), "/d08/tmp%d", d);
        HEXPECT_EQ(t, vfs_rmdir(NULL, path), 0);
    }
    for (int d = 0; d < 1000; d++) { /* a thousand more, nested ten deep, the deepest half removed */
        if (d % 10 == 0)
            snprintf(path, sizeof(path), "/d09/n%d", d / 10);
        else
            snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%d", d % 10);
        HEXPECT_EQ(t, vfs_mkdir(NULL, path, 0750), 0);
    }
    for (int d = 0; d < 100; d++) {
        snprintf(path, sizeof(path), "/d09/n%d/1/2/3/4/5/6/7/8/9", d);
        for (int depth = 9; depth > 4; depth--) {
            HEXPECT_EQ(t, vfs_rmdir(NULL, path), 0);
            *strrchr(path, '/') = 0;
        }
    }
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/d06"), -ENOTEMPTY);
    for (int i = 4; i < m->n; i += 10) {
        if (!m->f[i].live)
            continue;
        HEXPECT_EQ(t, vfs_chmod(NULL, m->f[i].path, 0600), 0);
        HEXPECT_EQ(t, vfs_chown(NULL, m->f[i].path, 1000 + (uint32_t)i, 70000, 0), 0);
        m->f[i].mode = S_IFREG | 0600;
        m->f[i].uid = 1000 + (uint32_t)i;
        m->f[i].gid = 70000; /* needs the high 16 bits */
    }
}

/* Hard links (as extra model entries: nothing writes to them afterwards) and symlinks. */
static void workload_links(struct htest *t, struct model *m)
{
    int n = m->n;
    for (int i = 0; i < n; i += 11) {
        if (!m->f[i].live)
            continue;
        char path[64];
        snprintf(path, sizeof(path), "%s.link", m->f[i].path);
        HEXPECT_EQ(t, vfs_link(NULL, m->f[i].path, NULL, path, 0), 0);
        struct mfile *l = model_add(m, path);
        *l = m->f[i];
        snprintf(l->path, sizeof(l->path), "%s", path);
        l->data = malloc(l->size + 1);
        if (l->size)
            memcpy(l->data, m->f[i].data, l->size);
    }
    char slow[300];
    memset(slow, 'y', sizeof(slow) - 1);
    slow[sizeof(slow) - 1] = 0;
    memcpy(slow, "/d00/", 5);
    HEXPECT_EQ(t, vfs_symlink("f000", NULL, "/d00/fast"), 0);
    HEXPECT_EQ(t, vfs_symlink(slow, NULL, "/d00/slow"), 0);
    char buf[400];
    HEXPECT_EQ(t, vfs_readlink(NULL, "/d00/slow", buf, sizeof(buf)), 299);
    HEXPECT(t, memcmp(buf, slow, 299) == 0);
    HEXPECT_EQ(t, vfs_symlink("gone", NULL, "/d00/dangling"), 0);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/d00/dangling"), 0);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/d00/null", S_IFCHR | 0666, vfs_mkdev(1, 3)), 0);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/d00/bigdev", S_IFBLK | 0600, vfs_mkdev(259, 70000)), 0);
    HEXPECT_EQ(t, vfs_mknod(NULL, "/d00/pipe", S_IFIFO | 0600, 0), 0);
}

/* Big files: a double-indirect one written in full, and a sparse one reaching the triple
 * indirect block and past 4 GiB (large_file), then cut back. */
static void workload_big(struct htest *t)
{
    HEXPECT_EQ(t, write_pattern("/big", 1, 0, 1 << 20, O_EXCL), 0);
    const uint64_t far = 5ull << 30, mid = 70ull << 20;
    HEXPECT_EQ(t, write_pattern("/sparse", 2, mid, 8192, O_EXCL), 0);
    HEXPECT_EQ(t, write_pattern("/sparse", 3, far, 4096, 0), 0);
    HEXPECT(t, check_pattern("/sparse", 3, far, 4096));
    HEXPECT(t, check_pattern("/sparse", -1, far - 65536, 65536));
    HEXPECT_EQ(t, vfs_truncate(NULL, "/sparse", (int64_t)mid + 4096), 0);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/sparse", (int64_t)mid + 8192), 0); /* the cut part reads zeroes */
    HEXPECT(t, check_pattern("/sparse", 2, mid, 4096));
    HEXPECT(t, check_pattern("/sparse", -1, mid + 4096, 4096));
    /* An unlinked file stays readable until its last close, then its space comes back. */
    struct statfs before, after;
    struct super_block *sb = vfs_root()->sb;
    HEXPECT_EQ(t, sb->ops->statfs(sb, &before), 0);
    HEXPECT_EQ(t, write_pattern("/doomed", 4, 0, 100000, O_EXCL), 0);
    struct file *f;
    HEXPECT_EQ(t, vfs_open(NULL, "/doomed", O_RDONLY, 0, &f), 0);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/doomed"), 0);
    HEXPECT(t, check_pattern("/big", 1, 0, 1 << 20));
    char buf[16];
    HEXPECT_EQ(t, vfs_pread(f, buf, sizeof(buf), 99990), 10);
    vfs_close(f);
    HEXPECT_EQ(t, sb->ops->statfs(sb, &after), 0);
    HEXPECT_EQ(t, after.f_bfree, before.f_bfree);
    HEXPECT_EQ(t, after.f_ffree, before.f_ffree);
}

static void write_workload(struct htest *t, unsigned bs, unsigned kib, const char *opts)
{
    struct work w;
    work_begin(&w);
    struct model *m = calloc(1, sizeof(*m));
    m->seed = bs;
    HASSERT(t, mkfs(&w, bs, kib, opts, NULL) == 0);
    HASSERT(t, do_mount(&w, 0) == 0);
    workload_files(t, m);
    workload_names(t, m);
    workload_links(t, m);
    workload_big(t);
    HEXPECT_EQ(t, mismatches(m), 0);
    HEXPECT_EQ(t, w.sb->ops->sync(w.sb), 0);
    /* What sync wrote is a consistent filesystem by itself, as a crash right after would leave. */
    HEXPECT_EQ(t,
               blkshim_sh("cp --sparse=always %s %s.synced && e2fsck -fn %s.synced >/dev/null 2>&1", w.img,
                          w.img, w.img),
               0);
    do_umount(&w);
    HEXPECT_EQ(t, fsck_clean(&w), 0);
    int checked = 0, agreed = 0;
    for (int i = 0; i < m->n; i += 37) {
        if (!m->f[i].live)
            continue;
        checked++;
        agreed += debugfs_agrees(&w, &m->f[i]);
    }
    HEXPECT(t, checked > 20);
    HEXPECT_EQ(t, agreed, checked);
    char out[4096];
    blkshim_sh_out(out, sizeof(out), "debugfs -R 'stat /d00/bigdev' %s 2>/dev/null", w.img);
    HEXPECT(t, strstr(out, "Device major/minor number: 259:70000") != NULL);
    /* Read back after a remount: everything came from the disk this time. */
    HASSERT(t, do_mount(&w, 0) == 0);
    HEXPECT_EQ(t, mismatches(m), 0);
    HEXPECT(t, check_pattern("/big", 1, 0, 1 << 20));
    HEXPECT(t, check_pattern("/sparse", 2, 70 << 20, 4096));
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(NULL, "/d00/null", &st), 0);
    HEXPECT_EQ(t, st.st_rdev, vfs_mkdev(1, 3));
    HEXPECT_EQ(t, vfs_stat(NULL, "/d00/bigdev", &st), 0);
    HEXPECT_EQ(t, st.st_rdev, vfs_mkdev(259, 70000));
    struct stat up;
    HEXPECT_EQ(t, vfs_stat(NULL, "/d06", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 4); /* its entry, ".", sub/.. and moved/.. */
    HEXPECT_EQ(t, vfs_stat(NULL, "/d06/moved/..", &up), 0);
    HEXPECT_EQ(t, up.st_ino, st.st_ino);
    do_umount(&w);
    HEXPECT_EQ(t, fsck_clean(&w), 0);
    model_free(m);
    work_end(t, &w);
}

HTEST(ext2_write_workload_1k)
{
    write_workload(t, 1024, 32768, "-I 128");
}

HTEST(ext2_write_workload_4k)
{
    write_workload(t, 4096, 65536, "-I 256");
}

/* ---- Running out of space, features, the inode cache ---- */

static uint64_t free_blocks(void)
{
    struct statfs st;
    struct super_block *sb = vfs_root()->sb;
    return sb->ops->statfs(sb, &st) == 0 ? st.f_bfree : (uint64_t)-1;
}

static uint64_t free_inodes(void)
{
    struct statfs st;
    struct super_block *sb = vfs_root()->sb;
    return sb->ops->statfs(sb, &st) == 0 ? st.f_ffree : (uint64_t)-1;
}

/* Fills the disk through one file: the last write stops short or fails with ENOSPC. */
static void fill_disk(struct htest *t)
{
    struct file *f;
    HASSERT(t, vfs_open(NULL, "/filler", O_WRONLY | O_CREAT | O_EXCL, 0644, &f) == 0);
    static char chunk[65536];
    memset(chunk, 'z', sizeof(chunk));
    ssize_t n;
    while ((n = vfs_write(f, chunk, sizeof(chunk))) == (ssize_t)sizeof(chunk))
        ;
    HEXPECT(t, n >= 0);
    HEXPECT_EQ(t, vfs_write(f, chunk, sizeof(chunk)), -ENOSPC);
    vfs_close(f);
    HEXPECT_EQ(t, free_blocks(), 0);
}

HTEST(ext2_enospc_leaves_filesystem_consistent)
{
    struct work w;
    work_begin(&w);
    HASSERT(t, mkfs(&w, 1024, 2048, "-N 64 -I 128", NULL) == 0);
    HASSERT(t, do_mount(&w, 0) == 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/full", 0755), 0);
    uint64_t blocks0 = free_blocks(), inodes0 = free_inodes();
    fill_disk(t);
    /* Each failing call changes nothing: no inode is lost, no entry half made. */
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/nodir", 0755), -ENOSPC);
    HEXPECT_EQ(t,
               vfs_symlink("/a/target/long/enough/to/need/a/block/of/its/own/rather/than/i_block", NULL,
                           "/slowlink"),
               -ENOSPC);
    char name[64];
    int made = 0, err = 0;
    while (err == 0 && made < 100) { /* a directory block fills: the next name needs a new block */
        snprintf(name, sizeof(name), "/full/a-name-long-enough-to-fill-blocks-quickly-%03d", made);
        err = write_pattern(name, 0, 0, 0, O_EXCL);
        made += err == 0;
    }
    HEXPECT_EQ(t, err, -ENOSPC);
    HEXPECT_EQ(t, free_inodes(), inodes0 - 1 - (uint64_t)made);
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(NULL, "/nodir", &st), -ENOENT);
    HEXPECT_EQ(t, vfs_stat(NULL, name, &st), -ENOENT);
    /* One block free, and a write that needs two (an indirect block and the data): it fails, and
     * the indirect block does not stay behind past the end of the file. */
    HEXPECT_EQ(t, vfs_stat(NULL, "/filler", &st), 0);
    HEXPECT_EQ(t, vfs_truncate(NULL, "/filler", (st.st_size - 1) / 1024 * 1024), 0);
    HEXPECT_EQ(t, free_blocks(), 1);
    HEXPECT_EQ(t, write_pattern("/ind", 5, 12 * 1024, 1, O_EXCL), -ENOSPC);
    HEXPECT_EQ(t, free_blocks(), 1);
    HEXPECT_EQ(t, vfs_stat(NULL, "/ind", &st), 0);
    HEXPECT_EQ(t, st.st_blocks, 0);
    do_umount(&w);
    HEXPECT_EQ(t, fsck_clean(&w), 0);
    /* Deleting gives every block back; then the inodes run out. */
    HASSERT(t, do_mount(&w, 0) == 0);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/filler"), 0);
    HEXPECT_EQ(t, free_blocks(), blocks0);
    for (int i = 0; (err = write_pattern(name, 0, 0, 0, O_EXCL)) == 0; i++)
        snprintf(name, sizeof(name), "/i%d", i);
    HEXPECT_EQ(t, err, -ENOSPC);
    HEXPECT_EQ(t, free_inodes(), 0);
    HEXPECT(t, free_blocks() > 0);
    do_umount(&w);
    HEXPECT_EQ(t, fsck_clean(&w), 0);
    work_end(t, &w);
}

HTEST(ext2_refuses_unknown_features)
{
    struct work w;
    work_begin(&w);
    /* An INCOMPAT feature (extents: block maps ext2 cannot read) refuses the mount. */
    HASSERT(t, mkfs(&w, 1024, 4096, "-O extent", NULL) == 0);
    HEXPECT_EQ(t, do_mount(&w, 0), -EINVAL);
    /* A RO_COMPAT one (huge_file) mounts read-only: reads work, writes give EROFS. */
    HASSERT(t, mkfs(&w, 4096, 8192, "-O huge_file", NULL) == 0);
    HASSERT(t, do_mount(&w, 0) == 0);
    HEXPECT(t, w.sb->readonly);
    struct stat st;
    HEXPECT_EQ(t, vfs_stat(NULL, "/lost+found", &st), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/x", 0755), -EROFS);
    HEXPECT_EQ(t, write_pattern("/lost+found/f", 1, 0, 10, 0), -EROFS);
    do_umount(&w);
    /* Mounted MS_RDONLY: reads work, every change gives EROFS, nothing is written to the disk. */
    HASSERT(t, mkfs(&w, 1024, 4096, NULL, NULL) == 0);
    HASSERT(t, do_mount(&w, 1) == 0);
    HEXPECT(t, w.sb->readonly);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/x", 0755), -EROFS);
    HEXPECT_EQ(t, vfs_chmod(NULL, "/lost+found", 0700), -EROFS);
    HEXPECT_EQ(t, vfs_rmdir(NULL, "/lost+found"), -EROFS);
    HEXPECT_EQ(t, vfs_stat(NULL, "/lost+found", &st), 0);
    HEXPECT_EQ(t, st.st_mode, S_IFDIR | 0700);
    vfs_set_root(NULL);
    w.sb->ops->put_super(w.sb);
    HEXPECT_EQ(t, blkshim_sectors_written(&w.bd), 0);
    blkshim_close(&w.bd);
    /* Not ext2 at all. */
    HASSERT(t, blkshim_sh("truncate -s 1M %s && dd if=/dev/zero of=%s bs=1024 count=1024 2>/dev/null", w.img,
                          w.img) == 0);
    HEXPECT_EQ(t, do_mount(&w, 0), -EINVAL);
    work_end(t, &w);
}

HTEST(ext2_one_inode_per_number_and_attributes)
{
    struct work w;
    work_begin(&w);
    HASSERT(t, mkfs(&w, 1024, 4096, "-I 256", NULL) == 0);
    HASSERT(t, do_mount(&w, 0) == 0);
    HEXPECT_EQ(t, write_pattern("/f", 9, 0, 10, O_EXCL), 0);
    HEXPECT_EQ(t, vfs_link(NULL, "/f", NULL, "/g", 0), 0);
    struct file *a, *b;
    HEXPECT_EQ(t, vfs_open(NULL, "/f", O_RDWR, 0, &a), 0);
    HEXPECT_EQ(t, vfs_open(NULL, "/g", O_RDWR, 0, &b), 0);
    HEXPECT(t, a->inode == b->inode); /* through two names, one in-memory inode */
    HEXPECT_EQ(t, vfs_pwrite(a, "0123456789abcdef", 16, 0), 16);
    struct stat st;
    HEXPECT_EQ(t, vfs_fstat(b, &st), 0);
    HEXPECT_EQ(t, st.st_size, 16);
    HEXPECT_EQ(t, st.st_nlink, 2);
    HEXPECT_EQ(t, st.st_blksize, 1024);
    HEXPECT_EQ(t, st.st_mtime, 1700000000);
    HEXPECT_EQ(t, st.st_mtime_nsec, 123456789); /* large inodes keep nanoseconds */
    vfs_close(a);
    vfs_close(b);
    struct vfs_timespec times[2] = {{1234567, 0}, {7654321, 5}};
    HEXPECT_EQ(t, vfs_utimens(NULL, "/g", times, 0), 0);
    HEXPECT_EQ(t, vfs_chmod(NULL, "/g", 04751), 0);
    /* RENAME_EXCHANGE of a file and a directory in different parents. */
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/p", 0755), 0);
    HEXPECT_EQ(t, vfs_mkdir(NULL, "/p/dir", 0755), 0);
    HEXPECT_EQ(t, vfs_rename(NULL, "/f", NULL, "/p/dir", RENAME_EXCHANGE), 0);
    HEXPECT_EQ(t, vfs_stat(NULL, "/f/..", &st), 0);
    HEXPECT_EQ(t, st.st_ino, 2);
    HEXPECT_EQ(t, vfs_stat(NULL, "/p", &st), 0);
    HEXPECT_EQ(t, st.st_nlink, 2);
    struct statfs fs;
    HEXPECT_EQ(t, w.sb->ops->statfs(w.sb, &fs), 0);
    HEXPECT_EQ(t, fs.f_type, EXT2_SUPER_MAGIC);
    HEXPECT_EQ(t, fs.f_bsize, 1024);
    HEXPECT_EQ(t, fs.f_namelen, 255);
    do_umount(&w);
    HEXPECT_EQ(t, fsck_clean(&w), 0);
    char out[4096];
    blkshim_sh_out(out, sizeof(out), "debugfs -R 'stat /p/dir' %s 2>/dev/null", w.img);
    HEXPECT(t, strstr(out, "Mode:  04751") != NULL);
    HEXPECT(t, strstr(out, "Links: 2") != NULL);
    /* debugfs shows the raw seconds and the extra word: 5 ns << 2, epoch 0. */
    HEXPECT(t, strstr(out, "mtime: 0x0074cbb1:00000014") != NULL);
    /* statfs agrees with what df reads from the superblock (dumpe2fs's view). */
    blkshim_sh_out(out, sizeof(out), "dumpe2fs -h %s 2>/dev/null | awk '/^Free blocks:/ {print $3}'", w.img);
    HEXPECT_EQ(t, strtoull(out, NULL, 10), fs.f_bfree);
    work_end(t, &w);
}

HTEST(ext2_deleting_frees_xattr_blocks)
{
    struct work w;
    work_begin(&w);
    char src[128];
    snprintf(src, sizeof(src), "%s/src", w.dir);
    /* 128-byte inodes have no room inside for attributes: debugfs gives each file a block. */
    HASSERT(t, blkshim_sh("mkdir %1$s && cd %1$s && echo a > a && echo b > b && ln -s a fastlink", src) == 0);
    HASSERT(t, mkfs(&w, 1024, 4096, "-I 128", src) == 0);
    HASSERT(t,
            blkshim_sh("for f in a b; do debugfs -w -R \"ea_set /$f user.k $(printf 'v%%.0s' $(seq 100))\" %s"
                       " >/dev/null 2>&1 || exit 1; done",
                       w.img) == 0);
    char out[4096];
    blkshim_sh_out(out, sizeof(out), "debugfs -R 'stat /a' %s 2>/dev/null", w.img);
    HEXPECT(t, strstr(out, "File ACL: 0") == NULL); /* the test needs an attribute block */
    HASSERT(t, do_mount(&w, 0) == 0);
    uint64_t before = free_blocks();
    HEXPECT(t, same_contents(src, "/a"));
    HEXPECT_EQ(t, vfs_unlink(NULL, "/a"), 0);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/b"), 0);
    HEXPECT(t, free_blocks() >= before + 2); /* the data blocks and the attribute blocks */
    do_umount(&w);
    HEXPECT_EQ(t, fsck_clean(&w), 0);
    work_end(t, &w);
}

/* ---- Damaged images: errors, never a crash, a hang or a leak ---- */

/* Reads everything below path (depth-limited: damage can make a directory its own child). */
static void walk_tree(const char *path, int depth)
{
    struct stat st;
    if (depth > 6 || vfs_lstat(NULL, path, &st) != 0)
        return;
    char buf[4096];
    if (S_ISLNK(st.st_mode)) {
        vfs_readlink(NULL, path, buf, sizeof(buf));
        return;
    }
    struct file *f;
    if (!(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) || vfs_open(NULL, path, O_RDONLY, 0, &f) != 0)
        return;
    if (S_ISREG(st.st_mode)) {
        for (int i = 0; i < 64 && vfs_read(f, buf, sizeof(buf)) > 0; i++)
            ;
        vfs_close(f);
        return;
    }
    ssize_t n;
    char names[16][64];
    int count = 0;
    while (count < 16 && (n = vfs_getdents64(f, buf, 512)) > 0) {
        for (ssize_t off = 0; off < n && count < 16;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") && strlen(path) + strlen(d->d_name) < 60)
                snprintf(names[count++], sizeof(names[0]), "%s/%s", strcmp(path, "/") ? path : "", d->d_name);
            off += d->d_reclen;
        }
    }
    vfs_close(f);
    for (int i = 0; i < count; i++)
        walk_tree(names[i], depth + 1);
    /* Changes on damaged metadata must fail cleanly too. */
    for (int i = 0; i < count; i += 3)
        vfs_unlink(NULL, names[i]);
    snprintf(buf, sizeof(buf), "%s/new", strcmp(path, "/") ? path : "");
    write_pattern(buf, 1, 0, 3000, 0);
}

HTEST(ext2_damaged_images_fail_cleanly)
{
    struct work w;
    work_begin(&w);
    char src[128], pristine[128];
    snprintf(src, sizeof(src), "%s/src", w.dir);
    snprintf(pristine, sizeof(pristine), "%s/pristine", w.dir);
    HASSERT(t, make_source(src) == 0);
    HASSERT(t, mkfs(&w, 1024, 4096, "-I 128", src) == 0);
    HASSERT(t, blkshim_sh("cp --sparse=always %s %s", w.img, pristine) == 0);
    unsigned seed = 12345;
    int mounted = 0;
    for (int round = 0; round < 40; round++) {
        HASSERT(t, blkshim_sh("cp --sparse=always %s %s", pristine, w.img) == 0);
        FILE *img = fopen(w.img, "r+b");
        HASSERT(t, img);
        for (int i = 0; i < 40; i++) { /* random bytes in the metadata area after the superblock */
            seed = seed * 1103515245u + 12345u;
            long at = 2048 + (long)(seed >> 8) % (600 * 1024);
            seed = seed * 1103515245u + 12345u;
            fseek(img, at, SEEK_SET);
            fputc((int)(seed >> 16) & 0xff, img);
        }
        fclose(img);
        if (do_mount(&w, 0) != 0)
            continue;
        mounted++;
        walk_tree("/", 0);
        do_umount(&w);
    }
    HEXPECT(t, mounted > 20); /* damage below the descriptors still mounts: the walk is exercised */
    work_end(t, &w);
}

HTEST(ext2_shared_xattr_block_goes_with_its_last_user)
{
    struct work w;
    work_begin(&w);
    char src[128];
    snprintf(src, sizeof(src), "%s/src", w.dir);
    HASSERT(t, blkshim_sh("mkdir %1$s && echo a > %1$s/a && echo b > %1$s/b", src) == 0);
    HASSERT(t, mkfs(&w, 1024, 4096, "-I 128", src) == 0);
    /* One attribute block shared by a and b, as Linux shares identical ones: refcount 2. */
    char out[4096];
    HASSERT(t, blkshim_sh("debugfs -w -R \"ea_set /a user.k shared\" %s >/dev/null 2>&1", w.img) == 0);
    blkshim_sh_out(out, sizeof(out), "debugfs -R 'stat /a' %s 2>/dev/null", w.img);
    const char *acl = strstr(out, "File ACL: ");
    HASSERT(t, acl);
    unsigned blk = (unsigned)strtoul(acl + 10, NULL, 10);
    HASSERT(t, blk != 0);
    HASSERT(t, blkshim_sh("printf '\\002' | dd of=%s bs=1 seek=%lu conv=notrunc 2>/dev/null && "
                          "debugfs -w -R 'sif /b file_acl %u' %s >/dev/null 2>&1 && "
                          "debugfs -w -R 'sif /b blocks 4' %s >/dev/null 2>&1",
                          w.img, (unsigned long)blk * 1024 + 4, blk, w.img, w.img) == 0);
    HASSERT(t, fsck_clean(&w) == 0); /* the sharing is well-formed before Kestrel touches it */
    HASSERT(t, do_mount(&w, 0) == 0);
    uint64_t before = free_blocks();
    HEXPECT_EQ(t, vfs_unlink(NULL, "/a"), 0);
    HEXPECT_EQ(t, free_blocks(), before + 1); /* a's data block; b still uses the attributes */
    do_umount(&w);
    HEXPECT_EQ(t, fsck_clean(&w), 0);
    HASSERT(t, do_mount(&w, 0) == 0);
    HEXPECT_EQ(t, vfs_unlink(NULL, "/b"), 0);
    HEXPECT_EQ(t, free_blocks(), before + 3); /* b's data block and the attribute block */
    do_umount(&w);
    HEXPECT_EQ(t, fsck_clean(&w), 0);
    work_end(t, &w);
}

/* The other layouts: 2 KiB blocks, no filetype in directory entries (readdir then reports
 * DT_UNKNOWN), a superblock copy in every group, no reserved descriptor blocks. */
HTEST(ext2_reads_image_without_filetype_or_sparse_super)
{
    read_image(t, 2048, "-I 128 -O ^filetype,^sparse_super,^resize_inode", false);
}

HTEST(ext2_write_workload_without_filetype_or_sparse_super)
{
    write_workload(t, 2048, 32768, "-O ^filetype,^sparse_super,^resize_inode");
}
