/* KTAP tests of the block layer on a fake disk in memory: CRC-32, the MBR and GPT parsers,
 * partition registration and bounds, request merging (queued by hand, and from concurrent callers
 * sleeping in the queue), and I/O errors surfacing as -EIO. */
#include "internal.h"
#include <kestrel/crc32.h>
#include <kestrel/fs.h>
#include <kestrel/kmalloc.h>
#include <kestrel/ktest.h>
#include <kestrel/string.h>
#include <kestrel/thread.h>

#define FAKE_SECTORS 128

struct fake_disk {
    struct block_device bd;
    uint8_t *data;
    unsigned submits;
    uint64_t last_sector;
    uint32_t last_count;
    bool fail;
    bool gated; /* submit waits until the gate opens */
    bool in_submit;
    struct waitqueue wq;
};

static int fake_submit(struct block_device *disk, bool write, uint64_t sector, void *buf, uint32_t count)
{
    struct fake_disk *fd = disk->driver;
    __atomic_store_n(&fd->in_submit, true, __ATOMIC_RELEASE);
    wq_wake_all(&fd->wq);
    wait_event(&fd->wq, !__atomic_load_n(&fd->gated, __ATOMIC_ACQUIRE));
    fd->submits++;
    fd->last_sector = sector;
    fd->last_count = count;
    if (fd->fail)
        return -EIO;
    uint8_t *at = fd->data + sector * SECTOR_SIZE;
    if (write)
        memcpy(at, buf, (size_t)count * SECTOR_SIZE);
    else
        memcpy(buf, at, (size_t)count * SECTOR_SIZE);
    return 0;
}

static const struct block_ops fake_ops = {.submit = fake_submit};

/* A fresh zeroed disk with its own queue, not in the registry (unless a test registers it). */
static struct fake_disk *fake_disk_new(const char *name)
{
    struct fake_disk *fd = kzalloc(sizeof(*fd));
    if (!fd)
        return NULL;
    fd->data = kzalloc(FAKE_SECTORS * SECTOR_SIZE);
    if (!fd->data || blk_queue_init(&fd->bd)) {
        kfree(fd->data);
        kfree(fd);
        return NULL;
    }
    strlcpy(fd->bd.name, name, sizeof(fd->bd.name));
    fd->bd.sectors = FAKE_SECTORS;
    fd->bd.disk = &fd->bd;
    fd->bd.ops = &fake_ops;
    fd->bd.driver = fd;
    waitqueue_init(&fd->wq, "fake-disk");
    return fd;
}

static void fake_disk_free(struct fake_disk *fd)
{
    kfree(fd->bd.queue);
    kfree(fd->data);
    kfree(fd);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void mbr_entry(uint8_t *disk, int slot, uint8_t type, uint32_t start, uint32_t sectors)
{
    uint8_t *e = disk + 446 + 16 * slot;
    e[4] = type;
    put32(e + 8, start);
    put32(e + 12, sectors);
    disk[510] = 0x55;
    disk[511] = 0xaa;
}

static void crc32_matches_known_vector(struct ktest *t)
{
    KTEST_EXPECT_EQ(t, crc32(0, "123456789", 9), 0xcbf43926u);
    KTEST_EXPECT_EQ(t, crc32(crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
}

static void mbr_primary_partitions(struct ktest *t)
{
    struct fake_disk *fd = fake_disk_new("fake");
    KTEST_ASSERT(t, fd != NULL);
    mbr_entry(fd->data, 0, 0x83, 8, 16);
    mbr_entry(fd->data, 1, 0x0c, 24, 40);
    mbr_entry(fd->data, 2, 0x83, 100, 100); /* runs past the end of the disk: ignored */
    mbr_entry(fd->data, 3, 0x83, 64, 64);
    struct partition p[4];
    int n = block_parse_partitions(&fd->bd, p, 4);
    KTEST_EXPECT_EQ(t, n, 3);
    if (n == 3) {
        KTEST_EXPECT(t, p[0].number == 1 && p[0].start == 8 && p[0].sectors == 16);
        KTEST_EXPECT(t, p[1].number == 2 && p[1].start == 24 && p[1].sectors == 40);
        KTEST_EXPECT(t, p[2].number == 4 && p[2].start == 64 && p[2].sectors == 64);
    }
    fake_disk_free(fd);
}

/* Extended partition in slot 2 from sector 32: EBRs at 32 (logical at 32+4, 8 sectors, link to
 * 32+16), at 48 (an empty record linking on to 32+24) and at 56 (logical at 56+2, 6 sectors, no
 * link). Linux numbers the logicals 5 and 6 and shows the extended one as 2 sectors. */
static void mbr_extended_logical_partitions(struct ktest *t)
{
    struct fake_disk *fd = fake_disk_new("fake");
    KTEST_ASSERT(t, fd != NULL);
    mbr_entry(fd->data, 0, 0x83, 8, 16);
    mbr_entry(fd->data, 1, 0x05, 32, 32);
    mbr_entry(fd->data + 32 * SECTOR_SIZE, 0, 0x83, 4, 8);
    mbr_entry(fd->data + 32 * SECTOR_SIZE, 1, 0x05, 16, 8);
    mbr_entry(fd->data + 48 * SECTOR_SIZE, 1, 0x05, 24, 8);
    mbr_entry(fd->data + 56 * SECTOR_SIZE, 0, 0x83, 2, 6);
    struct partition p[8];
    int n = block_parse_partitions(&fd->bd, p, 8);
    KTEST_EXPECT_EQ(t, n, 4);
    if (n == 4) {
        KTEST_EXPECT(t, p[0].number == 1 && p[0].start == 8 && p[0].sectors == 16);
        KTEST_EXPECT(t, p[1].number == 2 && p[1].start == 32 && p[1].sectors == 2);
        KTEST_EXPECT(t, p[2].number == 5 && p[2].start == 36 && p[2].sectors == 8);
        KTEST_EXPECT(t, p[3].number == 6 && p[3].start == 58 && p[3].sectors == 6);
    }
    fake_disk_free(fd);
}

/* An EBR linking back to the first one: the walk must end (at its bound) instead of looping. */
static void mbr_extended_cycle_ends(struct ktest *t)
{
    struct fake_disk *fd = fake_disk_new("fake");
    KTEST_ASSERT(t, fd != NULL);
    mbr_entry(fd->data, 0, 0x0f, 32, 32);
    mbr_entry(fd->data + 32 * SECTOR_SIZE, 0, 0x83, 4, 8);
    mbr_entry(fd->data + 32 * SECTOR_SIZE, 1, 0x05, 16, 8);
    mbr_entry(fd->data + 48 * SECTOR_SIZE, 1, 0x05, 0, 8); /* link 0: ends the chain */
    mbr_entry(fd->data + 48 * SECTOR_SIZE, 0, 0x83, 4, 2);
    struct partition p[BLK_MAX_PARTITIONS];
    KTEST_EXPECT_EQ(t, block_parse_partitions(&fd->bd, p, BLK_MAX_PARTITIONS), 3);
    mbr_entry(fd->data + 48 * SECTOR_SIZE, 1, 0x05, 16, 8); /* links to itself */
    KTEST_EXPECT_EQ(t, block_parse_partitions(&fd->bd, p, BLK_MAX_PARTITIONS), BLK_MAX_PARTITIONS);
    fake_disk_free(fd);
}

static void mbr_without_signature_is_no_table(struct ktest *t)
{
    struct fake_disk *fd = fake_disk_new("fake");
    KTEST_ASSERT(t, fd != NULL);
    mbr_entry(fd->data, 0, 0x83, 8, 16);
    fd->data[511] = 0;
    struct partition p[4];
    KTEST_EXPECT_EQ(t, block_parse_partitions(&fd->bd, p, 4), 0);
    fake_disk_free(fd);
}

/* A protective MBR, a GPT header at LBA 1 and 128 entries of 128 bytes at LBA 2 (32 sectors), with
 * entries 0 and 2 in use; both CRCs right. */
static void write_gpt(uint8_t *disk)
{
    mbr_entry(disk, 0, 0xee, 1, FAKE_SECTORS - 1);
    uint8_t *entries = disk + 2 * SECTOR_SIZE;
    const uint64_t extents[][2] = {{40, 59}, {0, 0}, {60, 99}};
    for (int i = 0; i < 3; i++) {
        if (!extents[i][0])
            continue;
        uint8_t *e = entries + 128 * i;
        e[0] = 0xaf; /* any nonzero type GUID marks the entry used */
        e[16] = (uint8_t)(i + 1);
        put64(e + 32, extents[i][0]);
        put64(e + 40, extents[i][1]);
    }
    uint8_t *h = disk + SECTOR_SIZE;
    memcpy(h, "EFI PART", 8);
    put32(h + 8, 0x00010000);
    put32(h + 12, 92);
    put64(h + 24, 1);
    put64(h + 32, FAKE_SECTORS - 1);
    put64(h + 40, 34);
    put64(h + 48, FAKE_SECTORS - 34);
    put64(h + 72, 2);
    put32(h + 80, 128);
    put32(h + 84, 128);
    put32(h + 88, crc32(0, entries, 128 * 128));
    put32(h + 16, crc32(0, h, 92));
}

static void gpt_partitions(struct ktest *t)
{
    struct fake_disk *fd = fake_disk_new("fake");
    KTEST_ASSERT(t, fd != NULL);
    write_gpt(fd->data);
    struct partition p[4];
    int n = block_parse_partitions(&fd->bd, p, 4);
    KTEST_EXPECT_EQ(t, n, 2);
    if (n == 2) {
        KTEST_EXPECT(t, p[0].number == 1 && p[0].start == 40 && p[0].sectors == 20);
        KTEST_EXPECT(t, p[1].number == 3 && p[1].start == 60 && p[1].sectors == 40);
    }
    fake_disk_free(fd);
}

static void gpt_bad_crcs_are_rejected(struct ktest *t)
{
    struct fake_disk *fd = fake_disk_new("fake");
    KTEST_ASSERT(t, fd != NULL);
    struct partition p[4];
    write_gpt(fd->data);
    fd->data[SECTOR_SIZE + 48] ^= 1; /* a header field: the header CRC no longer matches */
    KTEST_EXPECT_EQ(t, block_parse_partitions(&fd->bd, p, 4), -EINVAL);
    write_gpt(fd->data);
    fd->data[2 * SECTOR_SIZE + 40] ^= 1; /* an entry: the entry-array CRC no longer matches */
    KTEST_EXPECT_EQ(t, block_parse_partitions(&fd->bd, p, 4), -EINVAL);
    fake_disk_free(fd);
}

static void registered_partitions_are_named_and_bounded(struct ktest *t)
{
    /* Registered devices stay for good (the registry never shrinks): this disk is never freed. */
    struct fake_disk *fd = fake_disk_new("ktest0");
    KTEST_ASSERT(t, fd != NULL);
    kfree(fd->bd.queue); /* block_register_disk makes the queue */
    fd->bd.dev = vfs_mkdev(240, 0);
    write_gpt(fd->data);
    memset(fd->data + 60 * SECTOR_SIZE, 0x5a, SECTOR_SIZE);
    KTEST_ASSERT_EQ(t, block_register_disk(&fd->bd), 0);
    struct block_device *p3 = block_find("/dev/ktest0p3");
    KTEST_ASSERT(t, p3 != NULL);
    KTEST_EXPECT(t, block_find_dev(vfs_mkdev(240, 3)) == p3);
    KTEST_EXPECT(t, block_find("ktest0p2") == NULL);
    KTEST_EXPECT_EQ(t, p3->sectors, 40);
    uint8_t *buf = kmalloc(SECTOR_SIZE);
    KTEST_ASSERT(t, buf != NULL);
    KTEST_EXPECT_EQ(t, block_read(p3, 0, buf, 1), 0);
    KTEST_EXPECT(t, buf[0] == 0x5a && buf[SECTOR_SIZE - 1] == 0x5a);
    KTEST_EXPECT_EQ(t, block_read(p3, 40, buf, 1), -EINVAL);
    KTEST_EXPECT_EQ(t, block_read(p3, 39, buf, 2), -EINVAL);
    kfree(buf);
}

static struct blk_request *new_request(bool write, uint64_t sector, uint32_t count, uint8_t fill)
{
    struct blk_request *rq = kzalloc(sizeof(*rq));
    if (!rq)
        return NULL;
    void *buf = kmalloc((size_t)count * SECTOR_SIZE);
    if (!buf) {
        kfree(rq);
        return NULL;
    }
    memset(buf, fill, (size_t)count * SECTOR_SIZE);
    *rq = (struct blk_request){.write = write, .sector = sector, .count = count, .buf = buf};
    qlist_init(&rq->link);
    return rq;
}

static void free_request(struct blk_request *rq)
{
    if (rq)
        kfree(rq->buf);
    kfree(rq);
}

static void queue_merges_adjacent_requests(struct ktest *t)
{
    struct fake_disk *fd = fake_disk_new("fake");
    KTEST_ASSERT(t, fd != NULL);
    /* Out of order: the middle first, then the front and the back; then two that must stay apart
     * (a gap, and a read touching the writes). */
    struct blk_request *rq[5] = {new_request(true, 8, 8, 2), new_request(true, 0, 8, 1),
                                 new_request(true, 16, 8, 3), new_request(true, 40, 8, 4),
                                 new_request(false, 24, 8, 0)};
    for (int i = 0; i < 5; i++)
        KTEST_ASSERT(t, rq[i] != NULL);
    for (int i = 0; i < 5; i++)
        blk_queue_add(fd->bd.queue, rq[i]);
    KTEST_EXPECT(t, blk_queue_dispatch_one(&fd->bd));
    KTEST_EXPECT_EQ(t, fd->submits, 1);
    KTEST_EXPECT(t, fd->last_sector == 0 && fd->last_count == 24);
    KTEST_EXPECT(t, rq[0]->done && rq[1]->done && rq[2]->done && !rq[3]->done && !rq[4]->done);
    for (int s = 0; s < 24; s++)
        KTEST_EXPECT_EQ(t, fd->data[s * SECTOR_SIZE + 7], s / 8 + 1);
    while (blk_queue_dispatch_one(&fd->bd))
        ;
    KTEST_EXPECT_EQ(t, fd->submits, 3);
    KTEST_EXPECT(t, rq[3]->done && rq[4]->done && rq[4]->result == 0);
    struct block_stats st;
    block_get_stats(&fd->bd, &st);
    KTEST_EXPECT(t, st.requests == 5 && st.merges == 2 && st.sectors == 40);
    for (int i = 0; i < 5; i++)
        free_request(rq[i]);
    fake_disk_free(fd);
}

static void queue_merge_stops_at_the_limit(struct ktest *t)
{
    struct fake_disk *fd = fake_disk_new("fake");
    KTEST_ASSERT(t, fd != NULL);
    fd->bd.sectors = 1024; /* only the queue looks at these sectors: the fake disk is never reached */
    fd->fail = true;
    struct blk_request *a = new_request(false, 0, 200, 0), *b = new_request(false, 200, 200, 0);
    KTEST_ASSERT(t, a && b);
    blk_queue_add(fd->bd.queue, a);
    blk_queue_add(fd->bd.queue, b);
    KTEST_EXPECT(t, blk_queue_dispatch_one(&fd->bd));
    KTEST_EXPECT(t, a->done && !b->done && fd->last_count == 200);
    KTEST_EXPECT(t, blk_queue_dispatch_one(&fd->bd));
    KTEST_EXPECT_EQ(t, fd->submits, 2);
    free_request(a);
    free_request(b);
    fake_disk_free(fd);
}

static void io_error_is_eio(struct ktest *t)
{
    struct fake_disk *fd = fake_disk_new("fake");
    KTEST_ASSERT(t, fd != NULL);
    fd->fail = true;
    uint8_t *buf = kmalloc(SECTOR_SIZE);
    KTEST_ASSERT(t, buf != NULL);
    KTEST_EXPECT_EQ(t, block_read(&fd->bd, 3, buf, 1), -EIO);
    KTEST_EXPECT_EQ(t, block_write(&fd->bd, 3, buf, 1), -EIO);
    kfree(buf);
    fake_disk_free(fd);
}

struct reader {
    struct fake_disk *fd;
    uint64_t sector;
    uint8_t *buf;
};

static int read_eight(void *arg)
{
    struct reader *r = arg;
    return block_read(&r->fd->bd, r->sector, r->buf, 8);
}

/* A is in the driver (held at the gate) while B and C queue adjacent reads: when A's command ends,
 * one of them takes over dispatching and the two go to the disk as one command. */
static void concurrent_callers_are_merged(struct ktest *t)
{
    struct fake_disk *fd = fake_disk_new("fake");
    KTEST_ASSERT(t, fd != NULL);
    for (int s = 0; s < 24; s++)
        memset(fd->data + s * SECTOR_SIZE, s, SECTOR_SIZE);
    fd->gated = true;
    struct reader r[3];
    struct thread *th[3];
    for (int i = 0; i < 3; i++) {
        r[i] = (struct reader){.fd = fd, .sector = 8 * (uint64_t)i, .buf = kmalloc(8 * SECTOR_SIZE)};
        KTEST_ASSERT(t, r[i].buf != NULL);
    }
    th[0] = thread_create("blk-a", read_eight, &r[0], PRIO_DEFAULT);
    KTEST_ASSERT(t, th[0] != NULL);
    wait_event(&fd->wq, __atomic_load_n(&fd->in_submit, __ATOMIC_ACQUIRE));
    for (int i = 1; i < 3; i++) {
        th[i] = thread_create("blk-bc", read_eight, &r[i], PRIO_DEFAULT);
        KTEST_ASSERT(t, th[i] != NULL);
    }
    /* B and C have nothing to wait for but their own queueing: yield until both requests are in. */
    struct block_stats st;
    for (block_get_stats(&fd->bd, &st); st.requests < 3; block_get_stats(&fd->bd, &st))
        thread_yield();
    __atomic_store_n(&fd->gated, false, __ATOMIC_RELEASE);
    wq_wake_all(&fd->wq);
    for (int i = 0; i < 3; i++)
        KTEST_EXPECT_EQ(t, thread_join(th[i]), 0);
    KTEST_EXPECT_EQ(t, fd->submits, 2);
    block_get_stats(&fd->bd, &st);
    KTEST_EXPECT_EQ(t, st.merges, 1);
    for (int i = 0; i < 3; i++) {
        KTEST_EXPECT(t, r[i].buf[0] == 8 * i && r[i].buf[8 * SECTOR_SIZE - 1] == 8 * i + 7);
        kfree(r[i].buf);
    }
    fake_disk_free(fd);
}

KTEST_SUITE(block, KTEST_CASE(crc32_matches_known_vector), KTEST_CASE(mbr_primary_partitions),
            KTEST_CASE(mbr_extended_logical_partitions), KTEST_CASE(mbr_extended_cycle_ends),
            KTEST_CASE(mbr_without_signature_is_no_table), KTEST_CASE(gpt_partitions),
            KTEST_CASE(gpt_bad_crcs_are_rejected), KTEST_CASE(registered_partitions_are_named_and_bounded),
            KTEST_CASE(queue_merges_adjacent_requests), KTEST_CASE(queue_merge_stops_at_the_limit),
            KTEST_CASE(io_error_is_eio), KTEST_CASE(concurrent_callers_are_merged));
