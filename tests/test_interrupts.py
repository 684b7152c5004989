"""Faults from outside a run, made real. Stopping it with the real signals, as a terminal and a
CI runner send them: Ctrl-C is SIGINT to the whole foreground process group, a cancelled CI job
is SIGTERM to the harness; each time a partial report (results so far, the rest "not run:
interrupted"), exit 2, no traceback, within 5 s of a free machine, and no process of the run left
(browsers, drivers, Xvfb, ffmpeg, the app), checked in the process table. The target dying in
the middle of a run: one "target down" message, the rest not run for that reason, fast."""

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
from compat_harness.results import INTERRUPTED, RunResult, Status, TestResult
from compat_harness.versions.check import TEST_ID as VERSIONS_TEST
from tests.support.matrix_run import ROOT

pytest_plugins = ["pytester"]

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


def _journeys(run: RunResult) -> list[TestResult]:
    """The journeys' results, without the version check's row per cell."""
    return [r for r in run.results if r.test != VERSIONS_TEST]


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


def _start(
    tmp_path: Path, *args: str, pytest_args: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[str], _Output]:
    """`compat run ARGS` in its own session (as a terminal gives a job its own process group),
    printing a line per finished test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPAT_", "PYTEST_"))}
    cmd = [sys.executable, "-m", "compat_harness", "run", *args]
    cmd += ["--report-dir", str(tmp_path), "--run-id", "stopped", "-v", "--", "-v"]
    # Failing journeys wait these out; the reference app answers in milliseconds.
    cmd += ["--action-timeout", "5", "--expect-timeout", "3", *pytest_args]
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
    threading.Thread(target=out.read, args=(proc.stdout,), daemon=True).start()
    return proc, out


def _end(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.parametrize(
    ("how", "workers", "video"),
    [("ctrl-c", 1, False), ("sigterm", 1, True), ("ctrl-c", 2, False), ("sigterm", 2, False)],
    ids=[
        "ctrl-c-1-worker",
        "sigterm-1-worker-recording-video",
        "ctrl-c-2-workers",
        "sigterm-2-workers",
    ],
)
def test_a_stopped_run_writes_a_partial_report_and_leaves_no_process(
    tmp_path: Path, how: str, workers: int, video: bool
) -> None:
    processes.become_subreaper()  # what the run leaves, orphaned, comes to this process
    before = {p.pid for p in processes.descendants(os.getpid())}
    workers_args = ("--workers", str(workers)) if workers > 1 else ()
    cells = ("--cells", "chrome-desktop,ios-webkit", "--journey", JOURNEYS)
    # With video, ffmpeg records the WebKitGTK cell's screen while the signal comes.
    proc, out = _start(
        tmp_path, *cells, *workers_args, pytest_args=("--video", "on") if video else ()
    )
    try:
        _wait_for("passed test", lambda: "PASSED" in out.text, proc, out)
        wanted = ("chromium", "WebKitWebDriver", "MiniBrowser", "Xvfb", "reference_app")
        wanted += ("ffmpeg",) if video else ()

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
        _end(proc)

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
    statuses = [r.status for r in _journeys(run)]
    assert Status.PASSED in statuses, "the results so far are kept"
    unfinished = [r for r in _journeys(run) if r.status is Status.NOT_RUN]
    assert unfinished and all(r.reason == INTERRUPTED for r in unfinished)
    # Every selected test is in the report: 3 journeys x 2 portals x 2 cells.
    assert len(_journeys(run)) == 12, [(r.test, r.cell) for r in run.results]
    assert "INTERRUPTED" in (tmp_path / "stopped" / "summary.md").read_text()


def test_a_target_that_dies_mid_run_is_said_once_and_the_rest_is_not_run(tmp_path: Path) -> None:
    proc, out = _start(tmp_path, "--cells", "chrome-desktop", "--journey", "login_url")
    try:
        _wait_for("passed test", lambda: "PASSED" in out.text, proc, out)
        (app,) = [p for p in processes.descendants(proc.pid) if "reference_app" in p.cmdline]
        os.kill(app.pid, signal.SIGKILL)
        started = time.monotonic()
        code = proc.wait(timeout=300)
        took = time.monotonic() - started
    finally:
        _end(proc)
    time.sleep(0.2)  # the reader has the last lines

    assert code == ExitCode.TARGET_DOWN, out.text[-3000:]
    run = RunResult.read(tmp_path / "stopped" / "results.json")
    assert run.run["target_down"].startswith("target down: the client portal and provider portal")
    failed = [r for r in _journeys(run) if r.status is Status.FAILED]
    rest = [r for r in _journeys(run) if r.status is Status.NOT_RUN]
    # The test running when it died fails, saying why; none after it waits for the dead target.
    assert len(failed) <= 1 and all(r.error and r.error.category == "environment" for r in failed)
    assert failed and failed[0].error and "target down" in failed[0].error.message
    assert rest and all(r.reason.startswith("target down: ") for r in rest), rest
    journeys = _journeys(run)
    assert len(journeys) == 16 and sum(r.status is Status.PASSED for r in journeys) >= 1
    # Each remaining test would wait out its 5 s action timeout on a dead target.
    assert took <= 3 * _stop_budget(), f"{len(rest)} tests took {took:.1f} s to be not run"
    assert "Traceback" not in out.text
    assert out.text.count("ERR_CONNECTION_REFUSED") <= 2  # the failed test's line and summary


# The stop signal lands while a finalizer runs (Python prints and drops an exception raised
# there), and the browser the same Ctrl-C reached is gone: the test carries on, sees its page
# closed and fails, and the next test would start.
_LOST_STOP = """
import os, signal

class Page:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        sum(range(1000))  # the handler runs here, inside the finalizer

def test_in_flight():
    Page()
    raise RuntimeError("Target page, context or browser has been closed")

def test_next():
    open(os.environ["NEXT_RAN"], "w").close()
"""


def test_a_stop_lost_inside_a_finalizer_still_stops_and_fails_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_lost_stop=_LOST_STOP)
    marker = pytester.path / "next-ran"
    monkeypatch.setenv("NEXT_RAN", str(marker))
    result = pytester.runpytest_subprocess("-p", "compat_harness.plugin.interrupts")

    assert result.ret == ExitCode.INTERRUPTED, result.stdout.str()
    out = result.stdout.str() + result.stderr.str()
    assert "RuntimeError" not in out and "Traceback" not in out and "failed" not in out, out
    assert "KeyboardInterrupt: stopped by SIGINT" in out
    assert not marker.exists(), "a test started after the stop"
