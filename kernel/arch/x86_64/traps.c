/* Trap dispatch: registered handlers for interrupts, the exception table for faults the kernel
 * expects, and a full report (registers, decoded error, symbolized backtrace) for the rest. */
#include <arch/cpu.h>
#include <arch/syscall.h>
#include <arch/trap.h>
#include <kestrel/backtrace.h>
#include <kestrel/panic.h>
#include <kestrel/printk.h>
#include <kestrel/process.h>
#include <kestrel/sched.h>

static trap_handler_t handlers[256];
void (*irq_eoi)(void);
struct trap_record last_recovered_trap;

static const char *const exception_names[32] = {
    "#DE Divide error",
    "#DB Debug",
    "NMI",
    "#BP Breakpoint",
    "#OF Overflow",
    "#BR Bound range exceeded",
    "#UD Invalid opcode",
    "#NM Device not available",
    "#DF Double fault",
    "Coprocessor segment overrun",
    "#TS Invalid TSS",
    "#NP Segment not present",
    "#SS Stack-segment fault",
    "#GP General protection fault",
    "#PF Page fault",
    "Reserved (15)",
    "#MF x87 floating-point",
    "#AC Alignment check",
    "#MC Machine check",
    "#XM SIMD floating-point",
    "#VE Virtualization",
    "#CP Control protection",
    "Reserved (22)",
    "Reserved (23)",
    "Reserved (24)",
    "Reserved (25)",
    "Reserved (26)",
    "Reserved (27)",
    "#HV Hypervisor injection",
    "#VC VMM communication",
    "#SX Security exception",
    "Reserved (31)",
};

extern const struct extable_entry __extable_start[], __extable_end[];

void trap_set_handler(uint8_t vector, trap_handler_t h)
{
    handlers[vector] = h;
}

uint64_t extable_find(uint64_t rip)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
        if (e->insn == rip)
            return e->fixup;
    return 0;
}

static void print_page_fault_error(uint64_t err)
{
    console_print("Page fault: %s %s in %s mode%s%s%s\n", err & 1 ? "protection violation on" : "no page at",
                  err & 16 ? "instruction fetch" : (err & 2 ? "write" : "read"), err & 4 ? "user" : "kernel",
                  err & 8 ? ", reserved bit set" : "", err & 32 ? ", protection key" : "",
                  err & (1 << 15) ? ", SGX" : "");
}

void trap_report(const struct trap_frame *f)
{
    const char *name = f->vector < 32 ? exception_names[f->vector] : "Interrupt";
    console_print("\n*** CPU exception %llu (%s), error code 0x%llx\n", (unsigned long long)f->vector, name,
                  (unsigned long long)f->error);
    if (f->vector == VEC_PAGE_FAULT) {
        console_print("CR2: %016llx\n", (unsigned long long)read_cr2());
        print_page_fault_error(f->error);
    }
    uint64_t off, size;
    const char *fn = ksym_lookup(f->rip, &off, &size);
    console_print("RIP: %04llx:%016llx %s+0x%llx\n", (unsigned long long)f->cs, (unsigned long long)f->rip,
                  fn ? fn : "?", (unsigned long long)(fn ? off : 0));
    console_print("RSP: %04llx:%016llx RFLAGS: %016llx\n", (unsigned long long)f->ss,
                  (unsigned long long)f->rsp, (unsigned long long)f->rflags);
    console_print("RAX: %016llx RBX: %016llx RCX: %016llx\n", (unsigned long long)f->rax,
                  (unsigned long long)f->rbx, (unsigned long long)f->rcx);
    console_print("RDX: %016llx RSI: %016llx RDI: %016llx\n", (unsigned long long)f->rdx,
                  (unsigned long long)f->rsi, (unsigned long long)f->rdi);
    console_print("RBP: %016llx R8:  %016llx R9:  %016llx\n", (unsigned long long)f->rbp,
                  (unsigned long long)f->r8, (unsigned long long)f->r9);
    console_print("R10: %016llx R11: %016llx R12: %016llx\n", (unsigned long long)f->r10,
                  (unsigned long long)f->r11, (unsigned long long)f->r12);
    console_print("R13: %016llx R14: %016llx R15: %016llx\n", (unsigned long long)f->r13,
                  (unsigned long long)f->r14, (unsigned long long)f->r15);
    console_print("CR0: %016llx CR3: %016llx CR4: %016llx\n", (unsigned long long)read_cr0(),
                  (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
    console_print("Call trace:\n");
    backtrace_print_addr(f->rip);
    if ((f->cs & 3) == 0)
        backtrace_print(f->rbp);
}

bool trap_try_fixup(struct trap_frame *f)
{
    if (f->cs & 3)
        return false;
    uint64_t fixup = extable_find(f->rip);
    if (!fixup)
        return false;
    last_recovered_trap =
        (struct trap_record){f->vector, f->error, f->rip, f->vector == VEC_PAGE_FAULT ? read_cr2() : 0,
                             last_recovered_trap.count + 1};
    f->rip = fixup;
    return true;
}

static void handle_exception(struct trap_frame *f)
{
    if (handlers[f->vector]) {
        handlers[f->vector](f);
        return;
    }
    if (trap_try_fixup(f))
        return;
    if (f->vector == 2) { /* NMI: report and carry on; nothing in QEMU sends one by accident */
        console_print("NMI received at %016llx\n", (unsigned long long)f->rip);
        return;
    }
    if (f->cs & 3) { /* user code's own fault: a signal for the process, not a kernel panic */
        user_exception(f);
        return;
    }
    trap_die(f);
}

void trap_die(struct trap_frame *f)
{
    trap_report(f);
    uint64_t off, size;
    const char *fn = ksym_lookup(f->rip, &off, &size);
    panic("unhandled %s in %s", exception_names[f->vector], fn ? fn : "unknown code");
}

void trap_dispatch(struct trap_frame *f)
{
    if (f->vector < 32) {
        handle_exception(f);
    } else {
        if (handlers[f->vector])
            handlers[f->vector](f);
        /* The spurious vector must not be acknowledged: the APIC did not count it as in service. */
        if (f->vector != VEC_SPURIOUS && irq_eoi)
            irq_eoi();
        sched_preempt_check(f->rflags); /* after the EOI: the next thread may run for a long time */
    }
    if (f->cs & 3)
        return_to_user_work(f); /* signals before ring 3 again; returns with interrupts off */
}
