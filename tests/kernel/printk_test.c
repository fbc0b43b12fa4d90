/* KTAP tests of kernel formatting, the log ring and the command-line parser. */
#include <kestrel/cmdline.h>
#include <kestrel/format.h>
#include <kestrel/ktest.h>
#include <kestrel/printk.h>
#include <kestrel/string.h>

static void printk_formats_like_c(struct ktest *t)
{
    char buf[96];
    ksnprintf(buf, sizeof(buf), "%d|%5u|%-4x|%08llx|%s|%c|%%|%p", -7, 42u, 0xab, 0x1234ull, "str", 'z',
              (void *)0xffff800000001000ull);
    KTEST_EXPECT(t, strcmp(buf, "-7|   42|ab  |00001234|str|z|%|0xffff800000001000") == 0);
}

static void printk_truncates_safely(struct ktest *t)
{
    char buf[6] = "xxxxx";
    KTEST_EXPECT_EQ(t, ksnprintf(buf, sizeof(buf), "%s", "overflowing"), 11);
    KTEST_EXPECT(t, strcmp(buf, "overf") == 0);
}

/* Finds needle in the whole log ring. */
static bool klog_contains(const char *needle)
{
    static char log[64 * 1024];
    size_t n = klog_read(0, log, sizeof(log) - 1);
    log[n] = 0;
    size_t len = strlen(needle);
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp(log + i, needle, len) == 0)
            return true;
    return false;
}

static void printk_records_in_log_ring(struct ktest *t)
{
    int saved = console_loglevel;
    console_loglevel = LOG_EMERG; /* keep the KTAP output clean: log only */
    printk(LOG_DEBUG, "ktest marker %d\n", 314159);
    console_loglevel = saved;
    KTEST_EXPECT(t, klog_contains("] ktest marker 314159\n"));
    KTEST_EXPECT(t, klog_contains("Kestrel")); /* the boot banner is still there */
}

static void cmdline_parses_keys_and_values(struct ktest *t)
{
    char saved[1024];
    strlcpy(saved, cmdline_raw(), sizeof(saved));
    cmdline_init("  loglevel=4 quiet init=/sbin/init  loglevel=9 bad=x1 ");
    KTEST_EXPECT(t, strcmp(cmdline_get("init"), "/sbin/init") == 0);
    KTEST_EXPECT(t, strcmp(cmdline_get("quiet"), "") == 0);
    KTEST_EXPECT(t, cmdline_get("missing") == NULL);
    KTEST_EXPECT_EQ(t, cmdline_get_long("loglevel", -1), 9); /* the last one wins */
    KTEST_EXPECT_EQ(t, cmdline_get_long("bad", -1), -1);
    cmdline_init(saved);
}

KTEST_SUITE(printk, KTEST_CASE(printk_formats_like_c), KTEST_CASE(printk_truncates_safely),
            KTEST_CASE(printk_records_in_log_ring), KTEST_CASE(cmdline_parses_keys_and_values));
