/* The virtio 1.0 PCI transport: the configuration structures found through vendor capabilities,
 * device reset and feature negotiation, and split virtqueues. */
#include "virtio_pci.h"
#include <kestrel/mm.h>
#include <kestrel/page.h>
#include <uapi/errno.h>

#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR    3
#define VIRTIO_PCI_CAP_DEVICE 4

/* struct virtio_pci_common_cfg offsets */
#define COMMON_DFSELECT  0x00
#define COMMON_DF        0x04
#define COMMON_GFSELECT  0x08
#define COMMON_GF        0x0c
#define COMMON_MSIX      0x10
#define COMMON_STATUS    0x14
#define COMMON_Q_SELECT  0x16
#define COMMON_Q_SIZE    0x18
#define COMMON_Q_MSIX    0x1a
#define COMMON_Q_ENABLE  0x1c
#define COMMON_Q_NOFF    0x1e
#define COMMON_Q_DESCLO  0x20
#define COMMON_Q_AVAILLO 0x28
#define COMMON_Q_USEDLO  0x30
#define VIRTIO_NO_VECTOR 0xffff

#define REG32(base, off) (*(volatile uint32_t *)((base) + (off)))
#define REG16(base, off) (*(volatile uint16_t *)((base) + (off)))
#define REG8(base, off)  (*(volatile uint8_t *)((base) + (off)))

static volatile uint8_t *map_cap(struct pci_dev *pci, uint8_t cap)
{
    uint8_t bar = pci_read8(pci, cap + 4);
    uint32_t offset = pci_read32(pci, cap + 8);
    uint8_t *base = pci_map_bar(pci, bar);
    return base ? base + offset : NULL;
}

int virtio_pci_map(struct virtio_pci *vp, struct pci_dev *pci)
{
    vp->pci = pci;
    for (uint8_t cap = pci_next_cap(pci, PCI_CAP_VENDOR, 0); cap;
         cap = pci_next_cap(pci, PCI_CAP_VENDOR, cap)) {
        uint8_t type = pci_read8(pci, cap + 3);
        if (type == VIRTIO_PCI_CAP_COMMON && !vp->common)
            vp->common = map_cap(pci, cap);
        else if (type == VIRTIO_PCI_CAP_ISR && !vp->isr)
            vp->isr = map_cap(pci, cap);
        else if (type == VIRTIO_PCI_CAP_DEVICE && !vp->device)
            vp->device = map_cap(pci, cap);
        else if (type == VIRTIO_PCI_CAP_NOTIFY && !vp->notify_base) {
            vp->notify_base = map_cap(pci, cap);
            vp->notify_multiplier = pci_read32(pci, cap + 16);
        }
    }
    return vp->common && vp->isr && vp->device && vp->notify_base ? 0 : -ENODEV;
}

void virtio_pci_set_status(struct virtio_pci *vp, uint8_t status)
{
    REG8(vp->common, COMMON_STATUS) = status;
}

uint8_t virtio_pci_status(struct virtio_pci *vp)
{
    return REG8(vp->common, COMMON_STATUS);
}

uint8_t virtio_pci_ack_irq(struct virtio_pci *vp)
{
    return *vp->isr;
}

int64_t virtio_pci_negotiate(struct virtio_pci *vp, uint64_t wanted)
{
    virtio_pci_set_status(vp, 0);
    /* The reset is complete when the device reads back 0 (QEMU: at once). */
    for (int tries = 0; virtio_pci_status(vp) != 0; tries++) {
        if (tries > 1000000)
            return -ETIMEDOUT;
    }
    virtio_pci_set_status(vp, VIRTIO_STATUS_ACKNOWLEDGE);
    virtio_pci_set_status(vp, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    uint64_t offered = 0;
    for (uint32_t word = 0; word < 2; word++) {
        REG32(vp->common, COMMON_DFSELECT) = word;
        offered |= (uint64_t)REG32(vp->common, COMMON_DF) << (32 * word);
    }
    uint64_t accepted = offered & wanted;
    if (!(accepted & (1ull << VIRTIO_F_VERSION_1)))
        return -ENODEV; /* a legacy-only device */
    for (uint32_t word = 0; word < 2; word++) {
        REG32(vp->common, COMMON_GFSELECT) = word;
        REG32(vp->common, COMMON_GF) = (uint32_t)(accepted >> (32 * word));
    }
    uint8_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    virtio_pci_set_status(vp, status);
    if (!(virtio_pci_status(vp) & VIRTIO_STATUS_FEATURES_OK))
        return -ENODEV; /* the device refused our subset */
    /* Configuration changes are not handled: no vector for them. */
    REG16(vp->common, COMMON_MSIX) = VIRTIO_NO_VECTOR;
    return (int64_t)accepted;
}

int virtio_pci_setup_queue(struct virtio_pci *vp, uint16_t index, uint16_t max_size, struct virtq *vq)
{
    REG16(vp->common, COMMON_Q_SELECT) = index;
    uint16_t size = REG16(vp->common, COMMON_Q_SIZE);
    if (size == 0)
        return -ENODEV;
    /* Sizes are powers of two; 128 entries keep all three parts in one page (see below). */
    while (size > max_size || size > 128)
        size /= 2;
    uint8_t *page = alloc_zeroed_page_virt();
    if (!page)
        return -ENOMEM;
    /* 128 descriptors take 2048 bytes; the available ring (6 + 2 * 128 bytes) follows; the used
     * ring (6 + 8 * 128 bytes, 4-aligned) ends before 4096. */
    vq->size = size;
    vq->index = index;
    vq->last_used = 0;
    vq->desc = (struct virtq_desc *)page;
    vq->avail = (volatile uint16_t *)(page + 16 * size);
    vq->used = (volatile uint16_t *)(page + ALIGN_UP(16 * size + 6 + 2 * size, 4u));
    REG16(vp->common, COMMON_Q_SIZE) = size;
    REG16(vp->common, COMMON_Q_MSIX) = vp->msix ? 0 : VIRTIO_NO_VECTOR;
    if (vp->msix && REG16(vp->common, COMMON_Q_MSIX) == VIRTIO_NO_VECTOR)
        return -ENOSPC; /* the device could not take the vector */
    *(volatile uint64_t *)(vp->common + COMMON_Q_DESCLO) = virt_to_phys(vq->desc);
    *(volatile uint64_t *)(vp->common + COMMON_Q_AVAILLO) = virt_to_phys((const void *)vq->avail);
    *(volatile uint64_t *)(vp->common + COMMON_Q_USEDLO) = virt_to_phys((const void *)vq->used);
    uint16_t noff = REG16(vp->common, COMMON_Q_NOFF);
    vq->notify = (volatile uint16_t *)(vp->notify_base + (uint32_t)noff * vp->notify_multiplier);
    REG16(vp->common, COMMON_Q_ENABLE) = 1;
    return 0;
}

void virtq_submit(struct virtq *vq, uint16_t head)
{
    uint16_t idx = vq->avail[1];
    vq->avail[2 + idx % vq->size] = head;
    /* The ring entry and the descriptors must be visible before the index that publishes them,
     * and the index before the notification. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    vq->avail[1] = (uint16_t)(idx + 1);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    *vq->notify = vq->index;
}

bool virtq_has_used(const struct virtq *vq)
{
    return vq->used[1] != vq->last_used;
}

void virtq_consume(struct virtq *vq)
{
    vq->last_used++;
}
