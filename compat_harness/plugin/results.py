"""Results: every journey test's phases and attempts folded into one status per (test, cell), the
reports written at the end of the run (also after Ctrl-C), and the exit code set by tier policy."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from compat_harness.artifacts import scrub_secrets
from compat_harness.exitcodes import ExitCode
from compat_harness.plugin.cells import plan_of
from compat_harness.plugin.selection import ORDER_PROPERTY
from compat_harness.plugin.settings import RunContext, run_of, settings_of
from compat_harness.plugin.versions import version_rows
from compat_harness.quarantine import Quarantine, QuarantineError, load_quarantine
from compat_harness.report import write_reports
from compat_harness.results import (
    NOT_APPLICABLE_PREFIX,
    NOT_RUN_PREFIX,
    CellRecord,
    ErrorInfo,
    Finding,
    RunResult,
    Status,
    TestResult,
)
from compat_harness.secrets import REDACTOR

_ARTIFACT_KINDS = {
    "playwright_screenshot": "screenshot",
    "playwright_trace": "trace",
    "playwright_video": "video",
}


def _props(report: pytest.TestReport) -> list[tuple[str, Any]]:
    return [tuple(p) for p in report.user_properties]  # type: ignore[misc]


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def _error(report: pytest.TestReport, crash_message: str | None = None) -> ErrorInfo:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = report.longreprtext
    if crash_message is None:
        crash_message = crash.message if crash is not None else _last_error_line(text)
    message = crash_message
    kind, _, rest = message.partition(": ")
    if not kind.replace(".", "").replace("_", "").isalnum() or " " in kind:
        kind, rest = "", message
    return ErrorInfo(message=(rest or message).strip()[:2000], type=kind, details=text[-8000:])


def _last_error_line(text: str) -> str:
    """The 'E   ...' line pytest prints for the exception, else the text's last line."""
    lines = text.strip().splitlines()
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    return errors[0] if errors else (lines[-1] if lines else "")


@dataclass
class _Entry:
    result: TestResult
    failed_attempts: int = 0
    final_failed: bool = False
    skipped: str | None = None
    settled: bool = False


@dataclass
class ResultCollector:
    """Builds the run's results from test reports (in the controller under xdist)."""

    run: RunContext
    quarantine: Quarantine = field(default_factory=Quarantine)
    entries: dict[str, _Entry] = field(default_factory=dict)
    engines: dict[str, dict[str, Any]] = field(default_factory=dict)
    target: dict[str, Any] | None = None
    other_failures: int = 0

    def add(self, report: pytest.TestReport) -> None:
        props = _props(report)
        meta = next((json.loads(v) for k, v in props if k == "compat"), None)
        if meta is None:
            if report.failed:
                self.other_failures += 1
            return
        entry = self.entries.get(report.nodeid)
        if entry is None:
            entry = self.entries[report.nodeid] = _Entry(
                TestResult(
                    test=meta["test"],
                    journey=meta["journey"],
                    cell=meta["cell"],
                    portal=meta["portal"],
                    title=meta["title"],
                    profile=meta.get("profile"),
                    status=Status.PASSED,
                    nodeid=report.nodeid,
                )
            )
        result = entry.result
        result.duration_s = round(result.duration_s + report.duration, 3)
        self._absorb_props(result, props)
        if (
            str(report.outcome) == "rerun"
        ):  # pytest-rerunfailures: this attempt failed, another follows
            entry.failed_attempts += 1
            result.attempts += 1
            if result.error is None:
                result.error = self._error(report, props)
            return
        if report.when == "setup":
            entry.final_failed, entry.skipped = False, None
        if report.skipped:
            entry.skipped = _skip_reason(report)
        elif report.failed:
            entry.final_failed = True
            result.error = self._error(report, props)
        if report.when == "teardown" or (report.when == "setup" and not report.passed):
            self._settle(entry)

    def _absorb_props(self, result: TestResult, props: list[tuple[str, Any]]) -> None:
        for name, value in props:
            if name == "compat_engine":
                self.engines.setdefault(result.cell, json.loads(value))
            elif name == "compat_target" and self.target is None:
                self.target = json.loads(value)
            elif name == "compat_steps":
                result.steps = json.loads(value)
            elif name == "compat_findings":  # the latest attempt's (the props accumulate)
                result.findings = [Finding.from_json(f) for f in json.loads(value)]
            elif name == ORDER_PROPERTY:
                result.order = int(value)
            elif name in _ARTIFACT_KINDS or name == "compat_artifact":
                kind, path = (
                    (_ARTIFACT_KINDS[name], value) if name in _ARTIFACT_KINDS else json.loads(value)
                )
                rel = self._relative(path)
                if rel not in result.artifacts.setdefault(kind, []):
                    result.artifacts[kind].append(rel)
                # The first attempt's folder: a flaky test's failure is what needs looking at.
                result.artifact_dir = result.artifact_dir or os.path.dirname(rel)

    def _error(self, report: pytest.TestReport, props: list[tuple[str, Any]]) -> ErrorInfo:
        error = _error(report, next((v for k, v in props if k == "compat_crash"), None))
        error.category = next((v for k, v in props if k == "compat_error_category"), error.category)
        error.sentinel = next((v for k, v in props if k == "compat_sentinel"), None)
        return error

    def _relative(self, path: str) -> str:
        absolute = Path(path) if os.path.isabs(path) else Path.cwd() / path
        try:
            return str(absolute.resolve().relative_to(self.run.dir.resolve()))
        except ValueError:
            return str(absolute)

    def _settle(self, entry: _Entry) -> None:
        entry.settled = True
        result = entry.result
        if entry.final_failed:
            result.status = Status.FAILED
            if result.error is not None and result.error.step is None:
                # Steps nest (a page object's step inside a journey's): the failing path, outer first.
                failed = [s["title"] for s in result.steps if s["status"] != "passed"]
                result.error.step = " › ".join(failed) or None
        elif entry.skipped is not None:
            reason = entry.skipped
            if reason.startswith(NOT_APPLICABLE_PREFIX):
                result.status, result.reason = (
                    Status.NOT_APPLICABLE,
                    reason.removeprefix(NOT_APPLICABLE_PREFIX),
                )
            else:
                result.status, result.reason = Status.NOT_RUN, reason.removeprefix(NOT_RUN_PREFIX)
        elif entry.failed_attempts:
            result.status = Status.FLAKY
        else:
            result.status, result.error = Status.PASSED, None

    def build(self, config: pytest.Config, finished: float, interrupted: bool) -> RunResult:
        plan = plan_of(config)
        settings = settings_of(config)
        for entry in self.entries.values():  # stopped mid-test (Ctrl-C): never reported as passed
            if not entry.settled:
                entry.result.status, entry.result.reason = Status.NOT_RUN, "interrupted"
        results = sorted(
            [e.result for e in self.entries.values()]
            + version_rows(config, interrupted=interrupted),
            key=lambda r: r.order,
        )
        self.quarantine.apply(results, dt.date.fromtimestamp(self.run.started))
        cells = []
        for cell in plan.cells:
            cell_results = [r for r in results if r.cell == cell.id]
            engine = self.engines.get(cell.id)
            not_run = [
                r
                for r in cell_results
                if r.status is Status.NOT_RUN and r.reason.startswith("no engine")
            ]
            resolution = plan.resolution(cell) if not_run or engine is None else None
            cells.append(
                CellRecord(
                    id=cell.id,
                    tier={p.value: t.value for p, t in cell.tiers.items()},
                    device=cell.device.summary(),
                    browser=cell.browser,
                    engine=engine,
                    emulated=engine.get("emulated", True) if engine else True,
                    status="not_run" if engine is None and (not_run or not cell_results) else "ran",
                    reason=resolution.reason if resolution and not resolution.ok else "",
                    install=resolution.install if resolution and not resolution.ok else "",
                )
            )
        run = {
            "id": self.run.id,
            "started": _iso(self.run.started),
            "finished": _iso(finished),
            "duration_s": round(finished - self.run.started, 2),
            "interrupted": interrupted,
            "target": self.target,
            "profile": None if settings.cells else settings.profile,
            "cells": [c.id for c in plan.cells],
            "matrix": str(plan.matrix.source),
            "fail_on": [t.value for t in settings.fail_on_tiers],
            "fail_on_flaky": bool(settings.fail_on_flaky),
            "retries": int(getattr(config.option, "reruns", None) or 0),
            "quarantine": self.quarantine.source or None,
            "shard": dict(zip(("index", "total"), settings.shard, strict=True))
            if settings.shard
            else None,
            "git": _git(Path(config.rootpath)),
            "command": REDACTOR.redact(
                " ".join(["pytest", *map(str, config.invocation_params.args)])
            ),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        }
        return RunResult(run=run, cells=cells, results=results)


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(ts))


def _git(root: Path) -> dict[str, Any] | None:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


# --- hooks -----------------------------------------------------------------------------------------


class ResultsPlugin:
    """Registered in the controller (or a plain run): collects, writes reports, sets the exit code."""

    def __init__(self, config: pytest.Config, quarantine: Quarantine) -> None:
        self.config = config
        self.collector = ResultCollector(run_of(config), quarantine)
        self.written: tuple[RunResult, dict[str, Path]] | None = None
        self.exitstatus: int | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.collector.add(report)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.collector.entries:
            return
        interrupted = exitstatus == ExitCode.INTERRUPTED
        run_result = self.collector.build(self.config, time.time(), interrupted)
        allure = getattr(self.config.option, "allure_report_dir", None)
        paths = write_reports(run_result, self.collector.run.dir, Path(allure) if allure else None)
        self.written = (run_result, paths)
        self.exitstatus = session.exitstatus = self._exit_status(run_result, exitstatus)

    @pytest.hookimpl(wrapper=True, specname="pytest_sessionfinish")
    def _last_word_on_exit_status(self, session: pytest.Session) -> Generator[None, None, None]:
        """The tier policy has the last word: pytest-rerunfailures' own --fail-on-flaky would
        otherwise turn any flaky result, whatever its tier, into its exit code 7."""
        yield
        if self.exitstatus is not None:
            session.exitstatus = self.exitstatus

    def _exit_status(self, run: RunResult, exitstatus: int) -> int:
        if exitstatus not in (ExitCode.OK, ExitCode.TESTS_FAILED):
            return exitstatus
        if run.gating_failures() or self.collector.other_failures:
            return int(ExitCode.TESTS_FAILED)
        ran = [r for r in run.results if r.status not in (Status.NOT_RUN, Status.NOT_APPLICABLE)]
        if not ran and all(c.status == "not_run" for c in run.cells):
            return int(ExitCode.NO_ENGINE)
        return int(ExitCode.OK)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.written is None:
            return
        from compat_harness.report.text import terminal_summary

        run, paths = self.written
        gating = tuple(t.value for t in settings_of(self.config).fail_on_tiers)
        terminalreporter.section("compatibility matrix", sep="=")
        for line in terminal_summary(run, paths, gating):
            terminalreporter.write_line(line)


def _load_quarantine(config: pytest.Config) -> Quarantine:
    settings = settings_of(config)
    path = settings.resolve_path("quarantine", Path(config.rootpath))
    try:
        quarantine = load_quarantine(path, required=settings.sources["quarantine"] != "default")
    except QuarantineError as exc:
        raise pytest.UsageError(f"quarantine: {exc}") from None
    known = plan_of(config).matrix.cells
    for entry in quarantine.entries:
        unknown = [c for c in entry.cells if c not in known]
        if unknown:
            raise pytest.UsageError(
                f"quarantine: {path}: {entry.describe()}: no cell named {', '.join(unknown)}"
            )
    return quarantine


@pytest.hookimpl(trylast=True)  # after the matrix is loaded (plugin.cells)
def pytest_configure(config: pytest.Config) -> None:
    if run_of(config).is_controller:
        config.pluginmanager.register(
            ResultsPlugin(config, _load_quarantine(config)), "compat-results"
        )


# tryfirst: the outermost wrapper, so this runs after pytest-playwright has moved the test's trace,
# screenshots and video into place (in its own wrapper), and can check them too.
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    """Redact secrets from the report where it is made, before it travels or is written; at the
    end of the test, also from every file it kept (a trace records what was typed)."""
    report: pytest.TestReport = yield
    if not REDACTOR.values():
        return report
    if report.when == "teardown":
        _scrub_kept_files(item, report)
    if report.longrepr is not None and not report.skipped:
        text = report.longreprtext
        clean = REDACTOR.redact(text)
        if clean != text:  # only then lose pytest's structured repr; keep its crash line
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is not None:
                report.user_properties.append(("compat_crash", REDACTOR.redact(crash.message)))
            report.longrepr = clean
    report.sections = [(title, REDACTOR.redact(text)) for title, text in report.sections]
    report.user_properties = [(k, REDACTOR.redact(str(v))) for k, v in report.user_properties]
    return report


def _scrub_kept_files(item: pytest.Item, report: pytest.TestReport) -> None:
    """Every artifact this test kept is checked for secret values; what was done is noted beside
    them (``secrets-redacted.txt``) and in the report's sections."""
    paths: list[Path] = []
    for name, value in _props(report):
        if name in _ARTIFACT_KINDS:
            paths.append(Path(value))
        elif name == "compat_artifact":
            paths.append(Path(json.loads(value)[1]))
    base = item.config.invocation_params.dir
    notes: list[tuple[Path, str]] = []
    for path in dict.fromkeys(p if p.is_absolute() else base / p for p in paths):
        note = scrub_secrets(path)
        if note:
            notes.append((path.parent, note))
    for folder in dict.fromkeys(f for f, _ in notes):
        note_file = folder / "secrets-redacted.txt"
        lines = [n for f, n in notes if f == folder]
        with note_file.open("a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        report.user_properties.append(("compat_artifact", json.dumps(["note", str(note_file)])))
        report.sections.append(("compat: secrets in artifacts", "\n".join(lines)))
