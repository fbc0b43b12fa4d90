#!/usr/bin/env bash
# `make run`: boots the Kestrel ISO in QEMU for a person to watch: a window plus the serial console
# in this terminal when there is a display, the serial console alone otherwise.
# Usage: tools/run.sh ISO [extra QEMU arguments]. Environment: MEM (default 512M), ACCEL (kvm or tcg
# to skip the probe), QEMU (the binary).
set -euo pipefail

iso=${1:?usage: tools/run.sh ISO [QEMU ARGS...]}
shift
qemu=${QEMU:-qemu-system-x86_64}
[ -f "$iso" ] || { echo "run: $iso not found; build it with 'make iso'" >&2; exit 1; }

# KVM only when it really runs this kind of guest: /dev/kvm can open and simple guests run while
# GRUB's switches between real and protected mode hang (nested virtualisation without unrestricted
# guest support). tools/kvm_probe.S makes those switches and exits QEMU with status 1.
kvm_works() {
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
  local dir rc=0
  dir=$(mktemp -d)
  gcc -m32 -c "$(dirname "$0")/kvm_probe.S" -o "$dir/probe.o" &&
    objcopy -O binary "$dir/probe.o" "$dir/probe.bin" &&
    timeout 3 "$qemu" -accel kvm -machine pc -bios "$dir/probe.bin" -display none -nodefaults \
      -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 >/dev/null 2>&1 || rc=$?
  rm -rf "$dir"
  [ "$rc" -eq 1 ]
}

accel=${ACCEL:-}
if [ -z "$accel" ]; then
  if kvm_works; then accel=kvm; else accel=tcg; fi
fi

# The root disk: build/run-disk.img, made once from build/disk.img and kept, so what you create in
# Kestrel is still there at the next `make run`. Delete it to start again from a fresh disk.
disk="$(dirname "$iso")/run-disk.img"
if [ ! -f "$disk" ] && [ -f "$(dirname "$iso")/disk.img" ]; then
  cp --sparse=always "$(dirname "$iso")/disk.img" "$disk"
fi
disk_args=()
[ -f "$disk" ] && disk_args=(-drive "file=$disk,if=none,format=raw,id=root"
                             -device virtio-blk-pci,drive=root,disable-legacy=on)

# One multiplexed stdio for the serial port and the QEMU monitor (Ctrl-A C switches), with the
# serial output also saved next to the ISO.
log="$(dirname "$iso")/serial.log"
args=(-cdrom "$iso" -boot d -m "${MEM:-512M}" -no-reboot -net none -accel "$accel" "${disk_args[@]}"
      -chardev "stdio,id=term,mux=on,logfile=$log" -serial chardev:term -mon chardev=term,mode=readline)

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  where="a QEMU window, and the serial console here"
else
  args+=(-display none)
  where="the serial console here (no display found: \$DISPLAY and \$WAYLAND_DISPLAY are unset)"
fi

echo "run: $iso on $where; ${accel^^}, ${MEM:-512M}; serial log in $log" >&2
[ -f "$disk" ] && echo "run: root disk $disk (kept between runs; delete it for a fresh one)" >&2
echo "run: quit with Ctrl-A X (Ctrl-A C toggles the QEMU monitor)" >&2
exec "$qemu" "${args[@]}" "$@"
