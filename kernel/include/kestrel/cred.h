/* Credentials as Linux keeps them (real, effective, saved and filesystem user and group ids plus the
 * supplementary groups) and the rules of the set*id calls. Kestrel has no capabilities: an effective
 * uid of 0 holds every privilege (CAP_SETUID, CAP_SETGID, ...), as on Linux without a security module.
 * Pure code: also built into the host tests. */
#pragma once
#include <kestrel/types.h>

#define NGROUPS_MAX_KESTREL 32
#define CRED_ID_UNCHANGED   0xffffffffu /* -1 in the set*id calls: leave that id alone */

struct cred {
    uint32_t uid, euid, suid, fsuid;
    uint32_t gid, egid, sgid, fsgid;
    uint32_t ngroups;
    uint32_t groups[NGROUPS_MAX_KESTREL];
};

static inline bool cred_is_root(const struct cred *c)
{
    return c->euid == 0;
}

/* The credentials of init: root in every id, no supplementary groups. */
void cred_init_root(struct cred *c);
/* Whether gid is c's filesystem gid or one of its supplementary groups. */
bool cred_in_group(const struct cred *c, uint32_t gid);

/* Each applies the call's rules to c: 0, or -EPERM (nothing changed) / -EINVAL. */
int cred_setuid(struct cred *c, uint32_t uid);
int cred_setgid(struct cred *c, uint32_t gid);
int cred_setreuid(struct cred *c, uint32_t ruid, uint32_t euid);
int cred_setregid(struct cred *c, uint32_t rgid, uint32_t egid);
int cred_setresuid(struct cred *c, uint32_t ruid, uint32_t euid, uint32_t suid);
int cred_setresgid(struct cred *c, uint32_t rgid, uint32_t egid, uint32_t sgid);
/* setfsuid/setfsgid change the id when allowed and always return the previous one. */
uint32_t cred_setfsuid(struct cred *c, uint32_t fsuid);
uint32_t cred_setfsgid(struct cred *c, uint32_t fsgid);
/* setgroups(2): -EPERM without privilege, -EINVAL for more than NGROUPS_MAX_KESTREL groups. */
int cred_setgroups(struct cred *c, const uint32_t *groups, size_t n);

/* Access checks on a file's owner, group and mode bits: want is a mask of 4 (read), 2 (write),
 * 1 (execute/search). Root may read and write anything and execute when any x bit is set (or the
 * file is a directory). 0 or -EACCES. */
int cred_permission(const struct cred *c, uint32_t uid, uint32_t gid, uint32_t mode, unsigned want);
