/* The modern (virtio 1.0) PCI transport and one split virtqueue, as virtio device drivers use them. */
#pragma once
#include <kestrel/pci.h>
#include <kestrel/types.h>

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED      128
#define VIRTIO_F_VERSION_1        32

#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

/* A split virtqueue in one zeroed page: descriptors, then the available ring, then the used ring. */
struct virtq {
    uint16_t size;
    uint16_t index;     /* the queue number, written to notify */
    uint16_t last_used; /* the used-ring index we have consumed up to */
    struct virtq_desc *desc;
    volatile uint16_t *avail; /* flags, idx, ring[size] */
    volatile uint16_t *used;  /* flags, idx, then {u32 id, u32 len}[size] */
    volatile uint16_t *notify;
};

struct virtio_pci {
    struct pci_dev *pci;
    volatile uint8_t *common, *isr, *device;
    volatile uint8_t *notify_base;
    uint32_t notify_multiplier;
    bool msix;
};

/* Finds and maps the common, notify, ISR and device configuration structures. */
int virtio_pci_map(struct virtio_pci *vp, struct pci_dev *pci);
/* Resets the device, acknowledges it and negotiates: offers the device's features masked by
 * wanted (VIRTIO_F_VERSION_1 is required). Returns the accepted set or a negative errno. */
int64_t virtio_pci_negotiate(struct virtio_pci *vp, uint64_t wanted);
/* Sets up queue index with at most max_size entries; its interrupt is MSI-X entry 0 when the
 * device uses MSI-X. */
int virtio_pci_setup_queue(struct virtio_pci *vp, uint16_t index, uint16_t max_size, struct virtq *vq);
void virtio_pci_set_status(struct virtio_pci *vp, uint8_t status);
uint8_t virtio_pci_status(struct virtio_pci *vp);
/* Reads the ISR status (which also deasserts INTx); MSI-X interrupts need no acknowledgement. */
uint8_t virtio_pci_ack_irq(struct virtio_pci *vp);

/* Publishes the chain starting at descriptor head and notifies the device. */
void virtq_submit(struct virtq *vq, uint16_t head);
/* Whether the device has put a used entry we have not consumed; virtq_consume takes it. */
bool virtq_has_used(const struct virtq *vq);
void virtq_consume(struct virtq *vq);
