/* The record getdents64(2) writes, and the d_type values, as Linux lays them out. */
#pragma once
#include <kestrel/types.h>

#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12
#define DT_WHT     14

/* d_type is the S_IFMT field of the mode shifted down: the values above are chosen to match. */
#define IFTODT(mode) (((mode)&0170000) >> 12)

/* Records are 8-byte aligned: d_reclen = ALIGN_UP(offsetof(d_name) + strlen(name) + 1, 8), and
 * d_off is the position to seek to for the record after this one. */
struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

_Static_assert(__builtin_offsetof(struct linux_dirent64, d_name) == 19, "linux_dirent64 header is 19 bytes");
