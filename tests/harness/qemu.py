"""Boots Kestrel in QEMU headless and judges the run from the serial log and QEMU's exit status.

QEMU's isa-debug-exit device turns the kernel's verdict into an exit status: the kernel writes 0
(passed) or 1 (failed) and QEMU exits with (value << 1) | 1, so 1 means passed and 3 failed. With
-no-reboot a triple fault resets the CPU and QEMU exits with 0, which nothing else produces. A run
that neither exits nor prints what we wait for within the timeout is a hang.
"""
import dataclasses
import os
import re
import select
import socket
import subprocess
import time

OVMF_CANDIDATES = ["/usr/share/ovmf/OVMF.fd", "/usr/share/OVMF/OVMF_CODE.fd"]
PANIC_RE = re.compile(r"KERNEL PANIC")
KTAP_CASE_RE = re.compile(r"^    (ok|not ok) (\d+) (\S+)(.*)$")
KTAP_SUBTEST_RE = re.compile(r"^    # Subtest: (\S+)")
KTAP_PLAN_RE = re.compile(r"^    1\.\.(\d+)")
PANIC_GRACE_S = 3.0  # time a panicking kernel gets to finish its report and exit by itself


@dataclasses.dataclass
class KtapCase:
    suite: str
    name: str
    ok: bool
    skipped: bool = False


@dataclasses.dataclass
class BootResult:
    status: str  # passed, failed, panic, triple-fault, timeout, matched, error
    exit_code: int
    log: str
    log_path: str
    seconds: float
    cases: list

    def describe(self):
        return f"{self.status} (exit {self.exit_code}, {self.seconds:.1f}s, log {self.log_path})"


def ovmf_path():
    for p in OVMF_CANDIDATES:
        if os.path.exists(p):
            return p
    return None


def qemu_command(kernel=None, iso=None, firmware=None, append="", memory="256M", smp=1, monitor=None,
                 extra=(), machine="pc"):
    cmd = ["qemu-system-x86_64", "-machine", machine, "-cpu", "max", "-m", memory, "-smp", str(smp),
           "-display", "none", "-no-reboot", "-net", "none", "-serial", "stdio",
           "-monitor", monitor.qemu_arg() if monitor else "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if kernel:
        cmd += ["-kernel", kernel, "-append", append]
    if iso:
        cmd += ["-cdrom", iso, "-boot", "d"]
    if firmware:
        cmd += ["-bios", firmware]
    return cmd + list(extra)


def parse_ktap(log):
    """Returns the KTAP cases in the log. A suite that planned more cases than it reported (the
    kernel died mid-suite) gets the missing ones as failures, so a crash can never look like a pass."""
    cases, suite, planned, seen = [], None, 0, 0

    def close_suite():
        for i in range(seen + 1, planned + 1):
            cases.append(KtapCase(suite, f"case{i}-never-reported", False))

    for line in log.splitlines():
        line = line.rstrip("\r")
        m = KTAP_SUBTEST_RE.match(line)
        if m:
            if suite:
                close_suite()
            suite, planned, seen = m.group(1), 0, 0
            continue
        m = KTAP_PLAN_RE.match(line)
        if m and suite:
            planned = int(m.group(1))
            continue
        m = KTAP_CASE_RE.match(line)
        if m and suite:
            seen = int(m.group(2))
            skipped = "# SKIP" in m.group(4)
            cases.append(KtapCase(suite, m.group(3), m.group(1) == "ok", skipped))
    if suite:
        close_suite()
    return cases


class _Run:
    """A running QEMU whose serial output is collected into a log file as it arrives."""

    def __init__(self, cmd, log_path):
        self.log_path = log_path
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        self.logf = open(log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.buf = bytearray()

    def text(self):
        return self.buf.decode("utf-8", "replace")

    def pump(self, wait_s):
        """Reads what QEMU printed within wait_s; returns False once QEMU has exited and drained."""
        ready, _, _ = select.select([self.proc.stdout], [], [], wait_s)
        if ready:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if chunk:
                self.buf += chunk
                self.logf.write(chunk)
                self.logf.flush()
                return True
            self.proc.wait()
            return False
        return self.proc.poll() is None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.logf.close()


def boot(name, log_dir, timeout=60, wait_for=None, on_line=None, **qemu_args):
    """Boots one configuration. wait_for: a regex that ends the run successfully when it appears
    (for boots that do not exit by themselves). on_line: called with the log text so far, may act
    on the machine (send keys) and return nothing."""
    cmd = qemu_command(**qemu_args)
    run = _Run(cmd, os.path.join(log_dir, f"{name}.log"))
    start = time.monotonic()
    panic_at = None
    status = None
    try:
        while True:
            alive = run.pump(0.1)
            text = run.text()
            if on_line:
                on_line(text)
            if wait_for and re.search(wait_for, text):
                status = "matched"
                break
            if panic_at is None and PANIC_RE.search(text):
                panic_at = time.monotonic()
            if not alive:
                break
            now = time.monotonic()
            if panic_at is not None and now - panic_at > PANIC_GRACE_S:
                break
            if now - start > timeout:
                status = "timeout"
                break
    finally:
        run.kill()
    code = run.proc.returncode
    text = run.text()
    if status is None:
        status = judge(code, text)
    return BootResult(status, code, text, run.log_path, time.monotonic() - start, parse_ktap(text))


def judge(code, text):
    if PANIC_RE.search(text):
        return "panic"
    if code == 1:
        return "passed"
    if code == 3:
        return "failed"
    if code == 0:
        return "triple-fault"
    return "error"


class Monitor:
    """The QEMU human monitor on a Unix socket, for sending keys."""

    def __init__(self, path):
        self.path = path
        self.sock = None

    def qemu_arg(self):
        return f"unix:{self.path},server,nowait"

    def send(self, command):
        if self.sock is None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(self.path)
        self.sock.sendall((command + "\n").encode())

    def close(self):
        if self.sock:
            self.sock.close()
