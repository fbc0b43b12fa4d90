"""The user-space suites tests/run_all.py runs (docs/userland.md). Each returns a list of
(name, ok, detail) verdicts.

host_oracle: every tests/user program runs on the host Linux first, each in its own scratch
directory; it must pass there, and its output is saved as the expected output
(BUILD/tests/user-expected/NAME.out) that the same binary's output inside Kestrel is compared with.
host_battery: the busybox battery under the host's busybox; its output is the expected output.
The kestrel_* functions run the same things inside Kestrel through tools/krun and compare:
kestrel_syscalls (one boot, init's tests mode), kestrel_battery, kestrel_fuzz, kestrel_forkstress.
Budgets under TCG are in docs/userland.md."""
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

# The syscall test programs (t_*.c) and how long each may take on the host.
HOST_TIMEOUT = 60
# Programs with a short mode for the host: they prove they build and run; they matter in Kestrel.
SHORT_MODE = {"fuzz": ["-n", "20000", "-q"], "forkstress": ["-n", "50"]}
# In Kestrel: the full runs, each checking that every page and process is back (-m, memcheck.h).
KESTREL_ARGS = {"fuzz": ["-q", "-m"], "forkstress": ["-m"]}


def programs(build):
    d = os.path.join(build, "tests", "user")
    return sorted(n for n in os.listdir(d) if os.access(os.path.join(d, n), os.X_OK)) if os.path.isdir(d) else []


def expected_dir(build):
    return os.path.join(build, "tests", "user-expected")


def run_on_host(build, name, args=()):
    exe = os.path.abspath(os.path.join(build, "tests", "user", name))
    with tempfile.TemporaryDirectory(prefix=f"kestrel-{name}-") as d:
        os.chmod(d, 0o1777)  # like /tmp in Kestrel: the tests' unprivileged children work in it too
        try:
            proc = subprocess.run([exe, *args], cwd=d, capture_output=True, timeout=HOST_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None, b"", b"timeout"
    return proc.returncode, proc.stdout, proc.stderr


def host_oracle(build):
    out = []
    os.makedirs(expected_dir(build), exist_ok=True)
    names = programs(build)
    if not names:
        return [("user/host/build", False, f"no programs in {build}/tests/user: run make userland")]
    for name in names:
        code, stdout, stderr = run_on_host(build, name, SHORT_MODE.get(name, ()))
        if name not in SHORT_MODE:
            # Written aside and renamed: a Kestrel suite comparing with the previous run's file at
            # this moment must not read it truncated (on-virtio/t_threads once failed that way).
            path = os.path.join(expected_dir(build), name + ".out")
            with open(path + ".new", "wb") as f:
                f.write(stdout)
            os.replace(path + ".new", path)
        fails = [line for line in stdout.decode(errors="replace").splitlines() if line.startswith("FAIL")]
        detail = f"exit {code}: " + " | ".join((fails or stderr.decode(errors="replace").splitlines())[:4])
        out.append((f"user/host/{name}", code == 0, detail))
    return out


BATTERY = os.path.join(ROOT, "tests", "user", "busybox_battery.sh")
BUSYBOX = "/bin/busybox"


def host_battery(build):
    os.makedirs(expected_dir(build), exist_ok=True)
    proc = subprocess.run([BUSYBOX, "sh", BATTERY], cwd="/tmp", capture_output=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "BB": BUSYBOX})
    with open(os.path.join(expected_dir(build), "busybox_battery.out"), "wb") as f:
        f.write(proc.stdout)
    ok = proc.returncode == 0 and proc.stdout.rstrip().endswith(b"battery done") and not proc.stderr
    return [("user/host/busybox_battery", ok, f"exit {proc.returncode}: {proc.stderr.decode()[-300:]}")]


def _krun():
    loader = importlib.machinery.SourceFileLoader("krun", os.path.join(ROOT, "tools", "krun"))
    spec = importlib.util.spec_from_loader("krun", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def root_disk(root, scratch_dir):
    """For a boot of our own with the root on a disk (tools/krun ROOTS key): a scratch copy of
    build/disk.img in scratch_dir, and the QEMU machine, arguments and kernel words that use it."""
    krun = _krun()
    disk = os.path.join(scratch_dir, "disk.img")
    subprocess.run(["cp", "--sparse=always", os.path.join(ROOT, "build", "disk.img"), disk], check=True)
    machine, args = krun.disk_args(root, disk)
    return machine, args, "root=" + krun.ROOTS[root][2]


def _diff(want, got):
    """The first differing line, for the verdict's detail."""
    w, g = want.decode(errors="replace").splitlines(), got.decode(errors="replace").splitlines()
    for i in range(max(len(w), len(g))):
        a = w[i] if i < len(w) else "<end>"
        b = g[i] if i < len(g) else "<end>"
        if a != b:
            return f"line {i + 1}: want {a!r}, got {b!r}"
    return "same"


def _expected(build, name):
    path = os.path.join(expected_dir(build), name + ".out")
    return open(path, "rb").read() if os.path.exists(path) else None


def _tag(root):
    """Test-name and log-name part for a root filesystem: "" for the initramfs, "on-virtio"..."""
    return f"on-{root}/" if root else ""


def kestrel_syscalls(build, logs, names=None, timeout=300, root=None):
    """One boot runs every syscall test program (init's tests mode); each output must equal the host's.
    root: None (the initramfs) or a tools/krun ROOTS key (the same tree on an ext2 disk)."""
    krun = _krun()
    names = names or [n for n in programs(build) if n not in SHORT_MODE]
    log = os.path.join(logs, f"user-syscalls{'-' + root if root else ''}.log")
    status, s = krun.run(os.path.join(build, "kestrel.elf"), os.path.join(build, "initramfs.cpio"), [],
                         tests=",".join(names), timeout=timeout, log_path=log, root=root)
    results = {label: (kind, value) for label, kind, value in s.results}
    out = []
    for name in names:
        want = run_on_host(build, name)[1]  # the oracle, run here so no other suite's timing matters
        got = s.outputs.get(name, {}).get("O", b"")
        kind, value = results.get(name, ("missing", status))
        ok = want is not None and got == want and (kind, value) == ("exit", "0")
        out.append((f"user/kestrel/{_tag(root)}{name}", ok, f"{kind} {value}; {_diff(want or b'', got)}; log {log}"))
    return out


def kestrel_battery(build, logs, timeout=300, root=None):
    krun = _krun()
    log = os.path.join(logs, f"user-battery{'-' + root if root else ''}.log")
    status, s = krun.run(os.path.join(build, "kestrel.elf"), os.path.join(build, "initramfs.cpio"), [],
                         argv=["/bin/sh", "/tests/busybox_battery.sh"], timeout=timeout, log_path=log, root=root)
    want = _expected(build, "busybox_battery") or b""  # host_battery runs first: it is quick
    got = s.outputs.get("krun", {}).get("O", b"")
    ok = status == "ended" and got == want and s.results and s.results[-1][1:] == ("exit", "0")
    return [(f"user/kestrel/{_tag(root)}busybox_battery", bool(ok), f"{status}; {_diff(want, got)}; log {log}")]


def kestrel_program(build, logs, name, args, timeout, root=None):
    """Runs one /tests program with args in Kestrel; it must exit 0 (fuzz, forkstress, pebbles)."""
    krun = _krun()
    log = os.path.join(logs, f"user-{name}{'-' + root if root else ''}.log")
    status, s = krun.run(os.path.join(build, "kestrel.elf"), os.path.join(build, "initramfs.cpio"), [],
                         argv=[f"/tests/{name}", *args], timeout=timeout, log_path=log, root=root)
    got = s.outputs.get("krun", {}).get("O", b"").decode(errors="replace")
    fails = [line for line in got.splitlines() if line.startswith("FAIL")][:3]
    ok = status == "ended" and s.results and s.results[-1][1:] == ("exit", "0")
    return [(f"user/kestrel/{_tag(root)}{name}", bool(ok), f"{status} {s.results[-1:] or ''} {' | '.join(fails)}; log {log}")]


# The programs compared with the host inside Kestrel in make test.
KESTREL_ENABLED = ["t_dev", "t_fds", "t_files", "t_ids", "t_memory", "t_mount", "t_perm", "t_pipes", "t_proc",
                   "t_procfs", "t_signals", "t_time", "t_threads", "pebbles", "t_mmapfile", "t_dcache"]


def kestrel_enabled(build, logs, root=None):
    return kestrel_syscalls(build, logs, names=KESTREL_ENABLED, timeout=180, root=root)


def kestrel_on_disk(build, logs, root):
    """The syscall programs and the busybox battery again, with the root filesystem on an ext2 disk
    (virtio-blk or AHCI) instead of the initramfs: the same outputs are expected."""
    return kestrel_enabled(build, logs, root) + kestrel_battery(build, logs, root=root)
