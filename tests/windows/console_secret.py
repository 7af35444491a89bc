"""vf-token.exe --client-secret-stdin on a console: it prompts, the typed secret is not echoed,
and the token comes out. Under wine a program on a terminal gets a real Windows console, so
this goes through GetConsoleMode/SetConsoleMode as on Windows.

    python3 tests/windows/console_secret.py WINE VF-TOKEN.EXE

Run under tests/with-authority.sh (the secret typed is the dev client's). Exits 1 on failure.
"""

import os
import pty
import select
import signal
import sys
import time

SECRET = b"post-secret-0123456789"
# Typed a second after the prompt, as a person would: wine's console can lose what is typed
# before the program's read begins.
TYPING_DELAY = 1.0


def read_for(fd: int, seconds: float, until: bytes = b"") -> bytes:
    """What the terminal shows within `seconds` (less if `until` appears or the program ends)."""
    seen = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until and until in seen):
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the program ended and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


def wait_or_kill(pid: int, seconds: float) -> int:
    """The program's exit code; a program still running after `seconds` is killed (-9)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return -9


def main() -> int:
    wine, exe = sys.argv[1:3]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(wine, [wine, exe, "--client-secret-stdin", "--header"])
    shown = read_for(fd, 60, until=b"client secret:")
    time.sleep(TYPING_DELAY)
    os.write(fd, SECRET + b"\r")
    shown += read_for(fd, 60)
    code = wait_or_kill(pid, 30)
    checks = {
        "prompts for the secret": b"vf-token: client secret:" in shown,
        "the typed secret is not echoed": SECRET not in shown,
        "prints the Authorization header": b"Authorization: Bearer " in shown,
        "exits 0": code == 0,
    }
    for what, ok in checks.items():
        print(("ok   " if ok else "FAIL ") + what)
    if not all(checks.values()):
        print(f"FAIL: exit {code}; the terminal showed {len(shown)} bytes")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
