/* The profiler names the function where the time goes: a busy loop must come out on top, with its
 * caller on its inclusive chain, and no sample may be credited to user mode from kernel code. */
#include <kestrel/clock.h>
#include <kestrel/ktest.h>
#include <kestrel/profile.h>
#include <kestrel/string.h>

#define SPIN_TICKS 200

/* The loop the profile must find. noipa: it must exist as its own symbol under its own name (no .isra clone).
 * Between reads of the tick counter it runs a long inner loop, so nearly every tick lands here and not in
 * timer_ticks. */
static __attribute__((noipa)) uint64_t profile_test_busy_loop(uint64_t until)
{
    volatile uint64_t spins = 0;
    while (timer_ticks() < until)
        for (int i = 0; i < 10000; i++)
            spins++;
    return spins;
}

static __attribute__((noipa)) void profile_test_caller(void)
{
    profile_test_busy_loop(timer_ticks() + SPIN_TICKS);
}

static const struct profile_entry *find(const struct profile_entry *e, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0)
            return &e[i];
    return NULL;
}

static void profile_names_the_busy_loop(struct ktest *t)
{
    KTEST_ASSERT_EQ(t, profile_start(), 0);
    profile_test_caller();
    profile_stop();
    struct profile_entry top[5];
    size_t n = profile_top(top, ARRAY_SIZE(top), false);
    KTEST_ASSERT(t, n >= 1);
    if (!KTEST_EXPECT(t, strcmp(top[0].name, "profile_test_busy_loop") == 0))
        profile_report(); /* show what it found instead */
    /* The loop is all this thread did, so it holds most samples (ticks lost to other threads or to
     * the tick counter's own function are the rest). */
    KTEST_EXPECT(t, top[0].self * 2 > profile_total());
    KTEST_EXPECT_EQ(t, profile_user(), 0);
}

static void profile_credits_the_call_chain(struct ktest *t)
{
    KTEST_ASSERT_EQ(t, profile_start(), 0);
    profile_test_caller();
    profile_stop();
    struct profile_entry top[20];
    size_t n = profile_top(top, ARRAY_SIZE(top), true);
    const struct profile_entry *loop = find(top, n, "profile_test_busy_loop");
    const struct profile_entry *caller = find(top, n, "profile_test_caller");
    KTEST_ASSERT(t, loop && caller);
    /* Every sample in the loop has the caller on its chain. */
    KTEST_EXPECT(t, caller->inclusive >= loop->self);
    KTEST_EXPECT_EQ(t, caller->self, 0);
    KTEST_EXPECT(t, loop->inclusive >= loop->self);
}

static void profile_stopped_takes_no_samples(struct ktest *t)
{
    KTEST_ASSERT_EQ(t, profile_start(), 0);
    profile_stop();
    uint32_t before = profile_total();
    profile_test_busy_loop(timer_ticks() + 20);
    KTEST_EXPECT_EQ(t, profile_total(), before);
    KTEST_EXPECT(t, !profile_running());
}

KTEST_SUITE(profile, KTEST_CASE(profile_names_the_busy_loop), KTEST_CASE(profile_credits_the_call_chain),
            KTEST_CASE(profile_stopped_takes_no_samples));
