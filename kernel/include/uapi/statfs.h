/* statfs(2) and fstatfs(2) as the Linux x86-64 ABI lays them out (120 bytes), and the magic numbers
 * f_type reports. */
#pragma once
#include <kestrel/types.h>

struct statfs {
    int64_t f_type;
    int64_t f_bsize;
    uint64_t f_blocks;
    uint64_t f_bfree;
    uint64_t f_bavail;
    uint64_t f_files;
    uint64_t f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen;
    int64_t f_frsize;
    int64_t f_flags;
    int64_t f_spare[4];
};

/* f_flags: ST_VALID says the field is filled in; the rest mirror the mount flags. */
#define ST_RDONLY 0x0001
#define ST_NOSUID 0x0002
#define ST_NODEV  0x0004
#define ST_NOEXEC 0x0008
#define ST_VALID  0x0020

#define TMPFS_MAGIC       0x01021994
#define PROC_SUPER_MAGIC  0x9fa0
#define EXT2_SUPER_MAGIC  0xEF53
#define MSDOS_SUPER_MAGIC 0x4d44
#define PIPEFS_MAGIC      0x50495045
