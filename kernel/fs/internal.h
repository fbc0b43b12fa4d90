/* Shared by the files of kernel/fs: the path walker's state and its helpers. */
#pragma once
#include <kestrel/fs.h>
#include <kestrel/kmalloc.h>
#include <kestrel/string.h>
#include <kestrel/vfs.h>

/* What the last component of a path is. */
enum last_type {
    LAST_NORM,   /* a name */
    LAST_DOT,    /* "." */
    LAST_DOTDOT, /* ".." */
    LAST_ROOT,   /* none: the path is "/" (or a link to it); the result is the directory itself */
};

struct last {
    const char *name; /* not NUL-terminated */
    size_t len;
    enum last_type type;
    bool slash; /* followed by a slash: the result must be a directory */
};

/* A link body being walked, and where to resume in the text that led to it. */
struct nd_frame {
    char *body;
    const char *rest;
};

/* The state of one path resolution. Symlinks met in the middle of a path are walked with an
 * explicit stack rather than by recursion, so kernel stack use does not grow with nesting. */
struct nameidata {
    struct inode *root; /* borrowed: where "/" starts and ".." stops */
    struct inode *dir;  /* a reference: the directory the last component lives in */
    struct last last;
    int links;              /* symlinks followed so far, for ELOOP */
    int depth;              /* frames in use */
    bool must_dir;          /* a followed final link had a trailing slash */
    bool mountpoint;        /* stop at the last component rather than cross a mount on it */
    struct nd_frame *stack; /* SYMLOOP_MAX frames, allocated at the first nested link */
    char *final_body;       /* the body of the final link being walked: last.name may point into it */
};

/* Starts a resolution relative to start (NULL: the root). */
void nd_init(struct nameidata *nd, struct inode *start);
/* Releases everything the resolution holds. */
void nd_done(struct nameidata *nd);
/* Walks all but the last component of path: leaves nd->dir and nd->last set. */
int nd_walk_parent(struct nameidata *nd, const char *path);
/* Looks up nd->last in nd->dir without following a symlink. */
int nd_lookup_last(struct nameidata *nd, struct inode **out);
/* Replaces nd->dir and nd->last by the resolution of a final symlink's body (consumes link). */
int nd_follow_last(struct nameidata *nd, struct inode *link);
/* The whole walk: the inode the path names, the final symlink followed or not. */
int nd_resolve(struct nameidata *nd, const char *path, bool follow, struct inode **out);
/* Whether dir is anc or lies below it (walking ".." up to the filesystem root). */
int nd_is_ancestor(struct inode *anc, struct inode *dir, bool *result);

/* Attribute changes on an inode, shared by the path calls and the file-descriptor calls. */
int vfs_inode_setattr(struct inode *inode, struct iattr *attr);
int vfs_inode_truncate(struct inode *inode, uint64_t length);
int vfs_inode_chmod(struct inode *inode, uint32_t mode);

/* The path a call got from user space: -ENOENT when empty, -ENAMETOOLONG when PATH_MAX bytes
 * hold no NUL. */
int path_check(const char *path);

/* Adding a name to dir (write and search on it), removing victim's name from dir (the same, and
 * in a sticky directory owning the file or the directory: -EPERM otherwise). */
int vfs_may_create(struct inode *dir);
int vfs_may_delete(struct inode *dir, struct inode *victim);
/* Gives a file just created in dir its owner: the caller's filesystem ids, or dir's group when
 * dir is set-group-id. */
int vfs_own_new(struct inode *dir, struct inode *inode);
/* Whether vfs_own_new may change anything: filesystems create files as root, so only a caller
 * with other ids or a set-group-id directory needs it (root's creations skip the lookup). */
bool vfs_needs_owner(const struct inode *dir);
