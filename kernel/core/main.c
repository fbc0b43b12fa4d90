/* boot_main(): brings the kernel up in dependency order, then runs the tests the command line asks
 * for or settles into the idle loop. */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/trap.h>
#include <kestrel/acpi.h>
#include <kestrel/bootinfo.h>
#include <kestrel/clock.h>
#include <kestrel/cmdline.h>
#include <kestrel/crash.h>
#include <kestrel/ext2.h>
#include <kestrel/fat.h>
#include <kestrel/irq.h>
#include <kestrel/keyboard.h>
#include <kestrel/ktest.h>
#include <kestrel/machine.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/pagecache.h>
#include <kestrel/panic.h>
#include <kestrel/pci.h>
#include <kestrel/printk.h>
#include <kestrel/profile.h>
#include <kestrel/process.h>
#include <kestrel/sched.h>
#include <kestrel/screen.h>
#include <kestrel/serial.h>
#include <kestrel/tty.h>
#include <kestrel/version.h>
#include <kestrel/waitqueue.h>

struct boot_info boot_info;

static void parse_boot_info(uint32_t protocol, uint64_t info_phys)
{
    bool ok = false;
    if (protocol == BOOT_PROTO_MULTIBOOT2)
        ok = multiboot2_parse(info_phys, &boot_info);
    else if (protocol == BOOT_PROTO_PVH)
        ok = pvh_parse(info_phys, &boot_info);
    if (!ok)
        panic("unsupported or malformed boot information (protocol %u, info at %#llx, magic %#x)", protocol,
              (unsigned long long)info_phys, *(uint32_t *)phys_to_virt(info_phys));
}

static void apply_cmdline(void)
{
    cmdline_init(boot_info.cmdline);
    machine_test_mode = cmdline_get("test") || cmdline_get("crash") || cmdline_get("harness");
    console_loglevel = (int)cmdline_get_long("loglevel", console_loglevel);
}

static __noreturn void run_tests_and_stop(const char *filter)
{
    int failed = ktest_run(filter);
    printk(LOG_INFO, "ktest: %d failed case(s)\n", failed);
    if (failed)
        machine_stop_failed();
    machine_stop_passed();
}

/* The boot thread once boot is done, and its switch count then; it must never be switched in again. */
static struct thread *boot_thread;
static uint64_t boot_done_switches;

/* The condition of the boot thread's last sleep, which wait_event evaluates with the scheduler lock
 * held and interrupts off right before each sleep: the switch count is taken there the first time,
 * where no tick can preempt the thread (and switch it back in, a run the report would count; a
 * count taken before the sleep saw one such run under load). Never true. */
static bool boot_done_recorded(void)
{
    if (!boot_thread) {
        boot_thread = thread_current();
        boot_done_switches = boot_thread->stats.switches; /* its current run included */
    }
    return false;
}

void boot_thread_report(void)
{
    if (!boot_thread)
        return;
    uint64_t again = sched_thread_stats(boot_thread).switches - boot_done_switches;
    printk(LOG_INFO, "boot: the boot thread ran %llu time(s) after boot was done\n",
           (unsigned long long)again);
}

__noreturn void boot_main(uint32_t protocol, uint64_t info_phys)
{
    serial_init();
    parse_boot_info(protocol, info_phys);
    apply_cmdline();
    gdt_init();
    idt_init();
    printk(LOG_NOTICE, "%s\n", KESTREL_BANNER);
    printk(LOG_INFO, "boot: loader %s, command line \"%s\"\n", boot_info.loader, cmdline_raw());
    mm_init(&boot_info);
    printk(LOG_INFO, "mm: %llu MiB usable RAM, %zu pages free (%zu MiB), kernel %llu KiB\n",
           (unsigned long long)(pmm_usable_bytes() >> 20), pmm_free_pages(), pmm_free_pages() >> 8,
           (unsigned long long)(pmm_kernel_bytes() >> 10));
    screen_console_init();
    acpi_init();
    irq_init();
    timer_init();
    profile_init();
    rtc_init();
    keyboard_init();
    tty_init();
    cpu_sti();
    clock_log_summary();
    sched_init(); /* from here on this flow is the thread "main"; interrupts are on */
    proc_init();  /* system-call entry and per-CPU data, before anything can enter user mode */
    pci_init();   /* finds the disks; their drivers sleep on interrupts, so after sched_init */
    ext2_init();  /* disk filesystem types, registered before anything can mount */
    fat_init();
    pagecache_reclaim_init(); /* the page allocator may now shrink the page cache */

    const char *crash = cmdline_get("crash");
    if (crash)
        crash_run(crash);
    const char *tests = cmdline_get("test");
    if (tests)
        run_tests_and_stop(tests);
    /* INIT: the tmpfs root with the initramfs, then /init (or init=) as pid 1 when there is a module. */
    proc_start_init("/init");
    printk(LOG_INFO, "boot: done; idle\n");
    /* This thread's work is done. It sleeps for good rather than loop on hlt: a runnable thread that
     * halts would cost everyone else its whole time slice each time the scheduler picked it (it made
     * every pipe round trip and sched_yield take 10 ms). The idle thread does the halting. */
    static struct waitqueue never_woken;
    waitqueue_init(&never_woken, "boot-done");
    for (;;)
        wait_event(&never_woken, boot_done_recorded());
}
