/* Segment selectors. The order is fixed by SYSCALL/SYSRET: STAR loads the kernel CS at 0x08 with SS
 * 0x10, and SYSRET loads user SS = base+8 and user CS = base+16 from base 0x18. */
#pragma once

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_USER_CODE32 0x18
#define GDT_USER_DATA   0x20
#define GDT_USER_CODE   0x28
#define GDT_TSS         0x30

/* Interrupt stack table slots (1-based, as the IDT encodes them). */
#define IST_DOUBLE_FAULT  1
#define IST_NMI           2
#define IST_MACHINE_CHECK 3

#ifndef __ASSEMBLY__
#include <kestrel/types.h>

void gdt_init(void);
/* The stack the CPU switches to on an interrupt from user mode. */
void tss_set_kernel_stack(uint64_t rsp0);
#endif
