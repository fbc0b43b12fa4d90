/* File-descriptor tables: lowest-free allocation, dup2-style installation, close-on-exec, fork
 * duplication. The table lock is a spinlock held only for slot changes; closing a file can sleep
 * (the VFS lock), so files leave the table under the lock and are released after it. */
#include <kestrel/file.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mutex.h>
#include <kestrel/process.h>
#include <kestrel/string.h>

#define FILES_INITIAL 64 /* slots; a multiple of 64 so cloexec words cover them exactly */

static struct mutex vfs_mutex = MUTEX_INIT(vfs_mutex, "vfs");

void vfs_lock(void)
{
    mutex_lock(&vfs_mutex);
}

bool vfs_trylock(void)
{
    return mutex_trylock(&vfs_mutex);
}

void vfs_unlock(void)
{
    mutex_unlock(&vfs_mutex);
}

void file_put(struct file *f)
{
    /* Only the last reference does filesystem work, so only it takes the lock. */
    if (__atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL))
        return;
    vfs_lock();
    vfs_file_free(f);
    vfs_unlock();
}

static bool cloexec_test(const struct files *t, int fd)
{
    return t->cloexec[fd / 64] >> (fd % 64) & 1;
}

static void cloexec_set(struct files *t, int fd, bool on)
{
    if (on)
        t->cloexec[fd / 64] |= 1ull << (fd % 64);
    else
        t->cloexec[fd / 64] &= ~(1ull << (fd % 64));
}

static struct files *files_alloc(int size)
{
    struct files *t = kzalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->fd = kzalloc(sizeof(*t->fd) * (size_t)size);
    t->cloexec = kzalloc(sizeof(uint64_t) * (size_t)(size / 64));
    if (!t->fd || !t->cloexec) {
        kfree(t->fd);
        kfree(t->cloexec);
        kfree(t);
        return NULL;
    }
    t->refcount = 1;
    t->size = size;
    t->lock = (struct spinlock)SPINLOCK_INIT("files");
    return t;
}

struct files *files_create(void)
{
    return files_alloc(FILES_INITIAL);
}

struct files *files_get(struct files *t)
{
    __atomic_add_fetch(&t->refcount, 1, __ATOMIC_RELAXED);
    return t;
}

static void files_free(struct files *t)
{
    for (int fd = 0; fd < t->size; fd++) {
        if (t->fd[fd])
            file_put(t->fd[fd]);
    }
    kfree(t->fd);
    kfree(t->cloexec);
    kfree(t);
}

void files_put(struct files *t)
{
    if (__atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        files_free(t);
}

struct files *files_fork(struct files *parent)
{
    for (;;) {
        int size = __atomic_load_n(&parent->size, __ATOMIC_RELAXED);
        struct files *t = files_alloc(size);
        if (!t)
            return NULL;
        uint64_t flags = spin_lock_irqsave(&parent->lock);
        if (parent->size != size) { /* another thread grew it meanwhile: try again */
            spin_unlock_irqrestore(&parent->lock, flags);
            files_free(t);
            continue;
        }
        for (int fd = 0; fd < size; fd++) {
            if (parent->fd[fd])
                t->fd[fd] = vfs_file_get(parent->fd[fd]);
        }
        memcpy(t->cloexec, parent->cloexec, sizeof(uint64_t) * (size_t)(size / 64));
        spin_unlock_irqrestore(&parent->lock, flags);
        return t;
    }
}

void files_close_on_exec(struct files *t)
{
    for (int fd = 0;; fd++) {
        uint64_t flags = spin_lock_irqsave(&t->lock);
        if (fd >= t->size) {
            spin_unlock_irqrestore(&t->lock, flags);
            return;
        }
        struct file *f = NULL;
        if (cloexec_test(t, fd)) {
            f = t->fd[fd];
            t->fd[fd] = NULL;
            cloexec_set(t, fd, false);
        }
        spin_unlock_irqrestore(&t->lock, flags);
        if (f)
            file_put(f);
    }
}

/* Makes the table at least want slots long (rounded up to whole cloexec words). Called without
 * the lock, since allocation may sleep; returns with it held in *flags on success. */
static int files_reserve_locked(struct files *t, int want, uint64_t *flags)
{
    for (;;) {
        *flags = spin_lock_irqsave(&t->lock);
        if (want <= t->size)
            return 0;
        int size = t->size;
        spin_unlock_irqrestore(&t->lock, *flags);
        int nsize = size;
        while (nsize < want)
            nsize *= 2;
        struct file **nfd = kzalloc(sizeof(*nfd) * (size_t)nsize);
        uint64_t *ncl = kzalloc(sizeof(uint64_t) * (size_t)(nsize / 64));
        if (!nfd || !ncl) {
            kfree(nfd);
            kfree(ncl);
            return -ENOMEM;
        }
        *flags = spin_lock_irqsave(&t->lock);
        struct file **ofd = NULL;
        uint64_t *ocl = NULL;
        if (t->size == size) {
            memcpy(nfd, t->fd, sizeof(*nfd) * (size_t)size);
            memcpy(ncl, t->cloexec, sizeof(uint64_t) * (size_t)(size / 64));
            ofd = t->fd;
            ocl = t->cloexec;
            t->fd = nfd;
            t->cloexec = ncl;
            t->size = nsize;
            nfd = NULL;
            ncl = NULL;
        }
        spin_unlock_irqrestore(&t->lock, *flags);
        kfree(ofd);
        kfree(ocl);
        kfree(nfd);
        kfree(ncl);
    }
}

static int lowest_free_locked(struct files *t, int min, int limit)
{
    for (int fd = min; fd < t->size && fd < limit; fd++) {
        if (!t->fd[fd])
            return fd;
    }
    return MIN(t->size, limit);
}

int fd_install(struct files *t, struct file *f, int min, int limit, bool cloexec)
{
    limit = MIN(limit, FILES_HARD_MAX);
    if (min < 0)
        return -EINVAL;
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&t->lock);
        int fd = lowest_free_locked(t, min, limit);
        if (fd >= limit) {
            spin_unlock_irqrestore(&t->lock, flags);
            return -EMFILE;
        }
        if (fd < t->size) {
            t->fd[fd] = f;
            cloexec_set(t, fd, cloexec);
            spin_unlock_irqrestore(&t->lock, flags);
            return fd;
        }
        spin_unlock_irqrestore(&t->lock, flags);
        int err = files_reserve_locked(t, fd + 1, &flags);
        if (err)
            return err;
        spin_unlock_irqrestore(&t->lock, flags);
    }
}

int fd_install_at(struct files *t, int fd, struct file *f, int limit, bool cloexec)
{
    if (fd < 0 || fd >= MIN(limit, FILES_HARD_MAX))
        return -EBADF;
    uint64_t flags;
    int err = files_reserve_locked(t, fd + 1, &flags);
    if (err)
        return err;
    struct file *old = t->fd[fd];
    t->fd[fd] = f;
    cloexec_set(t, fd, cloexec);
    spin_unlock_irqrestore(&t->lock, flags);
    if (old)
        file_put(old);
    return fd;
}

bool fd_available(struct files *t, int limit)
{
    limit = MIN(limit, FILES_HARD_MAX);
    uint64_t flags = spin_lock_irqsave(&t->lock);
    bool free = lowest_free_locked(t, 0, limit) < limit;
    spin_unlock_irqrestore(&t->lock, flags);
    return free;
}

struct file *fd_get(struct files *t, int fd)
{
    struct file *f = NULL;
    uint64_t flags = spin_lock_irqsave(&t->lock);
    if (fd >= 0 && fd < t->size && t->fd[fd])
        f = vfs_file_get(t->fd[fd]);
    spin_unlock_irqrestore(&t->lock, flags);
    return f;
}

int fd_close(struct files *t, int fd)
{
    struct file *f = NULL;
    uint64_t flags = spin_lock_irqsave(&t->lock);
    if (fd >= 0 && fd < t->size) {
        f = t->fd[fd];
        t->fd[fd] = NULL;
        cloexec_set(t, fd, false);
    }
    spin_unlock_irqrestore(&t->lock, flags);
    if (!f)
        return -EBADF;
    file_put(f);
    return 0;
}

int fd_get_cloexec(struct files *t, int fd)
{
    int ret = -EBADF;
    uint64_t flags = spin_lock_irqsave(&t->lock);
    if (fd >= 0 && fd < t->size && t->fd[fd])
        ret = cloexec_test(t, fd);
    spin_unlock_irqrestore(&t->lock, flags);
    return ret;
}

int fd_set_cloexec(struct files *t, int fd, bool on)
{
    int ret = -EBADF;
    uint64_t flags = spin_lock_irqsave(&t->lock);
    if (fd >= 0 && fd < t->size && t->fd[fd]) {
        cloexec_set(t, fd, on);
        ret = 0;
    }
    spin_unlock_irqrestore(&t->lock, flags);
    return ret;
}

int files_size(struct files *t)
{
    return __atomic_load_n(&t->size, __ATOMIC_RELAXED);
}

struct files *files_current(void)
{
    struct process *p = current_process();
    return p ? p->files : NULL;
}

int files_limit_current(void)
{
    struct process *p = current_process();
    if (!p)
        return FILES_DEFAULT_LIMIT;
    uint64_t cur = p->rlimits[RLIMIT_NOFILE_INDEX].cur;
    return cur > FILES_HARD_MAX ? FILES_HARD_MAX : (int)cur;
}
