"""The busybox /proc tools inside Kestrel (procfs_tools.sh): ps, top -bn1, free, uptime, df, mount,
pidof, killall and dmesg must work unmodified and print numbers that agree with /proc, with each
other and with the kernel's boot log. /proc differs between machines, so nothing is compared with
the host; every check is a relation that must hold on Kestrel."""
import os
import re
import subprocess
import time

import suites


def sections(text):
    out, name = {}, None
    for line in text.splitlines():
        if line.startswith("== "):
            name = line[3:].strip()
            out[name] = []
        elif name:
            out[name].append(line)
    return out


def meminfo(lines):
    return {m.group(1): int(m.group(2)) for m in (re.match(r"(\w+):\s+(\d+) kB", ln) for ln in lines) if m}


def check_root_df(sec, total, root_part):
    """df's line for /: on the initramfs a tmpfs of half the memory; on a disk, the partition's
    ext2 (its size from the host's partition table), with df's numbers those of statfs."""
    root = next((ln.split() for ln in sec["df"] if ln.split()[-1:] == ["/"]), [])
    if not root_part:
        return ("df/root-size", len(root) == 6 and abs(int(root[1]) - total // 2) <= 4, f"{root} vs MemTotal {total}")
    dev, part_bytes = root_part
    blocks, bsize = (int(x) for x in sec["statfs"][0].split())
    ok = (len(root) == 6 and root[0] == dev and int(root[1]) == blocks * bsize // 1024
          and 0.9 * part_bytes / 1024 <= int(root[1]) <= part_bytes / 1024)
    return ("df/root-size", ok, f"{root} vs statfs {blocks}x{bsize}, partition {part_bytes} bytes on {dev}")


def check(sec, serial, wall_s, root_part=None):
    """Yields (name, ok, detail) for each relation. root_part: (device, bytes) of a disk root."""
    ids = dict(zip(*[iter(sec["ids"][0].split())] * 2))
    shell, sleeper = ids["shell"], ids["sleeper"]
    mem = meminfo(sec["meminfo"])
    total = mem.get("MemTotal", 0)
    boot = re.search(r"mm: (\d+) MiB usable RAM, (\d+) pages free", serial)
    yield ("meminfo/total-vs-boot-log", bool(boot) and int(boot.group(2)) * 4 <= total <= int(boot.group(1)) * 1024
           + 1024, f"MemTotal {total} kB, boot log {boot.group(0) if boot else 'missing'}")
    freeln = next((ln.split() for ln in sec["free"] if ln.startswith("Mem:")), [])
    yield ("free/total-is-meminfo", len(freeln) > 3 and int(freeln[1]) == total, f"{freeln} vs {total}")
    yield ("free/shared-is-shmem", len(freeln) > 4 and int(freeln[4]) == mem.get("Shmem"), f"{freeln} vs {mem}")
    yield ("free/used-plus-free", len(freeln) > 3 and int(freeln[2]) + int(freeln[3]) + int(freeln[5]) == total,
           f"{freeln}")
    up = float(sec["uptime"][0].split()[0])
    yield ("uptime/within-boot", 0 < up <= wall_s, f"/proc/uptime {up}s, boot ran {wall_s:.1f}s")
    yield ("uptime/applet", bool(re.search(r"up .*load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d", sec["uptime"][1])),
           sec["uptime"][1])
    ps = {ln.split()[0]: ln for ln in sec["ps"][1:] if ln.split()}
    yield ("ps/lists-sleeper", "sleep 600" in ps.get(sleeper, ""), f"pid {sleeper}: {ps.get(sleeper)}")
    yield ("ps/lists-shell", "procfs_tools.sh" in ps.get(shell, ""), f"pid {shell}: {ps.get(shell)}")
    yield ("ps/init-is-1", "/init" in ps.get("1", ""), f"{ps.get('1')}")
    topmem = next((ln for ln in sec["top"] if ln.startswith("Mem:")), "")
    m = re.match(r"Mem: (\d+)K used, (\d+)K free", topmem)
    yield ("top/mem-total", bool(m) and int(m.group(1)) + int(m.group(2)) == total, f"{topmem!r} vs {total}")
    yield ("top/lists-sleeper", any(ln.split()[:1] == [sleeper] and "sleep" in ln for ln in sec["top"]),
           "sleeper missing from top")
    yield check_root_df(sec, total, root_part)
    yield ("mount/proc", "proc on /proc type proc (rw)" in sec["mount"], f"{sec['mount']}")
    if root_part:
        yield ("mount/root", f"{root_part[0]} on / type ext2 (rw)" in sec["mount"], f"{sec['mount']}")
    yield ("pidof/sleeper", sec["pidof"] == [sleeper], f"{sec['pidof']} vs {sleeper}")
    # busybox runs applets through /proc/self/exe and names them with prctl(PR_SET_NAME).
    yield ("exe/links", sec["exe"] == ["/bin/busybox", "/init", "sleep"], f"{sec['exe']}")
    yield ("killall/killed", sec["killall"][:2] == ["status 143", "no sleep left"], f"{sec['killall']}")
    dmesg = "\n".join(sec["dmesg"])
    yield ("dmesg/banner", re.search(r"\] Kestrel \S+ \(x86_64\) booting", dmesg) is not None, dmesg[:200])
    yield ("dmesg/same-as-serial", bool(boot) and boot.group(0) in dmesg, "boot mm line missing")
    # A line written to /dev/kmsg is logged with its level, read back by dmesg (syslog) and kmsg.
    yield ("kmsg/write-dmesg-read", sec["kmsg"][:3] == ["1", "<4>", "5,0"], f"{sec['kmsg']}")
    # dmesg -c (syslog READ_CLEAR) leaves only what is logged after it.
    yield ("dmesg/clear", len(sec["kmsg"]) == 4 and sec["kmsg"][3].endswith("] after clear"), f"{sec['kmsg']}")
    # A reader of /dev/kmsg gets a record logged later, and is still waiting for more when killed.
    yield ("kmsg/reader-waits", sec["kmsgwait"] == ["status 143", "4", "5"], f"{sec['kmsgwait']}")
    cpu = sec["stat"][0].split()
    up2 = float(sec["stat"][-1].split()[0])
    ticks = sum(int(x) for x in cpu[1:5])
    # Ticks are counted, uptime is measured on the TSC: allow for the timer's calibration error.
    yield ("stat/cpu-ticks", cpu[0] == "cpu" and 0 < ticks <= up2 * 105 + 2, f"{cpu} vs uptime {up2}")
    st = sec["selfstat"]
    fields = st[0].split() if st else []
    yield ("selfstat/fields", len(fields) == 52 and fields[1] == "(cat)", f"{len(fields)}: {st[:1]}")
    yield ("links/cwd", len(st) > 2 and st[1] == st[2], f"{st[1:3]}")
    yield ("links/dev-stdout", len(st) > 3 and st[3] == "/proc/self/fd/1", f"{st[3:4]}")
    # Output goes to a pipe or the console; ls runs in its own process, with the same fd 1.
    yield ("links/fd1", len(st) > 5 and re.fullmatch(r"pipe:\[\d+\]|/dev/\w+", st[4]) is not None and
           st[5].endswith("-> " + st[4]), f"{st[4:6]}")

def root_partition(build, root):
    """(device, size in bytes) of the root partition build/disk.img gives a disk root."""
    dump = subprocess.run(["sfdisk", "-d", os.path.join(build, "disk.img")], capture_output=True, text=True,
                          check=True).stdout
    sectors = int(re.search(r"start=\s*\d+, size=\s*(\d+)", dump).group(1))
    return suites._krun().ROOTS[root][2], sectors * 512


def kestrel_procfs_tools(build, logs, timeout=240, root=None):
    """root: None (the initramfs) or a tools/krun ROOTS key."""
    krun = suites._krun()
    log = os.path.join(logs, f"user-procfs-tools{'-' + root if root else ''}.log")
    start = time.monotonic()
    status, s = krun.run(os.path.join(build, "kestrel.elf"), os.path.join(build, "initramfs.cpio"), [],
                         argv=["/bin/sh", "/tests/procfs_tools.sh"], timeout=timeout, log_path=log, root=root)
    wall = time.monotonic() - start
    got = s.outputs.get("krun", {}).get("O", b"").decode(errors="replace")
    serial = open(log, errors="replace").read() if os.path.exists(log) else ""
    sec = sections(got)
    tag = f"on-{root}/" if root else ""
    if status != "ended" or "end" not in sec:
        return [(f"user/kestrel/{tag}procfs_tools", False, f"{status}; sections {list(sec)}; log {log}")]
    out = []
    for name, ok, detail in check(sec, serial, wall, root_partition(build, root) if root else None):
        out.append((f"user/kestrel/{tag}procfs/{name}", bool(ok), f"{detail}; log {log}"))
    return out
