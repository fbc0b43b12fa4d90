/* Kernel time: a nanosecond monotonic clock since boot (from the calibrated TSC), the 1 kHz tick
 * count, and wall-clock time from the RTC. */
#pragma once
#include <kestrel/types.h>

#define NSEC_PER_SEC  1000000000ull
#define NSEC_PER_MSEC 1000000ull
#define TICK_HZ       1000

/* Nanoseconds since boot; 0 until the TSC is calibrated. */
uint64_t time_ns(void);
