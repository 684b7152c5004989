"""A browser killed in the middle of a test, as a crash would: that test fails on that cell as
"browser crashed" (an environment failure, not a product bug), the cell's browser is started
again for its next test, and the other cells are untouched. The processes are found in the
process table and killed for real (SIGKILL): Chromium, MiniBrowser, WebKitWebDriver."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.matrix_run import ROOT, child_env, child_pytest

JOURNEY = """
import os, pathlib, time
import pytest

pytestmark = pytest.mark.journey("crash", portal="client")

@pytest.mark.parametrize("n", [1, 2])
def test_page(session, target, n):
    session.goto(target.url("client", "/login"))
    if n == 1 and session.cell.id in os.environ["KILL_CELLS"].split(","):
        ready = pathlib.Path(os.environ["READY_DIR"]) / session.cell.id
        ready.write_text(str(os.getpid()))
        killed = ready.with_suffix(".killed")
        deadline = time.monotonic() + 60
        while not killed.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    session.goto(target.url("client", "/login?again=1"))
    assert session.title()
"""


def _children(pid: int) -> list[tuple[int, str]]:
    """Every descendant of ``pid`` with its command line."""
    parents: dict[int, int] = {}
    lines: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rpartition(") ")[2].split()[1])
        lines[int(entry.name)] = cmd
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent:
                found.append((child, lines[child]))
                todo.append(child)
    return found


def _victims(pid: int, what: str) -> list[int]:
    """The processes of that kind under the test run: Chromium's browser process (not its
    renderers or helpers); every MiniBrowser, or every WebKitWebDriver with a browser (the test's
    and the spare session's, which is started early: a dead spare must be noticed too)."""
    found = []
    for child, cmd in _children(pid):
        program = cmd.split(" ")[0]
        name = program.rpartition("/")[2]
        browser = "chrom" in name and "--type=" not in cmd
        driving = name == "WebKitWebDriver" and any(
            line.split(" ")[0].endswith("MiniBrowser") for _, line in _children(child)
        )
        wanted = {
            "chromium": browser,
            "minibrowser": name == "MiniBrowser",
            "webkitwebdriver": driving,
        }
        if wanted[what]:
            found.append(child)
    assert found, f"no {what} process under {pid}: {_children(pid)}"
    return found


def _run(
    tmp_path: Path, cells: str, kills: dict[str, str]
) -> dict[tuple[str, str], dict[str, object]]:
    suite = tmp_path / "test_crash_journey.py"
    suite.write_text(JOURNEY)
    ready = tmp_path / "ready"
    ready.mkdir()
    env = child_env(READY_DIR=str(ready), KILL_CELLS=",".join(kills))
    cmd = child_pytest(suite, tmp_path / "r", f"--cells={cells}", "--versions", "off")
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        pending = dict(kills)
        deadline = time.monotonic() + 180
        while pending and time.monotonic() < deadline and proc.poll() is None:
            for cell in list(pending):
                signal_file = ready / cell
                if signal_file.exists():
                    for victim in _victims(proc.pid, pending.pop(cell)):
                        os.kill(victim, signal.SIGKILL)
                    signal_file.with_suffix(".killed").write_text("x")
            time.sleep(0.05)
        output = proc.communicate(timeout=240)[0].decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not pending, f"never reached the kill of {pending}:\n{output[-3000:]}"
    results = json.loads((tmp_path / "r" / "run" / "results.json").read_text())["results"]
    return {(r["cell"], r["test"].rpartition("[")[2].rstrip("]")): r for r in results}


def _crashed(result: dict[str, object]) -> None:
    assert result["status"] == "failed", result
    error = result["error"]
    assert isinstance(error, dict)
    assert str(error["message"]).startswith("browser crashed ("), error["message"]
    assert error["category"] == "environment", error


def test_chromium_and_minibrowser_killed_mid_test(tmp_path: Path) -> None:
    results = _run(
        tmp_path,
        "chrome-desktop,ios-webkit,android-chrome",
        {"chrome-desktop": "chromium", "ios-webkit": "minibrowser"},
    )
    _crashed(results[("chrome-desktop", "1")])
    _crashed(results[("ios-webkit", "1")])
    for cell in ("chrome-desktop", "ios-webkit"):
        assert results[(cell, "2")]["status"] == "passed", results[(cell, "2")]  # started again
    for n in ("1", "2"):
        assert results[("android-chrome", n)]["status"] == "passed", results[("android-chrome", n)]


def test_webkitwebdriver_killed_mid_test(tmp_path: Path) -> None:
    results = _run(tmp_path, "ios-webkit", {"ios-webkit": "webkitwebdriver"})
    _crashed(results[("ios-webkit", "1")])
    assert results[("ios-webkit", "2")]["status"] == "passed", results[("ios-webkit", "2")]
