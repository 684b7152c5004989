"""Run the suites in a child pytest, as a user would, and read back its results.json."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from compat_harness.results import CellRecord, RunResult, Status, TestResult
from compat_harness.triage import delivers_touch, is_phone
from compat_harness.versions.report import version_key
from tests.support.expectations import Expectation

ROOT = Path(__file__).resolve().parents[2]
# A child pytest outside the project's conftest: the harness and the plugin that starts the
# embedded reference app when no target URLs are given.
PLUGINS = ("-p", "compat_harness.plugin", "-p", "reference_app.pytest_plugin")


@dataclass
class MatrixRun:
    code: int
    output: str
    run: RunResult

    def with_status(self, *statuses: Status) -> set[tuple[str, str]]:
        return {(r.test, r.cell) for r in self.run.results if r.status in statuses}

    def cell(self, cell_id: str) -> CellRecord:
        cell = self.run.cell(cell_id)
        assert cell is not None, f"no cell {cell_id} in the run"
        return cell


def child_env(**extra: str) -> dict[str, str]:
    """A child run's environment: this one's without its harness and pytest settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPAT_", "PYTEST_"))}
    env.update(extra)
    return env


def _run_args(report_dir: Path) -> list[str]:
    """What every child harness run is given: no cache, no random order, quiet, its results in
    ``report_dir/run``."""
    return [
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-q",
        "--report-dir",
        str(report_dir),
        "--run-id",
        "run",
    ]


def child_pytest(suite: Path, report_dir: Path, *args: str) -> list[str]:
    """A child harness run of one journey file outside ``suites/`` with the project's plugins and
    fixtures, its results in ``report_dir/run``."""
    return [
        sys.executable,
        "-m",
        "pytest",
        str(suite),
        *PLUGINS,
        "-p",
        "fixtures.accounts",
        *_run_args(report_dir),
        "--rootdir",
        str(ROOT),
        *args,
    ]


def run_suites(
    paths: list[str],
    report_dir: Path,
    *,
    defects: tuple[str, ...] = (),
    args: tuple[str, ...] = (),
    timeout: float = 900,
    versions: bool = True,
) -> MatrixRun:
    """``versions=False``: without the version check (``--versions off``), for runs about
    dynamic faults only."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *paths,
        *_run_args(report_dir),
        # Failing journeys wait out these; the reference app answers in milliseconds.
        "--expect-timeout",
        "3",
        "--action-timeout",
        "5",
        *args,
    ]
    if defects:
        cmd += ["--defects", ",".join(defects)]
    if not versions:
        cmd += ["--versions", "off"]
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=child_env(), check=False
    )
    results = report_dir / "run" / "results.json"
    assert results.exists(), (
        f"no results.json (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
    )
    return MatrixRun(proc.returncode, proc.stdout + proc.stderr, RunResult.read(results))


def has_trait(cell: CellRecord, trait: str) -> bool:
    """The cell traits the defect catalog's expectations use (see tests/support/expectations.py)."""
    phone, touch = is_phone(cell), delivers_touch(cell)
    traits = {
        "all": True,
        "webkit": cell.browser == "webkit",
        "chromium": cell.browser == "chromium",
        "phone": phone,
        "touch-events": touch,
        "touch-phone": phone and touch,
        "android-ua": "Android" in str(cell.device.get("user_agent") or ""),
        # Decided per result, from the version row's declared versions (see _lacks).
        "versions": True,
    }
    if trait not in traits:
        raise ValueError(f"unknown cell trait {trait!r} (known: {', '.join(traits)})")
    return traits[trait]


def _matches(pattern: str, test: str) -> bool:
    import re

    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, test.removeprefix("suites/")) is not None


def _lacks(result: TestResult, first: tuple[tuple[str, str], ...]) -> bool:
    """The versions the row's cell stands for include one older than the feature's first."""
    firsts = dict(first)
    for target in (result.versions or {}).get("targets", []):
        family, _, version = target.partition(" ")
        if family in firsts and version_key(version) < version_key(firsts[family]):
            return True
    return False


def expected_failures(run: RunResult, expectations: Iterable[Expectation]) -> set[tuple[str, str]]:
    cells = {c.id: c for c in run.cells}
    out: set[tuple[str, str]] = set()
    for result in run.results:
        cell = cells[result.cell]
        for exp in expectations:
            if not any(_matches(p, result.test) for p in exp.tests):
                continue
            if exp.cells == "versions":
                if _lacks(result, exp.first):
                    out.add((result.test, result.cell))
            elif has_trait(cell, exp.cells):
                out.add((result.test, result.cell))
    return out


def expected_failures_of(
    results: list[TestResult], expectation: Expectation, expected: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """The documented failures that come from one expectation."""
    tests = expectation.tests
    return {
        (r.test, r.cell)
        for r in results
        if (r.test, r.cell) in expected and any(_matches(p, r.test) for p in tests)
    }


def describe(pairs: set[tuple[str, str]], results: list[TestResult] | None = None) -> str:
    by_key = {(r.test, r.cell): r for r in results or []}
    lines = []
    for test, cell in sorted(pairs):
        r = by_key.get((test, cell))
        why = (
            f" — {r.status.value}: {(r.error.message if r.error else r.reason)[:160]}" if r else ""
        )
        lines.append(f"  {test} on {cell}{why}")
    return "\n".join(lines) or "  (none)"
