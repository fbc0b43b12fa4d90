/* Calendar arithmetic for the real-time clock: decoding the CMOS register formats and converting
 * between dates and Unix seconds (proleptic Gregorian, UTC). Pure code, also host-tested. */
#include <kestrel/clock.h>
#include <uapi/errno.h>

#define SECS_PER_DAY 86400

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[m - 1] + (m == 2 && is_leap(y));
}

/* Days from 0001-01-01 to the first day of year y. */
static int64_t days_before_year(int y)
{
    int64_t p = y - 1;
    return 365 * p + p / 4 - p / 100 + p / 400;
}

static int days_before_month(int y, int m)
{
    int d = 0;
    for (int i = 1; i < m; i++)
        d += days_in_month(y, i);
    return d;
}

int64_t rtc_time_to_unix(const struct rtc_time *t)
{
    int64_t days = days_before_year(t->year) - days_before_year(1970) + days_before_month(t->year, t->month) +
                   t->day - 1;
    return days * SECS_PER_DAY + t->hour * 3600 + t->minute * 60 + t->second;
}

void rtc_time_from_unix(int64_t secs, struct rtc_time *out)
{
    int64_t days = secs / SECS_PER_DAY, rem = secs % SECS_PER_DAY;
    int y = 1970, m = 1;
    while (days >= 365 + is_leap(y))
        days -= 365 + is_leap(y++);
    while (days >= days_in_month(y, m))
        days -= days_in_month(y, m++);
    *out = (struct rtc_time){y, m, (int)days + 1, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60)};
}

/* A BCD byte to binary, or -1 when a digit is not 0-9. */
static int from_bcd(uint8_t v)
{
    if ((v & 0xf) > 9 || (v >> 4) > 9)
        return -1;
    return (v >> 4) * 10 + (v & 0xf);
}

static int field(uint8_t v, bool binary)
{
    return binary ? v : from_bcd(v);
}

/* 12-hour clocks count 12, 1, ..., 11 and flag the afternoon in bit 7. */
static int decode_hour(uint8_t v, uint8_t status_b)
{
    bool binary = status_b & RTC_B_BINARY;
    if (status_b & RTC_B_24H)
        return field(v, binary);
    int h = field(v & 0x7f, binary);
    if (h < 1 || h > 12)
        return -1;
    return h % 12 + (v & 0x80 ? 12 : 0);
}

static bool in_range(const struct rtc_time *t)
{
    if (t->year < 1970 || t->month < 1 || t->month > 12)
        return false;
    if (t->day < 1 || t->day > days_in_month(t->year, t->month))
        return false;
    return t->hour >= 0 && t->hour < 24 && t->minute >= 0 && t->minute < 60 && t->second >= 0 &&
           t->second < 60;
}

int rtc_decode(const struct rtc_raw *raw, struct rtc_time *out)
{
    bool bin = raw->status_b & RTC_B_BINARY;
    int yy = field(raw->year, bin);
    /* Without a century register the RTC's two digits are taken to be this century. */
    int cc = raw->century ? field(raw->century, bin) : 20;
    if (yy < 0 || yy > 99 || cc < 0)
        return -EINVAL;
    *out = (struct rtc_time){cc * 100 + yy,           field(raw->month, bin),
                             field(raw->day, bin),    decode_hour(raw->hour, raw->status_b),
                             field(raw->minute, bin), field(raw->second, bin)};
    return in_range(out) ? 0 : -EINVAL;
}
