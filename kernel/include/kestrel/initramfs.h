/* Unpacking the initramfs: a cpio archive in "newc" format (or several, concatenated). */
#pragma once
#include <kestrel/fs.h>

/* Creates the archive's directories, files, symlinks, hard links and special files below root,
 * with their modes, owners and modification times. A malformed archive (bad magic or hex, a name
 * or data running past the end, no trailer) stops the unpack with -EINVAL, never reading outside
 * data[0..size). An entry the filesystem refuses is skipped; the first such error is returned
 * once the rest is unpacked. */
int initramfs_unpack(struct inode *root, const void *data, size_t size);
