"""Report folders that cannot be written, made real on filesystems mounted for the test: a
read-only one stops the run before anything starts (exit 4, the path and the fix named); a disk
that fills up during the run loses no result (the reports go where they can, the run says where
and why, and which artifacts could not be kept)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compat_harness.exitcodes import ExitCode
from compat_harness.results import RunResult, Status
from tests.support.matrix_run import PLUGINS, ROOT

MATRIX = ROOT / "matrix" / "default.yaml"


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[object]:
    """mount(options) -> a fresh tmpfs with those options, unmounted at the end."""
    if os.geteuid() != 0:
        pytest.skip("mounting a test filesystem needs root (CI runs as root)")
    mounted: list[Path] = []

    def make(options: str) -> Path:
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield make
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _pytest(cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPAT_", "PYTEST_"))}
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "pytest", *PLUGINS, "-p", "no:cacheprovider"]
    cmd += [f"--rootdir={cwd}", f"--matrix={MATRIX}", "--cells=chrome-desktop", "--run-id=r", "-q"]
    return subprocess.Popen(
        [*cmd, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def test_a_read_only_report_folder_stops_the_run_before_it_starts(
    tmp_path: Path, mount: object
) -> None:
    read_only = mount("size=1m,ro")  # type: ignore[operator]
    (tmp_path / "test_x.py").write_text("def test_x(session):\n    pass\n")
    proc = _pytest(tmp_path, f"--report-dir={read_only / 'reports'}")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == ExitCode.USAGE_ERROR, out
    assert f"--report-dir {read_only / 'reports'}: {read_only} is on a read-only filesystem" in out
    assert "Fix: pass --report-dir" in out
    assert "collected" not in out and not any(read_only.iterdir())


def test_a_disk_that_fills_up_during_the_run_loses_no_result(tmp_path: Path, mount: object) -> None:
    disk = mount("size=512k")  # type: ignore[operator]
    go, filled = tmp_path / "go", tmp_path / "filled"
    (tmp_path / "test_full.py").write_text(
        f"""
import pathlib, time
def test_a(session):
    session.goto("data:text/html,<h1>ok</h1>")
def test_b(session):
    session.goto("data:text/html,<h1>the disk fills up now</h1>")
    pathlib.Path({str(go)!r}).write_text("x")
    while not pathlib.Path({str(filled)!r}).exists():
        time.sleep(0.05)
    assert False, "fails with the disk full: its screenshot cannot be kept"
def test_c(session):
    session.goto("data:text/html,ok")
"""
    )
    proc = _pytest(tmp_path, f"--report-dir={disk / 'reports'}")
    try:
        deadline = time.monotonic() + 240
        while not go.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
            time.sleep(0.1)
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as filler:
            while True:  # until the disk is full
                filler.write(b"\0" * 4096)
                filler.flush()
        filled.write_text("x")
        out, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == ExitCode.TESTS_FAILED, out
    expected = f"compat: the reports could not be written to {disk / 'reports' / 'r'}"
    assert expected in out and "No space left on device" in out and "Fix: free space" in out
    said = out.split("results.json: ", 1)[1].split(")", 1)[0]
    run = RunResult.read(Path(said))
    assert {r.test.rsplit("::", 1)[-1]: r.status for r in run.results} == {
        "test_a": Status.PASSED,
        "test_b": Status.FAILED,
        "test_c": Status.PASSED,
    }
    unsaved = run.run["unsaved_artifacts"]
    assert unsaved and all("No space left on device" in u["file"] for u in unsaved)
    assert "artifacts not saved:" in out
    shutil.rmtree(Path(said).parent)  # not left in the shared temp folder
