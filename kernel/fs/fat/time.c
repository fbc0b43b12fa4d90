/* FAT timestamps: a date (years since 1980, month, day) and a time of day in 2-second units,
 * plus hundredths for the creation time. FAT stores local time; Kestrel's clock is UTC and it
 * has no time zone, so the fields are UTC (as Linux with tz=UTC). */
#include <kestrel/clock.h>
#include "fat.h"

#define FAT_EPOCH_YEAR 1980
#define FAT_LAST_YEAR  (FAT_EPOCH_YEAR + 127)

void fat_time_to_vfs(uint16_t date, uint16_t time, uint8_t cs, struct vfs_timespec *out)
{
    struct rtc_time t = {
        .year = FAT_EPOCH_YEAR + (date >> 9),
        .month = (date >> 5) & 0xf,
        .day = date & 0x1f,
        .hour = time >> 11,
        .minute = (time >> 5) & 0x3f,
        .second = (time & 0x1f) * 2,
    };
    /* A zero date (never set) or a damaged field reads as the FAT epoch. */
    if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.minute > 59 ||
        t.second > 59)
        t = (struct rtc_time){.year = FAT_EPOCH_YEAR, .month = 1, .day = 1};
    out->sec = rtc_time_to_unix(&t) + cs / 100;
    out->nsec = (int64_t)(cs % 100) * 10000000;
}

void fat_time_from_vfs(const struct vfs_timespec *ts, uint16_t *date, uint16_t *time, uint8_t *cs)
{
    struct rtc_time lo = {.year = FAT_EPOCH_YEAR, .month = 1, .day = 1};
    struct rtc_time hi = {
        .year = FAT_LAST_YEAR, .month = 12, .day = 31, .hour = 23, .minute = 59, .second = 59};
    int64_t sec = ts->sec;
    int64_t nsec = ts->nsec;
    if (sec < rtc_time_to_unix(&lo)) {
        sec = rtc_time_to_unix(&lo);
        nsec = 0;
    } else if (sec > rtc_time_to_unix(&hi)) {
        sec = rtc_time_to_unix(&hi);
        nsec = 999999999;
    }
    struct rtc_time t;
    rtc_time_from_unix(sec, &t);
    *date = (uint16_t)(((t.year - FAT_EPOCH_YEAR) << 9) | (t.month << 5) | t.day);
    *time = (uint16_t)((t.hour << 11) | (t.minute << 5) | (t.second / 2));
    if (cs)
        *cs = (uint8_t)((t.second % 2) * 100 + nsec / 10000000);
}
