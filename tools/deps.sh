#!/usr/bin/env bash
# Installs the Debian packages Kestrel needs to build, run and test, but only the missing ones,
# so `make run` and `make test` can call it every time at almost no cost.
set -euo pipefail

packages=(
  build-essential      # gcc, make, binutils for the kernel and the host tests
  clang-format         # make format / format check
  qemu-system-x86      # the machine Kestrel runs on
  qemu-utils
  grub-pc-bin          # BIOS GRUB modules for grub-mkrescue
  grub-efi-amd64-bin   # UEFI GRUB modules for grub-mkrescue
  grub-common
  xorriso              # grub-mkrescue writes the ISO with it
  mtools               # grub-mkrescue builds the EFI system partition with it
  ovmf                 # UEFI firmware for the OVMF boot test
  musl-tools           # musl-gcc for user programs
  busybox-static       # the shell and everyday commands inside Kestrel
  cpio                 # initramfs packing
  e2fsprogs            # mke2fs/debugfs build the ext2 root disk, e2fsck checks what Kestrel wrote
  fdisk                # sfdisk writes the partition tables of the disk images (root disk, block tests)
  dosfstools           # mkfs.fat/fsck.fat for the FAT32 partition
  gdb                  # make debug
  python3              # test harness and build helpers
  console-setup-linux  # the PSF font the screen console is generated from
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
