/* KTAP tests of the trap path: deliberate faults of several kinds are caught through the exception
 * table, recorded with the right vector and address, and the kernel carries on. */
#include <arch/extable.h>
#include <arch/trap.h>
#include <kestrel/backtrace.h>
#include <kestrel/ktest.h>
#include <kestrel/string.h>

#define UNMAPPED_ADDR     0x00000dead0000000ull
#define NONCANONICAL_ADDR 0x8000000000000000ull

static void trap_unmapped_read_is_recovered(struct ktest *t)
{
    uint64_t before = last_recovered_trap.count, v = 1;
    KTEST_EXPECT_EQ(t, probe_read_u64((const void *)UNMAPPED_ADDR, &v), -EFAULT);
    KTEST_EXPECT_EQ(t, last_recovered_trap.count, before + 1);
    KTEST_EXPECT_EQ(t, last_recovered_trap.vector, VEC_PAGE_FAULT);
    KTEST_EXPECT_EQ(t, last_recovered_trap.cr2, UNMAPPED_ADDR);
    /* Error code: not present (bit 0 clear), read (bit 1 clear), kernel mode (bit 2 clear). */
    KTEST_EXPECT_EQ(t, last_recovered_trap.error & 7, 0);
}

static void trap_unmapped_write_is_recovered(struct ktest *t)
{
    KTEST_EXPECT_EQ(t, probe_write_u64((void *)UNMAPPED_ADDR, 7), -EFAULT);
    KTEST_EXPECT_EQ(t, last_recovered_trap.vector, VEC_PAGE_FAULT);
    KTEST_EXPECT_EQ(t, last_recovered_trap.error & 2, 2); /* the write bit */
}

static void trap_noncanonical_is_general_protection(struct ktest *t)
{
    uint64_t v;
    KTEST_EXPECT_EQ(t, probe_read_u64((const void *)NONCANONICAL_ADDR, &v), -EFAULT);
    KTEST_EXPECT_EQ(t, last_recovered_trap.vector, 13);
}

static void trap_mapped_read_succeeds(struct ktest *t)
{
    static const uint64_t value = 0x1122334455667788ull;
    uint64_t before = last_recovered_trap.count, v = 0;
    KTEST_EXPECT_EQ(t, probe_read_u64(&value, &v), 0);
    KTEST_EXPECT_EQ(t, v, value);
    KTEST_EXPECT_EQ(t, last_recovered_trap.count, before);
}

static void trap_rodata_write_faults(struct ktest *t)
{
    /* W^X: the kernel's read-only data must not be writable, even by the kernel. */
    static const uint64_t constant = 5;
    KTEST_EXPECT_EQ(t, probe_write_u64((void *)&constant, 6), -EFAULT);
    KTEST_EXPECT_EQ(t, *(const volatile uint64_t *)&constant, 5);
    KTEST_EXPECT_EQ(t, last_recovered_trap.error & 3, 3); /* present page, write */
}

static void trap_invalid_opcode_is_recovered(struct ktest *t)
{
    int recovered = 0;
    __asm__ volatile("1: ud2\n\t"
                     "jmp 3f\n\t"
                     "2: movl $1, %0\n\t"
                     "3:\n\t" EXTABLE_ENTRY(1b, 2b)
                     : "+r"(recovered));
    KTEST_EXPECT_EQ(t, recovered, 1);
    KTEST_EXPECT_EQ(t, last_recovered_trap.vector, 6);
}

static void trap_symbolizes_kernel_functions(struct ktest *t)
{
    uint64_t off, size;
    const char *name = ksym_lookup((uint64_t)trap_dispatch + 3, &off, &size);
    KTEST_ASSERT(t, name != NULL);
    KTEST_EXPECT(t, strcmp(name, "trap_dispatch") == 0);
    KTEST_EXPECT_EQ(t, off, 3);
    KTEST_EXPECT(t, size > 3);
    KTEST_EXPECT(t, ksym_lookup(UNMAPPED_ADDR, &off, &size) == NULL);
}

KTEST_SUITE(traps, KTEST_CASE(trap_unmapped_read_is_recovered), KTEST_CASE(trap_unmapped_write_is_recovered),
            KTEST_CASE(trap_noncanonical_is_general_protection), KTEST_CASE(trap_mapped_read_succeeds),
            KTEST_CASE(trap_rodata_write_faults), KTEST_CASE(trap_invalid_opcode_is_recovered),
            KTEST_CASE(trap_symbolizes_kernel_functions));
