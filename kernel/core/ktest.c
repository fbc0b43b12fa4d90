/* The KTAP test runner. Output goes straight to the consoles (not the log) so the harness sees
 * exactly the KTAP lines, in order. */
#include <kestrel/ktest.h>
#include <kestrel/printk.h>
#include <kestrel/string.h>

extern const struct ktest_suite __ktest_suites_start[], __ktest_suites_end[];

bool ktest_check(struct ktest *t, bool ok, const char *expr, const char *file, int line)
{
    if (!ok) {
        t->failures++;
        console_print("    # %s: EXPECTATION FAILED at %s:%d: %s\n", t->name, file, line, expr);
    }
    return ok;
}

bool ktest_check_eq(struct ktest *t, int64_t a, int64_t b, const char *ea, const char *eb, const char *file,
                    int line)
{
    if (a != b) {
        t->failures++;
        console_print("    # %s: EXPECTATION FAILED at %s:%d: %s == %s (%lld vs %lld)\n", t->name, file, line,
                      ea, eb, (long long)a, (long long)b);
    }
    return a == b;
}

/* True when name is one of the comma-separated words in filter, or filter is "all". */
static bool selected(const char *filter, const char *name)
{
    if (strcmp(filter, "all") == 0)
        return true;
    size_t n = strlen(name);
    for (const char *p = filter; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

static int run_suite(const struct ktest_suite *s, int index)
{
    int failed = 0;
    console_print("    KTAP version 1\n    # Subtest: %s\n    1..%zu\n", s->name, s->count);
    for (size_t i = 0; i < s->count; i++) {
        struct ktest t = {.name = s->cases[i].name};
        s->cases[i].run(&t);
        console_print("    %s %zu %s\n", t.failures ? "not ok" : "ok", i + 1, t.name);
        failed += t.failures != 0;
    }
    console_print("%s %d %s\n", failed ? "not ok" : "ok", index, s->name);
    return failed;
}

int ktest_run(const char *filter)
{
    int nsuites = 0, failed = 0;
    for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
        nsuites += selected(filter, s->name);
    console_print("KTAP version 1\n1..%d\n", nsuites);
    int index = 0;
    for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
        if (selected(filter, s->name))
            failed += run_suite(s, ++index);
    return failed;
}
