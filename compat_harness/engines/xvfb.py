"""A virtual X display for engines that have no headless mode (WebKitGTK's MiniBrowser).

Xvfb's own ``-displayfd`` (let the server pick a free number) is not used: measured on Debian 12's
Xvfb 21.1, when a lower display's abstract socket is still held it reports a number and then dies
("Cannot write display number to fd"), and the browser then hangs on a display that is gone. So
the number is chosen here, the server is started on it, and the display counts as ready only once
its socket accepts a connection; a server that dies is retried on another number (parallel workers
race for numbers; Xvfb's lock file settles who wins).
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

from compat_harness.processes import child_options

_SOCKET_DIR = Path("/tmp/.X11-unix")


class DisplayError(RuntimeError):
    pass


def _taken(number: int) -> bool:
    return Path(f"/tmp/.X{number}-lock").exists() or (_SOCKET_DIR / f"X{number}").exists()


def _accepts(number: int) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        try:
            sock.connect(str(_SOCKET_DIR / f"X{number}"))
        except OSError:
            return False
    return True


class VirtualDisplay:
    """Xvfb on a free display number, sized for the cell's device pixels."""

    def __init__(self, width: int, height: int, depth: int = 24) -> None:
        self.width, self.height, self.depth = width, height, depth
        self.display: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("Xvfb") is not None

    def start(self, timeout: float = 10.0, attempts: int = 8) -> str:
        if not self.available():
            raise DisplayError("Xvfb is not installed (sudo apt-get install xvfb)")
        last = ""
        for _ in range(attempts):
            number = self._pick()
            last = self._try(number, timeout)
            if not last:
                self.display = f":{number}"
                return self.display
        raise DisplayError(f"Xvfb did not start after {attempts} attempts: {last}")

    @staticmethod
    def _pick() -> int:
        start = random.randint(100, 900)
        return next(n for n in range(start, start + 1000) if not _taken(n))

    def _try(self, number: int, timeout: float) -> str:
        """Start Xvfb on ``number``; '' when it accepts connections, else why not."""
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - Xvfb writes to it until stop()
        self._proc = subprocess.Popen(
            [
                "Xvfb",
                f":{number}",
                "-screen",
                "0",
                f"{self.width}x{self.height}x{self.depth}",
                "-nolisten",
                "tcp",
                "-noreset",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            **child_options(),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return f"display :{number}: {self._log_tail()}"
            if _accepts(number):
                return ""
            time.sleep(0.05)
        why = f"display :{number} did not accept connections within {timeout:g}s"
        self.stop()
        return why

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        lines = self._log.read().decode(errors="replace").strip().splitlines()
        return " / ".join(lines[-2:])

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
