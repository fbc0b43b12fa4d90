/* KTAP tests of the system-call table: names, the ENOSYS answer for unknown numbers, and that a
 * defined call is reached through dispatch. */
#include <kestrel/ktest.h>
#include <kestrel/string.h>
#include <kestrel/syscall.h>

static void syscall_names_follow_linux_numbers(struct ktest *t)
{
    KTEST_EXPECT(t, strcmp(syscall_name(0), "read") == 0);
    KTEST_EXPECT(t, strcmp(syscall_name(59), "execve") == 0);
    KTEST_EXPECT(t, strcmp(syscall_name(231), "exit_group") == 0);
    KTEST_EXPECT(t, strcmp(syscall_name(257), "openat") == 0);
    KTEST_EXPECT(t, syscall_name(335) == NULL);
    KTEST_EXPECT(t, syscall_name(100000) == NULL);
}

static void syscall_unknown_numbers_are_enosys(struct ktest *t)
{
    KTEST_EXPECT_EQ(t, syscall_dispatch(335, 0, 0, 0, 0, 0, 0), -ENOSYS);
    KTEST_EXPECT_EQ(t, syscall_dispatch(511, 0, 0, 0, 0, 0, 0), -ENOSYS);
    KTEST_EXPECT_EQ(t, syscall_dispatch((unsigned long)-1, 0, 0, 0, 0, 0, 0), -ENOSYS);
    KTEST_EXPECT_EQ(t, syscall_dispatch(1ul << 40, 0, 0, 0, 0, 0, 0), -ENOSYS);
}

KTEST_SUITE(syscall_table, KTEST_CASE(syscall_names_follow_linux_numbers),
            KTEST_CASE(syscall_unknown_numbers_are_enosys));
