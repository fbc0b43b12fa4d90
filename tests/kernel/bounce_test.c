/* KTAP tests of the bounce buffer read, write and sendfile move data through: its size is the
 * most one call asks of a filesystem. Regression: 16 KiB pieces split every 64 KiB ext2 read into
 * four device requests (make bench's ext2_read ran at half the speed it does with 64 KiB). */
#include <kestrel/kmalloc.h>
#include <kestrel/ktest.h>
#include <kestrel/string.h>
#include "../../kernel/syscall/sys_file.h"

static void bounce_piece_sizes(struct ktest *t)
{
    static const size_t counts[] = {0, 1, 100, 16384, 65536, 65537, 1u << 20};
    static const size_t pieces[] = {1, 1, 100, 16384, 65536, 65536, 65536};
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        size_t piece = 0;
        char *buf = bounce_alloc(counts[i], &piece);
        KTEST_ASSERT(t, buf != NULL);
        KTEST_EXPECT_EQ(t, piece, pieces[i]);
        memset(buf, 0xa5, piece); /* all of it is ours */
        kfree(buf);
    }
}

KTEST_SUITE(bounce, KTEST_CASE(bounce_piece_sizes));
