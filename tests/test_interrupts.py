"""Stopping a run from outside, with the real signals, as a terminal and a CI runner send them:
Ctrl-C is SIGINT to the whole foreground process group, a cancelled CI job is SIGTERM to the
harness. Each time: a partial report (results so far, the rest "not run: interrupted"), exit 2,
no traceback, within 5 s of a free machine, and no process of the run left (browsers, drivers,
Xvfb, ffmpeg, the app), checked in the process table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compat_harness import processes
from compat_harness.exitcodes import ExitCode
from compat_harness.results import INTERRUPTED, RunResult, Status
from tests.support.matrix_run import ROOT

# Journeys of two cells, so that Chromium with its Playwright driver and WebKitGTK with its
# WebDriver, browser and Xvfb are all running when the signal comes.
JOURNEYS = "test_login_page_loads,test_login_names_the_other_portal,test_sign_in_and_out"
STOP_SECONDS = 5.0


def _stop_budget() -> float:
    """5 s on a machine whose cores are free; a machine busier than its cores (other runs on
    it) gives every process a share of them, and the budget grows by as much."""
    busy = os.getloadavg()[0] / (os.cpu_count() or 1)
    return STOP_SECONDS * max(1.0, busy)


@dataclass
class _Output:
    """What the run prints, read as it comes."""

    lines: list[str] = field(default_factory=list)

    def read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append(line)

    @property
    def text(self) -> str:
        return "".join(self.lines)


def _alive(procs: list[processes.Proc]) -> list[str]:
    """Those still running (same pid and command: a reused pid is another process)."""
    now = {p.pid: p for p in processes.process_table()}
    return [
        p.describe()
        for p in procs
        if p.pid in now and now[p.pid].cmdline == p.cmdline and "<defunct>" not in p.cmdline
    ]


def _wait_for(what: str, ready: object, proc: subprocess.Popen[str], out: _Output) -> None:
    deadline = time.monotonic() + 240
    while not ready():  # type: ignore[operator]
        if proc.poll() is not None:
            pytest.fail(
                f"the run ended (exit {proc.returncode}) before {what}:\n{out.text[-3000:]}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within 240 s:\n{out.text[-3000:]}")
        time.sleep(0.2)


@pytest.mark.parametrize(
    ("how", "workers"),
    [("ctrl-c", 1), ("sigterm", 1), ("ctrl-c", 2), ("sigterm", 2)],
    ids=["ctrl-c-1-worker", "sigterm-1-worker", "ctrl-c-2-workers", "sigterm-2-workers"],
)
def test_a_stopped_run_writes_a_partial_report_and_leaves_no_process(
    tmp_path: Path, how: str, workers: int
) -> None:
    processes.become_subreaper()  # what the run leaves, orphaned, comes to this process
    before = {p.pid for p in processes.descendants(os.getpid())}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPAT_", "PYTEST_"))}
    cmd = [sys.executable, "-m", "compat_harness", "run", "--cells", "chrome-desktop,ios-webkit"]
    cmd += ["--journey", JOURNEYS, "--report-dir", str(tmp_path), "--run-id", "stopped", "-v"]
    cmd += ["--workers", str(workers)] if workers > 1 else []
    cmd += ["--", "-v"]  # a line per finished test
    # Its own session, as a terminal gives a job its own process group.
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    out = _Output()
    reader = threading.Thread(target=out.read, args=(proc.stdout,), daemon=True)
    reader.start()
    try:
        _wait_for("passed test", lambda: "PASSED" in out.text, proc, out)
        wanted = ("chromium", "WebKitWebDriver", "MiniBrowser", "Xvfb", "reference_app")

        def everything_runs() -> bool:
            names = " ".join(p.cmdline for p in processes.descendants(proc.pid))
            return all(w in names for w in wanted)

        _wait_for("browsers of both cells", everything_runs, proc, out)
        running = processes.descendants(proc.pid)
        started = time.monotonic()
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=120)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(timeout=10)

    assert code == ExitCode.INTERRUPTED, out.text[-3000:]
    assert took <= _stop_budget(), f"stopped in {took:.1f} s (budget {_stop_budget():.1f} s)"
    assert "Traceback" not in out.text and "Error" not in out.text.split("KeyboardInterrupt")[0]
    time.sleep(0.5)  # the reparented ones are reaped by this process's subreaper
    left = _alive(running) + _alive(
        [p for p in processes.descendants(os.getpid()) if p.pid not in before]
    )
    left += [p.describe() for p in processes.process_table() if p.sid == proc.pid]
    assert not left, f"left behind after {how}: {left}"

    run = RunResult.read(tmp_path / "stopped" / "results.json")
    assert run.run["interrupted"] is True
    statuses = [r.status for r in run.results]
    assert Status.PASSED in statuses, "the results so far are kept"
    unfinished = [r for r in run.results if r.status is Status.NOT_RUN]
    assert unfinished and all(r.reason == INTERRUPTED for r in unfinished)
    # Every selected test is in the report: 3 journeys x 2 portals x 2 cells.
    assert len(run.results) == 12, [(r.test, r.cell) for r in run.results]
    assert "INTERRUPTED" in (tmp_path / "stopped" / "summary.md").read_text()
