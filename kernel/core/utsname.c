/* The host and domain names. A spinlock, not the VFS lock: uname reads them from any context. */
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <kestrel/utsname.h>
#include <uapi/errno.h>

static struct spinlock names_lock = SPINLOCK_INIT("utsname");
static char names[2][UTS_LEN] = {"kestrel", "(none)"};

void utsname_get(enum uts_name which, char out[UTS_LEN])
{
    uint64_t flags = spin_lock_irqsave(&names_lock);
    memcpy(out, names[which], UTS_LEN);
    spin_unlock_irqrestore(&names_lock, flags);
}

int utsname_set(enum uts_name which, const char *name, size_t len)
{
    if (len >= UTS_LEN)
        return -EINVAL;
    char buf[UTS_LEN] = {0};
    memcpy(buf, name, len);
    uint64_t flags = spin_lock_irqsave(&names_lock);
    memcpy(names[which], buf, UTS_LEN);
    spin_unlock_irqrestore(&names_lock, flags);
    return 0;
}
