/* Partition tables: the MBR's four primary entries with the logical partitions in an extended one
 * (numbered from 5, as Linux does), and GPT behind a protective MBR (header and entry-array CRC32s
 * checked, the primary copy only). */
#include "internal.h"
#include <kestrel/crc32.h>
#include <kestrel/kmalloc.h>
#include <kestrel/string.h>

#define MBR_TABLE_OFFSET     446
#define MBR_SIGNATURE        0xaa55
#define MBR_TYPE_EMPTY       0x00
#define MBR_TYPE_GPT_GUARD   0xee
#define MBR_FIRST_LOGICAL    5
/* An extended partition appears as a device of two sectors, as on Linux (room for a boot loader,
 * none for a filesystem). */
#define MBR_EXTENDED_SECTORS 2
/* The chain of extended boot records is a linked list on disk: a bound keeps a cycle finite. */
#define MBR_MAX_LOGICAL      64

#define GPT_SIGNATURE       "EFI PART"
#define GPT_HEADER_MIN_SIZE 92
#define GPT_ENTRY_MIN_SIZE  128
#define GPT_MAX_ENTRIES     1024 /* sanity bound: 128 is the usual, anything near this is corrupt */

struct mbr_entry {
    uint8_t status;
    uint8_t chs_first[3];
    uint8_t type;
    uint8_t chs_last[3];
    uint32_t lba_start;
    uint32_t sectors;
} __packed;

struct gpt_header {
    char signature[8];
    uint32_t revision;
    uint32_t header_size;
    uint32_t header_crc32;
    uint32_t reserved;
    uint64_t my_lba, alternate_lba, first_usable, last_usable;
    uint8_t disk_guid[16];
    uint64_t entries_lba;
    uint32_t entry_count, entry_size, entries_crc32;
} __packed;

struct gpt_entry {
    uint8_t type_guid[16];
    uint8_t unique_guid[16];
    uint64_t first_lba, last_lba; /* inclusive */
    uint64_t attributes;
    uint16_t name[36];
} __packed;

static bool guid_is_zero(const uint8_t *g)
{
    for (int i = 0; i < 16; i++) {
        if (g[i])
            return false;
    }
    return true;
}

static bool fits(const struct block_device *disk, uint64_t start, uint64_t sectors)
{
    return sectors && start < disk->sectors && sectors <= disk->sectors - start;
}

static bool is_extended(uint8_t type)
{
    return type == 0x05 || type == 0x0f || type == 0x85;
}

static struct mbr_entry mbr_entry_at(const uint8_t *sector, unsigned slot)
{
    struct mbr_entry e;
    memcpy(&e, sector + MBR_TABLE_OFFSET + slot * sizeof(e), sizeof(e));
    return e;
}

/* Follows the extended boot records from the extended partition at ext_start: each holds one
 * logical partition (relative to that record) and a link to the next record (relative to
 * ext_start). Adds to out from index n; returns the new count or a negative errno. */
static int parse_logical(struct block_device *disk, uint64_t ext_start, uint64_t ext_sectors,
                         struct partition *out, int n, int max)
{
    uint8_t *ebr = kmalloc(SECTOR_SIZE);
    if (!ebr)
        return -ENOMEM;
    uint64_t at = ext_start;
    uint32_t number = MBR_FIRST_LOGICAL;
    for (int i = 0; i < MBR_MAX_LOGICAL && n < max; i++) {
        int err = block_read(disk, at, ebr, 1);
        if (err) {
            n = err;
            break;
        }
        if ((ebr[510] | ebr[511] << 8) != MBR_SIGNATURE)
            break;
        struct mbr_entry data = mbr_entry_at(ebr, 0), link = mbr_entry_at(ebr, 1);
        /* A record without a data partition takes no number (Linux counts only real ones). */
        if (data.type != MBR_TYPE_EMPTY && data.sectors) {
            if (fits(disk, at + data.lba_start, data.sectors))
                out[n++] = (struct partition){
                    .number = number, .start = at + data.lba_start, .sectors = data.sectors};
            number++;
        }
        if (!is_extended(link.type) || link.lba_start == 0 || link.lba_start >= ext_sectors)
            break;
        at = ext_start + link.lba_start;
    }
    kfree(ebr);
    return n;
}

static int parse_mbr(struct block_device *disk, const uint8_t *sector0, struct partition *out, int max)
{
    int n = 0;
    const struct mbr_entry *ext = NULL;
    struct mbr_entry entries[4];
    for (uint32_t i = 0; i < 4 && n < max; i++) {
        struct mbr_entry *e = &entries[i];
        *e = mbr_entry_at(sector0, i);
        if (e->type == MBR_TYPE_EMPTY || !fits(disk, e->lba_start, e->sectors))
            continue;
        uint64_t sectors = e->sectors;
        if (is_extended(e->type) && !ext) {
            ext = e;
            sectors = MBR_EXTENDED_SECTORS;
        }
        out[n++] = (struct partition){.number = i + 1, .start = e->lba_start, .sectors = sectors};
    }
    return ext ? parse_logical(disk, ext->lba_start, ext->sectors, out, n, max) : n;
}

static bool gpt_header_valid(const struct block_device *disk, struct gpt_header *h, const uint8_t *raw)
{
    if (memcmp(h->signature, GPT_SIGNATURE, 8) != 0 || h->header_size < GPT_HEADER_MIN_SIZE ||
        h->header_size > SECTOR_SIZE || h->my_lba != 1)
        return false;
    if (h->entry_size < GPT_ENTRY_MIN_SIZE || h->entry_size % 8 || h->entry_count == 0 ||
        h->entry_count > GPT_MAX_ENTRIES || h->entries_lba >= disk->sectors)
        return false;
    /* The CRC covers header_size bytes with its own field taken as zero. */
    uint8_t copy[SECTOR_SIZE];
    memcpy(copy, raw, h->header_size);
    memset(copy + offsetof(struct gpt_header, header_crc32), 0, 4);
    return crc32(0, copy, h->header_size) == h->header_crc32;
}

static int parse_gpt(struct block_device *disk, struct partition *out, int max)
{
    uint8_t *raw = kmalloc(SECTOR_SIZE);
    if (!raw)
        return -ENOMEM;
    int err = block_read(disk, 1, raw, 1);
    struct gpt_header h;
    memcpy(&h, raw, sizeof(h));
    if (!err && !gpt_header_valid(disk, &h, raw))
        err = -EINVAL;
    kfree(raw);
    if (err)
        return err;
    size_t bytes = (size_t)h.entry_count * h.entry_size;
    uint32_t sectors = (uint32_t)((bytes + SECTOR_SIZE - 1) / SECTOR_SIZE);
    if (h.entries_lba + sectors > disk->sectors)
        return -EINVAL;
    uint8_t *entries = kmalloc((size_t)sectors * SECTOR_SIZE);
    if (!entries)
        return -ENOMEM;
    err = block_read(disk, h.entries_lba, entries, sectors);
    if (!err && crc32(0, entries, bytes) != h.entries_crc32)
        err = -EINVAL;
    int n = 0;
    for (uint32_t i = 0; !err && i < h.entry_count && n < max; i++) {
        struct gpt_entry e;
        memcpy(&e, entries + (size_t)i * h.entry_size, sizeof(e));
        if (guid_is_zero(e.type_guid) || e.last_lba < e.first_lba ||
            !fits(disk, e.first_lba, e.last_lba - e.first_lba + 1))
            continue;
        out[n++] = (struct partition){
            .number = i + 1, .start = e.first_lba, .sectors = e.last_lba - e.first_lba + 1};
    }
    kfree(entries);
    return err ? err : n;
}

int block_parse_partitions(struct block_device *disk, struct partition *out, int max)
{
    uint8_t *sector0 = kmalloc(SECTOR_SIZE);
    if (!sector0)
        return -ENOMEM;
    int ret = block_read(disk, 0, sector0, 1);
    if (ret)
        goto out;
    uint16_t sig = (uint16_t)(sector0[510] | sector0[511] << 8);
    if (sig != MBR_SIGNATURE)
        goto out; /* no table: ret is 0 */
    bool protective = false;
    for (int i = 0; i < 4; i++)
        protective |= sector0[MBR_TABLE_OFFSET + i * 16 + 4] == MBR_TYPE_GPT_GUARD;
    ret = protective ? parse_gpt(disk, out, max) : parse_mbr(disk, sector0, out, max);
out:
    kfree(sector0);
    return ret;
}
