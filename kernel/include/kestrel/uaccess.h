/* Moving data between the kernel and the current process's memory. Every user pointer a system call
 * gets goes through these: the range must lie below USER_TOP (no wrap-around), and a fault on the
 * way (unmapped, read-only for a write) ends the copy with -EFAULT instead of crashing the kernel.
 * They may sleep (a fault may read a page in or grow the stack): never call with a spinlock held. */
#pragma once
#include <kestrel/types.h>

/* 0 or -EFAULT. With n == 0 nothing is checked and 0 is returned. */
int copy_from_user(void *dst, const void *usrc, size_t n);
int copy_to_user(void *udst, const void *src, size_t n);
/* Copies a NUL-terminated string of at most max bytes including the NUL: returns its length,
 * -EFAULT, or -ENAMETOOLONG when no NUL comes within max bytes. */
long strncpy_from_user(char *dst, const char *usrc, size_t max);
/* Zeroes n user bytes: 0 or -EFAULT. */
int clear_user(void *udst, size_t n);
/* Atomically replaces the aligned user word at uaddr with new if it holds old (lock cmpxchg); *cur
 * gets the value found. 0, or -EFAULT (also for a misaligned address). */
int user_cmpxchg_u32(uint32_t *uaddr, uint32_t old, uint32_t new, uint32_t *cur);
/* Whether [uaddr, uaddr + n) lies in the user half below USER_TOP (a check only; copies can still fault). */
bool user_range_ok(const void *uaddr, size_t n);
