"""The console and network logs of a failed test, one file each per session, secrets redacted.
Each starts with what the engine could record and what it could not (from its Capture)."""

from __future__ import annotations

import time
from pathlib import Path

from compat_harness.artifacts.capture import Capture
from compat_harness.secrets import REDACTOR


def _clock(ms: float) -> str:
    seconds = ms / 1000
    return time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{int(ms % 1000):03d}"


def _header(capture: Capture, test: str, what: str) -> list[str]:
    info = capture.session.info
    return [
        f"# {what} of {test}",
        f"# cell {capture.session.cell.id}: {info.browser} {info.version} via {info.engine}",
    ]


def write_console(capture: Capture, test: str, path: str) -> None:
    lines = _header(capture, test, "Console messages and uncaught errors")
    lines += [*capture.console_header(), ""]
    entries = sorted(capture.console, key=lambda e: e.get("t") or 0)
    shown = [e for e in entries if e.get("type") != "harness"]
    for e in shown:
        where = f"  ({e['location']})" if e.get("location") else ""
        lines.append(f"{_clock(e.get('t') or 0)} [{e.get('type')}] {e.get('text')}{where}")
    if not shown:
        lines.append("(no console messages)")
    Path(path).write_text(REDACTOR.redact("\n".join(lines)) + "\n", encoding="utf-8")


def write_network(capture: Capture, test: str, path: str) -> None:
    lines = _header(capture, test, "Network requests")
    lines += [*capture.network_header(), ""]
    for e in sorted(capture.network, key=lambda e: e.get("t") or 0):
        status = e.get("failure") or (str(e["status"]) if e.get("status") else "-")
        timing = f"  {e['duration_ms']} ms" if e.get("duration_ms") is not None else ""
        method = e.get("method") or "-"
        lines.append(
            f"{_clock(e.get('t') or 0)} {method:<6} {status:<4} {e.get('type', ''):<14} {e.get('url')}{timing}"
        )
    if not capture.network:
        lines.append("(no requests recorded)")
    Path(path).write_text(REDACTOR.redact("\n".join(lines)) + "\n", encoding="utf-8")
