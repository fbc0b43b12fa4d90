/* A 64 KiB firmware image for tools/run.sh's KVM probe: it switches from real mode to 32-bit
 * protected mode and back, as GRUB does around every BIOS call, then writes to isa-debug-exit so
 * QEMU ends with status 1. Some hosts open /dev/kvm and run simple guests yet hang here (and in
 * GRUB): those get TCG. Built by run.sh: gcc -m32 -c kvm_probe.S && objcopy -O binary. */
#define ROM_BASE 0xf0000
#define SCRATCH  0x1000
#define MAGIC    0x4b564d21

    .code16
    .org 0
start:
    cli
    mov $(ROM_BASE >> 4), %ax
    mov %ax, %ds
    lgdtl gdtr - start
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $(ROM_BASE + pm32 - start)

    .code32
pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %ss
    movl $MAGIC, SCRATCH
    ljmp $0x18, $(pm16 - start)

    .code16
pm16:
    mov %cr0, %eax
    and $0xfffffffe, %eax
    mov %eax, %cr0
    ljmp $(ROM_BASE >> 4), $(real - start)
real:
    xor %ax, %ax
    mov %ax, %ds
    /* The store made in protected mode must be visible back in real mode. */
    cmpl $MAGIC, SCRATCH
    jne 1f
    mov $0, %al
    out %al, $0xf4
1:  hlt
    jmp 1b

    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff /* 0x08: 32-bit code, base 0, 4 GiB */
    .quad 0x00cf92000000ffff /* 0x10: data, base 0, 4 GiB */
    .quad 0x00009a0f0000ffff /* 0x18: 16-bit code, base ROM_BASE, 64 KiB */
gdtr:
    .word gdtr - gdt - 1
    .long ROM_BASE + gdt - start

    /* The reset vector, 16 bytes below the top of the image (0xffff0). */
    .org 0xfff0
    ljmp $(ROM_BASE >> 4), $(start - start)
    .org 0x10000
