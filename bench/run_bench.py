#!/usr/bin/env python3
"""`make bench`: boots Kestrel and Debian's Linux in identical QEMU machines, each with the same
initramfs whose /init is bench/bench.c, alternating the two kernels run by run, and writes the
side-by-side table to bench/results/latest.md. docs/performance.md explains figures and method.

Functions for the test runner: host_quick_check() runs the benchmark on the host in quick mode and
checks that it prints every figure; boot_guest() with QUICK_GUEST_ARGS does the same inside QEMU."""
import argparse
import datetime
import math
import os
import platform
import re
import select
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import fetch_linux  # noqa: E402

# Every figure: name as bench.c prints it, unit shown, which way is better, what it measures.
# The first three are boot times; the two "outside" ones are timed by this script, not the guest.
FIGURES = [
    ("boot_to_init", "ms", "lower", "QEMU start to /init's first line on the serial port (host clock)"),
    ("boot_to_prompt", "ms", "lower", "QEMU start to the shell prompt on the serial port (host clock)"),
    ("boottime_at_start", "ms", "lower", "CLOCK_BOOTTIME when /init starts (guest clock)"),
    ("syscall_getpid", "ns", "lower", "syscall(SYS_getpid) round trip"),
    ("pipe_pingpong", "ns", "lower", "1-byte pipe round trip between two processes"),
    ("ctxswitch_pipe", "ns", "lower", "context switch: the ping-pong less its pipe calls, halved"),
    ("fork_exit_wait", "µs", "lower", "fork + child _exit + waitpid"),
    ("fork_execve_wait", "µs", "lower", "fork + execve of a tiny static program + waitpid"),
    ("mmap_fault", "ns", "lower", "64 MiB anonymous mmap, touch every page, munmap: per page"),
    ("open_close", "ns", "lower", "open + close of an existing file"),
    ("file_create_write_unlink", "ops/s", "higher", "create + write 4 KiB + close + unlink"),
    ("tmpfs_write", "MB/s", "higher", "sequential write of 64 MiB to tmpfs, 64 KiB writes"),
    ("tmpfs_read", "MB/s", "higher", "sequential read of 64 MiB from tmpfs, 64 KiB reads"),
    ("ext2_write", "MB/s", "higher", "sequential write of 64 MiB to ext2 on a virtio disk, 64 KiB writes, fsync"),
    ("ext2_read", "MB/s", "higher", "sequential read of 64 MiB from ext2 on a virtio disk after a remount (cold)"),
    ("ext2_stat_deep", "ns", "lower", "stat of an existing file six components below the ext2 mount"),
    ("ext2_stat_missing", "ns", "lower", "stat of a missing name six components below the ext2 mount"),
]
OUTSIDE = {"boot_to_init", "boot_to_prompt"}
PROGRAM_FIGURES = [f[0] for f in FIGURES if f[0] not in OUTSIDE]
# Figures that are the difference of two measurements: with the quick mode's few iterations on a
# loaded host, noise in either part can make them 0 or negative (ctxswitch_pipe came out at
# -41 µs once in make test), so the smoke test asks only for a number.
DIFFERENCES = {"ctxswitch_pipe"}


def figure_came_out(name, value):
    """Whether a quick-mode figure printed a plausible value: a finite one, positive unless it is a
    difference."""
    return value is not None and math.isfinite(value) and (value > 0 or name in DIFFERENCES)

SHELL_PROMPT = "bench-prompt$ "  # bench.c sets it as PS1
BENCH_LINE_RE = re.compile(r"^BENCH (\S+) (\S+) (\S+) reps=(\d+) min=(\S+) max=(\S+)\s*$", re.M)
ERROR_LINE_RE = re.compile(r"^BENCH-ERROR (\S+) (.*?)\s*$", re.M)
QUICK_GUEST_ARGS = ["-q", "-r", "3"]
NO_USER_PROGRAMS = "n/a (Kestrel cannot run user programs yet)"

# One machine for both kernels; only the kernel image and its command line differ.
QEMU_SETTINGS = {"machine": "pc", "cpu": "max", "memory": "512M", "smp": 1}
LINUX_APPEND = "console=ttyS0 quiet panic=-1"
KESTREL_APPEND = "console=ttyS0 harness"  # harness: a panic exits QEMU at once


def qemu_command(kernel, initrd, append, accel, disk):
    """disk: the ext2 image the ext2 figures use, as the first virtio disk (/dev/vda)."""
    s = QEMU_SETTINGS
    return ["qemu-system-x86_64", "-machine", s["machine"], "-accel", accel, "-cpu", s["cpu"],
            "-m", s["memory"], "-smp", str(s["smp"]), "-display", "none", "-no-reboot", "-net", "none",
            "-serial", "stdio", "-monitor", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-drive", f"file={disk},if=none,format=raw,id=bench", "-device",
            "virtio-blk-pci,drive=bench,disable-legacy=on", "-kernel", kernel, "-initrd", initrd, "-append", append]


EXT2_DISK_MIB = 160  # the 64 MiB file twice over, and room


def make_ext2_disk(path):
    """A fresh, empty ext2 filesystem on the whole image (4 KiB blocks), made before every boot so
    each run starts from the same disk."""
    if os.path.exists(path):
        os.unlink(path)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096", path, f"{EXT2_DISK_MIB}M"], check=True,
                   capture_output=True)
    return path


def parse_bench_lines(text):
    """{figure: median} and {figure: error} from the program's output."""
    values = {}
    for m in BENCH_LINE_RE.finditer(text.replace("\r", "")):
        try:
            values[m.group(1)] = float(m.group(2))
        except ValueError:
            pass
    errors = {m.group(1): m.group(2) for m in ERROR_LINE_RE.finditer(text.replace("\r", ""))}
    return values, errors


def host_quick_check(build="build"):
    """Runs the benchmark on the host in quick mode; returns (name, ok, detail) per figure, the
    verdict shape tests/run_all.py records. Proves the program works; asserts nothing about speed."""
    exe = os.path.join(build, "bench", "bench")
    if not os.path.exists(exe):
        return [("bench/host/build", False, f"{exe} missing: run make {exe}")]
    with tempfile.TemporaryDirectory(prefix="kestrel-bench-") as d:
        # The ext2 figures run in the same directory: the host cannot mount an ext2 image without
        # privileges, and this check only proves that every figure works.
        proc = subprocess.run([exe, "-q", "-r", "3", "-d", d, "-e", d], capture_output=True, text=True, timeout=120)
    values, errors = parse_bench_lines(proc.stdout)
    out = [("bench/host/exit", proc.returncode == 0 and "BENCH-END" in proc.stdout,
            f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}")]
    for name in PROGRAM_FIGURES:
        v = values.get(name)
        ok = figure_came_out(name, v)
        out.append((f"bench/host/{name}", ok, errors.get(name, "no BENCH line") if v is None else f"value {v}"))
    return out


def static_elf(path):
    """True for an ELF without a program interpreter, one that runs without a dynamic loader."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head[:4] != b"\x7fELF":
        return False
    phoff = int.from_bytes(head[0x20:0x28], "little")
    phentsize = int.from_bytes(head[0x36:0x38], "little")
    phnum = int.from_bytes(head[0x38:0x3A], "little")
    types = [int.from_bytes(head[phoff + i * phentsize : phoff + i * phentsize + 4], "little") for i in range(phnum)]
    return 3 not in types  # PT_INTERP


def make_initramfs(build, modules=()):
    """An uncompressed newc cpio: /init (the benchmark), /hello, /bin/sh (static busybox, for the
    prompt), empty /dev, /tmp, and in /modules the kernel modules (Linux's virtio and ext4 drivers)
    with /modules/order, the order /init loads them in. No device nodes, so cpio needs no
    privileges; /init mounts devtmpfs when the kernel gave it no console."""
    stage = os.path.join(build, "bench", "initramfs")
    shutil.rmtree(stage, ignore_errors=True)
    for d in ("bin", "dev", "tmp", "proc", "modules"):
        os.makedirs(os.path.join(stage, d))
    for m in modules:
        shutil.copy(m, os.path.join(stage, "modules", os.path.basename(m)))
    with open(os.path.join(stage, "modules", "order"), "w") as f:
        f.write("".join(os.path.basename(m) + "\n" for m in modules))
    shutil.copy(os.path.join(build, "bench", "bench"), os.path.join(stage, "init"))
    shutil.copy(os.path.join(build, "bench", "hello"), os.path.join(stage, "hello"))
    busybox = shutil.which("busybox") or "/bin/busybox"
    note = ""
    if os.path.exists(busybox) and static_elf(busybox):
        shutil.copy(busybox, os.path.join(stage, "bin", "sh"))
    else:
        note = f"no static busybox at {busybox} (package busybox-static): no shell prompt figure"
    files = subprocess.run(["find", "."], cwd=stage, capture_output=True, text=True, check=True).stdout
    listing = "\n".join(sorted(files.split())) + "\n"
    out = os.path.join(build, "bench", "initramfs.cpio")
    with open(out, "wb") as f:
        subprocess.run(["cpio", "-o", "-H", "newc", "-R", "0:0", "--reproducible", "--quiet"], cwd=stage,
                       input=listing.encode(), stdout=f, check=True)
    return out, note


class GuestRun:
    """One boot: serial output with the host time each marker arrived, parsed figures, verdict."""

    def __init__(self, kernel_name, run_index):
        self.kernel_name = kernel_name
        self.run_index = run_index
        self.status = "?"
        self.values = {}
        self.errors = {}
        self.seconds = 0.0
        self.log_path = ""
        self.started = False  # /init printed BENCH-START


def boot_guest(kernel_name, run_index, cmd, log_path, timeout, start_timeout):
    """Boots one guest and collects its figures. Ends when QEMU exits; when /init has not printed
    BENCH-START within start_timeout (the kernel cannot run it); at the overall timeout; or shortly
    after BENCH-END if the guest does not power off by itself."""
    r = GuestRun(kernel_name, run_index)
    r.log_path = log_path
    markers = {"BENCH-START": "boot_to_init", SHELL_PROMPT: "boot_to_prompt", "BENCH-END": None}
    seen = {}
    buf = bytearray()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    end_seen_at = None
    try:
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], 0.05)
            now = time.monotonic()
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    proc.wait()
                    r.status = "powered off" if "BENCH-END" in seen else f"exited {proc.returncode}"
                    break
                buf += chunk
                text = buf.decode("utf-8", "replace")
                for marker in markers:
                    if marker not in seen and marker in text:
                        seen[marker] = now - start
                if "BENCH-END" in seen and end_seen_at is None:
                    end_seen_at = now
            if end_seen_at is not None and now - end_seen_at > 15:
                r.status = "finished, did not power off"
                break
            if "BENCH-START" not in seen and now - start > start_timeout:
                r.status = f"no benchmark output within {start_timeout:.0f} s"
                break
            if now - start > timeout:
                r.status = f"timeout after {timeout:.0f} s"
                break
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        r.seconds = time.monotonic() - start
        with open(log_path, "wb") as f:
            f.write(buf)
    r.values, r.errors = parse_bench_lines(buf.decode("utf-8", "replace"))
    for marker, figure in markers.items():
        if figure and marker in seen:
            r.values[figure] = seen[marker] * 1000.0
    r.started = "BENCH-START" in seen
    return r


def fmt(v):
    if v is None:
        return "–"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def summarize(runs, name):
    vals = [r.values[name] for r in runs if name in r.values]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals), len(vals)


def column(runs, name, never_started_note):
    """(median or None, text for the median cell, text for the spread cell). never_started_note is
    the cell when every boot ran to the start timeout without /init printing anything."""
    if not runs:
        return None, "n/a (not run)", "–"
    if not any(r.started for r in runs):
        if all(r.status.startswith("no benchmark output") for r in runs):
            return None, never_started_note, "–"
        return None, f"n/a (/init never started: {runs[0].status})", "–"
    s = summarize(runs, name)
    if s is None:
        errs = sorted({r.errors[name] for r in runs if name in r.errors})
        return None, "error: " + "; ".join(errs) if errs else "n/a (not printed)", "–"
    med, lo, hi, n = s
    return med, fmt(med), f"{fmt(lo)}–{fmt(hi)} (n={n})"


def host_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_revision():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev


def render(args, linux, runs_by_kernel, notes, cmds):
    qemu_version = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                                  text=True).stdout.splitlines()[0]
    kestrel_runs, linux_runs = runs_by_kernel["kestrel"], runs_by_kernel["linux"]
    s = QEMU_SETTINGS
    lines = [
        "# Kestrel and Linux side by side",
        "",
        f"Written by `make bench` (bench/run_bench.py) on {datetime.date.today().isoformat()}. "
        "Method and the meaning of each figure: docs/performance.md.",
        "",
        "| setting | value |",
        "| --- | --- |",
        f"| QEMU | {qemu_version} |",
        f"| accelerator | {args.accel.upper()}{' (software emulation: no KVM)' if args.accel == 'tcg' else ''} |",
        f"| host CPU | {host_cpu()} ({os.cpu_count()} host CPUs, shared with other work) |",
        f"| machine, both kernels | `-machine {s['machine']} -cpu {s['cpu']} -m {s['memory']} -smp {s['smp']} "
        "-net none -no-reboot -display none`, serial on stdio |",
        f"| Linux | Debian {linux['package']} {linux['version']}, booted from the {linux['boot_method']}; "
        f"command line `{LINUX_APPEND}{' -- ' + ' '.join(QUICK_GUEST_ARGS) if args.quick else ''}` |",
        f"| Kestrel | commit {git_revision()}, `build/kestrel.elf` through its PVH entry; command line "
        f"`{KESTREL_APPEND}` |",
        f"| initramfs | uncompressed cpio (newc) given as `-initrd`: /init = bench/bench.c (musl, static), "
        "/hello, /bin/sh = busybox |",
        f"| runs | {args.runs} per kernel, alternating Kestrel, Linux, Kestrel, ...; each cell is the median of "
        f"the per-run medians{' (quick mode)' if args.quick else ''} |",
        "",
        "| figure | unit | Kestrel median | Linux median | Kestrel/Linux | Kestrel min–max | Linux min–max "
        "| better |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, unit, better, _ in FIGURES:
        k_med, k_cell, k_spread = column(kestrel_runs, name, NO_USER_PROGRAMS)
        l_med, l_cell, l_spread = column(linux_runs, name, "n/a (Linux did not start /init in time)")
        ratio = f"{k_med / l_med:.2f}" if k_med is not None and l_med else "–"
        lines.append(f"| {name} | {unit} | {k_cell} | {l_cell} | {ratio} | {k_spread} | {l_spread} | {better} |")
    lines += ["", "## Runs", "", "| run | kernel | outcome | seconds | log |", "| --- | --- | --- | --- | --- |"]
    all_runs = sorted(kestrel_runs + linux_runs, key=lambda r: (r.run_index, r.kernel_name != "kestrel"))
    for r in all_runs:
        lines.append(f"| {r.run_index + 1} | {r.kernel_name} | {r.status} | {r.seconds:.1f} | "
                     f"{os.path.relpath(r.log_path, ROOT)} |")
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    lines += ["", "## QEMU commands", ""] + [f"```\n{shlex.join(c)}\n```" for c in cmds]
    return "\n".join(lines) + "\n"


def profile_figure(build, figure, reps, accel, timeout, focus=""):
    """`--profile FIGURE`: one Kestrel boot with the sampling profiler on (`profile` on its command line)
    running only that figure, reps times; prints the figure's line and the profile, which covers the
    whole boot (the figure dominates it when reps is large). Linux is not booted."""
    initrd, _ = make_initramfs(build)
    append = f"{KESTREL_APPEND} profile{'=' + focus if focus else ''} -- -f {figure} -r {reps}"
    disk = make_ext2_disk(os.path.join(build, "bench", "ext2-profile.img"))
    cmd = qemu_command(os.path.join(build, "kestrel.elf"), initrd, append, accel, disk)
    logs = os.path.join(build, "bench", "logs")
    os.makedirs(logs, exist_ok=True)
    log = os.path.join(logs, f"profile-{figure}.log")
    r = boot_guest("kestrel", 0, cmd, log, timeout, 30)
    text = open(log, encoding="utf-8", errors="replace").read().replace("\r", "")
    lines = [ln for ln in text.splitlines() if ln.startswith(("BENCH ", "BENCH-ERROR", "profile:"))]
    print(f"bench: profile of {figure} ({reps} reps): {r.status}; log {os.path.relpath(log, ROOT)}")
    print("\n".join(lines))
    return 0 if figure in r.values and any(ln.startswith("profile: end") for ln in lines) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=5, help="boots per kernel (default 5)")
    ap.add_argument("--accel", default="tcg", help="QEMU accelerator, the same for both kernels")
    ap.add_argument("--quick", action="store_true", help="tiny counts inside the guests (a smoke test)")
    ap.add_argument("--timeout", type=float, default=240, help="seconds one boot may take")
    ap.add_argument("--start-timeout", type=float, default=30,
                    help="seconds a kernel gets to start /init (its first line) before the run is given up")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.md"))
    ap.add_argument("--host-check", action="store_true", help="only run the host quick-mode check")
    ap.add_argument("--profile", metavar="FIGURE", choices=PROGRAM_FIGURES,
                    help="boot Kestrel once with its sampling profiler, run only FIGURE, print the profile")
    ap.add_argument("--profile-reps", type=int, default=10, help="repetitions of the profiled figure")
    ap.add_argument("--profile-focus", metavar="FUNCTION", default="",
                    help="with --profile: also list the hottest instruction offsets inside FUNCTION")
    args = ap.parse_args()
    build = args.build
    if args.profile:
        return profile_figure(build, args.profile, args.profile_reps, args.accel, args.timeout,
                              args.profile_focus)

    failed = [(n, d) for n, ok, d in host_quick_check(build) if not ok]
    for n, d in failed:
        print(f"FAIL {n}  -- {d}")
    print(f"bench: host quick check {'failed' if failed else 'passed'} ({len(PROGRAM_FIGURES)} figures)")
    if failed or args.host_check:
        return 1 if failed else 0

    try:
        linux = fetch_linux.ensure_kernel(build)
    except fetch_linux.FetchError as e:
        print(f"bench: cannot get Debian's Linux kernel: {e}")
        return 1
    print(f"bench: Linux {linux['package']} {linux['version']}: {linux['boot_method']}")
    initrd, note = make_initramfs(build, linux.get("modules", ()))
    notes = [note] if note else []
    if not linux["boot_image"].endswith("vmlinux"):
        notes.append("Linux was booted from its bzImage: the extracted vmlinux had no PVH note.")

    guest_args = (" -- " + " ".join(QUICK_GUEST_ARGS)) if args.quick else ""
    disks = {name: os.path.join(build, "bench", f"ext2-{name}.img") for name in ("kestrel", "linux")}
    kernels = {
        "kestrel": qemu_command(os.path.join(build, "kestrel.elf"), initrd, KESTREL_APPEND + guest_args, args.accel,
                                disks["kestrel"]),
        "linux": qemu_command(linux["boot_image"], initrd, LINUX_APPEND + guest_args, args.accel, disks["linux"]),
    }
    logs = os.path.join(build, "bench", "logs")
    os.makedirs(logs, exist_ok=True)
    runs = {"kestrel": [], "linux": []}
    for i in range(args.runs):
        for name, cmd in kernels.items():
            done = runs[name]
            # A kernel that has twice failed to start /init will not start it the third time.
            if len(done) >= 2 and not any(r.started for r in done):
                continue
            make_ext2_disk(disks[name])
            r = boot_guest(name, i, cmd, os.path.join(logs, f"{name}-{i + 1}.log"), args.timeout,
                           args.start_timeout)
            done.append(r)
            print(f"bench: run {i + 1}/{args.runs} {name}: {r.status}, {len(r.values)} figures, {r.seconds:.1f} s",
                  flush=True)
    for name, done in runs.items():
        if not any(r.started for r in done):
            skipped = args.runs - len(done)
            why = f", so its other {skipped} run(s) were skipped" if skipped else ""
            notes.append(f"{name}: /init printed nothing in {len(done)} boot(s) (no BENCH-START within "
                         f"{args.start_timeout:.0f} s){why}; see the logs.")
        for r in done:
            for fig, err in sorted(r.errors.items()):
                notes.append(f"{name} run {r.run_index + 1}: {fig} failed: {err}")

    report = render(args, linux, runs, notes, list(kernels.values()))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(report)
    print(report)
    print(f"bench: wrote {os.path.relpath(args.out, ROOT)}")
    return 0 if any(r.started for r in runs["linux"]) else 1


if __name__ == "__main__":
    sys.exit(main())
