# Kestrel build. `make run` boots it in QEMU, `make test` builds everything and runs every suite;
# both install missing Debian packages first (tools/deps.sh). See README.md.

BUILD   ?= build
CC      := gcc
LD      := ld
OBJCOPY := objcopy
PYTHON  := python3
QEMU    := qemu-system-x86_64

ARCH_DIR := kernel/arch/x86_64
# Kernel sources, and the in-kernel KTAP tests in tests/kernel, linked into one image.
KSRC := $(shell find kernel tests/kernel -name '*.c' -o -name '*.S' | LC_ALL=C sort)
KOBJ := $(patsubst %,$(BUILD)/%.o,$(KSRC))
# Generated kernel objects: the console font, from a PSF font of Debian's console-setup-linux.
FONT_PSF := /usr/share/consolefonts/Uni2-VGA16.psf.gz
GEN_OBJ  := $(BUILD)/gen/font.o

KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-omit-frame-pointer \
	-fno-optimize-sibling-calls -fno-strict-aliasing -fno-common -MMD -MP \
	-Ikernel/include -I$(ARCH_DIR)/include
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -T $(ARCH_DIR)/kernel.ld

KERNEL_ELF  := $(BUILD)/kernel.elf
KERNEL_BOOT := $(BUILD)/kestrel.elf
ISO         := $(BUILD)/kestrel.iso
INITRAMFS   := $(BUILD)/initramfs.cpio

.PHONY: FORCE all kernel iso run debug test deps format format-check host-tests clean bench userland proc-fixtures
all: kernel iso host-tests $(BUILD)/bench/bench $(BUILD)/bench/hello userland proc-fixtures

kernel: $(KERNEL_BOOT)

# V=1 shows the full commands.
Q := $(if $(V),,@)

$(BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(KCFLAGS) -D__ASSEMBLY__ -c $< -o $@

# The font tables are generated at build time and never committed (tools/gen_font.py).
$(FONT_PSF):
	@echo "$@ is missing: run 'make deps' (it comes with console-setup-linux)"; exit 1

$(BUILD)/gen/font.c: $(FONT_PSF) tools/gen_font.py
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(PYTHON) tools/gen_font.py $< $@

$(BUILD)/gen/font.o: $(BUILD)/gen/font.c kernel/drivers/font.h
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KCFLAGS) -Ikernel/drivers -c $< -o $@

# Symbols: link once with an empty table, extract the function symbols, link again with them in
# .ksyms. The table is placed last, so the second link moves nothing; the check below proves it.
$(BUILD)/ksyms-empty.bin: tools/gen_ksyms.py
	@mkdir -p $(BUILD)
	$(Q)$(PYTHON) tools/gen_ksyms.py --empty $@

$(BUILD)/%.bin.o: $(BUILD)/%.bin
	$(Q)cd $(dir $<) && $(OBJCOPY) -I binary -O elf64-x86-64 -B i386:x86-64 \
		--rename-section .data=.ksyms,alloc,load,readonly,data,contents $(notdir $<) $(notdir $@)

# The list of objects as a file that changes only when the list does, so removing a source file
# relinks the kernel even though no remaining object is newer.
$(BUILD)/kernel.objects: FORCE
	@mkdir -p $(BUILD)
	@echo '$(KOBJ) $(GEN_OBJ)' | cmp -s - $@ || echo '$(KOBJ) $(GEN_OBJ)' > $@
FORCE:

$(BUILD)/kernel.pass1.elf: $(KOBJ) $(GEN_OBJ) $(BUILD)/ksyms-empty.bin.o $(ARCH_DIR)/kernel.ld $(BUILD)/kernel.objects
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJ) $(GEN_OBJ) $(BUILD)/ksyms-empty.bin.o

$(BUILD)/ksyms.bin: $(BUILD)/kernel.pass1.elf tools/gen_ksyms.py
	$(Q)nm -n -S --defined-only $< | $(PYTHON) tools/gen_ksyms.py $@

$(KERNEL_ELF): $(KOBJ) $(GEN_OBJ) $(BUILD)/ksyms.bin.o $(BUILD)/kernel.pass1.elf
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJ) $(GEN_OBJ) $(BUILD)/ksyms.bin.o
	@nm -n --defined-only $(BUILD)/kernel.pass1.elf | grep -v -e __kernel_end -e _binary_ > $(BUILD)/syms.pass1
	@nm -n --defined-only $@ | grep -v -e __kernel_end -e _binary_ > $(BUILD)/syms.final
	@cmp -s $(BUILD)/syms.pass1 $(BUILD)/syms.final || { echo "ksyms: second link moved symbols"; exit 1; }

# The image that boots carries no debug info; kernel.elf beside it keeps every symbol for gdb.
$(KERNEL_BOOT): $(KERNEL_ELF)
	$(Q)$(OBJCOPY) --strip-debug $< $@

iso: $(ISO)
$(ISO): $(KERNEL_BOOT) $(INITRAMFS) tools/grub.cfg
	@mkdir -p $(BUILD)/iso/boot/grub
	@$(if $(Q),echo "  ISO     $@")
	$(Q)cp $(KERNEL_BOOT) $(BUILD)/iso/boot/kestrel.elf
	$(Q)cp $(INITRAMFS) $(BUILD)/iso/boot/initramfs.cpio
	$(Q)cp tools/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $@ $(BUILD)/iso 2> $(BUILD)/grub-mkrescue.log || { cat $(BUILD)/grub-mkrescue.log; exit 1; }

# Host unit tests: the pure code, compiled for Linux with AddressSanitizer and UBSan.
# Pure kernel sources the host tests link; add one line per file.
HOST_LIB_SRCS := kernel/lib/format.c
HOST_LIB_SRCS += kernel/lib/ringbuf.c
HOST_LIB_SRCS += kernel/lib/rbtree.c
HOST_LIB_SRCS += kernel/mm/buddy.c
HOST_LIB_SRCS += kernel/drivers/keymap.c
HOST_LIB_SRCS += kernel/core/time.c
HOST_LIB_SRCS += kernel/fs/inode.c
HOST_LIB_SRCS += kernel/fs/namei.c
HOST_LIB_SRCS += kernel/fs/dcache.c
HOST_LIB_SRCS += kernel/fs/vfs.c
HOST_LIB_SRCS += kernel/fs/file.c
HOST_LIB_SRCS += kernel/fs/tmpfs.c
HOST_LIB_SRCS += kernel/fs/fstype.c
HOST_LIB_SRCS += kernel/fs/bcache.c
HOST_LIB_SRCS += kernel/fs/pagecache.c
HOST_LIB_SRCS += kernel/fs/permission.c
HOST_LIB_SRCS += $(filter-out %_test.c,$(wildcard kernel/fs/ext2/*.c))
HOST_LIB_SRCS += kernel/fs/mount.c
HOST_LIB_SRCS += kernel/fs/initramfs.c
HOST_LIB_SRCS += $(wildcard kernel/fs/fat/*.c)
HOST_LIB_SRCS += kernel/proc/elf.c
HOST_LIB_SRCS += kernel/proc/cred.c
HOST_LIB_SRCS += kernel/lib/chacha20.c
HOST_LIB_SRCS += kernel/mm/vma.c
HOST_LIB_SRCS += kernel/drivers/tty/ldisc.c
HOST_LIB_SRCS += kernel/drivers/textgrid.c
HOST_LIB_SRCS += kernel/drivers/vt100.c
HOST_TEST_SRCS := $(wildcard tests/host/*.c)
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -Ikernel/include -Itests/host -DHOST_TEST
host-tests: $(BUILD)/host/host_tests
$(BUILD)/host/host_tests: $(HOST_TEST_SRCS) $(HOST_LIB_SRCS) $(wildcard tests/host/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $(HOST_TEST_SRCS) $(HOST_LIB_SRCS)

# User space (docs/userland.md): our programs (user/*.c) and the user-space tests (tests/user/*.c) as
# static musl binaries, and the initramfs carrying them with /init, Debian's busybox and /etc.
USER_CFLAGS := -static -O2 -Wall -Wextra -Werror
USER_PROGS  := $(patsubst user/%.c,$(BUILD)/user/%,$(wildcard user/*.c))
UTEST_PROGS := $(patsubst tests/user/%.c,$(BUILD)/tests/user/%,$(wildcard tests/user/*.c))
$(USER_PROGS): $(BUILD)/user/%: user/%.c $(wildcard user/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MUSLCC  $@")
	$(Q)musl-gcc $(USER_CFLAGS) -o $@ $<
$(UTEST_PROGS): $(BUILD)/tests/user/%: tests/user/%.c $(wildcard tests/user/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MUSLCC  $@")
	$(Q)musl-gcc $(USER_CFLAGS) -o $@ $<
$(INITRAMFS): $(USER_PROGS) $(UTEST_PROGS) tools/mkinitramfs.py $(wildcard user/etc/* tests/user/*.sh)
	@$(if $(Q),echo "  CPIO    $@")
	$(Q)$(PYTHON) tools/mkinitramfs.py --build $(BUILD) --out $@
# The same tree as an ext2 root partition, plus a FAT32 partition, on one MBR disk (tools/mkdisk.py).
DISK := $(BUILD)/disk.img
$(DISK): $(USER_PROGS) $(UTEST_PROGS) tools/mkdisk.py tools/mkinitramfs.py $(wildcard user/etc/* tests/user/*.sh)
	@$(if $(Q),echo "  DISK    $@")
	$(Q)$(PYTHON) tools/mkdisk.py --build $(BUILD) --out $@
userland: $(USER_PROGS) $(UTEST_PROGS) $(INITRAMFS) $(DISK)

# The process core's boot fixtures (tests/proc/*.c): static programs tests/run_all.py runs as /init.
PROC_FIXTURES := $(patsubst tests/proc/%.c,$(BUILD)/proc/%,$(wildcard tests/proc/*.c))
$(PROC_FIXTURES): $(BUILD)/proc/%: tests/proc/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MUSLCC  $@")
	$(Q)musl-gcc $(USER_CFLAGS) -o $@ $<
proc-fixtures: $(PROC_FIXTURES)

deps:
	@bash tools/deps.sh

# make run: a QEMU window when there is a display, the serial console in this terminal otherwise.
run:
	@bash tools/deps.sh
	@$(MAKE) --no-print-directory iso $(DISK)
	@bash tools/run.sh $(ISO)

debug:
	@bash tools/deps.sh
	@$(MAKE) --no-print-directory kernel
	@bash tools/debug.sh $(KERNEL_BOOT) $(KERNEL_ELF)

test:
	@bash tools/deps.sh
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tests/run_all.py --build $(BUILD)

# make bench: Kestrel and Linux side by side in QEMU (bench/run_bench.py, docs/performance.md).
# The benchmark and the program it executes are static musl binaries, the same on host and guests.
BENCH_PROGS := $(BUILD)/bench/bench $(BUILD)/bench/hello
$(BENCH_PROGS): $(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MUSLCC  $@")
	$(Q)musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

bench:
	@bash tools/deps.sh
	@$(MAKE) --no-print-directory kernel $(BENCH_PROGS)
	@$(PYTHON) bench/run_bench.py --build $(BUILD)

FORMAT_FILES = $(shell find kernel tests user bench -name '*.[ch]')
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)

-include $(KOBJ:.o=.d)
