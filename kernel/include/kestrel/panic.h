/* panic() for broken invariants, and the assertion macros built on it. */
#pragma once
#include <kestrel/types.h>

/* Set once panic() starts. From then on spinlocks stop enforcing exclusion (the CPU is going down
 * with interrupts off, and the report must get out even if panic struck inside a lock's holder). */
extern volatile bool panic_in_progress;

/* Prints why, a symbolized backtrace and stops; in test mode QEMU exits with a failure code. */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

#define BUG_ON(cond)                                                                                         \
    do {                                                                                                     \
        if (unlikely(cond))                                                                                  \
            panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__);                                         \
    } while (0)
