/* Kestrel's first instructions. Two boot protocols arrive here in 32-bit protected mode with paging
 * off: Multiboot2 (GRUB, from the ISO) and PVH (QEMU -kernel, the fast path tests use). Both build the
 * same early page tables, enter long mode and jump to the higher half, where boot_main() takes over. */
#include <arch/boot.h>

#define PHYS(sym) ((sym) - KERNEL_VIRT_BASE)
#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define MB2_HEADER_LEN (mb2_header_end - mb2_header)

    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long MB2_ARCH_I386
    .long MB2_HEADER_LEN
    .long -(MB2_MAGIC + MB2_ARCH_I386 + MB2_HEADER_LEN)
    /* Framebuffer tag (type 5): ask for a linear 32-bpp framebuffer for the text console. Optional
     * (flag bit 0), so a loader that cannot set one still boots us into VGA text mode. */
    .balign 8
    .word 5, 1
    .long 20
    .long 1024, 768, 32
    .balign 8
    .word 0, 0               /* end tag */
    .long 8
mb2_header_end:

    /* PVH entry note for QEMU's -kernel loader (Xen ELF note type 18, PHYS32_ENTRY). */
    .section .note.kestrel, "a"
    .balign 4
    .long 4                   /* name size */
    .long 8                   /* descriptor size */
    .long 18                  /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .quad pvh_entry
    .balign 4

    .section .boot.text, "ax"
    .code32
    .globl mb2_entry
mb2_entry:
    /* eax = Multiboot2 magic, ebx = physical address of the boot information. */
    mov $BOOT_PROTO_MULTIBOOT2, %esi
    cmp $0x36d76289, %eax
    je common32
    mov $BOOT_PROTO_UNKNOWN, %esi
    jmp common32

    .globl pvh_entry
pvh_entry:
    /* ebx = physical address of struct hvm_start_info. */
    mov $BOOT_PROTO_PVH, %esi

common32:
    cli
    cld
    /* Saved outside .bss, which is zeroed next (the stack lives there too). */
    mov %ebx, boot_info_phys
    mov %esi, boot_protocol
    mov $PHYS(boot_stack_top), %esp

    /* Zero .bss before anything lives in it: the early page tables are there. */
    mov $PHYS(__bss_start), %edi
    mov $PHYS(__bss_end), %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    /* Long mode needs CPUID leaf 0x80000001 bit 29; without it we can only stop. */
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    bt $29, %edx
    jnc no_long_mode
    mov %edx, %ebp            /* keep the feature bits: NX is bit 20 */

    /* Early page tables. PML4[0] (identity, only for the jump below) and PML4[256] (direct map at
     * 0xffff800000000000) share one PDPT covering 0..4 GiB with 2 MiB pages, so firmware tables and
     * MMIO below 4 GiB are reachable before the memory manager builds the real tables.
     * PML4[511]/PDPT[510] maps the kernel image at 0xffffffff80000000 onto the first GiB. */
    mov $PHYS(early_pd), %edi
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $(PTE_P | PTE_W | PTE_PS), %eax
    mov %eax, (%edi,%ecx,8)
    movl $0, 4(%edi,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jb 1b

    mov $PHYS(early_pdpt), %edi
    mov $(PHYS(early_pd) + PTE_P + PTE_W), %eax
    xor %ecx, %ecx
2:  mov %eax, (%edi,%ecx,8)
    add $4096, %eax
    inc %ecx
    cmp $4, %ecx
    jb 2b

    mov $(PHYS(early_pd) + PTE_P + PTE_W), %eax
    mov %eax, PHYS(early_pdpt_high) + 510 * 8
    mov $(PHYS(early_pdpt) + PTE_P + PTE_W), %eax
    mov %eax, PHYS(early_pml4)
    mov %eax, PHYS(early_pml4) + 256 * 8
    mov $(PHYS(early_pdpt_high) + PTE_P + PTE_W), %eax
    mov %eax, PHYS(early_pml4) + 511 * 8

    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $PHYS(early_pml4), %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    bt $20, %ebp
    jnc 3f
    or $EFER_NXE, %eax
3:  wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP | CR0_PE), %eax
    mov %eax, %cr0

    lgdt early_gdt_ptr
    ljmp $0x08, $long_mode_low

no_long_mode:
    mov $no_long_mode_msg, %esi
4:  lodsb
    test %al, %al
    jz 6f
    mov %al, %bl
    mov $0x3fd, %dx          /* wait for the UART's transmit holding register to empty */
5:  in %dx, %al
    test $0x20, %al
    jz 5b
    mov $0x3f8, %dx
    mov %bl, %al
    out %al, %dx
    jmp 4b
6:  hlt
    jmp 6b

    .code64
long_mode_low:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $boot_stack_top, %rsp
    movabs $long_mode_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .balign 8
early_gdt:
    .quad 0
    .quad 0x00af9a000000ffff  /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff  /* 0x10: data */
early_gdt_ptr:
    .word early_gdt_ptr - early_gdt - 1
    .long early_gdt
    .globl boot_info_phys, boot_protocol
boot_info_phys:
    .long 0
boot_protocol:
    .long 0
no_long_mode_msg:
    .asciz "Kestrel: this CPU has no long mode (x86-64); stopping.\r\n"

    .text
long_mode_high:
    /* A zero frame pointer ends every backtrace here. */
    xor %ebp, %ebp
    movl boot_protocol, %edi
    movl boot_info_phys, %esi
    call boot_main
7:  cli
    hlt
    jmp 7b

    .bss
    .balign 4096
    .globl early_pml4
early_pml4:
    .skip 4096
early_pdpt:
    .skip 4096
early_pdpt_high:
    .skip 4096
early_pd:
    .skip 4 * 4096
    .balign 16
    .globl boot_stack_top
boot_stack:
    .skip BOOT_STACK_SIZE
boot_stack_top:
