#!/usr/bin/env bash
# `make debug`: starts Kestrel in QEMU stopped before its first instruction, with the gdb stub
# listening, and prints the gdb command that attaches. docs/debugging.md explains the session.
# Usage: tools/debug.sh BOOT_ELF SYMBOL_ELF. Environment: CMDLINE (kernel command line), MEM
# (default 512M), QEMU (the binary).
set -euo pipefail

boot=${1:?usage: tools/debug.sh BOOT_ELF SYMBOL_ELF}
syms=${2:?usage: tools/debug.sh BOOT_ELF SYMBOL_ELF}
qemu=${QEMU:-qemu-system-x86_64}
for f in "$boot" "$syms"; do
  [ -f "$f" ] || { echo "debug: $f not found; build it with 'make kernel'" >&2; exit 1; }
done

args=(-kernel "$boot" -append "${CMDLINE:-}" -m "${MEM:-512M}" -net none -s -S
      -serial mon:stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04
      # Stop instead of resetting on a triple fault, so gdb can still read the registers.
      -no-reboot -action reboot=shutdown,shutdown=pause)
[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || args+=(-display none)

cat >&2 <<EOF
debug: QEMU waits for gdb on port 1234 (TCG; the kernel command line is "${CMDLINE:-}").
debug: in another terminal run:

    gdb $syms -ex 'target remote :1234'

debug: then for example 'hbreak boot_main' and 'continue'. Quit QEMU with Ctrl-A X.
EOF
exec "$qemu" "${args[@]}"
