/* prctl(2): the process's name (PR_SET_NAME, PR_GET_NAME), which busybox sets after re-executing
 * itself through /proc/self/exe so that ps, top, pidof and killall see the applet's name. Options
 * Kestrel does not know answer EINVAL, as Linux does for unknown ones. */
#include <kestrel/process.h>
#include <kestrel/string.h>
#include <kestrel/syscall.h>
#include <kestrel/thread.h>
#include <kestrel/uaccess.h>

#define PR_SET_NAME 15
#define PR_GET_NAME 16

static long set_name(const char *uname)
{
    char name[COMM_LEN];
    /* Linux copies at most COMM_LEN bytes and cuts the name there, NUL or not. */
    long n = strncpy_from_user(name, uname, sizeof(name));
    if (n == -EFAULT)
        return -EFAULT;
    name[sizeof(name) - 1] = '\0';
    struct process *p = current_process();
    uint64_t flags = spin_lock_irqsave(&p->lock);
    strlcpy(p->comm, name, sizeof(p->comm));
    spin_unlock_irqrestore(&p->lock, flags);
    strlcpy(thread_current()->name, name, sizeof(thread_current()->name));
    return 0;
}

static long get_name(char *uname)
{
    char name[COMM_LEN];
    struct process *p = current_process();
    uint64_t flags = spin_lock_irqsave(&p->lock);
    memcpy(name, p->comm, sizeof(name));
    spin_unlock_irqrestore(&p->lock, flags);
    name[sizeof(name) - 1] = '\0';
    return copy_to_user(uname, name, sizeof(name)) ? -EFAULT : 0;
}

SYSCALL_DEFINE5(prctl, int, option, unsigned long, arg2, unsigned long, arg3, unsigned long, arg4,
                unsigned long, arg5)
{
    (void)arg3, (void)arg4, (void)arg5;
    switch (option) {
    case PR_SET_NAME:
        return set_name((const char *)arg2);
    case PR_GET_NAME:
        return get_name((char *)arg2);
    default:
        return -EINVAL;
    }
}
