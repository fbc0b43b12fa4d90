/* KTAP tests of the page cache on a fake disk filesystem: one file whose bytes live in a static
 * buffer and whose read/write calls are counted, so lookup (no second read), insert, write-back
 * (dirty pages reach the filesystem once), truncation, eviction and freeing at release are seen. */
#include <kestrel/ktest.h>
#include <kestrel/page.h>
#include <kestrel/pagecache.h>
#include <kestrel/string.h>

#define FAKE_SIZE (3 * PAGECACHE_PAGE_SIZE + 100)

static char disk[4 * PAGECACHE_PAGE_SIZE];
static int reads, writes;

static ssize_t fake_read(struct inode *inode, void *buf, size_t count, uint64_t pos)
{
    reads++;
    if (pos >= inode->size)
        return 0;
    count = MIN(count, inode->size - pos);
    memcpy(buf, disk + pos, count);
    return (ssize_t)count;
}

static ssize_t fake_write(struct inode *inode, const void *buf, size_t count, uint64_t pos)
{
    writes++;
    memcpy(disk + pos, buf, count);
    inode->size = MAX(inode->size, pos + count);
    return (ssize_t)count;
}

static const struct inode_ops fake_ops = {.read = fake_read, .write = fake_write};

/* A disk filesystem to the cache: its superblock names a device (never used). */
static struct super_block fake_sb = {.bdev = (struct block_device *)&fake_sb};

static void fake_inode(struct inode *inode)
{
    memset(inode, 0, sizeof(*inode));
    inode->mode = S_IFREG | 0644;
    inode->nlink = 1;
    inode->size = FAKE_SIZE;
    inode->sb = &fake_sb;
    inode->ops = &fake_ops;
    for (size_t i = 0; i < sizeof(disk); i++)
        disk[i] = (char)('a' + i / PAGECACHE_PAGE_SIZE);
    reads = writes = 0;
}

static void pagecache_lookup_and_insert(struct ktest *t)
{
    struct inode inode;
    fake_inode(&inode);
    size_t before = pagecache_pages();
    char buf[8];
    KTEST_EXPECT_EQ(t, pagecache_read(&inode, buf, 2, PAGECACHE_PAGE_SIZE + 1), 2);
    KTEST_EXPECT_EQ(t, buf[0], 'b');
    KTEST_EXPECT_EQ(t, pagecache_pages(), before + 1);
    KTEST_EXPECT_EQ(t, reads, 1);
    disk[PAGECACHE_PAGE_SIZE + 1] = 'X'; /* behind the cache's back: the cached copy answers */
    KTEST_EXPECT_EQ(t, pagecache_read(&inode, buf, 1, PAGECACHE_PAGE_SIZE + 1), 1);
    KTEST_EXPECT_EQ(t, buf[0], 'b');
    KTEST_EXPECT_EQ(t, reads, 1);
    pagecache_wrote(&inode, "W", 1, PAGECACHE_PAGE_SIZE + 1);
    KTEST_EXPECT_EQ(t, pagecache_read(&inode, buf, 1, PAGECACHE_PAGE_SIZE + 1), 1);
    KTEST_EXPECT_EQ(t, buf[0], 'W');
    KTEST_EXPECT_EQ(t, pagecache_read(&inode, buf, 8, FAKE_SIZE - 2), 2); /* stops at the end */
    KTEST_EXPECT_EQ(t, pagecache_read(&inode, buf, 8, FAKE_SIZE), 0);
    pagecache_evict_inode(&inode);
    KTEST_EXPECT(t, inode.pcache == NULL);
    KTEST_EXPECT_EQ(t, pagecache_pages(), before);
}

static void pagecache_writeback_dirty(struct ktest *t)
{
    struct inode inode;
    fake_inode(&inode);
    void *data;
    KTEST_ASSERT_EQ(t, pagecache_get_page(&inode, 3, &data), 0);
    KTEST_EXPECT_EQ(t, ((char *)data)[99], 'd');
    KTEST_EXPECT_EQ(t, ((char *)data)[100], 0); /* past the end: zero */
    KTEST_EXPECT_EQ(t, pagecache_get_page(&inode, 4, &data), -EIO);
    KTEST_ASSERT_EQ(t, pagecache_get_page(&inode, 0, &data), 0);
    ((char *)data)[5] = 'D';
    KTEST_EXPECT_EQ(t, pagecache_mark_dirty(&inode, 0), 0);
    KTEST_EXPECT_EQ(t, pagecache_mark_dirty(&inode, 2), -EIO); /* not cached */
    KTEST_EXPECT_EQ(t, pagecache_writeback(&inode), 0);
    KTEST_EXPECT_EQ(t, writes, 1);
    KTEST_EXPECT_EQ(t, disk[5], 'D');
    KTEST_EXPECT_EQ(t, pagecache_writeback(&inode), 0); /* clean now: nothing written */
    KTEST_EXPECT_EQ(t, writes, 1);
    KTEST_ASSERT_EQ(t, pagecache_get_page(&inode, 3, &data), 0);
    KTEST_EXPECT_EQ(t, pagecache_mark_dirty(&inode, 3), 0);
    pagecache_evict_inode(&inode); /* writes the dirty last page: only the bytes before the end */
    KTEST_EXPECT_EQ(t, writes, 2);
    KTEST_EXPECT_EQ(t, inode.size, FAKE_SIZE);
}

static void pagecache_truncate_and_shrink(struct ktest *t)
{
    struct inode inode;
    fake_inode(&inode);
    size_t before = pagecache_pages();
    char buf[4];
    for (uint64_t i = 0; i < 4; i++)
        KTEST_EXPECT_EQ(t, pagecache_read(&inode, buf, 1, i * PAGECACHE_PAGE_SIZE), 1);
    KTEST_EXPECT_EQ(t, pagecache_pages(), before + 4);
    inode.size = PAGECACHE_PAGE_SIZE + 10;
    pagecache_truncated(&inode, inode.size);
    KTEST_EXPECT_EQ(t, pagecache_pages(), before + 2);
    void *data;
    KTEST_ASSERT_EQ(t, pagecache_get_page(&inode, 1, &data), 0);
    KTEST_EXPECT_EQ(t, ((char *)data)[9], 'b');
    KTEST_EXPECT_EQ(t, ((char *)data)[10], 0); /* the tail is zeroed for a later growth */
    KTEST_EXPECT_EQ(t, pagecache_mark_dirty(&inode, 1), 0);
    KTEST_EXPECT_EQ(t, pagecache_read(&inode, buf, 1, 0), 1); /* page 0 is now the most recent */
    KTEST_EXPECT_EQ(t, pagecache_shrink(1), 1);               /* the clean page goes first all the same */
    KTEST_EXPECT_EQ(t, pagecache_pages(), before + 1);
    KTEST_EXPECT_EQ(t, writes, 0);
    ((char *)data)[0] = 'Q';
    KTEST_EXPECT(t, pagecache_shrink(16) >= 1); /* then the dirty one, written back first */
    KTEST_EXPECT_EQ(t, writes, 1);
    KTEST_EXPECT_EQ(t, disk[PAGECACHE_PAGE_SIZE], 'Q');
    KTEST_EXPECT(t, inode.pcache == NULL);
    KTEST_EXPECT_EQ(t, pagecache_pages(), before);
}

static ssize_t generated_read(struct inode *inode, void *buf, size_t count, uint64_t pos)
{
    (void)inode;
    if (pos >= 3)
        return 0;
    count = MIN(count, 3 - pos);
    memcpy(buf, "gen" + pos, count);
    return (ssize_t)count;
}

/* Regression: procfs files have size 0 and generate their text at each read; the cache must hand
 * such reads (no device, nothing cached) to the filesystem instead of stopping at the size. */
static void pagecache_passes_generated_files(struct ktest *t)
{
    static const struct inode_ops gen_ops = {.read = generated_read};
    static struct super_block mem_sb; /* no bdev: a memory filesystem */
    struct inode inode = {.mode = S_IFREG | 0444, .size = 0, .sb = &mem_sb, .ops = &gen_ops};
    size_t before = pagecache_pages();
    char buf[8];
    KTEST_EXPECT_EQ(t, pagecache_read(&inode, buf, sizeof(buf), 0), 3);
    KTEST_EXPECT(t, memcmp(buf, "gen", 3) == 0);
    KTEST_EXPECT(t, inode.pcache == NULL);
    KTEST_EXPECT_EQ(t, pagecache_pages(), before);
}

/* Memory pressure: with every free page taken, further allocations get the cache's clean pages
 * (through the allocator's shrinker) instead of failing, until the cache is empty. */
static void pagecache_gives_pages_to_allocator(struct ktest *t)
{
    struct inode inode;
    fake_inode(&inode);
    char buf[1];
    for (uint64_t i = 0; i < 4; i++)
        KTEST_EXPECT_EQ(t, pagecache_read(&inode, buf, 1, i * PAGECACHE_PAGE_SIZE), 1);
    struct page *taken = NULL, *p;
    size_t count = 0;
    while ((p = alloc_pages(0))) { /* chained through their own memory, so no other allocation */
        *(struct page **)page_address(p) = taken;
        taken = p;
        count++;
    }
    KTEST_EXPECT(t, inode.pcache == NULL); /* all four went to the allocator */
    while (taken) {
        p = *(struct page **)page_address(taken);
        free_pages(taken, 0);
        taken = p;
    }
    KTEST_EXPECT(t, count > 4);
}

KTEST_SUITE(pagecache, KTEST_CASE(pagecache_gives_pages_to_allocator),
            KTEST_CASE(pagecache_passes_generated_files), KTEST_CASE(pagecache_lookup_and_insert),
            KTEST_CASE(pagecache_writeback_dirty), KTEST_CASE(pagecache_truncate_and_shrink));
