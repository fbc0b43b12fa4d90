/* The sampling profiler: every timer tick (TICK_HZ) records which kernel function it interrupted, or
 * "user", plus every function on the interrupted kernel call chain. `profile` on the command line
 * starts it at boot and prints the report at power-off. docs/performance.md shows how to read it. */
#pragma once
#include <kestrel/types.h>

struct trap_frame;

struct profile_entry {
    const char *name;
    uint32_t self;      /* samples that interrupted this function */
    uint32_t inclusive; /* samples with this function anywhere on the interrupted call chain */
};

/* Starts the profiler at boot when the command line says `profile`; needs kmalloc. */
void profile_init(void);
/* Clears the counters and starts sampling; -ENOMEM when the counters cannot be allocated. */
int profile_start(void);
void profile_stop(void);
bool profile_running(void);
/* Called by the timer interrupt with the interrupted frame; does nothing unless running. */
void profile_sample(const struct trap_frame *f);
/* Samples in all, and those taken in user mode. */
uint32_t profile_total(void);
uint32_t profile_user(void);
/* The n functions with the most samples, by self (or by inclusive) count, most first; returns how
 * many entries it filled (functions never sampled are left out). */
size_t profile_top(struct profile_entry *out, size_t n, bool by_inclusive);
/* Prints the report (lines starting "profile:") to the consoles. */
void profile_report(void);
