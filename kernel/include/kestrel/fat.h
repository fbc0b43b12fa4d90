/* FAT32 with VFAT long names (kernel/fs/fat, docs/fat.md): the "vfat" filesystem type. */
#pragma once
#include <kestrel/fs.h>

extern struct fs_type fat_fs_type;

/* Registers "vfat" with the filesystem-type registry; called once at boot, before any mount. */
void fat_init(void);
