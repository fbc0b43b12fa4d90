/* The CMOS real-time clock, read once at boot to learn the wall-clock time; from then on wall time is
 * that reading plus time_ns(). */
#include <arch/io.h>
#include <kestrel/acpi.h>
#include <kestrel/clock.h>
#include <kestrel/printk.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <uapi/errno.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71

#define RTC_SECOND   0x00
#define RTC_MINUTE   0x02
#define RTC_HOUR     0x04
#define RTC_DAY      0x07
#define RTC_MONTH    0x08
#define RTC_YEAR     0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_A_UIP    0x80 /* an update is in progress: the time registers are changing */

/* An update takes under 2 ms; a few thousand polls of a microsecond-slow port cover that. */
#define UIP_MAX_POLLS 100000
#define READ_ATTEMPTS 5

/* Protects the CMOS index/data pair (another context's index write would redirect our read). */
static struct spinlock cmos_lock = SPINLOCK_INIT("cmos");
static uint64_t boot_wall_ns; /* Unix time at time_ns() == 0; 0 when unknown */

static uint8_t cmos_read(uint8_t reg)
{
    uint64_t flags = spin_lock_irqsave(&cmos_lock);
    /* Bit 7 of the index port is the NMI mask: leave it clear so NMIs stay enabled. */
    outb(CMOS_INDEX, reg);
    uint8_t v = inb(CMOS_DATA);
    spin_unlock_irqrestore(&cmos_lock, flags);
    return v;
}

static bool wait_not_updating(void)
{
    for (int i = 0; i < UIP_MAX_POLLS; i++)
        if (!(cmos_read(RTC_STATUS_A) & RTC_A_UIP))
            return true;
    return false;
}

static bool read_raw(struct rtc_raw *r)
{
    if (!wait_not_updating())
        return false;
    uint8_t century = acpi_get()->century_reg;
    *r = (struct rtc_raw){
        .second = cmos_read(RTC_SECOND),
        .minute = cmos_read(RTC_MINUTE),
        .hour = cmos_read(RTC_HOUR),
        .day = cmos_read(RTC_DAY),
        .month = cmos_read(RTC_MONTH),
        .year = cmos_read(RTC_YEAR),
        .century = century ? cmos_read(century) : 0,
        .status_b = cmos_read(RTC_STATUS_B),
    };
    return true;
}

int rtc_read(struct rtc_time *out)
{
    /* An update can still start between the UIP check and the last register read, so a reading only
     * counts when the next one agrees with it. */
    struct rtc_raw prev, cur;
    if (!read_raw(&prev))
        return -EIO;
    for (int i = 0; i < READ_ATTEMPTS; i++) {
        if (!read_raw(&cur))
            return -EIO;
        if (memcmp(&prev, &cur, sizeof(cur)) == 0)
            return rtc_decode(&cur, out);
        prev = cur;
    }
    return -EIO;
}

int rtc_init(void)
{
    struct rtc_time t;
    int err = rtc_read(&t);
    if (err) {
        pr_warn("rtc: cannot read the CMOS clock (%d); wall-clock time unknown\n", err);
        return err;
    }
    /* Sample time_ns() right after the reading, so the pair describes the same instant. */
    uint64_t now = time_ns();
    boot_wall_ns = (uint64_t)rtc_time_to_unix(&t) * NSEC_PER_SEC - now;
    return 0;
}

uint64_t clock_realtime_ns(void)
{
    return boot_wall_ns ? boot_wall_ns + time_ns() : 0;
}
