/* Character devices: a registry from device numbers to file operations, used when a character
 * special file is opened, and /dev with the devices every Unix has. */
#pragma once
#include <kestrel/vfs.h>

/* Registers ops for (major, minor). A driver's registration replaces a built-in fallback (the
 * console before the tty layer takes it over); two drivers for one number give -EBUSY. ops->open,
 * if set, runs at every open and may redirect f->ops (/dev/tty to the caller's terminal). */
int chardev_register(uint32_t major, uint32_t minor, const struct file_ops *ops);
/* A fallback: registered only if nothing else is, and replaced by the next chardev_register. */
int chardev_register_fallback(uint32_t major, uint32_t minor, const struct file_ops *ops);
/* The ops for a device number, or NULL. */
const struct file_ops *chardev_lookup(uint32_t dev);

/* Opens a character device or FIFO for vfs_open (declared in vfs.h). */
int vfs_open_special(struct file *f);

/* /dev/kmsg (kernel/core/kmsg.c), registered with the built-in devices. */
void kmsg_register(void);
/* Registers the built-in devices (memory devices, kmsg and the console fallbacks); idempotent. */
void chardev_init_builtin(void);
/* Creates /dev/null, zero, full, random, urandom, tty, console (and the registered terminals'
 * nodes) and the fd, stdin, stdout, stderr links in dev_dir; existing names are left alone.
 * Returns 0 or the first error. The caller holds the VFS lock. */
int devfs_populate(struct inode *dev_dir);
/* Adds one node to what devfs_populate creates (drivers call it before boot populates /dev). */
int devfs_add(const char *name, uint32_t major, uint32_t minor, uint32_t mode);
