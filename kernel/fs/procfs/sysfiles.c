/* The files at the top of /proc: the system as a whole (memory, CPU, time, load, mounts), in the
 * layouts Linux gives them, since tools like free, top and uptime parse them. */
#include <arch/cpu.h>
#include <kestrel/bcache.h>
#include <kestrel/clock.h>
#include <kestrel/cmdline.h>
#include <kestrel/page.h>
#include <kestrel/pagecache.h>
#include <kestrel/process.h>
#include <kestrel/sched.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <kestrel/time.h>
#include <kestrel/tmpfs.h>
#include <kestrel/version.h>
#include "internal.h"

#define USER_HZ   100 /* the unit of /proc/stat's times and /proc/[pid]/stat's, as on Linux x86-64 */
#define KB(pages) ((unsigned long long)(pages)*4)

static uint64_t ticks_to_user_hz(uint64_t ticks)
{
    return ticks * USER_HZ / TICK_HZ;
}

/* Cached is the page cache plus tmpfs's own pages (Linux counts shmem there too); Buffers the
 * buffer cache's blocks; MemAvailable adds to the free pages what drop_caches could free now. */
static int show_meminfo(struct pbuf *b, int pid)
{
    (void)pid;
    uint64_t total = pmm_total_pages(), free = pmm_free_pages(), shmem = tmpfs_mounted_pages();
    uint64_t cached = pagecache_pages() + shmem, buffers_kb = bcache_total_bytes() / 1024;
    uint64_t available_kb = KB(free + pagecache_clean_pages()) + bcache_clean_bytes() / 1024;
    pb_printf(b, "MemTotal:       %8llu kB\n", KB(total));
    pb_printf(b, "MemFree:        %8llu kB\n", KB(free));
    pb_printf(b, "MemAvailable:   %8llu kB\n", (unsigned long long)available_kb);
    pb_printf(b, "Buffers:        %8llu kB\n", (unsigned long long)buffers_kb);
    pb_printf(b, "Cached:         %8llu kB\n", KB(cached));
    pb_printf(b, "SwapCached:     %8llu kB\n", 0ull);
    pb_printf(b, "Shmem:          %8llu kB\n", KB(shmem));
    pb_printf(b, "SReclaimable:   %8llu kB\n", 0ull);
    pb_printf(b, "SwapTotal:      %8llu kB\n", 0ull);
    pb_printf(b, "SwapFree:       %8llu kB\n", 0ull);
    return 0;
}

static void cpuid_regs(uint32_t leaf, uint32_t r[4])
{
    cpuid(leaf, 0, &r[0], &r[1], &r[2], &r[3]);
}

static int show_cpuinfo(struct pbuf *b, int pid)
{
    (void)pid;
    uint32_t r[4];
    char vendor[13], brand[49];
    cpuid_regs(0, r);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = '\0';
    cpuid_regs(1, r);
    uint32_t family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf, stepping = r[0] & 0xf;
    if (family == 0xf)
        family += (r[0] >> 20) & 0xff;
    if (family >= 6)
        model |= ((r[0] >> 16) & 0xf) << 4;
    brand[0] = '\0';
    cpuid_regs(0x80000000, r);
    if (r[0] >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++)
            cpuid_regs(0x80000002 + i, (uint32_t *)(brand + 16 * i));
        brand[48] = '\0';
    }
    uint64_t khz = tsc_frequency() / 1000;
    pb_printf(b, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n", vendor, family, model);
    pb_printf(b, "model name\t: %s\nstepping\t: %u\n", brand, stepping);
    pb_printf(b, "cpu MHz\t\t: %llu.%03llu\n", (unsigned long long)(khz / 1000),
              (unsigned long long)(khz % 1000));
    pb_printf(b, "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n");
    pb_printf(b, "bogomips\t: %llu.%02llu\n\n", (unsigned long long)(khz / 500),
              (unsigned long long)(khz / 5 % 100));
    return 0;
}

/* Seconds with two decimals, as /proc/uptime prints them. */
static void put_centis(struct pbuf *b, uint64_t ns)
{
    pb_printf(b, "%llu.%02llu", (unsigned long long)(ns / NSEC_PER_SEC),
              (unsigned long long)(ns / (NSEC_PER_SEC / 100) % 100));
}

static int show_uptime(struct pbuf *b, int pid)
{
    (void)pid;
    uint64_t ticks[CPU_TIME_KINDS];
    sched_cpu_ticks(ticks);
    put_centis(b, time_ns());
    pb_putn(b, " ", 1);
    put_centis(b, ticks[CPU_TIME_IDLE] * (NSEC_PER_SEC / TICK_HZ));
    pb_putn(b, "\n", 1);
    return 0;
}

/* Counts processes and those with a thread that is running or runnable. */
static void count_tasks(int *total, int *running)
{
    *total = *running = 0;
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    process_for_each(p)
    {
        if (p->state == PROCESS_ALIVE)
            ++*total;
    }
    spin_unlock_irqrestore(&process_tree_lock, flags);
    *running = (int)sched_nr_ready() + 1; /* the queue, and the reader itself */
}

static int show_loadavg(struct pbuf *b, int pid)
{
    (void)pid;
    unsigned long loads[3];
    sched_loadavg(loads);
    for (int i = 0; i < 3; i++) {
        unsigned long x = loads[i] + LOAD_FIXED_1 / 200; /* rounds to the hundredth, as Linux */
        pb_printf(b, "%lu.%02lu ", x >> LOAD_FSHIFT, ((x & (LOAD_FIXED_1 - 1)) * 100) >> LOAD_FSHIFT);
    }
    int total, running;
    count_tasks(&total, &running);
    pb_printf(b, "%d/%d %d\n", running, total, process_last_pid());
    return 0;
}

static int show_stat(struct pbuf *b, int pid)
{
    (void)pid;
    uint64_t t[CPU_TIME_KINDS];
    sched_cpu_ticks(t);
    unsigned long long user = ticks_to_user_hz(t[CPU_TIME_USER]), sys = ticks_to_user_hz(t[CPU_TIME_SYSTEM]),
                       idle = ticks_to_user_hz(t[CPU_TIME_IDLE]);
    pb_printf(b, "cpu  %llu 0 %llu %llu 0 0 0 0 0 0\n", user, sys, idle);
    pb_printf(b, "cpu0 %llu 0 %llu %llu 0 0 0 0 0 0\n", user, sys, idle);
    int total, running;
    count_tasks(&total, &running);
    uint64_t boot = clock_realtime_ns() - time_ns();
    pb_printf(b, "btime %llu\nprocesses %llu\nprocs_running %d\nprocs_blocked 0\n",
              (unsigned long long)(boot / NSEC_PER_SEC), (unsigned long long)process_created_count(),
              running);
    return 0;
}

static int show_version(struct pbuf *b, int pid)
{
    (void)pid;
    pb_printf(b, "%s version %s (kestrel@kestrel) #1 %s %s\n", KESTREL_NAME, KESTREL_VERSION, KESTREL_NAME,
              KESTREL_VERSION);
    return 0;
}

static int show_filesystems(struct pbuf *b, int pid)
{
    (void)pid;
    for (struct fs_type *t = fs_type_first(); t; t = t->next)
        pb_printf(b, "%s\t%s\n", t->needs_device ? "" : "nodev", t->name);
    return 0;
}

static int show_cmdline(struct pbuf *b, int pid)
{
    (void)pid;
    pb_printf(b, "%s\n", cmdline_raw());
    return 0;
}

static int link_self(struct pbuf *b, int pid)
{
    (void)pid;
    struct process *p = current_process();
    if (!p)
        return -ENOENT;
    pb_printf(b, "%d", p->pid);
    return 0;
}

static int link_mounts(struct pbuf *b, int pid)
{
    (void)pid;
    pb_printf(b, "self/mounts");
    return 0;
}

const struct proc_entry proc_root_entries[] = {
    {"meminfo", S_IFREG | 0444, .show = show_meminfo},
    {"cpuinfo", S_IFREG | 0444, .show = show_cpuinfo},
    {"uptime", S_IFREG | 0444, .show = show_uptime},
    {"loadavg", S_IFREG | 0444, .show = show_loadavg},
    {"stat", S_IFREG | 0444, .show = show_stat},
    {"version", S_IFREG | 0444, .show = show_version},
    {"filesystems", S_IFREG | 0444, .show = show_filesystems},
    {"cmdline", S_IFREG | 0444, .show = show_cmdline},
    {"mounts", S_IFLNK | 0777, .link = link_mounts},
    {"self", S_IFLNK | 0777, .link = link_self},
    {"sys", S_IFDIR | 0555, .sub = &proc_sys_table},
};
const struct proc_table proc_root_table = {proc_root_entries, ARRAY_SIZE(proc_root_entries), 16, NULL, false};
