#!/usr/bin/env python3
"""Builds Kestrel's initramfs (an uncompressed cpio, newc format) from the build tree:

  /init                 our init (build/user/init, user/init.c)
  /bin/busybox          Debian's busybox-static, copied from the host at build time (never committed),
                        with a symlink for every applet at the path `busybox --list-full` gives
  /etc                  passwd, group, profile, hostname, init.conf (user/etc/)
  /tests                the user-space test programs and scripts (build/tests/user/, tests/user/*.sh)
  /dev /proc /tmp /root /home /mnt   empty directories (the kernel populates /dev)

The archive is written by this script, not by cpio(1), so entries, owners (root), modes and times are
the same on every build. tools/krun imports write_cpio() to append its own small archive.

Usage: tools/mkinitramfs.py [--build DIR] [--out FILE] [--busybox PATH]"""
import argparse
import os
import stat
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMPTY_DIRS = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys", "tmp", "root", "home",
              "mnt", "tests", "var", "var/log"]
MTIME = 0  # fixed, so two builds of the same inputs are byte-identical


class Entry:
    """One archive member: a directory, a regular file (data) or a symlink (data = target)."""

    def __init__(self, path, mode, data=b""):
        self.path = path.strip("/")
        self.mode = mode
        self.data = data


def _newc_header(ino, mode, nlink, size, name):
    fields = [ino, mode, 0, 0, nlink, MTIME, size, 0, 0, 0, 0, len(name) + 1, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def _pad(n):
    return b"\0" * ((4 - n % 4) % 4)


def write_cpio(entries, out):
    """Writes entries (parents before children) as one newc archive, with its trailer, to out."""
    for ino, e in enumerate(entries + [Entry("TRAILER!!!", 0)], start=1):
        name = e.path.encode()
        nlink = 2 if stat.S_ISDIR(e.mode) else 1
        if e.path == "TRAILER!!!":
            ino, nlink = 0, 1
        head = _newc_header(ino, e.mode, nlink, len(e.data), name) + name + b"\0"
        out.write(head + _pad(len(head)))
        out.write(e.data + _pad(len(e.data)))


def file_entry(path, src, mode=None):
    with open(src, "rb") as f:
        data = f.read()
    return Entry(path, stat.S_IFREG | (mode if mode is not None else stat.S_IMODE(os.stat(src).st_mode)), data)


def busybox_entries(busybox):
    """bin/busybox plus one symlink per applet. The host's busybox must be static (busybox-static)."""
    with open(busybox, "rb") as f:
        head = f.read(1 << 16)
    if b"/lib64/ld-linux" in head:
        sys.exit(f"mkinitramfs: {busybox} is dynamically linked; install busybox-static")
    out = [file_entry("bin/busybox", busybox, 0o755)]
    listing = subprocess.run([busybox, "--list-full"], capture_output=True, text=True, check=True).stdout
    for path in sorted(set(listing.split())):
        if path == "bin/busybox":
            continue
        depth = path.count("/")
        out.append(Entry(path, stat.S_IFLNK | 0o777, ("../" * depth + "bin/busybox").encode()))
    return out


def collect(build, busybox):
    entries = [Entry(d, stat.S_IFDIR | 0o755) for d in EMPTY_DIRS]
    for e in entries:
        if e.path == "tmp":
            e.mode = stat.S_IFDIR | 0o1777
    entries.append(file_entry("init", os.path.join(build, "user", "init"), 0o755))
    for name in sorted(os.listdir(os.path.join(build, "user"))):
        if name != "init" and os.access(os.path.join(build, "user", name), os.X_OK):
            entries.append(file_entry("bin/" + name, os.path.join(build, "user", name), 0o755))
    etc = os.path.join(ROOT, "user", "etc")
    for name in sorted(os.listdir(etc)):
        entries.append(file_entry("etc/" + name, os.path.join(etc, name), 0o644))
    tests_bin = os.path.join(build, "tests", "user")
    for name in sorted(os.listdir(tests_bin)) if os.path.isdir(tests_bin) else []:
        entries.append(file_entry("tests/" + name, os.path.join(tests_bin, name), 0o755))
    tests_src = os.path.join(ROOT, "tests", "user")
    for name in sorted(os.listdir(tests_src)):
        if name.endswith(".sh"):
            entries.append(file_entry("tests/" + name, os.path.join(tests_src, name), 0o755))
    entries += busybox_entries(busybox)
    return entries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--out")
    ap.add_argument("--busybox", default="/bin/busybox")
    args = ap.parse_args()
    out = args.out or os.path.join(args.build, "initramfs.cpio")
    entries = collect(args.build, args.busybox)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        write_cpio(entries, f)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
