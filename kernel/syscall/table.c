/* The system-call table, built from syscall_list.h. Each entry is a weak reference to sys_NAME, so a
 * call becomes available by defining it (SYSCALL_DEFINEn) in any file, with no table to edit. */
#include "syscall_list.h"
#include <kestrel/printk.h>
#include <kestrel/syscall.h>

#define DECLARE_WEAK(nr, name)                                                                               \
    extern long sys_##name(long, long, long, long, long, long) __attribute__((weak));
SYSCALL_LIST(DECLARE_WEAK)

#define TABLE_ENTRY(nr, name) [nr] = sys_##name,
static const syscall_fn_t table[SYSCALL_MAX] = {SYSCALL_LIST(TABLE_ENTRY)};

#define NAME_ENTRY(nr, name) [nr] = #name,
static const char *const names[SYSCALL_MAX] = {SYSCALL_LIST(NAME_ENTRY)};

/* One bit per number already reported as missing, so a program probing a call in a loop does not
 * flood the log. Only ever set, never cleared: a lost race costs at most a duplicate line. */
static uint64_t reported[SYSCALL_MAX / 64];
/* Numbers past the table cannot each have a bit: only the first one is logged. */
static bool reported_out_of_range;

const char *syscall_name(unsigned long nr)
{
    return nr < SYSCALL_MAX ? names[nr] : NULL;
}

static long missing(unsigned long nr)
{
    if (nr >= SYSCALL_MAX) {
        if (!__atomic_exchange_n(&reported_out_of_range, true, __ATOMIC_RELAXED))
            printk(LOG_WARNING, "syscall: number %lu does not exist: ENOSYS (further ones not logged)\n", nr);
        return -ENOSYS;
    }
    uint64_t bit = 1ull << (nr % 64);
    if (!(__atomic_fetch_or(&reported[nr / 64], bit, __ATOMIC_RELAXED) & bit))
        printk(LOG_WARNING, "syscall: %lu (%s) is not implemented: ENOSYS\n", nr,
               names[nr] ? names[nr] : "unknown");
    return -ENOSYS;
}

long syscall_dispatch(unsigned long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    long r = nr >= SYSCALL_MAX || !table[nr] ? missing(nr) : table[nr](a0, a1, a2, a3, a4, a5);
    if (syscall_traced()) {
        const long args[6] = {a0, a1, a2, a3, a4, a5};
        syscall_trace(nr, args, r);
    }
    return r;
}
