#!/usr/bin/env python3
"""Builds Kestrel's disk image: an MBR-partitioned raw disk whose first partition is an ext2 root
filesystem with the same tree as the initramfs (tools/mkinitramfs.py), and whose second is a FAT32
partition like a camera card, with a README on it. Booted with root=/dev/vda1 (virtio-blk) or
root=/dev/sda1 (AHCI), Kestrel runs from the disk; docs/block.md and docs/ext2.md describe both.

Everything is made without root privileges: the tree is staged in a directory, `mke2fs -d` copies
it into the filesystem image, debugfs sets every owner to root (mke2fs keeps the builder's ids),
mkfs.fat and mcopy make the FAT partition, and sfdisk writes the partition table.

Usage: tools/mkdisk.py [--build DIR] [--out FILE] [--root-mib N] [--fat-mib N] [--add HOST:GUEST]..."""
import argparse
import os
import stat
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkinitramfs  # noqa: E402

MIB = 1 << 20
FIRST_SECTOR = 2048  # partitions start at 1 MiB, as every partitioning tool does now
BLOCK_SIZE = 4096


def stage(entries, top):
    """Writes the entries as a directory tree under top, with their modes."""
    for e in entries:
        path = os.path.join(top, e.path)
        if stat.S_ISDIR(e.mode):
            os.makedirs(path, exist_ok=True)
        elif stat.S_ISLNK(e.mode):
            os.symlink(e.data.decode(), path)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(e.data)
    # Modes last, deepest first, so a read-only directory does not block writing into it.
    for e in sorted(entries, key=lambda e: -e.path.count("/")):
        if not stat.S_ISLNK(e.mode):
            os.chmod(os.path.join(top, e.path), stat.S_IMODE(e.mode))


def run(cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


def make_ext2(entries, out, mib):
    with tempfile.TemporaryDirectory(prefix="kestrel-root-") as top:
        stage(entries, top)
        if os.path.exists(out):
            os.unlink(out)
        run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", str(BLOCK_SIZE), "-L", "kestrel-root", "-E", "root_owner=0:0",
             "-d", top, out, f"{mib}M"])
    if os.getuid() != 0:
        # mke2fs -d copies the builder's uid and gid: give every file to root, as in the initramfs.
        script = "".join(f"sif /{e.path} uid 0\nsif /{e.path} gid 0\n" for e in entries)
        run(["debugfs", "-w", "-f", "-", out], input=script.encode())


def make_fat(out, mib):
    if os.path.exists(out):
        os.unlink(out)
    run(["mkfs.fat", "-F", "32", "-n", "KESTREL", "-C", out, str(mib * 1024)])
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as readme:
        readme.write("This FAT32 partition is mounted at /mnt/fat in Kestrel.\n")
        readme.flush()
        run(["mcopy", "-i", out, readme.name, "::/README.TXT"])


def copy_sparse(src, dst):
    """Copies src to dst's position, seeking over zero blocks so the image stays sparse."""
    while chunk := src.read(MIB):
        if chunk.count(0) == len(chunk):
            dst.seek(len(chunk), os.SEEK_CUR)
        else:
            dst.write(chunk)


def assemble(out, parts):
    """Writes parts [(image, type)] one after the other from FIRST_SECTOR, with an MBR for them."""
    table, sector = [], FIRST_SECTOR
    for image, ptype in parts:
        sectors = os.path.getsize(image) // 512
        table.append((sector, sectors, ptype))
        sector += sectors
    with open(out, "wb") as f:
        f.truncate(sector * 512)
        for (start, _, _), (image, _) in zip(table, parts):
            f.seek(start * 512)
            with open(image, "rb") as src:
                copy_sparse(src, f)
    script = "label: dos\nlabel-id: 0x4b657374\n" + "".join(f"start={s}, size={n}, type={t}\n" for s, n, t in table)
    run(["sfdisk", "--no-reread", "--no-tell-kernel", "-q", out], input=script.encode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--out")
    ap.add_argument("--busybox", default="/bin/busybox")
    ap.add_argument("--root-mib", type=int, default=128)
    ap.add_argument("--fat-mib", type=int, default=64)
    ap.add_argument("--add", action="append", default=[], help="HOST:GUEST, another file for the root")
    args = ap.parse_args()
    out = args.out or os.path.join(args.build, "disk.img")
    entries = mkinitramfs.collect(args.build, args.busybox)
    for spec in args.add:
        host, guest = spec.split(":", 1)
        entries.append(mkinitramfs.file_entry(guest, host, 0o755))
    root_img, fat_img = out + ".root", out + ".fat"
    try:
        make_ext2(entries, root_img, args.root_mib)
        make_fat(fat_img, args.fat_mib)
        assemble(out + ".tmp", [(root_img, "83"), (fat_img, "c")])
        os.replace(out + ".tmp", out)
    finally:
        for f in (root_img, fat_img):
            if os.path.exists(f):
                os.unlink(f)


if __name__ == "__main__":
    main()
