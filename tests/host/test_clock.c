/* Host tests for the RTC register decoding and the calendar conversions (kernel/core/time.c). */
#include "htest.h"
#include <kestrel/clock.h>
#include <uapi/errno.h>

static int64_t unix_of(int y, int mo, int d, int h, int mi, int s)
{
    struct rtc_time t = {y, mo, d, h, mi, s};
    return rtc_time_to_unix(&t);
}

HTEST(clock_known_unix_times)
{
    HEXPECT_EQ(t, unix_of(1970, 1, 1, 0, 0, 0), 0);
    HEXPECT_EQ(t, unix_of(2000, 1, 1, 0, 0, 0), 946684800);
    HEXPECT_EQ(t, unix_of(2000, 3, 1, 0, 0, 0), 951868800); /* 2000 is a leap year (divisible by 400) */
    HEXPECT_EQ(t, unix_of(2024, 2, 29, 12, 0, 0), 1709208000);
    HEXPECT_EQ(t, unix_of(2038, 1, 19, 3, 14, 8), 2147483648ll);
    HEXPECT_EQ(t, unix_of(2100, 3, 1, 0, 0, 0), 4107542400ll); /* 2100 is not (divisible by 100) */
}

HTEST(clock_round_trips_through_unix)
{
    for (int64_t s = 0; s < 5000000000ll; s += 86400 * 37 + 3671) {
        struct rtc_time tm;
        rtc_time_from_unix(s, &tm);
        HASSERT(t, rtc_time_to_unix(&tm) == s);
    }
    struct rtc_time tm;
    rtc_time_from_unix(1709208000, &tm);
    HEXPECT_EQ(t, tm.year, 2024);
    HEXPECT_EQ(t, tm.month, 2);
    HEXPECT_EQ(t, tm.day, 29);
    HEXPECT_EQ(t, tm.hour, 12);
}

HTEST(clock_decodes_bcd_24h)
{
    struct rtc_raw raw = {.second = 0x59,
                          .minute = 0x30,
                          .hour = 0x23,
                          .day = 0x31,
                          .month = 0x12,
                          .year = 0x26,
                          .century = 0x20,
                          .status_b = RTC_B_24H};
    struct rtc_time tm;
    HASSERT(t, rtc_decode(&raw, &tm) == 0);
    HEXPECT_EQ(t, tm.year, 2026);
    HEXPECT_EQ(t, tm.month, 12);
    HEXPECT_EQ(t, tm.day, 31);
    HEXPECT_EQ(t, tm.hour, 23);
    HEXPECT_EQ(t, tm.minute, 30);
    HEXPECT_EQ(t, tm.second, 59);
}

HTEST(clock_decodes_binary_12h)
{
    struct rtc_raw raw = {
        .second = 5, .minute = 6, .hour = 12, .day = 7, .month = 8, .year = 25, .status_b = RTC_B_BINARY};
    struct rtc_time tm;
    HASSERT(t, rtc_decode(&raw, &tm) == 0);
    HEXPECT_EQ(t, tm.year, 2025); /* no century register: this century */
    HEXPECT_EQ(t, tm.hour, 0);    /* 12 AM is midnight */
    raw.hour = 0x80 | 12;
    HASSERT(t, rtc_decode(&raw, &tm) == 0);
    HEXPECT_EQ(t, tm.hour, 12); /* 12 PM is noon */
    raw.hour = 0x80 | 1;
    HASSERT(t, rtc_decode(&raw, &tm) == 0);
    HEXPECT_EQ(t, tm.hour, 13);
    raw.status_b = 0; /* BCD, 12-hour: PM 11 */
    raw.hour = 0x80 | 0x11;
    HASSERT(t, rtc_decode(&raw, &tm) == 0);
    HEXPECT_EQ(t, tm.hour, 23);
}

HTEST(clock_rejects_bad_registers)
{
    struct rtc_raw raw = {
        .second = 0, .minute = 0, .hour = 0, .day = 0x30, .month = 0x02, .year = 0x25, .status_b = RTC_B_24H};
    struct rtc_time tm;
    HEXPECT_EQ(t, rtc_decode(&raw, &tm), -EINVAL); /* 30 February */
    raw.day = 0x1a;                                /* not BCD */
    HEXPECT_EQ(t, rtc_decode(&raw, &tm), -EINVAL);
    raw.day = 0x01;
    raw.hour = 0x24;
    HEXPECT_EQ(t, rtc_decode(&raw, &tm), -EINVAL);
    raw.hour = 0x00;
    raw.status_b = 0; /* 12-hour mode has no hour 0 */
    HEXPECT_EQ(t, rtc_decode(&raw, &tm), -EINVAL);
}
