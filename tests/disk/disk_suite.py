"""Filesystems on a real disk, with the host's tools as the oracles (issue 5). One boot runs
tests/disk/workload.sh inside Kestrel with the root on the ext2 partition of a fresh copy of
build/disk.img (and its FAT32 partition mounted at /mnt/fat): thousands of files and directories
created, appended, overwritten, truncated, renamed, linked, deleted, a 64 MiB file, both disks
filled to ENOSPC. Then the host checks the image: e2fsck -fn and fsck.fat -n must find both
filesystems clean, and every file, directory and link the workload left must read back on the host
(debugfs for ext2, mtools for FAT) with the size, mode, owner and contents Kestrel reported."""
import hashlib
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "user"))
import suites  # noqa: E402  (its tools/krun loader)

SECTOR = 512


def partitions(image):
    """[(start_byte, size_bytes)] of the MBR's partitions, from sfdisk's dump."""
    dump = subprocess.run(["sfdisk", "-d", image], capture_output=True, text=True, check=True).stdout
    return [(int(s) * SECTOR, int(n) * SECTOR) for s, n in re.findall(r"start=\s*(\d+), size=\s*(\d+)", dump)]


def extract(image, part, out):
    start, size = part
    with open(image, "rb") as src, open(out, "wb") as dst:
        src.seek(start)
        left = size
        while left:
            chunk = src.read(min(left, 1 << 20))
            dst.write(chunk)
            left -= len(chunk)


def md5_file(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def debugfs(img, commands):
    """Runs debugfs commands (read-only) on img; returns stdout."""
    return subprocess.run(["debugfs", "-f", "-", img], input="\n".join(commands) + "\n", capture_output=True,
                          text=True).stdout


def ext2_manifest(img, top):
    """{path: entry} for the tree under top, from debugfs's "ls -p" listings, one debugfs run per
    directory level: a directory's line in workload.sh's format, or the fields of a link or file
    whose contents check_ext2 reads from an rdump copy."""
    lines, dirs = {}, ["."]
    while dirs:
        out = debugfs(img, [f"ls -p {top}/{d}" for d in dirs])
        parent_of = iter(dirs)
        dirs, current = [], None
        for line in out.splitlines():
            if line.startswith("debugfs:"):
                current = next(parent_of)
                continue
            f = line.strip()[1:].split("/")  # "/ino/mode/uid/gid/name/size/", size empty for dirs
            if len(f) < 6 or f[4] in (".", ".."):
                continue
            mode, uid, gid, name, size = int(f[1], 8), f[2], f[3], f[4], f[5]
            path = f"{current}/{name}"
            perm = f"{mode & 0o7777:o}"
            kind = mode & 0o170000
            if kind == 0o040000:
                lines[path] = f"ext2 {path} dir {perm} {uid} {gid}"
                dirs.append(path)
            elif kind == 0o120000:
                lines[path] = ("link", path)  # the target is read from the rdump copy
            else:
                lines[path] = ("file", path, size, perm, uid, gid)
    return lines


def dump_ext2(img, top, out_dir):
    debugfs(img, [f"rdump {top} {out_dir}"])
    return os.path.join(out_dir, os.path.basename(top))


def check_ext2(img, reported):
    """Compares workload.sh's ext2 lines with what debugfs reads from img; returns mismatches."""
    entries = ext2_manifest(img, "/data")
    bad = []
    with tempfile.TemporaryDirectory(prefix="kestrel-ext2-") as out:
        tree = dump_ext2(img, "/data", out)
        for path, e in sorted(entries.items()):
            if isinstance(e, str):
                want = e
            elif e[0] == "link":
                want = f"ext2 {path} link {os.readlink(os.path.join(tree, path))}"
            else:
                _, _, size, perm, uid, gid = e
                want = f"ext2 {path} file {size} {perm} {uid} {gid} {md5_file(os.path.join(tree, path))}"
            if reported.get(path) != want:
                bad.append(f"host {want!r} kestrel {reported.get(path)!r}")
    for path in sorted(set(reported) - set(entries) - {"."}):
        bad.append(f"only in kestrel: {reported[path]!r}")
    return bad


def check_fat(img, reported):
    """Compares workload.sh's fat lines with an mtools copy of the whole FAT filesystem."""
    bad, seen = [], set()
    with tempfile.TemporaryDirectory(prefix="kestrel-fat-") as out:
        subprocess.run(["mcopy", "-s", "-n", "-i", img, "::/", out], check=True, capture_output=True)
        for dirpath, dirnames, filenames in os.walk(out):
            for name in dirnames + filenames:
                full = os.path.join(dirpath, name)
                path = "./" + os.path.relpath(full, out)
                seen.add(path)
                want = (f"fat {path} dir" if os.path.isdir(full) else
                        f"fat {path} file {os.path.getsize(full)} {md5_file(full)}")
                if reported.get(path) != want:
                    bad.append(f"host {want!r} kestrel {reported.get(path)!r}")
    for path in sorted(set(reported) - seen - {"."}):
        bad.append(f"only in kestrel: {reported[path]!r}")
    return bad


def host_files(build):
    """md5s of files the build put into the images, as the host has them."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as readme:
        readme.write("This FAT32 partition is mounted at /mnt/fat in Kestrel.\n")
        readme.flush()
        readme_md5 = md5_file(readme.name)
    return {"/bin/busybox": md5_file("/bin/busybox"), "/init": md5_file(os.path.join(build, "user", "init")),
            "/tests/t_files": md5_file(os.path.join(build, "tests", "user", "t_files")),
            "/etc/passwd": md5_file(os.path.join(ROOT, "user", "etc", "passwd")),
            "/mnt/fat/README.TXT": readme_md5}


MAPWRITE_SIZE = 3 * 4096 + 100  # tests/user/t_mmapfile.c's mapwrite: byte i is i % 251


def expected_contents():
    """Files whose exact contents the host knows without reading the image."""
    pattern = b"0123456789abcdef\n" * (67108864 // 17 + 1)
    return {"./big64m": hashlib.md5(pattern[:67108864]).hexdigest(),
            "./d0/f0": hashlib.md5(b"file 0 0\n").hexdigest(),
            "./d3/f1": hashlib.md5(b"file 3 1\nappended 3\n").hexdigest(),
            "./d12/moved-here": hashlib.md5(b"file 11 5\n").hexdigest(),
            "./empty": hashlib.md5(b"").hexdigest(),
            "./mmapped": hashlib.md5(bytes(i % 251 for i in range(MAPWRITE_SIZE))).hexdigest()}


def manifest_path(line):
    """The path in a manifest line ("fat PATH dir", "ext2 PATH file SIZE ...", "ext2 PATH link T"):
    paths may hold spaces, the kind word after them never does."""
    body = line.split(" ", 1)[1]
    m = re.match(r"(.*) (dir|file|link)( |$)", body)
    return m.group(1) if m else body


FSYNC_SCRIPT = """echo durable > /root/fsynced
sync -d /root/fsynced
echo durable-too > /mnt/fat/FSYNCED.TXT
sync -d /mnt/fat/FSYNCED.TXT
poweroff -n -f
"""


def fsync_durable(build, logs):
    """Regression: fsync(2) of a file on ext2 or FAT did nothing, so data written and fsynced was
    lost at a power-off without sync. With the periodic write-back off, the script writes and
    fsyncs a file on each, then powers off without syncing (busybox poweroff -n -f); the host must
    find both files in the image."""
    krun = suites._krun()
    log = os.path.join(logs, "disk-fsync.log")
    with tempfile.TemporaryDirectory(prefix="kestrel-fsync-") as work:
        image, script = os.path.join(work, "disk.img"), os.path.join(work, "fsync.sh")
        subprocess.run(["cp", "--sparse=always", os.path.join(build, "disk.img"), image], check=True)
        with open(script, "w") as f:
            f.write(FSYNC_SCRIPT)
        krun.run(os.path.join(build, "kestrel.elf"), None, [("krun/fsync.sh", script)],
                 argv=["/bin/sh", "/krun/fsync.sh"], timeout=120, log_path=log, root="virtio", disk=image,
                 disk_in_place=True, append_extra="writeback=off")
        parts = partitions(image)
        ext2_img, fat_img = os.path.join(work, "root.ext2"), os.path.join(work, "fat.img")
        extract(image, parts[0], ext2_img)
        extract(image, parts[1], fat_img)
        ext2 = subprocess.run(["debugfs", "-R", "cat /root/fsynced", ext2_img], capture_output=True, text=True).stdout
        fat = subprocess.run(["mtype", "-i", fat_img, "::/FSYNCED.TXT"], capture_output=True, text=True).stdout
    return [("disk/fsync-durable-ext2", ext2 == "durable\n", f"debugfs read {ext2!r}; log {log}"),
            ("disk/fsync-durable-fat", fat == "durable-too\n", f"mtype read {fat!r}; log {log}")]


def run(build, logs, root="virtio", timeout=900):
    krun = suites._krun()
    name = f"disk/{root}"
    log = os.path.join(logs, f"disk-{root}.log")
    with tempfile.TemporaryDirectory(prefix="kestrel-disk-") as work:
        image = os.path.join(work, "disk.img")
        subprocess.run(["cp", "--sparse=always", os.path.join(build, "disk.img"), image], check=True)
        fat_dev = "/dev/vda2" if root == "virtio" else "/dev/sda2"
        script = os.path.join(ROOT, "tests", "disk", "workload.sh")
        status, s = krun.run(os.path.join(build, "kestrel.elf"), None, [("krun/workload.sh", script)],
                             argv=["/bin/sh", "/krun/workload.sh", fat_dev], timeout=timeout, log_path=log,
                             root=root, disk=image, disk_in_place=True)
        out = s.outputs.get("krun", {}).get("O", b"").decode(errors="replace")
        lines = out.splitlines()
        why = f"{status}; log {log}"
        results = [(f"{name}/workload-ran", status == "ended" and "workload done" in lines, why)]
        parts = partitions(image)
        ext2_img, fat_img = os.path.join(work, "root.ext2"), os.path.join(work, "fat.img")
        extract(image, parts[0], ext2_img)
        extract(image, parts[1], fat_img)
        fsck = subprocess.run(["e2fsck", "-fn", ext2_img], capture_output=True, text=True)
        results.append((f"{name}/e2fsck-clean", fsck.returncode == 0, fsck.stdout[-600:]))
        fsck = subprocess.run(["fsck.fat", "-n", fat_img], capture_output=True, text=True)
        results.append((f"{name}/fsck.fat-clean", fsck.returncode == 0, (fsck.stdout + fsck.stderr)[-600:]))
        got = {l.split()[2]: l.split()[1] for l in lines if l.startswith("host-file ")}
        results.append((f"{name}/host-files-read-back", got == host_files(build) and "mount-failed" not in out,
                        f"kestrel {got}"))
        # Written through MAP_SHARED only; fat-matches-host then checks the host reads the same bytes.
        mapped_md5 = expected_contents()["./mmapped"]
        results.append((f"{name}/mmap-written-files", "mapwrite-failed" not in out and
                        f"fat ./mmapped.bin file {MAPWRITE_SIZE} {mapped_md5}" in lines, "see the log"))
        enospc = [l for l in lines if l.startswith("enospc")]
        results.append((f"{name}/enospc-clean", enospc == ["enospc /fill 1", "enospc-small-write-failed /fill",
                                                           "enospc /mnt/fat/fill 1",
                                                           "enospc-small-write-failed /mnt/fat/fill"],
                        f"{enospc}"))
        ext2_lines = {manifest_path(l): l for l in lines if l.startswith("ext2 ")}
        bad = check_ext2(ext2_img, ext2_lines)
        results.append((f"{name}/ext2-matches-host", len(ext2_lines) > 1800 and not bad,
                        f"{len(ext2_lines)} entries; " + " | ".join(bad[:5])))
        fat_lines = {manifest_path(l): l for l in lines if l.startswith("fat ")}
        bad = check_fat(fat_img, fat_lines)
        results.append((f"{name}/fat-matches-host", len(fat_lines) > 200 and not bad,
                        f"{len(fat_lines)} entries; " + " | ".join(bad[:5])))
        known = expected_contents()
        wrong = [p for p, md5 in known.items() if not ext2_lines.get(p, "").endswith(md5)]
        results.append((f"{name}/known-contents", not wrong, f"wrong: {wrong}"))
    return results


if __name__ == "__main__":
    os.makedirs("build/test-logs", exist_ok=True)
    for n, ok, d in run("build", "build/test-logs", sys.argv[1] if len(sys.argv) > 1 else "virtio"):
        print("PASS" if ok else "FAIL", n, "" if ok else d)
