/* In-kernel unit tests in KTAP format (as Linux's KUnit prints them). A suite is registered with
 * KTEST_SUITE into the .ktest_suites section and runs at boot when the command line says test=. */
#pragma once
#include <kestrel/types.h>

struct ktest {
    const char *name;
    int failures;
};

struct ktest_case {
    const char *name;
    void (*run)(struct ktest *t);
};

struct ktest_suite {
    const char *name;
    const struct ktest_case *cases;
    size_t count;
};

/* Records a failure with its location when ok is false; returns ok. */
bool ktest_check(struct ktest *t, bool ok, const char *expr, const char *file, int line);
bool ktest_check_eq(struct ktest *t, int64_t a, int64_t b, const char *ea, const char *eb, const char *file,
                    int line);
/* Runs the suites named in filter ("all" or a comma-separated list); returns the failed-case count. */
int ktest_run(const char *filter);

#define KTEST_EXPECT(t, cond)    ktest_check((t), (cond), #cond, __FILE__, __LINE__)
#define KTEST_EXPECT_EQ(t, a, b) ktest_check_eq((t), (int64_t)(a), (int64_t)(b), #a, #b, __FILE__, __LINE__)
#define KTEST_ASSERT(t, cond)                                                                                \
    do {                                                                                                     \
        if (!KTEST_EXPECT(t, cond))                                                                          \
            return;                                                                                          \
    } while (0)
#define KTEST_ASSERT_EQ(t, a, b)                                                                             \
    do {                                                                                                     \
        if (!KTEST_EXPECT_EQ(t, a, b))                                                                       \
            return;                                                                                          \
    } while (0)

#define KTEST_CASE(fn)                                                                                       \
    {                                                                                                        \
#fn, fn                                                                                              \
    }
#define KTEST_SUITE(sname, ...)                                                                              \
    static const struct ktest_case sname##_ktest_cases[] = {__VA_ARGS__};                                    \
    static const struct ktest_suite sname##_ktest_suite                                                      \
        __attribute__((used, section(".ktest_suites"), aligned(8))) = {#sname, sname##_ktest_cases,          \
                                                                       ARRAY_SIZE(sname##_ktest_cases)}
