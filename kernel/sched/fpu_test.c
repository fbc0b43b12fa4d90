/* KTAP tests of FPU/SSE state isolation: threads that fill every XMM register with their own pattern,
 * or compute in different SSE rounding modes, get preempted by each other mid-work and must still see
 * exactly their own state. The kernel is built with -mgeneral-regs-only, so SSE code lives in
 * functions compiled for SSE2 and in inline assembly. */
#include "sched_test.h"

/* Loads v, v+1, ..., v+15 into xmm0..xmm15 (low quadwords). */
static void xmm_fill(uint64_t v)
{
    __asm__ volatile("movq %0, %%xmm0\n\tinc %0\n\tmovq %0, %%xmm1\n\tinc %0\n\t"
                     "movq %0, %%xmm2\n\tinc %0\n\tmovq %0, %%xmm3\n\tinc %0\n\t"
                     "movq %0, %%xmm4\n\tinc %0\n\tmovq %0, %%xmm5\n\tinc %0\n\t"
                     "movq %0, %%xmm6\n\tinc %0\n\tmovq %0, %%xmm7\n\tinc %0\n\t"
                     "movq %0, %%xmm8\n\tinc %0\n\tmovq %0, %%xmm9\n\tinc %0\n\t"
                     "movq %0, %%xmm10\n\tinc %0\n\tmovq %0, %%xmm11\n\tinc %0\n\t"
                     "movq %0, %%xmm12\n\tinc %0\n\tmovq %0, %%xmm13\n\tinc %0\n\t"
                     "movq %0, %%xmm14\n\tinc %0\n\tmovq %0, %%xmm15\n\t"
                     : "+r"(v));
}

/* True when xmm0..xmm15 still hold what xmm_fill(v) put there. */
static bool xmm_check(uint64_t v)
{
    uint64_t r[16];
    __asm__ volatile("movq %%xmm0, 0(%0)\n\tmovq %%xmm1, 8(%0)\n\tmovq %%xmm2, 16(%0)\n\t"
                     "movq %%xmm3, 24(%0)\n\tmovq %%xmm4, 32(%0)\n\tmovq %%xmm5, 40(%0)\n\t"
                     "movq %%xmm6, 48(%0)\n\tmovq %%xmm7, 56(%0)\n\tmovq %%xmm8, 64(%0)\n\t"
                     "movq %%xmm9, 72(%0)\n\tmovq %%xmm10, 80(%0)\n\tmovq %%xmm11, 88(%0)\n\t"
                     "movq %%xmm12, 96(%0)\n\tmovq %%xmm13, 104(%0)\n\tmovq %%xmm14, 112(%0)\n\t"
                     "movq %%xmm15, 120(%0)\n\t"
                     :
                     : "r"(r)
                     : "memory");
    for (int i = 0; i < 16; i++)
        if (r[i] != v + (uint64_t)i)
            return false;
    return true;
}

static volatile int xmm_failures;

static int xmm_worker(void *arg)
{
    uint64_t pattern = (uint64_t)(uintptr_t)arg;
    for (int round = 0; round < 6; round++) {
        xmm_fill(pattern + (uint64_t)round * 100);
        spin_ticks(12); /* longer than a time slice: the other worker runs in between */
        if (!xmm_check(pattern + (uint64_t)round * 100))
            xmm_failures++;
    }
    return 0;
}

static void fpu_xmm_registers_are_per_thread(struct ktest *t)
{
    xmm_failures = 0;
    xmm_fill(0x7000);
    struct thread *a = thread_create("xmm-a", xmm_worker, (void *)0x1000, PRIO_DEFAULT);
    struct thread *b = thread_create("xmm-b", xmm_worker, (void *)0x2000, PRIO_DEFAULT);
    KTEST_ASSERT(t, a && b);
    thread_join(a);
    thread_join(b);
    KTEST_EXPECT_EQ(t, xmm_failures, 0);
    KTEST_EXPECT(t, xmm_check(0x7000)); /* main's registers survived its own sleeps */
}

#define MXCSR_ROUND_DOWN 0x3f80
#define MXCSR_ROUND_UP   0x5f80
#define MXCSR_DEFAULT    0x1f80

/* Sums k/3 for k = 1..n with SSE in the given rounding mode, returning the bits of the result; the
 * caller's MXCSR is restored. Rounding down and up give different sums, so a thread that ran with
 * another's MXCSR, or had its registers clobbered, produces a different answer. */
__attribute__((target("sse2"))) static uint64_t sse_sum(uint32_t mxcsr, uint64_t n)
{
    uint32_t saved;
    __asm__ volatile("stmxcsr %0" : "=m"(saved));
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    volatile double three = 3.0; /* not a constant: the division must happen at run time */
    double third = 1.0 / three, acc = 0.0;
    for (uint64_t k = 1; k <= n; k++)
        acc += third * (double)k;
    __asm__ volatile("ldmxcsr %0" : : "m"(saved));
    uint64_t bits;
    __builtin_memcpy(&bits, &acc, sizeof(bits));
    return bits;
}

static struct {
    uint64_t n;
    uint64_t want[2];
    volatile int failures;
} fp;

static const uint32_t modes[2] = {MXCSR_ROUND_DOWN, MXCSR_ROUND_UP};

static int fp_worker(void *arg)
{
    int which = (int)(intptr_t)arg;
    for (int i = 0; i < 3; i++)
        if (sse_sum(modes[which], fp.n) != fp.want[which])
            fp.failures++;
    return 0;
}

static void fpu_sse_math_with_own_rounding_mode(struct ktest *t)
{
    /* Long enough to be preempted several times in the middle of the loop. */
    for (fp.n = 1024; fp.n < (1ull << 30); fp.n *= 2) {
        uint64_t t0 = sched_ticks();
        sse_sum(MXCSR_DEFAULT, fp.n);
        if (sched_ticks() - t0 >= 15)
            break;
    }
    fp.want[0] = sse_sum(modes[0], fp.n);
    fp.want[1] = sse_sum(modes[1], fp.n);
    KTEST_ASSERT(t, fp.want[0] != fp.want[1]);
    fp.failures = 0;
    struct thread *a = thread_create("fp-down", fp_worker, (void *)0, PRIO_DEFAULT);
    struct thread *b = thread_create("fp-up", fp_worker, (void *)1, PRIO_DEFAULT);
    KTEST_ASSERT(t, a && b);
    thread_sleep(5);
    struct thread_stats sa = sched_thread_stats(a), sb = sched_thread_stats(b);
    thread_join(a);
    thread_join(b);
    KTEST_EXPECT_EQ(t, fp.failures, 0);
    KTEST_EXPECT(t, sa.switches + sb.switches >= 2);
}

KTEST_SUITE(sched_fpu, KTEST_CASE(fpu_xmm_registers_are_per_thread),
            KTEST_CASE(fpu_sse_math_with_own_rounding_mode));
