/* A tiny unit-test framework for kernel code compiled on the host (with ASan and UBSan). Each
 * HTEST registers itself before main() runs; the runner prints TAP lines. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct htest {
    const char *name;
    int failures;
};

void htest_register(const char *name, void (*fn)(struct htest *));
bool htest_check(struct htest *t, bool ok, const char *expr, const char *file, int line);
bool htest_check_eq(struct htest *t, long long a, long long b, const char *ea, const char *eb,
                    const char *file, int line);

#define HTEST(fn)                                                                                            \
    static void fn(struct htest *t);                                                                         \
    __attribute__((constructor)) static void fn##_register(void)                                             \
    {                                                                                                        \
        htest_register(#fn, fn);                                                                             \
    }                                                                                                        \
    static void fn(struct htest *t)

#define HEXPECT(t, cond)    htest_check((t), (cond), #cond, __FILE__, __LINE__)
#define HEXPECT_EQ(t, a, b) htest_check_eq((t), (long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define HASSERT(t, cond)                                                                                     \
    do {                                                                                                     \
        if (!HEXPECT(t, cond))                                                                               \
            return;                                                                                          \
    } while (0)
