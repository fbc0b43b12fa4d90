/* The cpio "newc" unpacker for the initramfs. Each entry is a 110-byte ASCII header ("070701",
 * then thirteen 8-digit hex fields), the NUL-terminated name, the data; the name and the data
 * each end padded to a multiple of 4 bytes from the archive start. "TRAILER!!!" ends an archive;
 * zero padding and another archive may follow. "070702" is the same with a byte-sum checksum. */
#include <kestrel/initramfs.h>
#include "internal.h"

#define CPIO_HEADER_LEN 110
#define CPIO_FIELDS     13
#define CPIO_TRAILER    "TRAILER!!!"

struct cpio_entry {
    uint32_t ino, mode, uid, gid, nlink, mtime, filesize;
    uint32_t devmajor, devminor, rdevmajor, rdevminor, namesize, check;
    bool has_check;
    const char *name; /* NUL-terminated inside the archive */
    const uint8_t *data;
};

/* A regular file with several links, remembered so later entries become hard links to it. */
struct hardlink {
    uint32_t ino, devmajor, devminor;
    char *name;
};

struct unpack {
    struct inode *root;
    struct hardlink *links;
    size_t nlinks, cap;
    int first_error;
};

static int hex_field(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return -EINVAL;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Parses the entry at *off and moves *off past it. Every length is checked against size before
 * anything it covers is read. */
static int parse_entry(const uint8_t *buf, size_t size, size_t *off, struct cpio_entry *e)
{
    size_t o = *off;
    if (size - o < CPIO_HEADER_LEN)
        return -EINVAL;
    const char *h = (const char *)buf + o;
    if (memcmp(h, "07070", 5) != 0 || (h[5] != '1' && h[5] != '2'))
        return -EINVAL;
    e->has_check = h[5] == '2';
    uint32_t *fields[CPIO_FIELDS] = {&e->ino,       &e->mode,     &e->uid,      &e->gid,      &e->nlink,
                                     &e->mtime,     &e->filesize, &e->devmajor, &e->devminor, &e->rdevmajor,
                                     &e->rdevminor, &e->namesize, &e->check};
    for (int i = 0; i < CPIO_FIELDS; i++)
        if (hex_field(h + 6 + 8 * i, fields[i]))
            return -EINVAL;

    size_t name_off = o + CPIO_HEADER_LEN;
    if (e->namesize == 0 || e->namesize > size - name_off)
        return -EINVAL;
    e->name = (const char *)buf + name_off;
    if (strnlen(e->name, e->namesize) != e->namesize - 1)
        return -EINVAL; /* the name must end in its only NUL */

    size_t data_off = ALIGN_UP(name_off + e->namesize, 4);
    if (data_off > size) {
        if (e->filesize)
            return -EINVAL;
        data_off = size; /* an archive cut right after its last name, padding and all */
    }
    if (e->filesize > size - data_off)
        return -EINVAL;
    e->data = buf + data_off;
    *off = MIN(ALIGN_UP(data_off + e->filesize, 4), size);
    return 0;
}

static void note_error(struct unpack *u, int err)
{
    if (err && !u->first_error)
        u->first_error = err;
}

/* Archive names look like "./bin/sh", "bin/sh" or "/bin/sh"; all mean root/bin/sh. "" means
 * the root itself. */
static const char *strip_name(const char *name)
{
    for (;;) {
        while (*name == '/')
            name++;
        if (name[0] == '.' && (name[1] == '/' || name[1] == 0))
            name++;
        else
            return name;
    }
}

/* Makes room for an entry of type mode at name: what is there already goes unless it is a
 * directory that stays a directory, or a regular file about to be truncated. */
static void clear_path(struct unpack *u, const char *name, uint32_t mode)
{
    struct stat st;
    if (vfs_lstat(u->root, name, &st))
        return;
    if ((S_ISDIR(st.st_mode) && S_ISDIR(mode)) || (S_ISREG(st.st_mode) && S_ISREG(mode)))
        return;
    if (S_ISDIR(st.st_mode))
        vfs_rmdir(u->root, name);
    else
        vfs_unlink(u->root, name);
}

static int set_owner_mode(struct unpack *u, const char *name, const struct cpio_entry *e)
{
    /* Owner first: chown clears set-id bits that the chmod then restores. */
    int err = vfs_chown(u->root, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW);
    if (!err && !S_ISLNK(e->mode))
        err = vfs_chmod(u->root, name, e->mode & S_IALLUGO);
    return err;
}

static int set_mtime(struct unpack *u, const char *name, const struct cpio_entry *e)
{
    struct vfs_timespec t[2] = {{e->mtime, 0}, {e->mtime, 0}};
    return vfs_utimens(u->root, name, t, AT_SYMLINK_NOFOLLOW);
}

static struct hardlink *find_hardlink(struct unpack *u, const struct cpio_entry *e)
{
    for (size_t i = 0; i < u->nlinks; i++) {
        struct hardlink *l = &u->links[i];
        if (l->ino == e->ino && l->devmajor == e->devmajor && l->devminor == e->devminor)
            return l;
    }
    return NULL;
}

static int remember_hardlink(struct unpack *u, const struct cpio_entry *e, const char *name)
{
    if (u->nlinks == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 16;
        struct hardlink *links = kmalloc(cap * sizeof(*links));
        if (!links)
            return -ENOMEM;
        if (u->nlinks)
            memcpy(links, u->links, u->nlinks * sizeof(*links));
        kfree(u->links);
        u->links = links;
        u->cap = cap;
    }
    size_t len = strlen(name);
    char *copy = kmalloc(len + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, name, len + 1);
    u->links[u->nlinks++] = (struct hardlink){e->ino, e->devmajor, e->devminor, copy};
    return 0;
}

static int write_all(struct file *f, const uint8_t *data, size_t size)
{
    while (size) {
        ssize_t n = vfs_write(f, data, size);
        if (n < 0)
            return (int)n;
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

static int unpack_file(struct unpack *u, const char *name, const struct cpio_entry *e)
{
    int flags = O_WRONLY | O_CREAT | O_TRUNC;
    int err;
    if (e->nlink >= 2) {
        /* GNU cpio stores a hard-linked file's data with its last name, Linux's gen_init_cpio
         * with the first; linking to the first name and writing whatever data comes handles
         * both. */
        struct hardlink *l = find_hardlink(u, e);
        if (l) {
            clear_path(u, name, S_IFLNK); /* whatever is there, the link replaces it */
            err = vfs_link(u->root, l->name, u->root, name, 0);
            if (err)
                return err;
            if (!e->filesize)
                return 0;
            flags = O_WRONLY;
        } else {
            err = remember_hardlink(u, e, name);
            if (err)
                return err;
        }
    }
    clear_path(u, name, S_IFREG);
    struct file *f;
    err = vfs_open(u->root, name, flags | O_NOFOLLOW, e->mode & S_IALLUGO, &f);
    if (err)
        return err;
    err = write_all(f, e->data, e->filesize);
    vfs_close(f);
    if (!err)
        err = set_owner_mode(u, name, e);
    if (!err)
        err = set_mtime(u, name, e);
    return err;
}

static int unpack_symlink(struct unpack *u, const char *name, const struct cpio_entry *e)
{
    if (e->filesize == 0)
        return -EINVAL;
    if (e->filesize >= PATH_MAX)
        return -ENAMETOOLONG;
    char *target = kmalloc(e->filesize + 1);
    if (!target)
        return -ENOMEM;
    memcpy(target, e->data, e->filesize);
    target[e->filesize] = 0;
    clear_path(u, name, S_IFLNK);
    int err = vfs_symlink(target, u->root, name);
    kfree(target);
    if (!err)
        err = set_owner_mode(u, name, e);
    if (!err)
        err = set_mtime(u, name, e);
    return err;
}

static int unpack_entry(struct unpack *u, const struct cpio_entry *e)
{
    const char *name = strip_name(e->name);
    int err;
    switch (e->mode & S_IFMT) {
    case S_IFDIR:
        if (!*name)
            return set_owner_mode(u, ".", e); /* the archive's "." describes the root */
        clear_path(u, name, S_IFDIR);
        err = vfs_mkdir(u->root, name, e->mode & S_IALLUGO);
        if (err && err != -EEXIST)
            return err;
        return set_owner_mode(u, name, e); /* its mtime comes once its contents are in */
    case S_IFREG:
        return *name ? unpack_file(u, name, e) : -EINVAL;
    case S_IFLNK:
        return *name ? unpack_symlink(u, name, e) : -EINVAL;
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
        if (!*name)
            return -EINVAL;
        clear_path(u, name, e->mode);
        err = vfs_mknod(u->root, name, e->mode & (S_IFMT | S_IALLUGO), vfs_mkdev(e->rdevmajor, e->rdevminor));
        if (!err)
            err = set_owner_mode(u, name, e);
        if (!err)
            err = set_mtime(u, name, e);
        return err;
    default:
        return -EINVAL;
    }
}

static uint32_t byte_sum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    while (n--)
        sum += *p++;
    return sum;
}

/* The archive is walked three times: to check it whole (so a malformed one changes nothing), to
 * create everything, and to set directory times, which creating their contents changed. */
enum pass { PASS_CHECK, PASS_CREATE, PASS_DIR_TIMES };

static int walk_archive(struct unpack *u, const uint8_t *buf, size_t size, enum pass pass)
{
    size_t off = 0;
    for (;;) {
        /* Between archives: zero padding, and each archive starts 4-aligned. */
        while (off < size && buf[off] == 0)
            off++;
        if (off == size)
            return 0;
        if (off & 3)
            return -EINVAL;
        for (;;) {
            struct cpio_entry e;
            int err = parse_entry(buf, size, &off, &e);
            if (err)
                return err;
            if (strcmp(e.name, CPIO_TRAILER) == 0)
                break;
            if (e.has_check && S_ISREG(e.mode) && byte_sum(e.data, e.filesize) != e.check)
                return -EINVAL;
            const char *name = strip_name(e.name);
            if (pass == PASS_CREATE)
                note_error(u, unpack_entry(u, &e));
            else if (pass == PASS_DIR_TIMES && S_ISDIR(e.mode))
                note_error(u, set_mtime(u, *name ? name : ".", &e));
            if (off == size)
                return -EINVAL; /* ended without a trailer: truncated */
        }
    }
}

int initramfs_unpack(struct inode *root, const void *data, size_t size)
{
    struct unpack u = {.root = root};
    int err = walk_archive(&u, data, size, PASS_CHECK);
    if (!err)
        err = walk_archive(&u, data, size, PASS_CREATE);
    if (!err)
        err = walk_archive(&u, data, size, PASS_DIR_TIMES);
    for (size_t i = 0; i < u.nlinks; i++)
        kfree(u.links[i].name);
    kfree(u.links);
    return err ? err : u.first_error;
}
