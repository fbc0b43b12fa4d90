/* The TSC as the source of time_ns(): timer.c measures its frequency and hands it over here. */
#pragma once
#include <kestrel/types.h>

/* Makes the current TSC value time zero. */
void tsc_mark_boot(void);
/* Starts time_ns() with the measured frequency. */
void tsc_set_frequency(uint64_t hz);
/* Whether CPUID promises a constant-rate TSC that keeps running in deep C-states (informational). */
bool tsc_is_invariant(void);
