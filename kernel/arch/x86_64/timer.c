/* The kernel tick: calibrates the TSC and the local APIC timer against the PIT, then runs the local
 * APIC timer periodically at TICK_HZ and counts its interrupts. */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/pit.h>
#include <arch/tsc.h>
#include <kestrel/clock.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>
#include <kestrel/profile.h>

/* The TSC is timed against the PIT. Each round times a short and a long PIT window and keeps the
 * difference: the cost of starting a window and of noticing its end (slow port I/O, very slow under
 * emulation) is the same in both and cancels out. The median of three rounds throws away one disturbed
 * by an SMI or, under emulation, by the host descheduling QEMU; a round so disturbed that it measured
 * nothing is retried. About 30 ms in all.
 * The local APIC timer is then timed against the TSC over the whole calibration. Reading its counter
 * is an MMIO access whose latency varies (under QEMU it may wait for a global lock), so each reading
 * is bracketed by two TSC reads and the tightest of a few brackets is kept. */
#define CALIB_ROUNDS     3
#define CALIB_TRIES      10
#define CALIB_SHORT      1193  /* PIT clocks: 1.0 ms */
#define CALIB_LONG       10739 /* 9.0 ms */
#define LAPIC_SAMPLES    8
/* No TSC runs at 100 GHz, so a window this long (in cycles) means the PIT is not there. */
#define CALIB_MAX_CYCLES (CALIB_LONG * 100000ull)

static uint64_t ticks; /* written only by the tick handler; read atomically anywhere */
static tick_hook_t tick_hook;
static uint64_t lapic_hz; /* the local APIC timer's counting rate (after its divider) */

/* TSC cycles in one PIT window of pit_clocks, or 0 when the window never seemed to end. That is
 * either no PIT at all or, under emulation on a loaded host, QEMU descheduled for longer than the
 * limit: the caller treats it as a disturbed round, and only every round failing is fatal. */
static uint64_t time_window(uint16_t pit_clocks)
{
    pit_window_start(pit_clocks);
    uint64_t t0 = rdtsc(), t1;
    while (!pit_window_done()) {
        if (rdtsc() - t0 > CALIB_MAX_CYCLES) {
            pit_window_stop();
            return 0;
        }
    }
    t1 = rdtsc();
    pit_window_stop();
    return t1 - t0;
}

/* TSC cycles per (CALIB_LONG - CALIB_SHORT) PIT clocks, or 0 when the round was disturbed so badly
 * that a window timed out or the long window measured no more than the short one (under emulation
 * on a loaded host, QEMU can be descheduled for longer than the short window). */
static uint64_t calibrate_round(void)
{
    uint64_t s = time_window(CALIB_SHORT), l = time_window(CALIB_LONG);
    return s && l > s ? l - s : 0;
}

static uint64_t median(uint64_t *v, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort: n is tiny */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}

/* Median of CALIB_ROUNDS undisturbed rounds, trying at most CALIB_TRIES rounds. */
static uint64_t calibrate_tsc_cycles(void)
{
    uint64_t r[CALIB_ROUNDS];
    int n = 0;
    for (int tries = 0; tries < CALIB_TRIES && n < CALIB_ROUNDS; tries++) {
        uint64_t c = calibrate_round();
        if (c)
            r[n++] = c;
    }
    if (n == 0)
        panic("timer: every PIT calibration round was disturbed or timed out; no usable reference");
    if (n < CALIB_ROUNDS)
        printk(LOG_WARNING, "timer: only %d of %d calibration rounds usable\n", n, CALIB_ROUNDS);
    return median(r, n);
}

struct lapic_sample {
    uint64_t tsc; /* the middle of the tightest bracket */
    uint32_t count;
};

static struct lapic_sample sample_lapic(void)
{
    struct lapic_sample best = {0, 0};
    uint64_t best_width = UINT64_MAX;
    for (int i = 0; i < LAPIC_SAMPLES; i++) {
        uint64_t a = rdtsc();
        uint32_t c = lapic_timer_current();
        uint64_t b = rdtsc();
        if (b - a < best_width) {
            best_width = b - a;
            best = (struct lapic_sample){a + (b - a) / 2, c};
        }
    }
    return best;
}

static void calibrate(void)
{
    lapic_timer_start_free();
    struct lapic_sample l0 = sample_lapic();
    uint64_t cycles = calibrate_tsc_cycles();
    struct lapic_sample l1 = sample_lapic();
    uint64_t tsc_hz = cycles * PIT_HZ / (CALIB_LONG - CALIB_SHORT);
    tsc_set_frequency(tsc_hz);
    /* The timer counts down. Over ~30 ms the count difference stays below 2^25 even at 1 GHz, so the
     * product fits 64 bits for any TSC slower than 500 GHz. */
    lapic_hz = (uint64_t)(l0.count - l1.count) * tsc_hz / (l1.tsc - l0.tsc);
    if (!lapic_hz)
        panic("timer: the local APIC timer does not count");
}

static void timer_tick(struct trap_frame *f)
{
    __atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED);
    profile_sample(f); /* before the hook, which may switch away from the interrupted thread */
    /* Acknowledge before the hook: the scheduler may switch threads from it and not come back here
     * for a long time, and no further tick can arrive until the APIC sees this EOI. trap_dispatch's
     * own EOI afterwards finds nothing in service and does nothing. */
    lapic_eoi();
    tick_hook_t hook = __atomic_load_n(&tick_hook, __ATOMIC_ACQUIRE);
    if (hook)
        hook(f);
}

void timer_init(void)
{
    tsc_mark_boot();
    calibrate();
    trap_set_handler(VEC_LAPIC_TIMER, timer_tick);
    lapic_timer_periodic((uint32_t)((lapic_hz + TICK_HZ / 2) / TICK_HZ));
}

uint64_t timer_ticks(void)
{
    return __atomic_load_n(&ticks, __ATOMIC_RELAXED);
}

tick_hook_t timer_set_tick_hook(tick_hook_t fn)
{
    return __atomic_exchange_n(&tick_hook, fn, __ATOMIC_ACQ_REL);
}

void timer_busy_wait_ns(uint64_t ns)
{
    BUG_ON(!tsc_frequency()); /* before calibration time_ns() stands still and this would never end */
    uint64_t end = time_ns() + ns;
    while (time_ns() < end)
        cpu_pause();
}

uint64_t lapic_timer_frequency(void)
{
    return lapic_hz;
}

/* One boot-log line with everything this subsystem measured. */
void clock_log_summary(void)
{
    uint64_t mhz_milli = tsc_frequency() / 1000, real = clock_realtime_ns();
    struct rtc_time t;
    rtc_time_from_unix((int64_t)(real / NSEC_PER_SEC), &t);
    printk(
        LOG_INFO,
        "time: TSC %llu.%03llu MHz%s, LAPIC timer %llu kHz -> %d Hz tick, RTC %04d-%02d-%02d %02d:%02d:%02d "
        "UTC%s\n",
        (unsigned long long)(mhz_milli / 1000), (unsigned long long)(mhz_milli % 1000),
        tsc_is_invariant() ? " (invariant)" : "", (unsigned long long)(lapic_hz / 1000), TICK_HZ, t.year,
        t.month, t.day, t.hour, t.minute, t.second, real ? "" : " (unknown)");
}
