/* Constants shared by the boot assembly and C: where the kernel lives and which loader started it. */
#pragma once

#define KERNEL_VIRT_BASE 0xffffffff80000000
#define DIRECT_MAP_BASE  0xffff800000000000

#define BOOT_PROTO_UNKNOWN    0
#define BOOT_PROTO_MULTIBOOT2 1
#define BOOT_PROTO_PVH        2

#define BOOT_STACK_SIZE (16 * 1024)

#define PTE_P   0x001
#define PTE_W   0x002
#define PTE_U   0x004
#define PTE_PWT 0x008
#define PTE_PCD 0x010
#define PTE_A   0x020
#define PTE_D   0x040
#define PTE_PS  0x080
#define PTE_G   0x100

#define CR0_PE   (1 << 0)
#define CR0_WP   (1 << 16)
#define CR0_PG   (1 << 31)
#define CR4_PAE  (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
