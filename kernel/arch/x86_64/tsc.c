/* The TSC as the kernel's nanosecond clock. time_ns() is one rdtsc, one 64x64->128-bit multiply and a
 * shift: no division and no lock, so it is cheap enough for printk and the scheduler's hot paths. */
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <kestrel/clock.h>

#define CPUID_EXT_MAX       0x80000000
#define CPUID_POWER_MGMT    0x80000007
#define CPUID_INVARIANT_TSC (1u << 8)

static uint64_t tsc_hz;   /* 0 until calibrated */
static uint64_t tsc_boot; /* TSC value that time_ns() calls zero */
static uint64_t tsc_mult; /* nanoseconds per TSC cycle, fixed point with 32 fraction bits */

void tsc_mark_boot(void)
{
    tsc_boot = rdtsc();
}

void tsc_set_frequency(uint64_t hz)
{
    /* (1e9 << 32) still fits in 64 bits, so this is exact to one part in tsc_mult (~2^30). */
    tsc_mult = (NSEC_PER_SEC << 32) / hz;
    /* tsc_hz last: a reader that sees it nonzero must also see tsc_mult. */
    __atomic_store_n(&tsc_hz, hz, __ATOMIC_RELEASE);
}

uint64_t tsc_frequency(void)
{
    return __atomic_load_n(&tsc_hz, __ATOMIC_ACQUIRE);
}

bool tsc_is_invariant(void)
{
    uint32_t a, b, c, d;
    cpuid(CPUID_EXT_MAX, 0, &a, &b, &c, &d);
    if (a < CPUID_POWER_MGMT)
        return false;
    cpuid(CPUID_POWER_MGMT, 0, &a, &b, &c, &d);
    return d & CPUID_INVARIANT_TSC;
}

uint64_t time_ns(void)
{
    if (!tsc_frequency())
        return 0;
    uint64_t d = rdtsc() - tsc_boot;
    /* The product needs 128 bits after a few seconds; the multiply instruction gives them for free. */
    return (uint64_t)(((unsigned __int128)d * tsc_mult) >> 32);
}
