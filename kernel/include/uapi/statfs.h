/* statfs(2)'s result on x86-64 Linux (struct statfs of <sys/statfs.h>, 120 bytes). */
#pragma once
#include <kestrel/types.h>

struct statfs {
    int64_t f_type;    /* the filesystem's magic number */
    int64_t f_bsize;   /* the preferred I/O size */
    uint64_t f_blocks; /* in f_frsize units */
    uint64_t f_bfree;
    uint64_t f_bavail; /* free to unprivileged users */
    uint64_t f_files;
    uint64_t f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen;
    int64_t f_frsize;
    int64_t f_flags; /* ST_RDONLY... */
    int64_t f_spare[4];
};

#define EXT2_SUPER_MAGIC 0xEF53
