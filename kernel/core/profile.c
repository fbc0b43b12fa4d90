/* The sampling profiler: per-function counters indexed like the embedded symbol table, bumped by
 * the timer tick. A sample lands only where interrupts are enabled: time spent with them off is
 * credited to the instruction that turns them back on (docs/performance.md). */
#include <arch/trap.h>
#include <kestrel/backtrace.h>
#include <kestrel/cmdline.h>
#include <uapi/errno.h>
#include <kestrel/kmalloc.h>
#include <kestrel/printk.h>
#include <kestrel/profile.h>
#include <kestrel/string.h>
#include <kestrel/thread.h>
#include <kestrel/time.h>

#define MAX_CHAIN  32 /* call-chain depth credited with an inclusive sample */
#define REPORT_TOP 25

/* self[] and inclusive[] have one counter per ksyms entry; self[nsyms] counts samples in kernel code
 * outside the table. The tick handler is the only writer while running; the counters are cleared
 * only while stopped. */
static uint32_t *self, *inclusive;
static size_t nsyms;
static uint32_t total, user;
static bool running;
/* `profile=FUNCTION` also counts samples per instruction offset inside that one function, to tell
 * which inlined piece of it is hot (addr2line turns FUNCTION+offset into a source line). */
#define MAX_FOCUS_BYTES 8192
static long focus = -1;
static uint64_t focus_start, focus_size;
static uint32_t *focus_hits;

static int allocate(void)
{
    if (self)
        return 0;
    nsyms = ksym_count();
    self = kzalloc((nsyms + 1) * sizeof(*self));
    inclusive = kzalloc((nsyms + 1) * sizeof(*inclusive));
    if (!self || !inclusive) {
        kfree(self);
        kfree(inclusive);
        self = inclusive = NULL;
        return -ENOMEM;
    }
    return 0;
}

int profile_start(void)
{
    profile_stop();
    int err = allocate();
    if (err)
        return err;
    for (size_t i = 0; i <= nsyms; i++)
        self[i] = inclusive[i] = 0;
    for (uint64_t off = 0; focus_hits && off < focus_size; off++)
        focus_hits[off] = 0;
    total = user = 0;
    /* Release: the tick handler that sees running also sees the cleared counters. */
    __atomic_store_n(&running, true, __ATOMIC_RELEASE);
    return 0;
}

void profile_stop(void)
{
    __atomic_store_n(&running, false, __ATOMIC_RELEASE);
}

bool profile_running(void)
{
    return __atomic_load_n(&running, __ATOMIC_ACQUIRE);
}

/* Finds the function named by `profile=NAME` and allocates a counter per byte of it. */
static void focus_init(const char *name)
{
    /* The last symbol has no next one to bound it, so it cannot be the focus. */
    for (size_t i = 0; i + 1 < ksym_count() && *name; i++) {
        uint64_t size = ksym_addr_at(i + 1) - ksym_addr_at(i); /* to the next symbol, padding and all */
        if (strcmp(ksym_name_at(i), name) != 0 || size > MAX_FOCUS_BYTES)
            continue;
        focus_hits = kzalloc(size * sizeof(*focus_hits));
        if (!focus_hits)
            break;
        focus_start = ksym_addr_at(i);
        focus_size = size;
        focus = (long)i; /* set last: the tick reads it once the hit counters exist */
        return;
    }
    if (*name)
        printk(LOG_WARNING, "profile: no function %s of at most %d bytes to focus on\n", name,
               MAX_FOCUS_BYTES);
}

void profile_init(void)
{
    const char *arg = cmdline_get("profile");
    if (!arg)
        return;
    focus_init(arg);
    if (profile_start())
        printk(LOG_WARNING, "profile: no memory for the counters; not profiling\n");
}

static void count_once(long *seen, size_t *nseen, long index)
{
    for (size_t i = 0; i < *nseen; i++)
        if (seen[i] == index) /* recursion: one sample counts once per function */
            return;
    seen[(*nseen)++] = index;
    __atomic_add_fetch(&inclusive[index], 1, __ATOMIC_RELAXED);
}

static bool on_stack(uint64_t p, uint64_t lo, uint64_t hi)
{
    return p >= lo && p + 16 <= hi && (p & 7) == 0;
}

/* gcc gives small leaf functions (memcpy, memset, copy_to_user) no frame of their own, whatever the
 * flags say, so the rbp chain skips their caller. A function that does not start with push %rbp
 * (0x55) is taken to be one: its caller is the return address on top of the stack, when that
 * points into a known function. A frameless function that pushed something else first loses its
 * caller; nothing wrong is credited, since such a word is rarely a text address. */
static long frameless_caller(const struct trap_frame *f, long first, uint64_t lo, uint64_t hi)
{
    if (first < 0 || *(const uint8_t *)ksym_addr_at((size_t)first) == 0x55 || !on_stack(f->rsp, lo, hi))
        return -1;
    return ksym_index(*(const uint64_t *)f->rsp - 1);
}

/* Credits every function on the frame-pointer chain. The walk stays inside the interrupted
 * thread's stack, above the trap frame (which is on it) and below its top, so a garbage rbp (user
 * code's, carried in through system-call entry) can never make it read unmapped memory. */
static void count_chain(const struct trap_frame *f, long first)
{
    long seen[MAX_CHAIN + 2];
    size_t nseen = 0;
    struct thread *t = thread_current();
    uint64_t lo = (uint64_t)f, hi = t ? t->stack_top : 0;
    if (first >= 0)
        count_once(seen, &nseen, first);
    long caller = frameless_caller(f, first, lo, hi);
    if (caller >= 0)
        count_once(seen, &nseen, caller);
    uint64_t rbp = f->rbp;
    for (int depth = 0; depth < MAX_CHAIN && on_stack(rbp, lo, hi); depth++) {
        const uint64_t *frame = (const uint64_t *)rbp;
        long i = ksym_index(frame[1] - 1); /* -1: the call, not the instruction after it */
        if (i >= 0)
            count_once(seen, &nseen, i);
        if (frame[0] <= rbp) /* callers' frames are at higher addresses */
            break;
        rbp = frame[0];
    }
}

void profile_sample(const struct trap_frame *f)
{
    if (!profile_running())
        return;
    __atomic_add_fetch(&total, 1, __ATOMIC_RELAXED);
    if (f->cs & 3) {
        __atomic_add_fetch(&user, 1, __ATOMIC_RELAXED);
        return;
    }
    long i = ksym_index(f->rip);
    __atomic_add_fetch(&self[i >= 0 ? (size_t)i : nsyms], 1, __ATOMIC_RELAXED);
    if (i >= 0 && i == focus)
        __atomic_add_fetch(&focus_hits[f->rip - focus_start], 1, __ATOMIC_RELAXED);
    count_chain(f, i);
}

uint32_t profile_total(void)
{
    return __atomic_load_n(&total, __ATOMIC_RELAXED);
}

uint32_t profile_user(void)
{
    return __atomic_load_n(&user, __ATOMIC_RELAXED);
}

static uint32_t count_at(size_t i, bool by_inclusive)
{
    return __atomic_load_n(by_inclusive ? &inclusive[i] : &self[i], __ATOMIC_RELAXED);
}

/* True when function i belongs before function j in the ranking. */
static bool ranks_before(size_t i, size_t j, bool by_inclusive)
{
    return count_at(i, by_inclusive) > count_at(j, by_inclusive);
}

size_t profile_top(struct profile_entry *out, size_t n, bool by_inclusive)
{
    if (!self)
        return 0;
    size_t filled = 0;
    size_t idx[REPORT_TOP];
    n = MIN(n, ARRAY_SIZE(idx));
    /* Insertion into a short sorted list: n is small and this runs once per report. */
    for (size_t i = 0; i < nsyms; i++) {
        if (!count_at(i, by_inclusive))
            continue;
        size_t pos = filled;
        while (pos > 0 && ranks_before(i, idx[pos - 1], by_inclusive))
            pos--;
        if (pos >= n)
            continue;
        for (size_t k = MIN(filled, n - 1); k > pos; k--)
            idx[k] = idx[k - 1];
        idx[pos] = i;
        filled = MIN(filled + 1, n);
    }
    for (size_t k = 0; k < filled; k++)
        out[k] =
            (struct profile_entry){ksym_name_at(idx[k]), count_at(idx[k], false), count_at(idx[k], true)};
    return filled;
}

/* Percent with one decimal, as tenths, without floating point (the kernel has no FPU use). */
static unsigned tenths(uint32_t part, uint32_t whole)
{
    return whole ? (unsigned)(((uint64_t)part * 1000 + whole / 2) / whole) : 0;
}

static void report_table(const char *title, bool by_inclusive)
{
    struct profile_entry top[REPORT_TOP];
    size_t n = profile_top(top, REPORT_TOP, by_inclusive);
    console_print("profile: top %zu by %s   self%%  incl%%\n", n, title);
    for (size_t k = 0; k < n; k++) {
        unsigned s = tenths(top[k].self, total), c = tenths(top[k].inclusive, total);
        console_print("profile: %5u.%u %5u.%u  %s\n", s / 10, s % 10, c / 10, c % 10, top[k].name);
    }
}

static bool listed(const uint64_t *v, int n, uint64_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* The focus function's ten hottest offsets, most first (ten passes over a few KiB, once per report). */
static void report_focus(void)
{
    if (focus < 0)
        return;
    const char *name = ksym_name_at((size_t)focus);
    console_print("profile: hottest offsets in %s (addr2line -e build/kernel.elf ADDRESS)\n", name);
    uint64_t shown[10];
    for (int n = 0; n < 10; n++) {
        uint64_t best = focus_size;
        for (uint64_t off = 0; off < focus_size; off++)
            if (focus_hits[off] && !listed(shown, n, off) &&
                (best == focus_size || focus_hits[off] > focus_hits[best]))
                best = off;
        if (best == focus_size)
            break;
        shown[n] = best;
        unsigned s = tenths(focus_hits[best], total);
        console_print("profile: %5u.%u  %s+0x%llx (%llx)\n", s / 10, s % 10, name, (unsigned long long)best,
                      (unsigned long long)(focus_start + best));
    }
}

void profile_report(void)
{
    if (!self)
        return;
    bool was_running = profile_running();
    profile_stop(); /* a stable picture while printing */
    unsigned u = tenths(user, total);
    console_print("profile: %u samples at %d Hz; user %u (%u.%u%%), kernel outside the symbol table %u\n",
                  total, TICK_HZ, user, u / 10, u % 10, self[nsyms]);
    report_table("self (the interrupted function)", false);
    report_table("inclusive (anywhere on the call chain)", true);
    report_focus();
    console_print("profile: end\n");
    if (was_running)
        __atomic_store_n(&running, true, __ATOMIC_RELEASE);
}
