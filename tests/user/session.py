"""An interactive session on the serial console, as a person at `make run` would have it: job
control (`&`, `jobs`, `fg`, `bg`, `kill %1`, ^C, ^Z), a pipeline with redirections, and busybox
`vi` creating and editing files. One boot; each check is its own verdict.

Every step waits for output that only the step's effect can print (markers built by the shell,
such as `@@st=$?`, never appear in the echoed command line), with generous deadlines."""
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
import serial_shell  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests", "user"))
import suites as user_suites  # noqa: E402

BOOT_TIMEOUT = 180
STEP_TIMEOUT = 60
CTRL_C, CTRL_Z, ESC = "\x03", "\x1a", "\x1b"


class StepFailed(Exception):
    pass


def need(match, what):
    if not match:
        raise StepFailed(what)
    return match


def status_of(sh, line):
    """Runs `line; echo @@st=$?` and returns the status the shell reports ($? alone: line empty)."""
    sh.type((line + "; " if line else "") + "echo @@st=$((0+$?))\n")
    return int(need(sh.expect(r"@@st=(\d+)\r\n", STEP_TIMEOUT), f"no status from {line!r}").group(1))


def prompt(sh, what):
    need(sh.expect(serial_shell.PROMPT_RE, STEP_TIMEOUT), f"no prompt after {what}")


def jobs_shows_running(sh):
    need(sh.run("sleep 40 &"), "no prompt after sleep 40 &")
    sh.type("jobs\n")
    need(sh.expect(r"\[1\]\+ +Running +sleep 40", STEP_TIMEOUT), "jobs does not list [1]+ Running sleep 40")
    prompt(sh, "jobs")


def kill_ends_job(sh):
    pid = need(sh.run("echo @@pid=$((0+$!))"), "no prompt after echo $!")
    pid = need(re.search(r"@@pid=(\d+)\r\n", pid), "no pid of the background job").group(1)
    need(sh.run("kill %1"), "no prompt after kill %1")
    sh.type("jobs\n")
    need(sh.expect(r"\[1\]\+ +Terminated +sleep 40", STEP_TIMEOUT), "the job is not reported Terminated")
    prompt(sh, "jobs")
    # The shell reaped it: the pid is gone, a zombie would still answer kill -0.
    if status_of(sh, f"kill -0 {pid} 2>/dev/null") != 1:
        raise StepFailed(f"process {pid} still exists after kill %1")
    prompt(sh, "kill -0")


def interrupted_status(sh, what):
    """After ^C: the prompt (an interactive ash drops the rest of the line when its foreground job
    dies of SIGINT, as on Linux), then $? must say SIGINT."""
    sh.type(CTRL_C)
    prompt(sh, f"^C to {what}")
    if status_of(sh, "") != 130:
        raise StepFailed(f"{what} did not die of SIGINT (status 130)")
    prompt(sh, "echo")


def until_jobs_show(sh, pattern, what):
    """Runs `jobs` until its output matches: the shell learns of a job's change through SIGCHLD,
    which may come after the prompt. Bounded by a number of tries, not by time."""
    for _ in range(20):
        out = need(sh.run("jobs"), "no prompt after jobs")
        if re.search(pattern, out):
            return
    raise StepFailed(what)


# A job that stops itself at once, then says so once it is continued: `fg` puts it in the
# foreground (tcsetpgrp) before it sends SIGCONT, so after "@@cont" a ^C reaches it.
SELF_STOPPING = "sh -c 'kill -STOP $$; echo @@cont; exec sleep 40' &"
# A foreground job that says when it runs (ash hands it the terminal before exec) and again each
# time it is continued. Lines typed before a program runs may still meet the shell's raw mode.
ANNOUNCING = "sh -c 'trap \"echo @@cont\" CONT; echo @@ready; while :; do sleep 1; done'"


def fg_brings_back(sh):
    need(sh.run(SELF_STOPPING), "no prompt after starting the job")
    until_jobs_show(sh, r"\[\d+\]\+ +Stopped[^\r\n]* sh -c", "the self-stopping job is not listed Stopped")
    sh.type("fg\n")
    need(sh.expect(r"@@cont\r\n", STEP_TIMEOUT), "fg does not continue the job")
    # Only the foreground process group gets the ^C typed on the terminal.
    interrupted_status(sh, "the job brought to the foreground")


def ctrl_c_interrupts_cat(sh):
    sh.type("echo @@ready; cat\n")
    need(sh.expect(r"@@ready\r\n", STEP_TIMEOUT), "the shell does not run the line")
    sh.type("hello cat\n")
    # Once from the terminal's echo, once from cat: cat is running and reading.
    need(sh.expect(r"hello cat\r\nhello cat\r\n", STEP_TIMEOUT), "cat does not copy its input")
    interrupted_status(sh, "cat")


def ctrl_z_stops_then_bg_fg(sh):
    sh.type(ANNOUNCING + "\n")
    need(sh.expect(r"@@ready\r\n", STEP_TIMEOUT), "the job does not start")
    sh.type(CTRL_Z)
    need(sh.expect(r"\[\d+\]\+ +Stopped[^\r\n]* sh -c", STEP_TIMEOUT), "^Z does not stop the job")
    prompt(sh, "^Z")
    until_jobs_show(sh, r"\[\d+\]\+ +Stopped[^\r\n]* sh -c", "jobs loses the stopped job")
    sh.type("bg\n")
    need(sh.expect(r"\[\d+\] sh -c", STEP_TIMEOUT), "bg does not resume the job")
    need(sh.expect(r"@@cont\r\n", STEP_TIMEOUT), "the job does not run after bg")
    until_jobs_show(sh, r"\[\d+\]\+ +Running +sh -c", "the job is not running after bg")
    sh.type("fg\n")
    need(sh.expect(r"@@cont\r\n", STEP_TIMEOUT), "fg does not continue the job")
    sh.type(CTRL_Z)
    need(sh.expect(r"\[\d+\]\+ +Stopped[^\r\n]* sh -c", STEP_TIMEOUT), "^Z after fg does not stop the job")
    prompt(sh, "^Z")
    sh.type("kill -9 %1\n")
    prompt(sh, "kill -9 %1")
    until_jobs_show(sh, r"\[\d+\]\+ +Killed +sh -c", "kill -9 of the stopped job not reported")


def background_read_stops(sh):
    """A background job reading the terminal gets SIGTTIN and stops ("Stopped (tty input)", as on
    Linux); `fg` continues it in the foreground, where the read succeeds. With SIGTTIN ignored the
    read fails with EIO instead."""
    need(sh.run("sh -c 'read x; echo @@got=$x' &"), "no prompt after starting the reader")
    until_jobs_show(sh, r"\[\d+\]\+ +Stopped \(tty input\) +sh -c", "the background reader is not stopped")
    sh.type("fg\n")
    need(sh.expect(r"\r\nsh -c[^\r\n]*\r\n", STEP_TIMEOUT), "fg does not name the job")
    sh.type("typed\n")
    need(sh.expect(r"@@got=typed\r\n", STEP_TIMEOUT), "the reader does not get the line once in the foreground")
    prompt(sh, "the reader")
    # dd, not the shell's read: busybox read polls first, and a poll waits for input like Linux's.
    sh.type("(trap '' TTIN; dd bs=1 count=1 2>&1 >/dev/null; echo @@dd=$?) &\n")
    need(sh.expect(r"dd: standard input: Input/output error\r\n@@dd=1\r\n", STEP_TIMEOUT),
         "a reader ignoring SIGTTIN does not get EIO")
    need(sh.run("wait"), "no prompt after wait")


def tostop_stops_background_write(sh):
    """Background output goes through, until `stty tostop`: then the writer gets SIGTTOU and stops
    ("Stopped (tty output)"), and writes once brought to the foreground."""
    sh.type("echo @@free &\n")
    need(sh.expect(r"@@free\r\n", STEP_TIMEOUT), "background output without tostop does not come out")
    need(sh.run("wait; stty tostop"), "no prompt after stty tostop")
    need(sh.run("echo @@held &"), "no prompt after starting the writer")
    until_jobs_show(sh, r"\[\d+\]\+ +Stopped \(tty output\) +echo @@held", "the background writer is not stopped")
    sh.type("fg\n")
    need(sh.expect(r"\r\n@@held\r\n", STEP_TIMEOUT), "the writer does not write once in the foreground")
    prompt(sh, "fg")
    need(sh.run("stty -tostop"), "no prompt after stty -tostop")


def pipeline_and_redirections(sh):
    need(sh.run("echo hello world | tr a-z A-Z | sed s/O/0/g > /tmp/p"), "no prompt after the pipeline")
    need(sh.run("echo second >> /tmp/p; ls /nonexistent 2> /tmp/e"), "no prompt after the redirections")
    sh.type("cat < /tmp/p; echo @@lines=$(wc -l < /tmp/p) err=$(grep -c nonexistent /tmp/e)\n")
    need(sh.expect(r"\r\nHELL0 W0RLD\r\nsecond\r\n@@lines=2 err=1\r\n", STEP_TIMEOUT),
         "the pipeline's or the redirections' output is wrong")
    prompt(sh, "cat")


def vi_mode(sh, mode, path):
    """vi's status line: '-' in command mode, 'I' in insert mode."""
    need(sh.expect(rf"{mode} {re.escape(path)}", STEP_TIMEOUT), f"vi does not show mode {mode!r}")


def vi_save(sh, path, lines):
    sh.type(ESC)
    vi_mode(sh, "-", path)
    sh.type(":wq\r")
    need(sh.expect(rf"'{re.escape(path)}' {lines}L", STEP_TIMEOUT), "vi does not report the write")
    prompt(sh, ":wq")


def file_is(sh, path, want):
    sh.type(f"echo @@$(tr '\\n' , < {path})\n")
    need(sh.expect(rf"@@{re.escape(want)}\r\n", STEP_TIMEOUT), f"{path} does not hold {want!r}")
    prompt(sh, "tr")


def vi_creates_file(sh):
    sh.type("vi /tmp/f\n")
    vi_mode(sh, "-", "/tmp/f")
    sh.type("i")
    vi_mode(sh, "I", "/tmp/f")
    sh.type("Hello from vi")
    need(sh.expect(r"Hello from vi", STEP_TIMEOUT), "vi does not show the typed text")
    vi_save(sh, "/tmp/f", 1)
    file_is(sh, "/tmp/f", "Hello from vi,")


def vi_edits_file(sh):
    need(sh.run("printf 'one\\ntwo\\nthree\\n' > /tmp/g"), "no prompt after printf")
    sh.type("vi /tmp/g\n")
    vi_mode(sh, "-", "/tmp/g")
    # dd deletes "one", x turns "two" into "wo", o opens a line below it. vi takes the keys in
    # order; the file's content after :wq proves each one did its part.
    sh.type("ddxo")
    vi_mode(sh, "I", "/tmp/g")
    sh.type("new")
    need(sh.expect(r"new", STEP_TIMEOUT), "vi does not show the typed text")
    vi_save(sh, "/tmp/g", 3)
    file_is(sh, "/tmp/g", "wo,new,three,")


CHECKS = [("jobs-lists-background-job", jobs_shows_running), ("kill-%1-ends-job", kill_ends_job),
          ("fg-brings-job-back", fg_brings_back), ("ctrl-c-interrupts-cat", ctrl_c_interrupts_cat),
          ("ctrl-z-stops-bg-fg-resume", ctrl_z_stops_then_bg_fg),
          ("background-read-stops-with-sigttin", background_read_stops),
          ("tostop-stops-background-write", tostop_stops_background_write),
          ("pipeline-and-redirections", pipeline_and_redirections), ("vi-creates-file", vi_creates_file),
          ("vi-edits-file", vi_edits_file)]


def recover(sh):
    """After a failed check: leave vi or a foreground program and clear the jobs, so the next check
    starts at a prompt. Each key waits for its effect, since ^C flushes input typed ahead."""
    for keys in (ESC + ":q!\r", CTRL_C):
        sh.type(keys)
        sh.expect(serial_shell.PROMPT_RE, 10)
    sh.type("kill -9 %1 %2 %3 2>/dev/null; echo @@recovered\n")
    sh.expect(r"@@recovered\r\n", STEP_TIMEOUT)
    sh.expect(serial_shell.PROMPT_RE, STEP_TIMEOUT)


def interactive_session(build, logs, root=None):
    """The checks in one boot; root: None (the initramfs) or a tools/krun ROOTS key (build/disk.img
    on that disk, a scratch copy)."""
    tag = f"-{root}" if root else ""
    log = os.path.join(logs, f"interactive-serial{tag}.log")
    name = f"session/on-{root}" if root else "session"
    with tempfile.TemporaryDirectory(prefix="kestrel-session-") as scratch:
        machine, extra, append = user_suites.root_disk(root, scratch) if root else ("pc", [], "")
        sh = serial_shell.SerialShell(os.path.join(build, "kestrel.elf"), os.path.join(build, "initramfs.cpio"), log,
                                      append=f"console=ttyS0 {append}".strip(), machine=machine, extra=extra)
        out = []
        try:
            if not sh.expect(serial_shell.PROMPT_RE, BOOT_TIMEOUT):
                return [(f"{name}/shell-prompt", False, f"no shell prompt on ttyS0; log {log}")]
            out.append((f"{name}/shell-prompt", True, ""))
            for check_name, check in CHECKS:
                try:
                    check(sh)
                    out.append((f"{name}/{check_name}", True, ""))
                except StepFailed as e:
                    out.append((f"{name}/{check_name}", False, f"{e}; log {log}"))
                    recover(sh)
        finally:
            sh.close()
    return out
