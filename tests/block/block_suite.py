"""Block devices end to end: one q35 boot with a virtio-blk disk (MBR, made by sfdisk) and an AHCI
disk (GPT), both raw images written here with known data. busybox in Kestrel lists the /dev nodes
and their sizes, checksums partitions and writes a pattern at an unaligned offset; the host then
checks every number against the image and finds the pattern (and nothing else) in the image."""
import hashlib
import os
import random
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIB = 1 << 20
SECTOR = 512
DISK_BYTES = 16 * MIB
# (partition number, first sector, sectors, MBR type). The MBR has an extended partition (slot 3,
# seen as 2 sectors, as on Linux) holding logical partitions 5 and 6; the GPT leaves entry 3
# empty, so sda3 must not exist.
MBR_PARTS = [(1, 2048, 8192, "83"), (2, 10240, 4096, "83"), (4, 16384, 2048, "83"), (3, 20480, 8192, "5"),
             (5, 22528, 2048, "83"), (6, 26624, 2048, "83")]
GPT_PARTS = [(1, 2048, 6144, None), (2, 8192, 4096, None), (4, 14336, 2048, None)]
ABSENT = ["vda7", "sda3"]
EXTENDED_SECTORS = 2
SECOND_DISK_BYTES = 1 * MIB  # vdb and sdb: second disks without a partition table
BAD_SECTOR = 100  # QEMU's blkdebug fails every read of this sector of vdb and sdb with EIO
BLKDEBUG_CONFIG = f"""[inject-error]
event = "read_aio"
errno = "5"
sector = "{BAD_SECTOR}"
"""
WRITE_OFFSET = 3000  # bytes into partition 2: neither sector- nor page-aligned
PATTERN_BYTES = 70000  # crosses the /dev bounce buffer's 64 KiB
UNALIGNED = (1000, 700)  # (offset, length) of a read inside partition 1
PWRITE = (b"KESTREL-PWRITE", 5000)  # what blkio pwrites into sda1, and where


def make_image(path, label, parts, seed, fill=(1,)):
    """Partitions a fresh image with sfdisk and fills the partitions numbered in fill with random
    bytes; returns {number: bytes}."""
    with open(path, "wb") as f:
        f.truncate(DISK_BYTES)
    lines = [f"label: {label}"] + [f"{path}{n} : start={start}, size={size}" + (f", type={t}" if t else "")
                                   for n, start, size, t in parts]
    subprocess.run(["sfdisk", "-q", path], input="\n".join(lines) + "\n", text=True, check=True,
                   capture_output=True)
    rng = random.Random(seed)
    data = {}
    with open(path, "r+b") as f:
        for n, start, size, _ in parts:
            if n in fill:
                data[n] = rng.randbytes(size * SECTOR)
                f.seek(start * SECTOR)
                f.write(data[n])
    return data


def write_lines(disks, pattern_guest):
    return [f'dd if={pattern_guest} of=/dev/{disk}2 bs=1000 seek={WRITE_OFFSET // 1000} conv=notrunc 2>/dev/null; '
            f'echo "write {disk} $?"' for disk in disks]


def guest_script(path, pattern_guest):
    nodes = list(expected_nodes()) + ABSENT
    off, length = UNALIGNED
    # The size by reading to the end (wc), except on the disks with a bad sector (an ioctl).
    lines = [f'for d in {" ".join(nodes)}; do',
             '  [ -b /dev/$d ] || continue',
             '  case $d in vdb|sdb) size=$(blockdev --getsize64 /dev/$d);; *) size=$(wc -c < /dev/$d);; esac',
             '  echo "node $d $(stat -c %t:%T /dev/$d) $size"',
             'done',
             'md5sum /dev/vda1 /dev/sda1 /dev/vda5',
             f'echo "unaligned $(dd if=/dev/vda1 bs=1 skip={off} count={length} 2>/dev/null | md5sum)"',
             f'echo "past-end $(dd if=/dev/vda2 bs=512 skip={4096} count=1 2>/dev/null | wc -c)"']
    lines += write_lines(("vda", "sda"), pattern_guest)
    for disk in ("vdb", "sdb"):
        lines += [f'dd if=/dev/{disk} of=/dev/null bs=512 skip={BAD_SECTOR} count=1 2>/dev/null; echo "bad {disk} $?"',
                  f'echo "{disk} $(dd if=/dev/{disk} bs=512 count={BAD_SECTOR} 2>/dev/null | md5sum) '
                  f'$(dd if=/dev/{disk} bs=512 skip={BAD_SECTOR + 1} 2>/dev/null | md5sum)"']
    lines.append(f"/krun/blkio /dev/sda1 {PWRITE[0].decode()} {PWRITE[1]}")
    lines.append('echo "vda-fsync $(/krun/blkio /dev/vda1 x 0 | tail -n 1)"')
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def expected_nodes():
    want = {"vda": ("fe:0", DISK_BYTES), "sda": ("8:0", DISK_BYTES), "vdb": ("fe:10", SECOND_DISK_BYTES),
            "sdb": ("8:10", SECOND_DISK_BYTES)}
    for n, _, size, t in MBR_PARTS:
        want[f"vda{n}"] = (f"fe:{n:x}", (EXTENDED_SECTORS if t == "5" else size) * SECTOR)
    for n, _, size, _ in GPT_PARTS:
        want[f"sda{n}"] = (f"8:{n:x}", size * SECTOR)
    return want


def check_written(image, parts, pattern):
    """The pattern at WRITE_OFFSET in partition 2, zeroes around it up to the partition's ends."""
    _, start, size, _ = parts[1]
    with open(image, "rb") as f:
        f.seek(start * SECTOR)
        part = f.read(size * SECTOR)
    end = WRITE_OFFSET + len(pattern)
    if part[WRITE_OFFSET:end] != pattern:
        return False, "pattern not found where it was written"
    if part[:WRITE_OFFSET].count(0) != WRITE_OFFSET or part[end:].count(0) != len(part) - end:
        return False, "bytes around the pattern changed"
    return True, ""


def krun(logs, name, machine, qemu_args, pattern_path, script, adds=()):
    os.makedirs(logs, exist_ok=True)
    log = os.path.join(logs, f"{name}.log")
    add_args = [f"--add={host}:{guest}" for host, guest in [(pattern_path, "/krun/pattern"), *adds]]
    # These boots bring their own disks: a KESTREL_ROOT in the environment must not add a root disk.
    env = {k: v for k, v in os.environ.items() if k != "KESTREL_ROOT"}
    proc = subprocess.run([os.path.join(ROOT, "tools", "krun"), "--timeout", "240", "--log", log, "--machine", machine]
                          + add_args + [f"--qemu-arg={a}" for a in qemu_args] + [script],
                          capture_output=True, text=True, timeout=300, env=env)
    return proc, log


def workdir(build, name):
    work = os.path.join(build, "block-test", name)
    os.makedirs(work, exist_ok=True)
    pattern = random.Random(3).randbytes(PATTERN_BYTES)
    pattern_path = os.path.join(work, "pattern")
    with open(pattern_path, "wb") as f:
        f.write(pattern)
    return work, pattern, pattern_path


def run_intx(build, logs):
    """virtio-blk without MSI-X (vectors=0) on the pc machine: the INTx fallback through the IOAPIC,
    with the ISR read that deasserts the level-triggered line."""
    work, pattern, pattern_path = workdir(build, "intx")
    mbr = os.path.join(work, "virtio-mbr.img")
    vda1 = make_image(mbr, "dos", MBR_PARTS, 1)[1]
    script = os.path.join(work, "intx.sh")
    with open(script, "w") as f:
        f.write("\n".join(["md5sum /dev/vda1"] + write_lines(("vda",), "/krun/pattern")) + "\n")
    qemu = ["-drive", f"file={mbr},if=none,format=raw,id=d0",
            "-device", "virtio-blk-pci,drive=d0,disable-legacy=on,vectors=0"]
    proc, log = krun(logs, "block-intx", "pc", qemu, pattern_path, script)
    out = proc.stdout
    why = f"exit {proc.returncode}, log {log}, output {out!r}"
    with open(log, errors="replace") as f:
        intx = "INTx interrupt" in f.read()
    ok, detail = check_written(mbr, MBR_PARTS, pattern)
    return [("block/virtio-intx-read", intx and f"{hashlib.md5(vda1).hexdigest()}  /dev/vda1" in out, why),
            ("block/virtio-intx-write-seen-by-host", ok and "write vda 0" in out, detail or why)]


def build_blkio(work):
    exe = os.path.join(work, "blkio")
    subprocess.run(["musl-gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", exe,
                    os.path.join(ROOT, "tests", "block", "blkio.c")], check=True)
    return exe


def blkio_expected(sda1):
    """What tests/block/blkio.c prints for /dev/sda1 on Linux: the ioctl's and SEEK_END's size, the
    pread bytes from 4096, the read bytes from the lseek position 100, which pread did not move."""
    size = len(sda1)
    return (f"getsize64 0 {size}\nseek-end {size}\npread 16 {sda1[4096:4112].hex()}\n"
            f"read 16 {sda1[100:116].hex()}\npos 116\npwrite {len(PWRITE[0])}\npos 116\nfsync 0\n")


def pwrite_seen(image, sda1):
    start = GPT_PARTS[0][1] * SECTOR
    text, off = PWRITE
    with open(image, "rb") as f:
        f.seek(start)
        now = f.read(len(sda1))
    return now == sda1[:off] + text + sda1[off + len(text):]


def second_disk(work, name, seed):
    """A raw image behind QEMU's blkdebug driver, which fails reads of BAD_SECTOR."""
    path = os.path.join(work, f"{name}.img")
    data = random.Random(seed).randbytes(SECOND_DISK_BYTES)
    with open(path, "wb") as f:
        f.write(data)
    config = os.path.join(work, "blkdebug.cfg")
    with open(config, "w") as f:
        f.write(BLKDEBUG_CONFIG)
    return f"blkdebug:{config}:{path}", data


def around_bad_sector(disk, data):
    """The line the guest prints for the sectors before and after the bad one."""
    cut = BAD_SECTOR * SECTOR
    return f"{disk} {hashlib.md5(data[:cut]).hexdigest()}  - {hashlib.md5(data[cut + SECTOR:]).hexdigest()}  -"


def interrupt_kinds_logged(log):
    """QEMU's virtio-blk has MSI-X and its ICH9 AHCI only MSI: each must have been used."""
    with open(log, errors="replace") as f:
        text = f.read()
    return "virtio-blk: vda: 32768 sectors, queue 128, MSI-X interrupt" in text and "ahci: ports implemented 0x3f, MSI " in text


def run(build, logs):
    work, pattern, pattern_path = workdir(build, "q35")
    mbr, gpt = os.path.join(work, "virtio-mbr.img"), os.path.join(work, "ahci-gpt.img")
    vda = make_image(mbr, "dos", MBR_PARTS, 1, fill=(1, 5))
    vda1, vda5 = vda[1], vda[5]
    sda1 = make_image(gpt, "gpt", GPT_PARTS, 2)[1]
    vdb, vdb_data = second_disk(work, "vdb", 4)
    sdb, sdb_data = second_disk(work, "sdb", 5)
    script = os.path.join(work, "block.sh")
    guest_script(script, "/krun/pattern")
    qemu = ["-drive", f"file={mbr},if=none,format=raw,id=d0", "-device", "virtio-blk-pci,drive=d0,disable-legacy=on",
            "-drive", f"file={gpt},if=none,format=raw,id=d1", "-device", "ide-hd,drive=d1,bus=ide.0",
            "-drive", f"file={vdb},if=none,format=raw,id=d2,rerror=report",
            "-device", "virtio-blk-pci,drive=d2,disable-legacy=on",
            "-drive", f"file={sdb},if=none,format=raw,id=d3,rerror=report", "-device", "ide-hd,drive=d3,bus=ide.1"]
    blkio = build_blkio(work)
    proc, log = krun(logs, "block-devices", "q35", qemu, pattern_path, script, [(blkio, "/krun/blkio")])
    out = proc.stdout
    words = [line.split() for line in out.splitlines()]
    nodes = {w[1]: (w[2], int(w[3])) for w in words if len(w) == 4 and w[0] == "node"}
    md5 = {w[1]: w[0] for w in words if len(w) == 2 and w[1].startswith("/dev/")}
    off, length = UNALIGNED
    want_unaligned = hashlib.md5(vda1[off:off + length]).hexdigest()
    why = f"exit {proc.returncode}, log {log}, output {out!r}"
    results = [
        ("block/nodes-and-sizes", nodes == expected_nodes(), why),
        ("block/virtio-read-md5", md5.get("/dev/vda1") == hashlib.md5(vda1).hexdigest(), why),
        ("block/ahci-read-md5", md5.get("/dev/sda1") == hashlib.md5(sda1).hexdigest(), why),
        ("block/logical-partition-read-md5", md5.get("/dev/vda5") == hashlib.md5(vda5).hexdigest(), why),
        ("block/virtio-read-error-is-eio-then-recovers", "bad vdb 1" in out and around_bad_sector("vdb", vdb_data) in out,
         why),
        ("block/ahci-read-error-is-eio-then-recovers", "bad sdb 1" in out and around_bad_sector("sdb", sdb_data) in out,
         why),
        ("block/unaligned-read", f"unaligned {want_unaligned}  -" in out, why),
        ("block/read-past-end-is-empty", "past-end 0" in out, why),
        ("block/virtio-msix-ahci-msi", interrupt_kinds_logged(log), why),
        ("block/ioctl-lseek-pread-pwrite-fsync", blkio_expected(sda1) in out and pwrite_seen(gpt, sda1), why),
        ("block/virtio-fsync-flushes", "vda-fsync fsync 0" in out, why),
    ]
    for disk, image, parts in (("virtio", mbr, MBR_PARTS), ("ahci", gpt, GPT_PARTS)):
        name = "vda" if disk == "virtio" else "sda"
        ok, detail = check_written(image, parts, pattern)
        results.append((f"block/{disk}-write-seen-by-host", ok and f"write {name} 0" in out, detail or why))
    return results
