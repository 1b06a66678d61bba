"""Killing a command at a known point, for the kill-safety tests (exchange-format.md "kill-safe",
issue 3's interrupted bulk run)."""

import os
import pty
import select
import signal
import subprocess
import time


def kill_when_seen(cmd: list[str], *, env: dict, cwd, marker: bytes, timeout: float = 240) -> None:
    """Run `cmd` with its standard error on a terminal (so that it draws its progress bar), wait
    until `marker` appears there, then SIGKILL it; fails if it ends first or never shows it."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    seen, deadline = b"", time.monotonic() + timeout
    try:
        while marker not in seen:
            assert proc.poll() is None, f"the command ended before it could be killed: {seen[-500:]!r}"
            assert time.monotonic() < deadline, "no progress seen"
            if select.select([master], [], [], 0.5)[0]:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
