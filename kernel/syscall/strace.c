/* A system-call trace for debugging user programs against Linux: `strace=all` on the kernel command
 * line logs every call of every process, `strace=PID` those of one process, each as one line
 * "strace: pid N name(a0, a1, a2, a3, a4, a5) = result" (all six registers, since the kernel does
 * not know each call's arity), comparable with `strace -f` on the host. */
#include <kestrel/cmdline.h>
#include <kestrel/format.h>
#include <kestrel/printk.h>
#include <kestrel/process.h>
#include <kestrel/string.h>
#include <kestrel/syscall.h>

#define TRACE_OFF (-1)
#define TRACE_ALL 0

/* Read from the command line once, by the first call: the first system call comes from init, alone,
 * and every later one finds the value set. */
static int trace_pid = TRACE_OFF;
static bool parsed;

static int traced_pid(void)
{
    if (!__atomic_load_n(&parsed, __ATOMIC_ACQUIRE)) {
        const char *v = cmdline_get("strace");
        int pid = TRACE_OFF;
        if (v && !strcmp(v, "all"))
            pid = TRACE_ALL;
        else if (v)
            pid = (int)cmdline_get_long("strace", TRACE_OFF);
        __atomic_store_n(&trace_pid, pid > 0 || pid == TRACE_ALL ? pid : TRACE_OFF, __ATOMIC_RELAXED);
        __atomic_store_n(&parsed, true, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&trace_pid, __ATOMIC_RELAXED);
}

bool syscall_traced(void)
{
    int pid = traced_pid();
    if (pid == TRACE_OFF)
        return false;
    struct process *p = current_process();
    return p && (pid == TRACE_ALL || p->pid == pid);
}

void syscall_trace(unsigned long nr, const long a[6], long result)
{
    const char *name = syscall_name(nr);
    char unknown[24];
    if (!name) {
        ksnprintf(unknown, sizeof(unknown), "syscall_%lu", nr);
        name = unknown;
    }
    printk(LOG_INFO, "strace: pid %d %s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %ld\n", current_process()->pid,
           name, a[0], a[1], a[2], a[3], a[4], a[5], result);
}
