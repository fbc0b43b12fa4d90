/* Defining system calls. Each call is written once with SYSCALL_DEFINEn, which produces
 * `long sys_NAME(long a0, ..., long a5)` converting the raw registers into typed parameters; the
 * table (kernel/syscall/table.c) finds it through the list in kernel/syscall/syscall_list.h. */
#pragma once
#include <kestrel/types.h>
#include <uapi/errno.h>

typedef long (*syscall_fn_t)(long, long, long, long, long, long);

#define __SC_ARGS                                                                                            \
    long a0 __unused, long a1 __unused, long a2 __unused, long a3 __unused, long a4 __unused, long a5 __unused

#define SYSCALL_DEFINE0(name)                                                                                \
    static long do_sys_##name(void);                                                                         \
    long sys_##name(__SC_ARGS);                                                                              \
    long sys_##name(__SC_ARGS)                                                                               \
    {                                                                                                        \
        return do_sys_##name();                                                                              \
    }                                                                                                        \
    static long do_sys_##name(void)

#define SYSCALL_DEFINE1(name, t0, n0)                                                                        \
    static long do_sys_##name(t0 n0);                                                                        \
    long sys_##name(__SC_ARGS);                                                                              \
    long sys_##name(__SC_ARGS)                                                                               \
    {                                                                                                        \
        return do_sys_##name((t0)a0);                                                                        \
    }                                                                                                        \
    static long do_sys_##name(t0 n0)

#define SYSCALL_DEFINE2(name, t0, n0, t1, n1)                                                                \
    static long do_sys_##name(t0 n0, t1 n1);                                                                 \
    long sys_##name(__SC_ARGS);                                                                              \
    long sys_##name(__SC_ARGS)                                                                               \
    {                                                                                                        \
        return do_sys_##name((t0)a0, (t1)a1);                                                                \
    }                                                                                                        \
    static long do_sys_##name(t0 n0, t1 n1)

#define SYSCALL_DEFINE3(name, t0, n0, t1, n1, t2, n2)                                                        \
    static long do_sys_##name(t0 n0, t1 n1, t2 n2);                                                          \
    long sys_##name(__SC_ARGS);                                                                              \
    long sys_##name(__SC_ARGS)                                                                               \
    {                                                                                                        \
        return do_sys_##name((t0)a0, (t1)a1, (t2)a2);                                                        \
    }                                                                                                        \
    static long do_sys_##name(t0 n0, t1 n1, t2 n2)

#define SYSCALL_DEFINE4(name, t0, n0, t1, n1, t2, n2, t3, n3)                                                \
    static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3);                                                   \
    long sys_##name(__SC_ARGS);                                                                              \
    long sys_##name(__SC_ARGS)                                                                               \
    {                                                                                                        \
        return do_sys_##name((t0)a0, (t1)a1, (t2)a2, (t3)a3);                                                \
    }                                                                                                        \
    static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3)

#define SYSCALL_DEFINE5(name, t0, n0, t1, n1, t2, n2, t3, n3, t4, n4)                                        \
    static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3, t4 n4);                                            \
    long sys_##name(__SC_ARGS);                                                                              \
    long sys_##name(__SC_ARGS)                                                                               \
    {                                                                                                        \
        return do_sys_##name((t0)a0, (t1)a1, (t2)a2, (t3)a3, (t4)a4);                                        \
    }                                                                                                        \
    static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3, t4 n4)

#define SYSCALL_DEFINE6(name, t0, n0, t1, n1, t2, n2, t3, n3, t4, n4, t5, n5)                                \
    static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3, t4 n4, t5 n5);                                     \
    long sys_##name(__SC_ARGS);                                                                              \
    long sys_##name(__SC_ARGS)                                                                               \
    {                                                                                                        \
        return do_sys_##name((t0)a0, (t1)a1, (t2)a2, (t3)a3, (t4)a4, (t5)a5);                                \
    }                                                                                                        \
    static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3, t4 n4, t5 n5)

/* Runs system call nr with the six argument registers; unknown and unimplemented numbers give
 * -ENOSYS (logged once per number). */
long syscall_dispatch(unsigned long nr, long a0, long a1, long a2, long a3, long a4, long a5);
/* strace= on the command line (syscall/strace.c): whether the calling process is traced, and the
 * line that logs one finished call. */
bool syscall_traced(void);
void syscall_trace(unsigned long nr, const long args[6], long result);
/* The call's name for traces, or NULL for a number Kestrel does not know. */
const char *syscall_name(unsigned long nr);
