/* KTAP tests of PCI: the driver-table matching rules, and what enumeration found on the test
 * machine (QEMU's pc: a host bridge at 00:00.0 and a display whose memory BAR must decode to a
 * naturally aligned power-of-two region). */
#include <kestrel/ktest.h>
#include <kestrel/pci.h>

static void driver_matching_honours_wildcards(struct ktest *t)
{
    struct pci_dev ahci = {.vendor = 0x8086, .device = 0x2922, .class_code = 1, .subclass = 6, .prog_if = 1};
    struct pci_dev ide = {
        .vendor = 0x8086, .device = 0x7010, .class_code = 1, .subclass = 1, .prog_if = 0x80};
    const struct pci_driver by_class = {
        .vendor = PCI_ANY_ID, .device = PCI_ANY_ID, .class_code = 1, .subclass = 6, .prog_if = 1};
    const struct pci_driver by_id = {
        .vendor = 0x1af4, .device = 0x1042, .class_code = PCI_ANY, .subclass = PCI_ANY, .prog_if = PCI_ANY};
    struct pci_dev virtio = {.vendor = 0x1af4, .device = 0x1042, .class_code = 1, .subclass = 0};
    struct pci_dev virtio_net = {.vendor = 0x1af4, .device = 0x1041, .class_code = 2};
    KTEST_EXPECT(t, pci_driver_matches(&by_class, &ahci));
    KTEST_EXPECT(t, !pci_driver_matches(&by_class, &ide));
    KTEST_EXPECT(t, pci_driver_matches(&by_id, &virtio));
    KTEST_EXPECT(t, !pci_driver_matches(&by_id, &virtio_net));
    KTEST_EXPECT(t, !pci_driver_matches(&by_id, &ahci));
}

static struct pci_dev *find_class(uint8_t class_code, uint8_t subclass)
{
    for (struct pci_dev *d = pci_first(); d; d = d->next) {
        if (d->class_code == class_code && d->subclass == subclass)
            return d;
    }
    return NULL;
}

static void enumeration_finds_host_bridge(struct ktest *t)
{
    struct pci_dev *d = pci_first();
    KTEST_ASSERT(t, d != NULL);
    KTEST_EXPECT(t, d->bus == 0 && d->slot == 0 && d->func == 0);
    KTEST_EXPECT(t, d->class_code == 0x06 && d->subclass == 0x00);
    /* What enumeration read must be what config space says now. */
    KTEST_EXPECT_EQ(t, pci_read16(d, 0), d->vendor);
    KTEST_EXPECT_EQ(t, pci_read16(d, 2), d->device);
}

static void display_bar_decodes_aligned(struct ktest *t)
{
    struct pci_dev *vga = find_class(0x03, 0x00);
    KTEST_ASSERT(t, vga != NULL);
    const struct pci_bar *bar = &vga->bars[0];
    KTEST_EXPECT(t, !bar->io && bar->addr != 0);
    KTEST_EXPECT(t, bar->size >= 4096 && (bar->size & (bar->size - 1)) == 0);
    KTEST_EXPECT_EQ(t, bar->addr & (bar->size - 1), 0);
    /* Sizing wrote all ones and must have put the address back. */
    KTEST_EXPECT_EQ(t, pci_read32(vga, 0x10) & ~0xfu, (uint32_t)bar->addr);
}

KTEST_SUITE(pci, KTEST_CASE(driver_matching_honours_wildcards), KTEST_CASE(enumeration_finds_host_bridge),
            KTEST_CASE(display_bar_decodes_aligned));
