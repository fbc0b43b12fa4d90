/* ext2, the second extended filesystem (docs/ext2.md): revision 1 with 1 KiB to 4 KiB blocks, as
 * Linux and e2fsprogs write it. */
#pragma once
#include <kestrel/fs.h>

/* The type mount(2) names "ext2": needs a block device. */
extern struct fs_type ext2_fs_type;

/* Registers ext2_fs_type; boot calls it once, before the first mount. */
void ext2_init(void);
