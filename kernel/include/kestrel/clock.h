/* Timekeeping beyond time_ns(): the 1 kHz tick and its hook for the scheduler, busy waits, the CMOS
 * real-time clock and wall-clock time. The calendar conversions are pure code (also host-tested). */
#pragma once
#include <kestrel/time.h>
#include <kestrel/types.h>

struct trap_frame;
typedef void (*tick_hook_t)(struct trap_frame *f);

/* Calibrates the TSC and the local APIC timer against the PIT and starts the tick at TICK_HZ.
 * Needs irq_init(); ticks arrive once interrupts are enabled. */
void timer_init(void);
/* Timer interrupts since timer_init (TICK_HZ per second). */
uint64_t timer_ticks(void);
/* fn runs in interrupt context on every tick, after the tick is counted and acknowledged (so it may
 * switch threads). NULL removes it. Returns the hook it replaced. */
tick_hook_t timer_set_tick_hook(tick_hook_t fn);
/* Spins for at least ns nanoseconds; works with interrupts off, after timer_init. */
void timer_busy_wait_ns(uint64_t ns);
/* Calibrated frequencies, for reports. */
uint64_t tsc_frequency(void);
uint64_t lapic_timer_frequency(void);
/* Logs one line with the clock frequencies and the wall-clock time. */
void clock_log_summary(void);

/* A calendar date and time of day in UTC, as the RTC keeps it (the RTC is assumed to run on UTC). */
struct rtc_time {
    int year;  /* e.g. 2026 */
    int month; /* 1-12 */
    int day;   /* 1-31 */
    int hour, minute, second;
};

/* The RTC registers as read, before any decoding. */
struct rtc_raw {
    uint8_t second, minute, hour, day, month, year;
    uint8_t century;  /* the FADT's century register, 0 when there is none */
    uint8_t status_b; /* RTC_B_* format bits */
};

#define RTC_B_24H    0x02 /* hours run 0-23 (otherwise 1-12 with bit 7 meaning PM) */
#define RTC_B_BINARY 0x04 /* values are binary (otherwise BCD) */

/* Decodes BCD or binary, 12- or 24-hour registers; -EINVAL when a field is out of range. */
int rtc_decode(const struct rtc_raw *raw, struct rtc_time *out);
/* Seconds since 1970-01-01 00:00:00 UTC for a valid date from 1970 on. */
int64_t rtc_time_to_unix(const struct rtc_time *t);
/* The inverse, for printing; secs must not be negative. */
void rtc_time_from_unix(int64_t secs, struct rtc_time *out);

/* Reads the RTC (once at boot) and fixes the wall-clock time of boot. */
int rtc_init(void);
/* Reads the RTC now; 0 or a negative errno. */
int rtc_read(struct rtc_time *out);
/* Nanoseconds since the Unix epoch: the boot wall time plus time_ns(). 0 when the RTC was unusable. */
uint64_t clock_realtime_ns(void);
