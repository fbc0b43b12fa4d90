/* tmpfs: a filesystem kept entirely in kernel memory (the root filesystem until disks exist). */
#pragma once
#include <kestrel/fs.h>

/* Creates an empty tmpfs (a root directory, mode 0755) and returns its superblock. */
int tmpfs_mount(struct super_block **out);
/* Frees every file and directory. Nothing may still hold a reference into it (open files, a
 * vfs_set_root): that is a bug, and panics. */
void tmpfs_unmount(struct super_block *sb);
/* Data pages the files of sb use together (statfs). */
uint64_t tmpfs_pages_used(struct super_block *sb);
/* Data pages of every mounted tmpfs together: what Linux calls Shmem (/proc/meminfo, sysinfo's
 * sharedram). The caller holds the VFS lock. */
uint64_t tmpfs_mounted_pages(void);
/* Registers the "tmpfs" and "devtmpfs" filesystem types (kernel/fs/tmpfs_type.c). */
void tmpfs_register(void);
