/* User and group id system calls. The rules live in kernel/proc/cred.c; these apply them to the
 * caller's credentials under its process lock (other threads, kill's permission check and /proc read
 * them) and copy the results in and out. */
#include <kestrel/cred.h>
#include <kestrel/process.h>
#include <kestrel/syscall.h>
#include <kestrel/uaccess.h>

#define NGROUPS_MAX_LINUX 65536

static struct cred *my_cred(uint64_t *flags)
{
    struct process *p = current_process();
    *flags = spin_lock_irqsave(&p->lock);
    return &p->cred;
}

static void cred_done(uint64_t flags)
{
    spin_unlock_irqrestore(&current_process()->lock, flags);
}

/* Reads one id field; these cannot tear (32-bit, one writer at a time) so no lock is needed. */
#define GETTER(call, field)                                                                                  \
    SYSCALL_DEFINE0(call)                                                                                    \
    {                                                                                                        \
        return current_process()->cred.field;                                                                \
    }
GETTER(getuid, uid)
GETTER(geteuid, euid)
GETTER(getgid, gid)
GETTER(getegid, egid)

SYSCALL_DEFINE1(setuid, uint32_t, uid)
{
    uint64_t f;
    long ret = cred_setuid(my_cred(&f), uid);
    cred_done(f);
    return ret;
}

SYSCALL_DEFINE1(setgid, uint32_t, gid)
{
    uint64_t f;
    long ret = cred_setgid(my_cred(&f), gid);
    cred_done(f);
    return ret;
}

SYSCALL_DEFINE2(setreuid, uint32_t, ruid, uint32_t, euid)
{
    uint64_t f;
    long ret = cred_setreuid(my_cred(&f), ruid, euid);
    cred_done(f);
    return ret;
}

SYSCALL_DEFINE2(setregid, uint32_t, rgid, uint32_t, egid)
{
    uint64_t f;
    long ret = cred_setregid(my_cred(&f), rgid, egid);
    cred_done(f);
    return ret;
}

SYSCALL_DEFINE3(setresuid, uint32_t, ruid, uint32_t, euid, uint32_t, suid)
{
    uint64_t f;
    long ret = cred_setresuid(my_cred(&f), ruid, euid, suid);
    cred_done(f);
    return ret;
}

SYSCALL_DEFINE3(setresgid, uint32_t, rgid, uint32_t, egid, uint32_t, sgid)
{
    uint64_t f;
    long ret = cred_setresgid(my_cred(&f), rgid, egid, sgid);
    cred_done(f);
    return ret;
}

SYSCALL_DEFINE1(setfsuid, uint32_t, fsuid)
{
    uint64_t f;
    long ret = cred_setfsuid(my_cred(&f), fsuid);
    cred_done(f);
    return ret;
}

SYSCALL_DEFINE1(setfsgid, uint32_t, fsgid)
{
    uint64_t f;
    long ret = cred_setfsgid(my_cred(&f), fsgid);
    cred_done(f);
    return ret;
}

/* getresuid/getresgid: three ids out, each its own copy (any may fault). */
static long put_three(uint32_t *a, uint32_t *b, uint32_t *c, const uint32_t v[3])
{
    if (copy_to_user(a, &v[0], 4) || copy_to_user(b, &v[1], 4) || copy_to_user(c, &v[2], 4))
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE3(getresuid, uint32_t *, ruid, uint32_t *, euid, uint32_t *, suid)
{
    const struct cred *c = &current_process()->cred;
    uint32_t v[3] = {c->uid, c->euid, c->suid};
    return put_three(ruid, euid, suid, v);
}

SYSCALL_DEFINE3(getresgid, uint32_t *, rgid, uint32_t *, egid, uint32_t *, sgid)
{
    const struct cred *c = &current_process()->cred;
    uint32_t v[3] = {c->gid, c->egid, c->sgid};
    return put_three(rgid, egid, sgid, v);
}

SYSCALL_DEFINE2(getgroups, int, size, uint32_t *, list)
{
    struct cred c = current_process()->cred; /* a snapshot: copy_to_user may sleep */
    if (size < 0)
        return -EINVAL;
    if (size == 0)
        return c.ngroups;
    if ((uint32_t)size < c.ngroups)
        return -EINVAL;
    if (copy_to_user(list, c.groups, c.ngroups * sizeof(uint32_t)))
        return -EFAULT;
    return c.ngroups;
}

SYSCALL_DEFINE2(setgroups, int, size, const uint32_t *, list)
{
    if (!cred_is_root(&current_process()->cred))
        return -EPERM;
    if (size < 0 || size > NGROUPS_MAX_LINUX)
        return -EINVAL;
    if (size > NGROUPS_MAX_KESTREL)
        return -EINVAL; /* Kestrel keeps at most 32 supplementary groups */
    uint32_t groups[NGROUPS_MAX_KESTREL];
    if (copy_from_user(groups, list, (size_t)size * sizeof(uint32_t)))
        return -EFAULT;
    uint64_t f;
    long ret = cred_setgroups(my_cred(&f), groups, (size_t)size);
    cred_done(f);
    return ret;
}
