"""Start the reference app as a subprocess and wait until both portals listen.

with start(defects=["touch-submit"]) as app:
    app.info.client_url, app.info.provider_url, app.info.demo["client"]["email"]
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 5.0


class AppStartError(RuntimeError):
    """The app did not become ready; the message ends with the tail of its stderr."""


@dataclass(frozen=True)
class RunningApp:
    """The ready JSON of a started app."""

    client_url: str
    provider_url: str
    mode: str
    defects: tuple[str, ...]
    version: int
    demo: Mapping[str, Mapping[str, str]] = field(repr=False)
    pid: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunningApp:
        """Parse the ready file's content."""
        return cls(
            client_url=str(data["client_url"]),
            provider_url=str(data["provider_url"]),
            mode=str(data["mode"]),
            defects=tuple(data.get("defects", ())),
            version=int(data["version"]),
            demo={
                role: {"email": str(acc["email"]), "password": str(acc["password"])}
                for role, acc in dict(data.get("demo", {})).items()
            },
            pid=int(data.get("pid", 0)),
        )


class AppProcess:
    """A running reference-app process; `stop()` (or leaving the `with` block) ends it."""

    def __init__(self, process: subprocess.Popen[bytes], info: RunningApp, workdir: Path) -> None:
        self.process = process
        self.info = info
        self._workdir = workdir

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    @property
    def running(self) -> bool:
        """Whether the process is still alive."""
        return self.process.poll() is None

    def stderr_tail(self, lines: int = 40) -> str:
        """The last lines the app wrote to stderr."""
        return _tail(self._workdir / "stderr.log", lines)

    def stop(self) -> int | None:
        """SIGTERM, wait up to 5 s, then SIGKILL; returns the exit code. Safe to call twice."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._workdir, ignore_errors=True)
        return self.process.returncode

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"AppProcess(pid={self.pid}, info={self.info!r})"


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def start(
    defects: Iterable[str] = (),
    mode: str = "test",
    timeout: float = 20.0,
    env: Mapping[str, str] | None = None,
    *,
    db: str | os.PathLike[str] | None = None,
    host: str = "127.0.0.1",
    popen_options: Mapping[str, Any] | None = None,
) -> AppProcess:
    """Run `python -m reference_app` and wait for its ready file.

    `env` adds to (and overrides) the current environment. The app runs in a session of its own,
    so a terminal's Ctrl-C reaches its owner, who stops it (`stop()`), and not the app itself;
    `popen_options` adds to the `subprocess.Popen` arguments. Raises `AppStartError` when the
    process exits early or is not ready within `timeout` seconds.
    """
    workdir = Path(tempfile.mkdtemp(prefix="haven-launch-"))
    ready = workdir / "ready.json"
    command = [
        sys.executable,
        "-m",
        "reference_app",
        "--mode",
        mode,
        "--defects",
        ",".join(defects),
        "--host",
        host,
        "--ready-file",
        str(ready),
    ]
    if db is not None:
        command += ["--db", os.fspath(db)]
    child_env = dict(os.environ)
    child_env.update(env or {})
    child_env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(PROJECT_ROOT), child_env.get("PYTHONPATH", "")) if part
    )
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    with (
        open(workdir / "stdout.log", "wb") as stdout,
        open(workdir / "stderr.log", "wb") as stderr,
    ):
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=child_env,
            cwd=PROJECT_ROOT,
            **{"start_new_session": True, **(popen_options or {})},
        )
    try:
        return _wait_ready(process, workdir, timeout)
    except BaseException:  # Ctrl-C while it starts: it must not outlive its owner
        if process.poll() is None:
            _abort(process)
        raise


def _wait_ready(process: subprocess.Popen[bytes], workdir: Path, timeout: float) -> AppProcess:
    ready = workdir / "ready.json"
    deadline = time.monotonic() + timeout
    while True:
        if ready.exists():
            try:
                info = RunningApp.from_json(json.loads(ready.read_text(encoding="utf-8")))
            except (ValueError, KeyError) as exc:
                _abort(process)
                message = f"unreadable ready file: {exc}"
                raise AppStartError(_failure(message, workdir)) from exc
            return AppProcess(process, info, workdir)
        code = process.poll()
        if code is not None:
            raise AppStartError(_failure(f"the app exited with code {code}", workdir))
        if time.monotonic() > deadline:
            _abort(process)
            raise AppStartError(_failure(f"the app was not ready within {timeout:g} s", workdir))
        time.sleep(0.02)


def _abort(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait()


def _failure(message: str, workdir: Path) -> str:
    tail = _tail(workdir / "stderr.log", 40)
    shutil.rmtree(workdir, ignore_errors=True)
    return f"{message}\n--- stderr (tail) ---\n{tail}" if tail else message
