/* The PCI driver table: pci_init offers each device to these drivers in order. */
#include <kestrel/pci.h>

extern const struct pci_driver virtio_blk_pci_driver;
extern const struct pci_driver ahci_pci_driver;

const struct pci_driver *const pci_drivers[] = {&virtio_blk_pci_driver, &ahci_pci_driver, NULL};
