#!/usr/bin/env python3
"""Fetches Debian's Linux kernel for `make bench` and extracts an uncompressed vmlinux QEMU can boot
through its PVH entry (the Xen PHYS32_ENTRY ELF note), the way QEMU boots Kestrel.

The package is the one linux-image-amd64 depends on, fetched with `apt-get download` (the host's
installed packages do not change) and unpacked under build/linux/, which git ignores. The vmlinuz
is a bzImage: its setup header says where the compressed kernel is; we decompress it ourselves.

Usage: tools/fetch_linux.py [--build DIR]   prints what it found as key=value lines."""
import argparse
import glob
import io
import json
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import zlib

META_PACKAGE = "linux-image-amd64"
XEN_ELFNOTE_PHYS32_ENTRY = 18

# Compressed-kernel formats by their leading bytes, and how to undo each one.
MAGICS = [
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x1f\x8b", "gzip"),
    (b"\x5d\x00\x00", "lzma"),
    (b"\x02\x21\x4c\x18", "lz4"),
    (b"BZh", "bzip2"),
]


class FetchError(Exception):
    pass


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, **kw)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()
        raise FetchError(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-500:]}")
    return proc.stdout


def kernel_package():
    """The versioned package linux-image-amd64 points to, refreshing apt's lists once if needed."""
    for attempt in range(2):
        proc = subprocess.run(["apt-cache", "depends", META_PACKAGE], capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            dep = line.strip().removeprefix("Depends:").strip()
            if line.strip().startswith("Depends:") and dep.startswith("linux-image-"):
                return dep
        if attempt == 0:
            print("fetch_linux: apt does not know the kernel package yet; running apt-get update", file=sys.stderr)
            subprocess.run(["apt-get", "update", "-qq"], check=False)
    raise FetchError(f"apt-cache cannot resolve {META_PACKAGE}")


def download_boot_files(package, dest):
    """apt-get download into dest, then unpack only ./boot (vmlinuz, config, System.map)."""
    os.makedirs(dest, exist_ok=True)
    for old in glob.glob(os.path.join(dest, "*.deb")):
        os.unlink(old)
    run(["apt-get", "download", package], cwd=dest)
    debs = glob.glob(os.path.join(dest, f"{package}_*.deb"))
    if len(debs) != 1:
        raise FetchError(f"apt-get download {package} left {debs}")
    deb = debs[0]
    version = run(["dpkg-deb", "-f", deb, "Version"]).decode().strip()
    root = os.path.join(dest, "root")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    # dpkg-deb -x would also unpack ~400 MB of modules the benchmark never loads: only ./boot, and
    # the modules behind the ext2 figures (a virtio disk and the ext4 driver, which mounts ext2).
    tar = run(["dpkg-deb", "--fsys-tarfile", deb])
    run(["tar", "-x", "-C", root, "./boot"], input=tar)
    extract_modules(tar, root, BENCH_MODULES)
    os.unlink(deb)
    vmlinuz = glob.glob(os.path.join(root, "boot", "vmlinuz-*"))
    if len(vmlinuz) != 1:
        raise FetchError(f"no single vmlinuz in {package}: {vmlinuz}")
    return vmlinuz[0], version


# Modules the benchmark loads on Linux, by file name; their dependencies come from modules.dep.
# crc32c-generic is ext4's soft dependency (its checksums), which modules.dep does not list.
BENCH_MODULES = ["virtio_pci", "virtio_blk", "crc32c_generic", "ext4"]


def module_depends(data):
    """The modules a .ko needs, from the "depends=" string of its .modinfo section."""
    at = data.find(b"\0depends=")
    if at < 0:
        return []
    value = data[at + 9 : data.index(b"\0", at + 9)].decode()
    return [d for d in value.split(",") if d]


def extract_modules(tar, root, names):
    """Unpacks the named modules and everything they depend on (the package has no modules.dep:
    depmod makes it at install time) under root, and writes root/bench-modules: their paths,
    dependencies first, the order to load them in."""
    archive = tarfile.open(fileobj=io.BytesIO(tar))
    members = {}
    for m in archive.getmembers():
        if m.name.endswith(".ko"):
            members.setdefault(os.path.basename(m.name)[:-3].replace("-", "_"), m)
    order = []

    def visit(name):
        member = members.get(name.replace("-", "_"))
        if member is None:
            raise FetchError(f"module {name} is not in the package")
        if member.name in order:
            return
        data = archive.extractfile(member).read()
        for dep in module_depends(data):
            visit(dep)
        path = os.path.join(root, member.name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        order.append(member.name)

    for name in names:
        visit(name)
    with open(os.path.join(root, "bench-modules"), "w") as f:
        f.write("".join(os.path.normpath(m) + "\n" for m in order))


def bzimage_payload(image):
    """The compressed kernel inside a bzImage, from the setup header (boot protocol >= 2.08)."""
    if image[0x202:0x206] != b"HdrS":
        raise FetchError("not a bzImage: no HdrS signature")
    protocol = struct.unpack_from("<H", image, 0x206)[0]
    if protocol < 0x208:
        raise FetchError(f"boot protocol {protocol:#x} has no payload fields")
    setup_sects = image[0x1F1] or 4
    offset, length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sects + 1) * 512 + offset
    return image[start : start + length]


def decompress(payload):
    for magic, kind in MAGICS:
        if payload.startswith(magic):
            break
    else:
        raise FetchError(f"unknown compression, payload starts {payload[:8].hex()}")
    # Linux appends the uncompressed size after the stream; each decoder below stops at the
    # stream's end and ignores it.
    if kind == "xz":
        return kind, lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    if kind == "lzma":
        return kind, lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(payload)
    if kind == "gzip":
        return kind, zlib.decompressobj(wbits=31).decompress(payload)
    tool = {"zstd": ["zstd", "-dc"], "lz4": ["lz4", "-dc"], "bzip2": ["bzip2", "-dc"]}[kind]
    if not shutil.which(tool[0]):
        raise FetchError(f"the kernel is {kind}-compressed: install the Debian package providing {tool[0]}")
    proc = subprocess.run(tool, input=payload, capture_output=True)
    if not proc.stdout.startswith(b"\x7fELF"):
        raise FetchError(f"{tool[0]} failed: {proc.stderr.decode(errors='replace')[-300:]}")
    return kind, proc.stdout


def elf_notes(elf):
    """(name, type) of every note in the ELF64's PT_NOTE segments."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        raise FetchError("decompressed kernel is not an ELF64")
    phoff = struct.unpack_from("<Q", elf, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    notes = []
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        if p_type != 4:  # PT_NOTE
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12 : pos + 12 + namesz].rstrip(b"\0").decode(errors="replace")
            notes.append((name, ntype))
            pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return notes


def ensure_kernel(build):
    """Returns a dict describing the kernel to boot, fetching and extracting it on first use."""
    linux_dir = os.path.join(build, "linux")
    info_path = os.path.join(linux_dir, "kernel.json")
    cached = None
    if os.path.exists(info_path):
        with open(info_path) as f:
            cached = json.load(f)
        if not os.path.exists(cached.get("boot_image", "")) or "modules" not in cached:
            cached = None  # missing, or from before the ext2 figures needed modules
    try:
        package = kernel_package()
    except FetchError:
        if cached:  # offline, or apt's lists are gone: the kernel we have will do
            return cached
        raise
    if cached and cached.get("package") == package:
        return cached

    vmlinuz, version = download_boot_files(package, os.path.join(linux_dir, package))
    with open(vmlinuz, "rb") as f:
        image = f.read()
    info = {"package": package, "version": version, "bzimage": vmlinuz}
    try:
        kind, vmlinux = decompress(bzimage_payload(image))
        pvh = ("Xen", XEN_ELFNOTE_PHYS32_ENTRY) in elf_notes(vmlinux)
        info["compression"] = kind
    except FetchError as e:
        print(f"fetch_linux: cannot extract vmlinux: {e}", file=sys.stderr)
        vmlinux, pvh, info["compression"] = None, False, "unknown"
    if pvh:
        path = os.path.join(linux_dir, "vmlinux")
        with open(path, "wb") as f:
            f.write(vmlinux)
        info.update(boot_image=path, boot_method="uncompressed vmlinux through its PVH entry note")
    else:
        info.update(boot_image=vmlinuz, boot_method="bzImage (the vmlinux has no PVH entry note)")
    root = os.path.join(linux_dir, package, "root")
    with open(os.path.join(root, "bench-modules")) as f:
        info["modules"] = [os.path.join(root, m) for m in f.read().split()]
    with open(info_path, "w") as f:
        json.dump(info, f, indent=1)
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    try:
        info = ensure_kernel(args.build)
    except FetchError as e:
        print(f"fetch_linux: {e}", file=sys.stderr)
        return 1
    for k, v in info.items():
        print(f"{k}={v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
