/* Per-CPU data through the GS base (see kestrel/percpu.h). One CPU for now. */
#include <arch/cpu.h>
#include <arch/syscall.h>
#include <kestrel/percpu.h>

static struct percpu cpu0;

void percpu_init(void)
{
    cpu0.self = &cpu0;
    cpu0.cpu = 0;
    wrmsr(MSR_GS_BASE, (uint64_t)&cpu0);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}

struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(p));
    return p;
}

void percpu_set_kernel_stack(uint64_t rsp0)
{
    cpu0.kernel_rsp = rsp0;
}
