/* copy_from_user and friends: a range check against USER_TOP, then string instructions each covered
 * by an exception-table entry, so a fault the page-fault handler cannot resolve becomes -EFAULT. */
#include <arch/extable.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>
#include <uapi/errno.h>

bool user_range_ok(const void *uaddr, size_t n)
{
    uint64_t a = (uint64_t)uaddr;
    return a < USER_TOP && n <= USER_TOP - a;
}

/* rep movsq then rep movsb for the tail (eight bytes per iteration: see memcpy in kernel/lib/string.c),
 * each with a fixup: on a fault the copy stops where it got to and err becomes -EFAULT. */
static int guarded_copy(void *dst, const void *src, size_t n)
{
    int err = 0;
    size_t qwords = n / 8;
    __asm__ volatile("1: rep movsq\n\t"
                     "movq %[tail], %%rcx\n\t"
                     "2: rep movsb\n\t"
                     "3:\n\t"
                     ".pushsection .fixup, \"ax\"\n"
                     "4: movl %[efault], %[err]\n\t"
                     "jmp 3b\n\t"
                     ".popsection\n\t" EXTABLE_ENTRY(1b, 4b) EXTABLE_ENTRY(2b, 4b)
                     : [err] "+r"(err), "+D"(dst), "+S"(src), "+c"(qwords)
                     : [efault] "i"(-EFAULT), [tail] "r"(n % 8)
                     : "memory");
    return err;
}

int copy_from_user(void *dst, const void *usrc, size_t n)
{
    if (n == 0)
        return 0;
    if (!user_range_ok(usrc, n))
        return -EFAULT;
    return guarded_copy(dst, usrc, n);
}

int copy_to_user(void *udst, const void *src, size_t n)
{
    if (n == 0)
        return 0;
    if (!user_range_ok(udst, n))
        return -EFAULT;
    return guarded_copy(udst, src, n);
}

int clear_user(void *udst, size_t n)
{
    if (n == 0)
        return 0;
    if (!user_range_ok(udst, n))
        return -EFAULT;
    int err = 0;
    size_t qwords = n / 8;
    __asm__ volatile("1: rep stosq\n\t"
                     "movq %[tail], %%rcx\n\t"
                     "2: rep stosb\n\t"
                     "3:\n\t"
                     ".pushsection .fixup, \"ax\"\n"
                     "4: movl %[efault], %[err]\n\t"
                     "jmp 3b\n\t"
                     ".popsection\n\t" EXTABLE_ENTRY(1b, 4b) EXTABLE_ENTRY(2b, 4b)
                     : [err] "+r"(err), "+D"(udst), "+c"(qwords)
                     : [efault] "i"(-EFAULT), "a"(0ull), [tail] "r"(n % 8)
                     : "memory");
    return err;
}

/* One user byte; 0 or -EFAULT. */
static int get_user_u8(const char *uaddr, char *out)
{
    int err = 0;
    char c = 0;
    __asm__ volatile("1: movb (%[p]), %[c]\n\t"
                     "2:\n\t"
                     ".pushsection .fixup, \"ax\"\n"
                     "3: movl %[efault], %[err]\n\t"
                     "jmp 2b\n\t"
                     ".popsection\n\t" EXTABLE_ENTRY(1b, 3b)
                     : [err] "+r"(err), [c] "+q"(c)
                     : [p] "r"(uaddr), [efault] "i"(-EFAULT)
                     : "memory");
    *out = c;
    return err;
}

long strncpy_from_user(char *dst, const char *usrc, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        /* Checked per byte: a string may end just below USER_TOP even when max reaches past it. */
        if (!user_range_ok(usrc + i, 1))
            return -EFAULT;
        int err = get_user_u8(usrc + i, &dst[i]);
        if (err)
            return err;
        if (dst[i] == '\0')
            return (long)i;
    }
    return -ENAMETOOLONG;
}
