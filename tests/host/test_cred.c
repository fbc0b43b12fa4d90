/* Host tests for the set*id rules (kernel/proc/cred.c), case by case against Linux's documented
 * behaviour: root changes anything, others only move between their real, effective and saved ids. */
#include "htest.h"
#include <kestrel/cred.h>
#include <uapi/errno.h>

#define U CRED_ID_UNCHANGED

static struct cred user(uint32_t r, uint32_t e, uint32_t s)
{
    struct cred c;
    cred_init_root(&c);
    c.uid = r, c.euid = e, c.suid = s, c.fsuid = e;
    c.gid = c.egid = c.sgid = c.fsgid = 100;
    return c;
}

HTEST(cred_setuid_root_sets_all_ids)
{
    struct cred c = user(0, 0, 0);
    HEXPECT_EQ(t, cred_setuid(&c, 1000), 0);
    HEXPECT(t, c.uid == 1000 && c.euid == 1000 && c.suid == 1000 && c.fsuid == 1000);
    /* Root is gone for good: no way back. */
    HEXPECT_EQ(t, cred_setuid(&c, 0), -EPERM);
    HEXPECT_EQ(t, cred_setuid(&c, U), -EINVAL);
}

HTEST(cred_setuid_unprivileged_moves_effective_only)
{
    struct cred c = user(1000, 2000, 3000);
    HEXPECT_EQ(t, cred_setuid(&c, 3000), 0);
    HEXPECT(t, c.uid == 1000 && c.euid == 3000 && c.suid == 3000 && c.fsuid == 3000);
    HEXPECT_EQ(t, cred_setuid(&c, 1000), 0);
    HEXPECT(t, c.uid == 1000 && c.euid == 1000 && c.suid == 3000);
    HEXPECT_EQ(t, cred_setuid(&c, 4000), -EPERM);
    HEXPECT_EQ(t, c.euid, 1000);
}

HTEST(cred_setreuid_rules)
{
    struct cred c = user(1000, 2000, 3000);
    /* The real id may only become the real or effective id. */
    HEXPECT_EQ(t, cred_setreuid(&c, 3000, U), -EPERM);
    HEXPECT_EQ(t, cred_setreuid(&c, U, 4000), -EPERM);
    /* Swapping real and effective: the saved id follows the new effective id. */
    HEXPECT_EQ(t, cred_setreuid(&c, 2000, 1000), 0);
    HEXPECT(t, c.uid == 2000 && c.euid == 1000 && c.suid == 1000 && c.fsuid == 1000);
    /* Effective set back to the real id alone leaves the saved id. */
    c = user(1000, 2000, 3000);
    HEXPECT_EQ(t, cred_setreuid(&c, U, 1000), 0);
    HEXPECT(t, c.uid == 1000 && c.euid == 1000 && c.suid == 3000);
    HEXPECT_EQ(t, cred_setreuid(&c, U, U), 0);
    c = user(0, 0, 0);
    HEXPECT_EQ(t, cred_setreuid(&c, 5, 6), 0);
    HEXPECT(t, c.uid == 5 && c.euid == 6 && c.suid == 6);
}

HTEST(cred_setresuid_rules)
{
    struct cred c = user(1000, 2000, 3000);
    HEXPECT_EQ(t, cred_setresuid(&c, 3000, 1000, 2000), 0);
    HEXPECT(t, c.uid == 3000 && c.euid == 1000 && c.suid == 2000 && c.fsuid == 1000);
    HEXPECT_EQ(t, cred_setresuid(&c, U, 4000, U), -EPERM);
    HEXPECT(t, c.uid == 3000 && c.euid == 1000 && c.suid == 2000);
    c = user(0, 0, 0);
    HEXPECT_EQ(t, cred_setresuid(&c, 1, 2, 3), 0);
    HEXPECT(t, c.uid == 1 && c.euid == 2 && c.suid == 3 && c.fsuid == 2);
}

HTEST(cred_group_calls_need_root_euid)
{
    struct cred c = user(1000, 1000, 1000);
    HEXPECT_EQ(t, cred_setgid(&c, 100), 0); /* its own real gid */
    HEXPECT_EQ(t, cred_setgid(&c, 0), -EPERM);
    HEXPECT_EQ(t, cred_setresgid(&c, U, 5, U), -EPERM);
    uint32_t g[2] = {1, 2};
    HEXPECT_EQ(t, cred_setgroups(&c, g, 2), -EPERM);
    c = user(0, 0, 0);
    HEXPECT_EQ(t, cred_setgid(&c, 50), 0);
    HEXPECT(t, c.gid == 50 && c.egid == 50 && c.sgid == 50 && c.fsgid == 50);
    HEXPECT_EQ(t, cred_setgroups(&c, g, 2), 0);
    HEXPECT(t, cred_in_group(&c, 2) && cred_in_group(&c, 50) && !cred_in_group(&c, 3));
    HEXPECT_EQ(t, cred_setgroups(&c, g, NGROUPS_MAX_KESTREL + 1), -EINVAL);
}

HTEST(cred_setfsuid_returns_old_value)
{
    struct cred c = user(1000, 2000, 3000);
    HEXPECT_EQ(t, cred_setfsuid(&c, 3000), 2000);
    HEXPECT_EQ(t, c.fsuid, 3000);
    HEXPECT_EQ(t, cred_setfsuid(&c, 4000), 3000); /* refused, still reports */
    HEXPECT_EQ(t, c.fsuid, 3000);
    HEXPECT_EQ(t, cred_setfsuid(&c, U), 3000);
    HEXPECT_EQ(t, cred_setfsgid(&c, 100), 100);
}

HTEST(cred_permission_bits)
{
    struct cred c = user(1000, 1000, 1000);
    HEXPECT_EQ(t, cred_permission(&c, 1000, 0, 0100600, 6), 0);
    HEXPECT_EQ(t, cred_permission(&c, 1000, 0, 0100600, 1), -EACCES);
    HEXPECT_EQ(t, cred_permission(&c, 0, 100, 0100050, 5), 0);        /* by group */
    HEXPECT_EQ(t, cred_permission(&c, 0, 0, 0100704, 4), 0);          /* by other */
    HEXPECT_EQ(t, cred_permission(&c, 1000, 0, 0100077, 4), -EACCES); /* owner bits win */
    struct cred r = user(0, 0, 0);
    HEXPECT_EQ(t, cred_permission(&r, 5, 5, 0100000, 6), 0);
    HEXPECT_EQ(t, cred_permission(&r, 5, 5, 0100644, 1), -EACCES);
    HEXPECT_EQ(t, cred_permission(&r, 5, 5, 0100001, 1), 0);
    HEXPECT_EQ(t, cred_permission(&r, 5, 5, 0040000, 1), 0);
}
