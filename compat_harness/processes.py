"""The processes a run starts, and what is left of them at its end.

Every helper process the harness starts itself (the reference app, Xvfb, WebKitWebDriver, ffmpeg)
starts through ``child_options()``: in a session of its own, so that a terminal's Ctrl-C (SIGINT
to the whole foreground process group) reaches only the harness, which then stops its helpers in
order instead of finding them gone; and with the parent-death signal, so that a harness killed
outright (SIGKILL, a crash) does not leave them running. The run's controller is a child
subreaper: whatever its descendants leave behind is re-parented to it, and ``reap()`` ends it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36

# Playwright's driver ignores a terminal's Ctrl-C itself (its owner closes the connection) but, by
# default, kills the browsers it launched on it: the harness closes them itself, in order.
PLAYWRIGHT_LAUNCH_OPTIONS: dict[str, Any] = {"handle_sigint": False}

_LINUX = sys.platform.startswith("linux")
# Resolved once in the parent: the child calls it between fork and exec, where loading a library
# could deadlock.
_prctl: Any = ctypes.CDLL(None, use_errno=True).prctl if _LINUX else None


def _die_with_parent(parent: int) -> Callable[[], None]:
    def preexec() -> None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return preexec


def child_options() -> dict[str, Any]:
    """``subprocess.Popen`` keyword arguments for a helper process the harness stops itself.

    The parent-death signal follows the thread that starts the process: start it from a thread
    that lives as long as the process is needed (the main thread, or a pool kept for the run)."""
    options: dict[str, Any] = {"start_new_session": True}
    if _LINUX:
        options["preexec_fn"] = _die_with_parent(os.getpid())
    return options


def become_subreaper() -> bool:
    """Orphaned descendants are re-parented to this process (so ``reap()`` finds them)."""
    return bool(_LINUX and _prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


@dataclass(frozen=True)
class Proc:
    """One process of the process table."""

    pid: int
    ppid: int
    sid: int
    name: str
    cmdline: str

    def describe(self) -> str:
        return f"{self.pid} {self.cmdline[:120] or self.name}"


def process_table() -> list[Proc]:
    """Every process this machine's /proc shows (zombies included)."""
    table = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # it ended meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z":
            cmdline = cmdline or f"[{name}] <defunct>"
        table.append(Proc(int(entry), int(fields[1]), int(fields[3]), name, cmdline))
    return table


def descendants(root: int, table: Iterable[Proc] | None = None) -> list[Proc]:
    """The processes below ``root`` in the process tree."""
    procs = list(process_table() if table is None else table)
    children: dict[int, list[Proc]] = {}
    for proc in procs:
        children.setdefault(proc.ppid, []).append(proc)
    out: list[Proc] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child.pid)
    return out


def children(root: int) -> list[Proc]:
    """The direct children of ``root``."""
    return [p for p in process_table() if p.ppid == root]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _collect_zombies() -> None:
    """Reap this process's exited children that nobody waits for (re-parented orphans)."""
    for proc in children(os.getpid()):
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(proc.pid, os.WNOHANG)


def reap(keep: Iterable[int] = (), grace: float = 2.0) -> list[str]:
    """End every descendant of this process except ``keep``: SIGTERM, up to ``grace`` seconds,
    then SIGKILL. Returns what was still running (for a note: something did not stop itself)."""
    me = os.getpid()
    kept = set(keep)
    left = [p for p in descendants(me) if p.pid not in kept and _alive(p.pid)]
    for proc in left:
        with contextlib.suppress(OSError):
            os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _collect_zombies()
        if not any(_alive(p.pid) for p in left):
            break
        time.sleep(0.05)
    for proc in left:
        if _alive(proc.pid):
            with contextlib.suppress(OSError):
                os.kill(proc.pid, signal.SIGKILL)
    time.sleep(0.05)
    _collect_zombies()
    return [p.describe() for p in left]
