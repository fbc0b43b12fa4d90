"""The user-space suites tests/run_all.py runs (docs/userland.md). Each returns a list of
(name, ok, detail) verdicts.

host_oracle: every tests/user program runs on the host Linux first, each in its own scratch
directory; it must pass there, and its output is saved as the expected output
(BUILD/tests/user-expected/NAME.out) that the same binary's output inside Kestrel is compared with.
kestrel_syscalls: one Kestrel boot in init's tests mode runs the programs and compares outputs."""
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
            with open(os.path.join(expected_dir(build), name + ".out"), "wb") as f:
                f.write(stdout)
        fails = [line for line in stdout.decode(errors="replace").splitlines() if line.startswith("FAIL")]
        detail = f"exit {code}: " + " | ".join((fails or stderr.decode(errors="replace").splitlines())[:4])
        out.append((f"user/host/{name}", code == 0, detail))
    return out
