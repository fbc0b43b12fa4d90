/* Runner for the host unit tests: runs every registered test and prints TAP. */
#include "htest.h"
#include <stdlib.h>
#include <string.h>

#define MAX_TESTS 512

static struct {
    const char *name;
    void (*fn)(struct htest *);
} tests[MAX_TESTS];
static int ntests;

void htest_register(const char *name, void (*fn)(struct htest *))
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "htest: too many tests\n");
        exit(2);
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

bool htest_check(struct htest *t, bool ok, const char *expr, const char *file, int line)
{
    if (!ok) {
        t->failures++;
        printf("# %s: EXPECTATION FAILED at %s:%d: %s\n", t->name, file, line, expr);
    }
    return ok;
}

bool htest_check_eq(struct htest *t, long long a, long long b, const char *ea, const char *eb,
                    const char *file, int line)
{
    if (a != b) {
        t->failures++;
        printf("# %s: EXPECTATION FAILED at %s:%d: %s == %s (%lld vs %lld)\n", t->name, file, line, ea, eb, a,
               b);
    }
    return a == b;
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    int failed = 0, run = 0;
    printf("TAP version 13\n");
    for (int i = 0; i < ntests; i++) {
        if (only && strcmp(only, tests[i].name) != 0)
            continue;
        struct htest t = {tests[i].name, 0};
        tests[i].fn(&t);
        run++;
        printf("%s %d - %s\n", t.failures ? "not ok" : "ok", run, t.name);
        failed += t.failures != 0;
    }
    printf("1..%d\n", run);
    return failed ? 1 : 0;
}
