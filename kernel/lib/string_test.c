/* KTAP tests of memcpy, memset and memmove at every small length and alignment (they move eight
 * bytes per iteration and the rest one at a time), and of user copies that fault in either part. */
#include <kestrel/ktest.h>
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <kestrel/string.h>
#include <kestrel/uaccess.h>
#include <kestrel/uvm.h>

#define MAX_LEN 40
#define GUARD   0xee
#define BASE    0x10000000ull

static unsigned char src[MAX_LEN + 16], dst[MAX_LEN + 32];

/* True when dst holds want[0..len) at off and GUARD everywhere else. */
static bool only_range_written(size_t off, size_t len, const unsigned char *want, int fill)
{
    for (size_t i = 0; i < sizeof(dst); i++) {
        int expect = i < off || i >= off + len ? GUARD : want ? want[i - off] : fill;
        if (dst[i] != expect)
            return false;
    }
    return true;
}

static void string_memcpy_every_length_and_alignment(struct ktest *t)
{
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (unsigned char)(i * 37 + 1);
    for (size_t len = 0; len <= MAX_LEN; len++)
        for (size_t doff = 0; doff < 8; doff++)
            for (size_t soff = 0; soff < 8; soff++) {
                memset(dst, GUARD, sizeof(dst));
                void *r = memcpy(dst + 8 + doff, src + soff, len);
                if (!KTEST_EXPECT(t, r == dst + 8 + doff && only_range_written(8 + doff, len, src + soff, 0)))
                    return;
            }
}

static void string_memset_every_length_and_alignment(struct ktest *t)
{
    for (size_t len = 0; len <= MAX_LEN; len++)
        for (size_t off = 0; off < 8; off++) {
            memset(dst, GUARD, sizeof(dst));
            void *r = memset(dst + 8 + off, 0x15c, len); /* only the low byte counts */
            if (!KTEST_EXPECT(t, r == dst + 8 + off && only_range_written(8 + off, len, NULL, 0x5c)))
                return;
        }
}

static void string_memmove_overlaps_both_ways(struct ktest *t)
{
    char buf[64];
    for (size_t shift = 1; shift < 12; shift++) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (char)i;
        memmove(buf, buf + shift, 40); /* down: the forward copy */
        for (size_t i = 0; i < 40; i++)
            KTEST_EXPECT_EQ(t, buf[i], (char)(i + shift));
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (char)i;
        memmove(buf + shift, buf, 40); /* up: the backward copy */
        for (size_t i = 0; i < 40; i++)
            KTEST_EXPECT_EQ(t, buf[shift + i], (char)i);
    }
}

/* One writable page at BASE with nothing mapped after it. */
static struct mm *one_user_page(void)
{
    struct mm *mm = mm_create();
    vaddr_t at;
    if (mm && mm_map_region(mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, &at)) {
        mm_put(mm);
        return NULL;
    }
    if (mm)
        mm_activate(mm);
    return mm;
}

static void string_user_copy_faults_in_qwords_or_tail(struct ktest *t)
{
    struct mm *mm = one_user_page();
    KTEST_ASSERT(t, mm != NULL);
    char back[16];
    const char *data = "0123456789abcdefghij";
    /* 20 bytes from 13 below the end: the second qword crosses into the unmapped page. */
    KTEST_EXPECT_EQ(t, copy_to_user((void *)(BASE + PAGE_SIZE - 13), data, 20), -EFAULT);
    KTEST_EXPECT_EQ(t, copy_from_user(back, (void *)(BASE + PAGE_SIZE - 13), 8), 0);
    KTEST_EXPECT_EQ(t, memcmp(back, data, 8), 0); /* the first qword got there */
    /* 5 bytes from 3 below the end: no qword, the byte tail faults after 3. */
    KTEST_EXPECT_EQ(t, copy_to_user((void *)(BASE + PAGE_SIZE - 3), "XYZWV", 5), -EFAULT);
    KTEST_EXPECT_EQ(t, copy_from_user(back, (void *)(BASE + PAGE_SIZE - 3), 3), 0);
    KTEST_EXPECT_EQ(t, memcmp(back, "XYZ", 3), 0);
    KTEST_EXPECT_EQ(t, copy_from_user(back, (void *)(BASE + PAGE_SIZE - 13), 16), -EFAULT);
    KTEST_EXPECT_EQ(t, clear_user((void *)(BASE + PAGE_SIZE - 13), 20), -EFAULT);
    KTEST_EXPECT_EQ(t, clear_user((void *)(BASE + PAGE_SIZE - 3), 5), -EFAULT);
    KTEST_EXPECT_EQ(t, copy_from_user(back, (void *)(BASE + PAGE_SIZE - 13), 13), 0);
    KTEST_EXPECT_EQ(t, memcmp(back, "\0\0\0\0\0\0\0\0\0\0\0\0\0", 13), 0);
    KTEST_EXPECT_EQ(t, clear_user((void *)(BASE + 5), 11), 0);
    mm_activate(NULL);
    mm_put(mm);
}

KTEST_SUITE(string, KTEST_CASE(string_memcpy_every_length_and_alignment),
            KTEST_CASE(string_memset_every_length_and_alignment),
            KTEST_CASE(string_memmove_overlaps_both_ways),
            KTEST_CASE(string_user_copy_faults_in_qwords_or_tail));
