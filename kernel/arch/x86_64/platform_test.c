/* KTAP tests of the platform code: the ACPI facts, interrupt routing, the tick and time_ns(), and the
 * real-time clock. Timing bounds are loose on purpose: under emulation a host hiccup can stretch any
 * interval, so these catch a broken clock, not an imprecise one. */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <kestrel/acpi.h>
#include <kestrel/clock.h>
#include <kestrel/irq.h>
#include <kestrel/ktest.h>
#include <uapi/errno.h>

#define WAIT_LIMIT_NS (10 * NSEC_PER_SEC)

static void acpi_madt_has_lapic_and_ioapic(struct ktest *t)
{
    const struct acpi_info *a = acpi_get();
    KTEST_EXPECT(t, a->present);
    KTEST_EXPECT(t, a->nioapics >= 1);
    KTEST_EXPECT(t, a->ncpus >= 1);
    KTEST_EXPECT(t, a->lapic_phys != 0);
    bool found = false;
    for (size_t i = 0; i < a->ncpus; i++)
        found |= a->cpu_apic_ids[i] == lapic_id();
    KTEST_EXPECT(t, found); /* the boot CPU is one the MADT lists */
}

static void acpi_isa_irqs_map_to_ioapic_inputs(struct ktest *t)
{
    for (unsigned irq = 0; irq < ISA_IRQ_COUNT; irq++)
        KTEST_EXPECT(t, irq_isa_to_gsi(irq) >= 0);
    KTEST_EXPECT_EQ(t, irq_isa_to_gsi(ISA_IRQ_COUNT), -EINVAL);
    KTEST_EXPECT(t, acpi_find_table("APIC", 0) != 0);
    KTEST_EXPECT_EQ(t, acpi_find_table("APIC", 1), 0);
}

static void irq_routing_rejects_bad_requests(struct ktest *t)
{
    KTEST_EXPECT_EQ(t, irq_route_isa(ISA_IRQ_COUNT, VEC_DYNAMIC_FIRST), -EINVAL);
    KTEST_EXPECT_EQ(t, irq_route_gsi(100000, VEC_DYNAMIC_FIRST, true, true), -EINVAL);
    KTEST_EXPECT_EQ(t, ioapic_route(0, 3, 0, lapic_id()), -EINVAL); /* an exception vector */
}

KTEST_SUITE(acpi, KTEST_CASE(acpi_madt_has_lapic_and_ioapic), KTEST_CASE(acpi_isa_irqs_map_to_ioapic_inputs),
            KTEST_CASE(irq_routing_rejects_bad_requests));

/* Spins until the tick count reaches target or WAIT_LIMIT_NS pass; returns whether it got there. */
static bool wait_for_tick(uint64_t target)
{
    uint64_t limit = time_ns() + WAIT_LIMIT_NS;
    while (timer_ticks() < target && time_ns() < limit)
        cpu_pause();
    return timer_ticks() >= target;
}

static void timer_ticks_advance_consistently_with_time_ns(struct ktest *t)
{
    KTEST_ASSERT(t, irqs_enabled());
    uint64_t start = timer_ticks(), ns = time_ns();
    KTEST_ASSERT(t, wait_for_tick(start + 50));
    uint64_t elapsed = time_ns() - ns;
    /* Ticks can never come faster than their period, so 50 of them take at least ~49 ms. The upper
     * bound only catches a timer programmed an order of magnitude too slow: under emulation on a
     * loaded host QEMU drops periodic ticks it was too late for, so real time per tick stretches. */
    KTEST_EXPECT(t, elapsed >= 30 * NSEC_PER_MSEC);
    KTEST_EXPECT(t, elapsed <= 5000 * NSEC_PER_MSEC);
}

static void timer_time_ns_is_monotonic(struct ktest *t)
{
    uint64_t prev = time_ns();
    int backwards = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t now = time_ns();
        backwards += now < prev;
        prev = now;
    }
    KTEST_EXPECT_EQ(t, backwards, 0);
    KTEST_EXPECT(t, prev > 0);
}

static void timer_busy_wait_waits_long_enough(struct ktest *t)
{
    uint64_t before = time_ns();
    timer_busy_wait_ns(3 * NSEC_PER_MSEC);
    uint64_t waited = time_ns() - before;
    KTEST_EXPECT(t, waited >= 3 * NSEC_PER_MSEC);
    KTEST_EXPECT(t, waited < 5000 * NSEC_PER_MSEC); /* generous: a descheduled QEMU stretches it */
}

static uint64_t hook_calls;
static tick_hook_t previous_hook;

static void counting_hook(struct trap_frame *f)
{
    hook_calls++;
    if (previous_hook) /* keep whatever was installed (the scheduler) working meanwhile */
        previous_hook(f);
}

static void timer_tick_hook_runs(struct ktest *t)
{
    hook_calls = 0;
    previous_hook = timer_set_tick_hook(counting_hook);
    bool ticked = wait_for_tick(timer_ticks() + 5);
    KTEST_EXPECT_EQ(t, timer_set_tick_hook(previous_hook), counting_hook);
    KTEST_EXPECT(t, ticked);
    KTEST_EXPECT(t, __atomic_load_n(&hook_calls, __ATOMIC_RELAXED) >= 4);
}

static void timer_frequencies_are_plausible(struct ktest *t)
{
    KTEST_EXPECT(t, tsc_frequency() > 100000000ull);   /* > 100 MHz */
    KTEST_EXPECT(t, tsc_frequency() < 20000000000ull); /* < 20 GHz */
    KTEST_EXPECT(t, lapic_timer_frequency() > 100000ull);
}

KTEST_SUITE(timer, KTEST_CASE(timer_ticks_advance_consistently_with_time_ns),
            KTEST_CASE(timer_time_ns_is_monotonic), KTEST_CASE(timer_busy_wait_waits_long_enough),
            KTEST_CASE(timer_tick_hook_runs), KTEST_CASE(timer_frequencies_are_plausible));

static void rtc_reads_a_plausible_date(struct ktest *t)
{
    struct rtc_time tm;
    KTEST_ASSERT_EQ(t, rtc_read(&tm), 0);
    KTEST_EXPECT(t, tm.year >= 2024 && tm.year < 2200);
    KTEST_EXPECT(t, tm.month >= 1 && tm.month <= 12);
    KTEST_EXPECT(t, tm.day >= 1 && tm.day <= 31);
    KTEST_EXPECT(t, tm.hour >= 0 && tm.hour < 24);
    KTEST_EXPECT(t, tm.minute >= 0 && tm.minute < 60);
    KTEST_EXPECT(t, tm.second >= 0 && tm.second < 60);
}

static void rtc_realtime_follows_the_rtc(struct ktest *t)
{
    struct rtc_time tm;
    KTEST_ASSERT_EQ(t, rtc_read(&tm), 0);
    int64_t rtc = rtc_time_to_unix(&tm), real = (int64_t)(clock_realtime_ns() / NSEC_PER_SEC);
    KTEST_EXPECT(t, real - rtc >= -2 && real - rtc <= 2);
}

KTEST_SUITE(rtc, KTEST_CASE(rtc_reads_a_plausible_date), KTEST_CASE(rtc_realtime_follows_the_rtc));
