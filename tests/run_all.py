#!/usr/bin/env python3
"""Runs every Kestrel test suite and prints one verdict line per test, then `N passed, N failed`.

Suites: host unit tests (ASan/UBSan), in-kernel KTAP tests booted under each scheduler policy,
the harness's own tests (a deliberate page fault, triple fault, panic and hang must each be caught
as failures), and ISO boots under SeaBIOS and OVMF. Logs go to build/test-logs/."""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "user"))
sys.path.insert(0, os.path.join(ROOT, "tests", "block"))
sys.path.insert(0, os.path.join(ROOT, "tests", "disk"))
import qemu  # noqa: E402
import run_bench  # noqa: E402
import suites as user_suites  # noqa: E402
import block_suite  # noqa: E402
import disk_suite  # noqa: E402
import procfs_check  # noqa: E402
import session as user_session  # noqa: E402

SCHED_POLICIES = ["rr", "mlfq", "cfs"]
KTAP_TIMEOUT = 240
BANNER_RE = r"Kestrel \S+ \(x86_64\) booting"


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def record(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'PASS' if ok else 'FAIL'} {name}{'' if ok or not detail else '  -- ' + detail}", flush=True)


def host_suite(build, results):
    exe = os.path.join(build, "host", "host_tests")
    proc = subprocess.run([exe], capture_output=True, text=True)
    cases = re.findall(r"^(ok|not ok) \d+ - (\S+)", proc.stdout, re.M)
    for verdict, name in cases:
        results.record(f"host/{name}", verdict == "ok")
    if proc.returncode != 0 and all(v == "ok" for v, _ in cases):
        # A sanitizer abort or crash ends the run without a "not ok" line: still a failure.
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
        results.record("host/runner", False, f"exit {proc.returncode}: {' | '.join(tail)}")


def format_suite(results):
    """The C sources follow the committed .clang-format (make format fixes them)."""
    files = subprocess.run(["git", "ls-files", "*.c", "*.h"], capture_output=True, text=True).stdout.split()
    if not files:  # not a git checkout (a tarball): nothing to compare against
        return
    proc = subprocess.run(["clang-format", "--dry-run", "--Werror"] + files, capture_output=True, text=True)
    bad = sorted({line.split(":")[0] for line in proc.stderr.splitlines() if ": error:" in line})
    results.record("style/clang-format", proc.returncode == 0, "run `make format`: " + " ".join(bad))


def ktap_boot(build, logs, policy):
    return qemu.boot(f"ktap-{policy}", logs, timeout=KTAP_TIMEOUT,
                     kernel=os.path.join(build, "kestrel.elf"), append=f"test=all sched={policy}")


def record_ktap(results, policy, r):
    for c in r.cases:
        results.record(f"kernel[{policy}]/{c.suite}/{c.name}" + (" (skipped)" if c.skipped else ""), c.ok,
                       r.log_path)
    results.record(f"kernel[{policy}]/boot-and-exit", r.status == "passed" and r.cases != [], r.describe())


def harness_selftests(build, logs):
    """Each deliberate crash must be judged a failure of the right kind, quickly."""
    kernel = os.path.join(build, "kestrel.elf")

    def check_pagefault(r):
        named = re.search(r"RIP: \S+ crash_bad_access\+0x", r.log) is not None
        return r.status == "panic" and r.exit_code == 3 and named, "report must name crash_bad_access"

    checks = {
        "pagefault": (30, check_pagefault),
        "panic": (30, lambda r: (r.status == "panic" and r.exit_code == 3, "panic must fail the run")),
        "triple": (30, lambda r: (r.status == "triple-fault", "triple fault must be detected")),
        "hang": (5, lambda r: (r.status == "timeout", "hang must hit the timeout")),
        "console": (30, lambda r: (r.status == "panic" and r.exit_code == 3
                                   and "KERNEL PANIC: console driver failed" in r.log,
                                   "a panic inside printk must still report and exit")),
        "sleep-in-spinlock": (30, lambda r: (r.status == "panic" and "may sleep, but" in r.log
                                             and "crash_test_lock" in r.log,
                                             "sleeping with a spinlock held must panic naming the lock")),
    }
    out = []
    for kind, (timeout, check) in checks.items():
        r = qemu.boot(f"crash-{kind}", logs, timeout=timeout, kernel=kernel, append=f"crash={kind}")
        ok, why = check(r)
        out.append((f"harness/detects-{kind}", ok, f"{why}; got {r.describe()}"))
    return out


def iso_boot(build, logs, firmware_name):
    firmware = qemu.ovmf_path() if firmware_name == "ovmf" else None
    if firmware_name == "ovmf" and not firmware:
        return [(f"iso/{firmware_name}-banner", False, "OVMF firmware not installed")]
    r = qemu.boot(f"iso-{firmware_name}", logs, timeout=180, iso=os.path.join(build, "kestrel.iso"),
                  firmware=firmware, wait_for=r"boot: done")
    ok = r.status == "matched" and re.search(BANNER_RE, r.log) is not None
    return [(f"iso/{firmware_name}-banner", ok, r.describe())]


KEYS = [("a", "a"), ("shift-k", "K"), ("1", "1"), ("slash", "/"), ("shift-1", "!")]


def keyboard_echo(build, logs):
    """Types through QEMU's monitor (a PS/2 keyboard) and expects each character decoded by the
    kernel's driver: the path from IRQ 1 through the scancode decoder to the character ring."""
    mon = qemu.Monitor(os.path.join(logs, "kbd-monitor.sock"))
    if os.path.exists(mon.path):
        os.unlink(mon.path)
    sent = []

    def type_keys(text):
        if not sent and "boot: done" in text:
            for key, _ in KEYS:
                mon.send(f"sendkey {key}")
            sent.append(True)

    want = "".join(f"kbd: '{ch}'.*" for _, ch in KEYS)
    r = qemu.boot("keyboard", logs, timeout=60, wait_for=re.compile(want, re.S), on_line=type_keys,
                  kernel=os.path.join(build, "kestrel.elf"), append="kbdecho", monitor=mon)
    mon.close()
    return [("drivers/keyboard-echo", r.status == "matched", r.describe())]


def proc_init_boot(build, logs):
    """Process core milestone: a static musl program, alone in an initramfs as /init, writes through
    fd 1 and exits; the kernel logs its status (7, chosen to be unmistakable)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import mkinitramfs
    cpio = os.path.join(build, "proc", "init_hello.cpio")
    with open(cpio, "wb") as out:
        mkinitramfs.write_cpio([mkinitramfs.file_entry("init", os.path.join(build, "proc", "init_hello"), 0o755)],
                               out)
    r = qemu.boot("proc-init-hello", logs, timeout=60, kernel=os.path.join(build, "kestrel.elf"),
                  append="console=ttyS0", extra=["-initrd", cpio],
                  wait_for=r"init \(pid 1\) (exited|killed)[^\n]*\n")
    ok = r.status == "matched" and "hello from user space" in r.log and "exited with status 7" in r.log
    return [("proc/init-hello-runs-as-pid-1", ok, r.describe())]


def krun_script(build, logs, root=None):
    """tools/krun runs a host shell script (no "#!" line: init falls back to /bin/sh, as a shell
    would), passes its arguments, prints its output and exits with its status."""
    tag = f"-{root}" if root else ""
    script = os.path.join(build, "krun-script.sh")
    with open(script, "w") as f:
        f.write('echo "args: $*"\necho "on $(uname -s)"\necho oops >&2\nexit 7\n')
    log = os.path.join(logs, f"krun-script{tag}.log")
    proc = subprocess.run([os.path.join(ROOT, "tools", "krun"), "--log", log, *(["--root", root] if root else []),
                           script, "a", "b c"], capture_output=True, text=True, timeout=120)
    ok = proc.returncode == 7 and proc.stdout == "args: a b c\non Kestrel\n" and proc.stderr == "oops\n"
    on = f"on-{root}/" if root else ""
    return [(f"tools/{on}krun-script", ok, f"exit {proc.returncode}, stdout {proc.stdout!r}, stderr {proc.stderr!r}"),
            boot_thread_asleep(log, on)]


def boot_thread_asleep(log_path, on=""):
    """Regression: once init runs, the boot thread sleeps for good. When it looped on hlt while
    runnable, the scheduler switched it in whenever user processes blocked or were preempted, each
    time for a whole slice. At power-off the kernel logs how often it ran after boot; must be 0."""
    text = open(log_path, errors="replace").read() if os.path.exists(log_path) else ""
    m = re.search(r"boot: the boot thread ran (\d+) time", text)
    return (f"sched/{on}boot-thread-sleeps-after-boot", m is not None and m.group(1) == "0",
            f"{m.group(0) if m else 'no boot-thread report at power-off'}; log {log_path}")


def strace_logs_calls(build, logs, root=None):
    """strace=all on the command line logs each system call with its arguments and result: sh's
    `echo hi` must appear as a write of 3 bytes to fd 1 that returned 3."""
    krun = user_suites._krun()
    log = os.path.join(logs, f"strace{'-' + root if root else ''}.log")
    status, _ = krun.run(os.path.join(build, "kestrel.elf"), os.path.join(build, "initramfs.cpio"), [],
                         argv=["/bin/sh", "-c", "echo hi"], timeout=120, log_path=log, append_extra="strace=all",
                         root=root)
    text = open(log, errors="replace").read() if os.path.exists(log) else ""
    ok = status == "ended" and re.search(r"strace: pid \d+ write\(0x1, 0x[0-9a-f]+, 0x3, [^)]*\) = 3\b", text)
    return [(f"syscall/{'on-' + root + '/' if root else ''}strace-logs-calls", bool(ok), f"{status}; log {log}")]


def bench_quick_in_kestrel(build, logs):
    """The benchmark once inside Kestrel with tiny repetition counts: every figure must come out
    (a positive value, no BENCH-ERROR). Proves it still runs; no timing is judged."""
    # With the root on the ext2 disk, so the ext2 figures run on ext2 (the tmpfs ones then do too:
    # this only proves every figure works; make bench mounts a tmpfs and a separate ext2 disk).
    proc = subprocess.run([os.path.join(ROOT, "tools", "krun"), "--timeout", "180", "--root", "virtio",
                           "--log", os.path.join(logs, "bench-quick.log"),
                           "--add", f"{os.path.join(build, 'bench', 'hello')}:/krun/hello",
                           os.path.join(build, "bench", "bench"), *run_bench.QUICK_GUEST_ARGS, "-d", "/tmp",
                           "-e", "/root"],
                          capture_output=True, text=True, timeout=240)
    values, errors = run_bench.parse_bench_lines(proc.stdout)
    out = [("bench/kestrel/exit", proc.returncode == 0 and "BENCH-END" in proc.stdout, f"exit {proc.returncode}")]
    for name in run_bench.PROGRAM_FIGURES:
        v = values.get(name)
        out.append((f"bench/kestrel/{name}", run_bench.figure_came_out(name, v), errors.get(name, f"value {v}")))
    return out


def busybox_battery(build, logs):
    """The battery on the host's busybox (the expected output), then the same in Kestrel."""
    return user_suites.host_battery(build) + user_suites.kestrel_battery(build, logs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    logs = os.path.join(args.build, "test-logs")
    os.makedirs(logs, exist_ok=True)
    results = Results()

    format_suite(results)
    host_suite(args.build, results)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        ktap = {p: pool.submit(ktap_boot, args.build, logs, p) for p in SCHED_POLICIES}
        # The longest runs first, so the two workers finish together.
        battery = pool.submit(busybox_battery, args.build, logs)
        oracle = pool.submit(user_suites.host_oracle, args.build)  # the expected outputs
        others = [pool.submit(user_suites.kestrel_program, args.build, logs, "fuzz",
                              user_suites.KESTREL_ARGS["fuzz"], 900),
                  battery,
                  pool.submit(disk_suite.run, args.build, logs, "virtio"),
                  pool.submit(disk_suite.run, args.build, logs, "ahci"),
                  pool.submit(disk_suite.fsync_durable, args.build, logs),
                  pool.submit(user_session.interactive_session, args.build, logs),
                  pool.submit(user_suites.kestrel_program, args.build, logs, "forkstress",
                              user_suites.KESTREL_ARGS["forkstress"], 300),
                  pool.submit(harness_selftests, args.build, logs),
                  pool.submit(iso_boot, args.build, logs, "seabios"),
                  pool.submit(iso_boot, args.build, logs, "ovmf"),
                  pool.submit(keyboard_echo, args.build, logs),
                  pool.submit(run_bench.host_quick_check, args.build),
                  oracle,
                  pool.submit(user_suites.kestrel_enabled, args.build, logs),
                  pool.submit(proc_init_boot, args.build, logs),
                  pool.submit(krun_script, args.build, logs),
                  pool.submit(procfs_check.kestrel_procfs_tools, args.build, logs),
                  pool.submit(strace_logs_calls, args.build, logs),
                  pool.submit(bench_quick_in_kestrel, args.build, logs),
                  pool.submit(block_suite.run, args.build, logs),
                  pool.submit(block_suite.run_intx, args.build, logs)]
        # The user-space suites again with the root on ext2 disks. The syscall programs and the
        # battery compare with the host outputs, which those tasks write: submitted earlier, they run
        # (or ran) first.
        for r in ("virtio", "ahci"):
            others += [pool.submit(lambda r: battery.result() and oracle.result() and
                                   user_suites.kestrel_on_disk(args.build, logs, r), r),
                       pool.submit(user_suites.kestrel_program, args.build, logs, "fuzz",
                                   user_suites.KESTREL_ARGS["fuzz"], 900, r),
                       pool.submit(user_suites.kestrel_program, args.build, logs, "forkstress",
                                   user_suites.KESTREL_ARGS["forkstress"], 300, r),
                       pool.submit(user_session.interactive_session, args.build, logs, r),
                       pool.submit(procfs_check.kestrel_procfs_tools, args.build, logs, 240, r),
                       pool.submit(krun_script, args.build, logs, r),
                       pool.submit(strace_logs_calls, args.build, logs, r)]
        for p, fut in ktap.items():
            record_ktap(results, p, fut.result())
        for fut in others:
            for name, ok, detail in fut.result():
                results.record(name, ok, detail)

    print(f"{results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
