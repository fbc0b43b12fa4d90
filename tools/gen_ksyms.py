#!/usr/bin/env python3
"""Turns `nm -n -S --defined-only kernel.elf` output into the binary symbol table the kernel
embeds in .ksyms (layout: kernel/core/backtrace.c). With --empty, writes a table with no entries
for the first link, which must have a .ksyms section of the same placement."""
import struct
import sys

MAGIC = 0x4D59534B


def parse(lines):
    syms = []
    for line in lines:
        parts = line.split()
        if len(parts) == 4:
            addr, size, kind, name = parts
        elif len(parts) == 3:
            addr, kind, name = parts
            size = "0"
        else:
            continue
        if kind not in "tTwW":
            continue
        a = int(addr, 16)
        if a < 0xFFFFFFFF80000000:
            continue  # the low .boot code is not in the table: it runs once, before any trap
        syms.append((a, int(size, 16), name))
    syms.sort()
    return syms


def build(syms):
    names = bytearray()
    entries = bytearray()
    for addr, size, name in syms:
        entries += struct.pack("<QII", addr, min(size, 0xFFFFFFFF), len(names))
        names += name.encode() + b"\0"
    return struct.pack("<II", MAGIC, len(syms)) + bytes(entries) + bytes(names)


def main():
    out = sys.argv[-1]
    syms = [] if "--empty" in sys.argv else parse(sys.stdin)
    with open(out, "wb") as f:
        f.write(build(syms))


if __name__ == "__main__":
    main()
