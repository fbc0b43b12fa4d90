"""A person at the serial console: boots Kestrel with QEMU's serial port on a pipe, types on it and
waits for what the shell and its programs print back.

Every wait is for output (a regular expression over what arrived since a mark), with a generous
deadline for a loaded host; nothing waits a fixed time and hopes. The whole serial log is kept in
the log file, so a failed check can be read there."""
import os
import re
import select
import subprocess
import time

import qemu

PROMPT_RE = re.compile(rb"kestrel:[^\r\n#]*# ")


class SerialShell:
    def __init__(self, kernel, initrd, log_path, append="console=ttyS0", machine="pc", extra=()):
        cmd = qemu.qemu_command(kernel=kernel, append=append, extra=["-initrd", initrd, *extra], machine=machine)
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        self.log_path = log_path
        self.logf = open(log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = bytearray()
        self.mark = 0

    def _pump(self, wait_s):
        ready, _, _ = select.select([self.proc.stdout], [], [], wait_s)
        if not ready:
            return self.proc.poll() is None
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        self.buf += chunk
        self.logf.write(chunk)
        self.logf.flush()
        return bool(chunk)

    def expect(self, pattern, timeout=60):
        """Waits until pattern (str or compiled bytes regex) appears after the mark; returns the match, or None on timeout or when
        QEMU is gone. The mark moves past the match, so the next expect sees only newer output."""
        regex = re.compile(pattern.encode()) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.buf, self.mark)
            if m:
                self.mark = m.end()
                return m
            if time.monotonic() > deadline or not self._pump(0.2):
                return None

    def type(self, keys):
        """Types keys (str or bytes) on the serial port. Output from here on is what expect sees."""
        self.mark = len(self.buf)
        self.proc.stdin.write(keys.encode() if isinstance(keys, str) else keys)
        self.proc.stdin.flush()

    def run(self, line, timeout=60):
        """Types a command line and waits for the next prompt; returns what was printed in between
        (the echoed line included), or None when no prompt came."""
        self.type(line + "\n")
        start = self.mark
        m = self.expect(PROMPT_RE, timeout)
        return None if m is None else self.buf[start:self.mark].decode("utf-8", "replace")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.logf.close()
