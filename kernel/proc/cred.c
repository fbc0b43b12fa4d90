/* The set*id rules of Linux (setuid(2), setreuid(2), setresuid(2), setfsuid(2) and their group
 * twins) applied to struct cred, and file permission checks. Pure code, host-tested. */
#include <kestrel/cred.h>
#include <kestrel/string.h>
#include <uapi/errno.h>

#define UNCHANGED CRED_ID_UNCHANGED

void cred_init_root(struct cred *c)
{
    memset(c, 0, sizeof(*c));
}

bool cred_in_group(const struct cred *c, uint32_t gid)
{
    if (gid == c->fsgid)
        return true;
    for (uint32_t i = 0; i < c->ngroups; i++)
        if (c->groups[i] == gid)
            return true;
    return false;
}

/* One of the ids an unprivileged process may switch to: its real, effective or saved id. */
static bool is_one_of(uint32_t id, uint32_t r, uint32_t e, uint32_t s)
{
    return id == r || id == e || id == s;
}

/* The user and group variants differ only in which fields they touch, so each rule is written once
 * over pointers to the four ids of one kind. */
struct idset {
    uint32_t *r, *e, *s, *fs;
};

static struct idset uids(struct cred *c)
{
    return (struct idset){&c->uid, &c->euid, &c->suid, &c->fsuid};
}

static struct idset gids(struct cred *c)
{
    return (struct idset){&c->gid, &c->egid, &c->sgid, &c->fsgid};
}

static int set_id(struct idset ids, bool priv, uint32_t id)
{
    if (id == UNCHANGED)
        return -EINVAL;
    if (priv)
        *ids.r = *ids.s = id; /* privileged: every id changes */
    else if (id != *ids.r && id != *ids.s)
        return -EPERM;
    *ids.e = *ids.fs = id;
    return 0;
}

static int set_re_id(struct idset ids, bool priv, uint32_t r, uint32_t e)
{
    uint32_t old_r = *ids.r, old_e = *ids.e, old_s = *ids.s;
    if (!priv && r != UNCHANGED && r != old_r && r != old_e)
        return -EPERM;
    if (!priv && e != UNCHANGED && !is_one_of(e, old_r, old_e, old_s))
        return -EPERM;
    if (r != UNCHANGED)
        *ids.r = r;
    if (e != UNCHANGED)
        *ids.e = e;
    /* The saved id follows the effective one when the real id is set or the effective one moves
     * away from the old real id, so a later setreuid cannot return to a dropped identity. */
    if (r != UNCHANGED || (e != UNCHANGED && e != old_r))
        *ids.s = *ids.e;
    *ids.fs = *ids.e;
    return 0;
}

static int set_res_id(struct idset ids, bool priv, uint32_t r, uint32_t e, uint32_t s)
{
    uint32_t old_r = *ids.r, old_e = *ids.e, old_s = *ids.s;
    if (!priv) {
        if (r != UNCHANGED && !is_one_of(r, old_r, old_e, old_s))
            return -EPERM;
        if (e != UNCHANGED && !is_one_of(e, old_r, old_e, old_s))
            return -EPERM;
        if (s != UNCHANGED && !is_one_of(s, old_r, old_e, old_s))
            return -EPERM;
    }
    if (r != UNCHANGED)
        *ids.r = r;
    if (e != UNCHANGED)
        *ids.e = e;
    if (s != UNCHANGED)
        *ids.s = s;
    *ids.fs = *ids.e;
    return 0;
}

static uint32_t set_fs_id(struct idset ids, bool priv, uint32_t id)
{
    uint32_t old = *ids.fs;
    if (id == UNCHANGED)
        return old;
    if (priv || is_one_of(id, *ids.r, *ids.e, *ids.s) || id == old)
        *ids.fs = id;
    return old;
}

int cred_setuid(struct cred *c, uint32_t uid)
{
    return set_id(uids(c), cred_is_root(c), uid);
}

int cred_setgid(struct cred *c, uint32_t gid)
{
    return set_id(gids(c), cred_is_root(c), gid);
}

int cred_setreuid(struct cred *c, uint32_t ruid, uint32_t euid)
{
    return set_re_id(uids(c), cred_is_root(c), ruid, euid);
}

int cred_setregid(struct cred *c, uint32_t rgid, uint32_t egid)
{
    return set_re_id(gids(c), cred_is_root(c), rgid, egid);
}

int cred_setresuid(struct cred *c, uint32_t ruid, uint32_t euid, uint32_t suid)
{
    return set_res_id(uids(c), cred_is_root(c), ruid, euid, suid);
}

int cred_setresgid(struct cred *c, uint32_t rgid, uint32_t egid, uint32_t sgid)
{
    return set_res_id(gids(c), cred_is_root(c), rgid, egid, sgid);
}

uint32_t cred_setfsuid(struct cred *c, uint32_t fsuid)
{
    return set_fs_id(uids(c), cred_is_root(c), fsuid);
}

uint32_t cred_setfsgid(struct cred *c, uint32_t fsgid)
{
    return set_fs_id(gids(c), cred_is_root(c), fsgid);
}

int cred_setgroups(struct cred *c, const uint32_t *groups, size_t n)
{
    if (!cred_is_root(c))
        return -EPERM;
    if (n > NGROUPS_MAX_KESTREL)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        c->groups[i] = groups[i];
    c->ngroups = (uint32_t)n;
    return 0;
}

int cred_permission(const struct cred *c, uint32_t uid, uint32_t gid, uint32_t mode, unsigned want)
{
    want &= 7;
    if (c->fsuid == 0) {
        bool is_dir = (mode & 0170000) == 0040000;
        if (!(want & 1) || is_dir || (mode & 0111))
            return 0;
        return -EACCES;
    }
    unsigned bits;
    if (c->fsuid == uid)
        bits = (mode >> 6) & 7;
    else if (cred_in_group(c, gid))
        bits = (mode >> 3) & 7;
    else
        bits = mode & 7;
    return (bits & want) == want ? 0 : -EACCES;
}
