/* The TSC as the kernel's nanosecond clock. */
#include <arch/cpu.h>
#include <kestrel/time.h>

static uint64_t tsc_hz;   /* 0 until calibrated */
static uint64_t tsc_boot; /* TSC value that time_ns() calls zero */

uint64_t time_ns(void)
{
    if (!tsc_hz)
        return 0;
    uint64_t d = rdtsc() - tsc_boot;
    /* 128-bit product: d * 1e9 overflows 64 bits after a few seconds at GHz rates. */
    return (uint64_t)((unsigned __int128)d * NSEC_PER_SEC / tsc_hz);
}
