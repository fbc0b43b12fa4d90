/* procfs: the "proc" filesystem type, Linux's /proc layout generated from the kernel's live state
 * (docs/procfs.md). */
#pragma once

/* Registers the "proc" filesystem type. */
void procfs_register(void);
