/* System-wide calls: uname and the host and domain names, reboot, getrandom, resource limits
 * (prlimit64, getrlimit, setrlimit) and sysinfo. */
#include "../proc/internal.h"
#include <kestrel/bcache.h>
#include <kestrel/kmalloc.h>
#include <kestrel/machine.h>
#include <kestrel/page.h>
#include <kestrel/printk.h>
#include <kestrel/random.h>
#include <kestrel/sched.h>
#include <kestrel/file.h>
#include <kestrel/string.h>
#include <kestrel/tmpfs.h>
#include <kestrel/syscall.h>
#include <kestrel/time.h>
#include <kestrel/uaccess.h>
#include <kestrel/utsname.h>
#include <kestrel/version.h>

struct utsname_k {
    char sysname[UTS_LEN], nodename[UTS_LEN], release[UTS_LEN], version[UTS_LEN], machine[UTS_LEN],
        domainname[UTS_LEN];
};

SYSCALL_DEFINE1(uname, struct utsname_k *, ubuf)
{
    struct utsname_k u;
    memset(&u, 0, sizeof(u));
    strlcpy(u.sysname, KESTREL_NAME, UTS_LEN);
    strlcpy(u.release, KESTREL_VERSION, UTS_LEN);
    strlcpy(u.version, "#1 " KESTREL_NAME " " KESTREL_VERSION, UTS_LEN);
    strlcpy(u.machine, "x86_64", UTS_LEN);
    utsname_get(UTS_HOSTNAME, u.nodename);
    utsname_get(UTS_DOMAINNAME, u.domainname);
    return copy_to_user(ubuf, &u, sizeof(u));
}

static long set_name(enum uts_name which, const char *uname, int len)
{
    if (!cred_is_root(&current_process()->cred))
        return -EPERM;
    if (len < 0 || len >= UTS_LEN)
        return -EINVAL;
    char buf[UTS_LEN];
    if (copy_from_user(buf, uname, (size_t)len))
        return -EFAULT;
    return utsname_set(which, buf, (size_t)len);
}

SYSCALL_DEFINE2(sethostname, const char *, name, int, len)
{
    return set_name(UTS_HOSTNAME, name, len);
}

SYSCALL_DEFINE2(setdomainname, const char *, name, int, len)
{
    return set_name(UTS_DOMAINNAME, name, len);
}

#define REBOOT_MAGIC1        0xfee1deadu
#define REBOOT_MAGIC2        672274793u
#define REBOOT_MAGIC2A       85072278u
#define REBOOT_MAGIC2B       369367448u
#define REBOOT_MAGIC2C       537993216u
#define REBOOT_CMD_RESTART   0x01234567u
#define REBOOT_CMD_HALT      0xcdef0123u
#define REBOOT_CMD_POWER_OFF 0x4321fedcu
#define REBOOT_CMD_CAD_ON    0x89abcdefu
#define REBOOT_CMD_CAD_OFF   0x00000000u

SYSCALL_DEFINE4(reboot, uint32_t, magic1, uint32_t, magic2, uint32_t, cmd, void *, arg)
{
    (void)arg;
    if (!cred_is_root(&current_process()->cred))
        return -EPERM;
    if (magic1 != REBOOT_MAGIC1 || (magic2 != REBOOT_MAGIC2 && magic2 != REBOOT_MAGIC2A &&
                                    magic2 != REBOOT_MAGIC2B && magic2 != REBOOT_MAGIC2C))
        return -EINVAL;
    switch (cmd) {
    case REBOOT_CMD_POWER_OFF:
    case REBOOT_CMD_HALT: /* nothing to halt for: a powered-off machine is halted too */
        pr_notice("reboot: power off requested by pid %d\n", current_process()->pid);
        boot_thread_report();
        machine_poweroff();
    case REBOOT_CMD_RESTART:
        pr_notice("reboot: restart requested by pid %d\n", current_process()->pid);
        machine_restart();
    case REBOOT_CMD_CAD_ON:
    case REBOOT_CMD_CAD_OFF:
        return 0; /* Ctrl-Alt-Del is never wired to reboot */
    default:
        return -EINVAL;
    }
}

#define GRND_NONBLOCK 0x1
#define GRND_RANDOM   0x2
#define GRND_INSECURE 0x4
#define GETRANDOM_MAX 0x1ffffff /* Linux returns at most 32 MiB - 1 per call */

SYSCALL_DEFINE3(getrandom, uint8_t *, ubuf, size_t, len, unsigned, flags)
{
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
        return -EINVAL;
    len = MIN(len, (size_t)GETRANDOM_MAX);
    uint8_t chunk[256];
    size_t done = 0;
    while (done < len) {
        size_t n = MIN(len - done, sizeof(chunk));
        random_bytes(chunk, n);
        if (copy_to_user(ubuf + done, chunk, n)) {
            memset(chunk, 0, sizeof(chunk));
            return done ? (long)done : -EFAULT;
        }
        done += n;
    }
    memset(chunk, 0, sizeof(chunk));
    return (long)done;
}

#define RLIMIT_NOFILE_ID 7
#define NR_OPEN_MAX      1048576 /* fs.nr_open: the highest RLIMIT_NOFILE Linux accepts */

/* May the caller read and change target's limits? Linux: itself, or a process whose real, effective
 * and saved ids all match the caller's real id (and the same for groups), or root. */
static bool may_access_limits(const struct process *self, const struct process *target)
{
    const struct cred *c = &self->cred, *t = &target->cred;
    if (self == target || cred_is_root(c))
        return true;
    return c->uid == t->uid && c->uid == t->euid && c->uid == t->suid && c->gid == t->gid &&
           c->gid == t->egid && c->gid == t->sgid;
}

static long do_prlimit(int pid, unsigned resource, const struct rlimit64 *new_lim, struct rlimit64 *old_lim)
{
    if (resource >= RLIMIT_COUNT)
        return -EINVAL;
    if (new_lim && new_lim->cur > new_lim->max)
        return -EINVAL;
    struct process *self = current_process();
    uint64_t tree = spin_lock_irqsave(&process_tree_lock);
    struct process *p = pid ? process_find(pid) : self;
    long ret = 0;
    if (!p || p->state == PROCESS_ZOMBIE)
        ret = -ESRCH;
    else if (!may_access_limits(self, p))
        ret = -EPERM;
    if (ret == 0) {
        uint64_t flags = spin_lock_irqsave(&p->lock);
        struct rlimit64 *lim = &p->rlimits[resource];
        if (new_lim && new_lim->max > lim->max && !cred_is_root(&self->cred))
            ret = -EPERM; /* raising a hard limit takes privilege */
        else if (new_lim && resource == RLIMIT_NOFILE_ID && new_lim->max > NR_OPEN_MAX)
            ret = -EPERM;
        if (ret == 0 && old_lim)
            *old_lim = *lim;
        if (ret == 0 && new_lim)
            *lim = *new_lim;
        spin_unlock_irqrestore(&p->lock, flags);
    }
    spin_unlock_irqrestore(&process_tree_lock, tree);
    return ret;
}

SYSCALL_DEFINE4(prlimit64, int, pid, unsigned, resource, const struct rlimit64 *, unew, struct rlimit64 *,
                uold)
{
    struct rlimit64 new_lim, old_lim;
    if (unew && copy_from_user(&new_lim, unew, sizeof(new_lim)))
        return -EFAULT;
    long ret = do_prlimit(pid, resource, unew ? &new_lim : NULL, uold ? &old_lim : NULL);
    if (ret == 0 && uold && copy_to_user(uold, &old_lim, sizeof(old_lim)))
        return -EFAULT;
    return ret;
}

SYSCALL_DEFINE2(getrlimit, unsigned, resource, struct rlimit64 *, uold)
{
    struct rlimit64 old_lim;
    long ret = do_prlimit(0, resource, NULL, &old_lim);
    if (ret == 0 && copy_to_user(uold, &old_lim, sizeof(old_lim)))
        return -EFAULT;
    return ret;
}

SYSCALL_DEFINE2(setrlimit, unsigned, resource, const struct rlimit64 *, unew)
{
    struct rlimit64 new_lim;
    if (copy_from_user(&new_lim, unew, sizeof(new_lim)))
        return -EFAULT;
    return do_prlimit(0, resource, &new_lim, NULL);
}

struct sysinfo_k {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char reserved[4];
};
_Static_assert(sizeof(struct sysinfo_k) == 112, "struct sysinfo is 112 bytes on x86-64");

SYSCALL_DEFINE1(sysinfo, struct sysinfo_k *, uinfo)
{
    struct sysinfo_k si;
    memset(&si, 0, sizeof(si));
    si.uptime = (int64_t)(time_ns() / NSEC_PER_SEC);
    si.totalram = pmm_total_pages();
    /* Deferred frees first: threads of reaped processes still on their way out (waited for), the
     * stacks of exited threads the idle thread has not reaped yet, and the empty slab each kmalloc
     * class keeps for reuse. All are free memory in all but timing, and counting them as used
     * would make the stress tests' exact leak checks depend on when the idle thread last ran or
     * whether a reaped process's last thread had switched away yet (docs/memory.md). Caches are
     * not dropped here (that is /proc/sys/vm/drop_caches's job, as on Linux). */
    thread_settle_exiting();
    thread_reap_detached();
    kmalloc_trim();
    si.freeram = pmm_free_pages();
    vfs_lock();
    si.sharedram = tmpfs_mounted_pages();
    si.bufferram = bcache_total_bytes() / 4096;
    vfs_unlock();
    si.mem_unit = 4096;
    unsigned long loads[3];
    sched_loadavg(loads);
    for (int i = 0; i < 3; i++)
        si.loads[i] = loads[i] << (16 - LOAD_FSHIFT); /* sysinfo's fixed point has 16 bits */
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    process_for_each(p)
    {
        si.procs++;
    }
    spin_unlock_irqrestore(&process_tree_lock, flags);
    return copy_to_user(uinfo, &si, sizeof(si));
}
