/* Who may do what to an inode: the classic owner/group/other mode bits checked against the
 * caller's filesystem ids, the sticky-directory rule, and the owner a new file gets. Linux's
 * rules, in the places Linux applies them: search permission on every directory a path walks
 * through (namei.c), write and search on a directory to add or remove a name, read or write on a
 * file to open it. Root passes every check but executing a file nobody may execute. */
#include <kestrel/cred.h>
#include "internal.h"

static const struct cred *(*cred_source)(void);
/* Credentials standing in for the caller's. Only a holder of the VFS-wide lock sets it, and
 * every check runs under that lock, so no other caller can see it (a per-thread field once the
 * VFS has finer locks). */
static const struct cred *cred_override;

void vfs_set_cred_source(const struct cred *(*source)(void))
{
    cred_source = source;
}

const struct cred *vfs_cred(void)
{
    if (cred_override)
        return cred_override;
    return cred_source ? cred_source() : NULL;
}

const struct cred *vfs_override_cred(const struct cred *c)
{
    const struct cred *old = cred_override;
    cred_override = c;
    return old;
}

int vfs_permission(const struct inode *inode, unsigned mask)
{
    const struct cred *c = vfs_cred();
    if (!c)
        return 0; /* kernel threads act as root */
    if (inode->ops->permission)
        return inode->ops->permission(inode, mask, c);
    return cred_permission(c, inode->uid, inode->gid, inode->mode, mask);
}

static bool caller_is_root(const struct cred *c)
{
    return !c || c->fsuid == 0;
}

int vfs_may_create(struct inode *dir)
{
    return vfs_permission(dir, MAY_WRITE | MAY_EXEC);
}

int vfs_may_delete(struct inode *dir, struct inode *victim)
{
    int err = vfs_permission(dir, MAY_WRITE | MAY_EXEC);
    if (err)
        return err;
    /* In a sticky directory (/tmp) a name goes only by its file's owner or the directory's. */
    const struct cred *c = vfs_cred();
    if ((dir->mode & S_ISVTX) && !caller_is_root(c) && c->fsuid != victim->uid && c->fsuid != dir->uid)
        return -EPERM;
    return 0;
}

bool vfs_needs_owner(const struct inode *dir)
{
    const struct cred *c = vfs_cred();
    return (c && (c->fsuid || c->fsgid)) || (dir->mode & S_ISGID);
}

int vfs_own_new(struct inode *dir, struct inode *inode)
{
    if (inode->sb->type && inode->sb->type->fixed_owner)
        return 0; /* as Linux's vfat: the caller's ids do not apply */
    const struct cred *c = vfs_cred();
    struct iattr attr = {.valid = ATTR_UID | ATTR_GID, .uid = c ? c->fsuid : 0, .gid = c ? c->fsgid : 0};
    /* A set-group-id directory hands its group down, and its set-group-id bit to subdirectories
     * (the BSD group semantics System V kept for such directories). */
    if (dir->mode & S_ISGID) {
        attr.gid = dir->gid;
        if (S_ISDIR(inode->mode)) {
            attr.valid |= ATTR_MODE;
            attr.mode = inode->mode | S_ISGID;
        }
    }
    if (attr.uid == inode->uid && attr.gid == inode->gid && !(attr.valid & ATTR_MODE))
        return 0; /* what the filesystem already set: spare it a write */
    return vfs_inode_setattr(inode, &attr);
}
