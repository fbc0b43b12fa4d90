/* Instructions allowed to fault: each gets an exception-table entry whose fixup the trap handler
 * jumps to instead of panicking. The basis of copy_from_user and of safe probes. */
#pragma once
#include <kestrel/types.h>
#include <uapi/errno.h>

/* Emits an __ex_table entry sending a fault at label `insn` to label `fixup`. */
#define EXTABLE_ENTRY(insn, fixup)                                                                           \
    ".pushsection __ex_table, \"a\"\n\t.balign 8\n\t.quad " #insn ", " #fixup "\n\t.popsection\n\t"

/* Reads 8 bytes at addr; returns 0, or -EFAULT when the read faults (nothing mapped there). */
static inline int probe_read_u64(const void *addr, uint64_t *out)
{
    int err = 0;
    uint64_t v = 0;
    __asm__ volatile("1: movq (%2), %0\n\t"
                     "2:\n\t"
                     ".pushsection .fixup, \"ax\"\n"
                     "3: movl %3, %1\n\t"
                     "jmp 2b\n\t"
                     ".popsection\n\t" EXTABLE_ENTRY(1b, 3b)
                     : "+r"(v), "+r"(err)
                     : "r"(addr), "i"(-EFAULT)
                     : "memory");
    *out = v;
    return err;
}

/* Writes 8 bytes at addr; returns 0, or -EFAULT when the write faults. */
static inline int probe_write_u64(void *addr, uint64_t v)
{
    int err = 0;
    __asm__ volatile("1: movq %2, (%1)\n\t"
                     "2:\n\t"
                     ".pushsection .fixup, \"ax\"\n"
                     "3: movl %3, %0\n\t"
                     "jmp 2b\n\t"
                     ".popsection\n\t" EXTABLE_ENTRY(1b, 3b)
                     : "+r"(err)
                     : "r"(addr), "r"(v), "i"(-EFAULT)
                     : "memory");
    return err;
}
