"""Results: every journey test's phases and attempts folded into one status per (test, cell), the
reports written at the end of the run (also after Ctrl-C), and the exit code set by tier policy."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from compat_harness.artifacts import scrub_secrets
from compat_harness.exitcodes import ExitCode
from compat_harness.plugin import record
from compat_harness.plugin.cells import list_cells, plan_of
from compat_harness.plugin.record import Outcome
from compat_harness.plugin.settings import RunContext, file_setting, run_of, settings_of
from compat_harness.plugin.versions import version_rows
from compat_harness.quarantine import Quarantine, load_quarantine
from compat_harness.report import write_reports
from compat_harness.results import (
    INTERRUPTED,
    CellRecord,
    ErrorInfo,
    RunResult,
    Status,
    TestResult,
)
from compat_harness.secrets import REDACTOR

_SKIPPED = {Outcome.NOT_RUN: Status.NOT_RUN, Outcome.NOT_APPLICABLE: Status.NOT_APPLICABLE}


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
    skipped: tuple[Status, str] | None = None
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
    planned: dict[str, record.Identity] = field(default_factory=dict)
    workers: list[str] = field(default_factory=list)  # xdist workers that collected
    target_down: str | None = None  # the target stopped answering during the run
    unsaved: list[dict[str, str]] = field(default_factory=list)  # artifacts the disk refused

    def _plan_from_workers(self) -> None:
        for worker in self.workers:
            try:
                path = _plan_path(self.run, worker)
                self.planned = record.decode_plan(path.read_text(encoding="utf-8"))
                return
            except (OSError, ValueError, TypeError):  # not written (yet): another worker's, or none
                continue

    def add(self, report: pytest.TestReport) -> None:
        rec = record.read(report)
        if rec.identity is None:
            if report.failed:
                self.other_failures += 1
            return
        entry = self.entries.get(report.nodeid) or self._entry(report.nodeid, rec.identity)
        result = entry.result
        result.duration_s = round(result.duration_s + report.duration, 3)
        self._absorb(result, rec)
        if rec.outcome is Outcome.RERUN:
            entry.failed_attempts += 1
            result.attempts += 1
            if result.error is None:
                result.error = self._error(report, rec)
            return
        if report.when == "setup":
            entry.final_failed, entry.skipped = False, None
        if rec.outcome in _SKIPPED:
            entry.skipped = (_SKIPPED[rec.outcome], rec.reason)
        elif rec.outcome is Outcome.FAILED:
            entry.final_failed = True
            result.error = self._error(report, rec)
        if report.when == "teardown" or (report.when == "setup" and not report.passed):
            self._settle(entry)

    def _entry(self, nodeid: str, identity: record.Identity) -> _Entry:
        entry = self.entries[nodeid] = _Entry(
            TestResult(
                test=identity.test,
                journey=identity.journey,
                cell=identity.cell,
                portal=identity.portal,
                title=identity.title,
                profile=identity.profile,
                pair=identity.pair,
                status=Status.PASSED,
                nodeid=nodeid,
                order=identity.order,
            )
        )
        return entry

    def _absorb(self, result: TestResult, rec: record.Record) -> None:
        if rec.engine is not None:
            self.engines.setdefault(result.cell, rec.engine)
        self.target = self.target or rec.target
        self.target_down = self.target_down or rec.target_down
        for unsaved in rec.unsaved:
            entry = {"test": result.test, "cell": result.cell, "file": unsaved}
            if entry not in self.unsaved:  # every later report of the test carries it again
                self.unsaved.append(entry)
        if rec.steps is not None:
            result.steps = list(rec.steps)
        if rec.findings is not None:  # the latest attempt's (the records accumulate)
            result.findings = list(rec.findings)
        if rec.identity is not None:
            result.order = rec.identity.order
        for artifact in rec.artifacts:
            rel = self._relative(artifact.path)
            if rel not in result.artifacts.setdefault(artifact.kind, []):
                result.artifacts[artifact.kind].append(rel)
            # The first attempt's folder: a flaky test's failure is what needs looking at.
            result.artifact_dir = result.artifact_dir or os.path.dirname(rel)

    def _error(self, report: pytest.TestReport, rec: record.Record) -> ErrorInfo:
        error = _error(report, rec.crash)
        error.category = rec.error_category or error.category
        error.sentinel = rec.sentinel
        if rec.browser_crashed:
            error.message = f"browser crashed ({rec.browser_crashed}): {error.message}"
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
            result.status, result.reason = entry.skipped
        elif entry.failed_attempts:
            result.status = Status.FLAKY
        else:
            result.status, result.error = Status.PASSED, None

    def build(self, config: pytest.Config, finished: float, interrupted: bool) -> RunResult:
        plan = plan_of(config)
        settings = settings_of(config)
        if interrupted:  # what the run meant to run and did not reach
            if not self.planned:
                self._plan_from_workers()
            for nodeid, identity in self.planned.items():
                if nodeid not in self.entries:
                    self._entry(nodeid, identity)
        for entry in self.entries.values():  # stopped mid-test (Ctrl-C): never reported as passed
            if not entry.settled:
                entry.result.status, entry.result.reason = Status.NOT_RUN, INTERRUPTED
                entry.result.error = None
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
            # A stopped run's cell that no test reached: not worth starting a browser driver in
            # the controller to say why it would not have run.
            unreached = interrupted and engine is None and not not_run
            resolution = (
                plan.resolution(cell) if (not_run or engine is None) and not unreached else None
            )
            cells.append(
                CellRecord(
                    id=cell.id,
                    tier={p.value: t.value for p, t in cell.tiers.items()},
                    device=cell.device.summary(),
                    browser=cell.browser,
                    engine=engine,
                    emulated=engine.get("emulated", True) if engine else True,
                    status="not_run"
                    if engine is None and (not_run or not cell_results or unreached)
                    else "ran",
                    reason=INTERRUPTED
                    if unreached
                    else (resolution.reason if resolution and not resolution.ok else ""),
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
            "target_down": self.target_down,
            "unsaved_artifacts": self.unsaved,
            "cell_set": None if settings.cells else settings.cell_set,
            "cells": [c.id for c in plan.cells],
            "matrix": str(plan.matrix.source),
            "fail_on": [t.value for t in settings.fail_on],
            "fail_on_flaky": bool(settings.fail_on_flaky),
            "allow_not_run": list(settings.allow_not_run),
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


def _fallback_dirs(run_id: str) -> list[Path]:
    return [
        Path(tempfile.gettempdir()) / "compat-reports" / run_id,
        Path.home() / ".cache" / "compat-reports" / run_id,
    ]


def _write_elsewhere(run: RunResult, run_dir: Path, exc: OSError) -> tuple[dict[str, Path], str]:
    """The report folder cannot be written (read-only, full disk): the results go to the first
    place that takes them, and the message says where, why and what to do."""
    why = f"{type(exc).__name__}: {exc.strerror or exc}" + (
        f" ({exc.filename})" if exc.filename else ""
    )
    fix = (
        "free space there"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
        else "make it writable"
    ) + ", or pass --report-dir a folder that can be written"
    for folder in _fallback_dirs(run_dir.name):
        try:
            paths = write_reports(run, folder)
        except OSError:
            continue
        return paths, (
            f"compat: the reports could not be written to {run_dir} ({why}). Fix: {fix}. "
            f"This run's reports are in {folder} (results.json: {paths['results']})"
        )
    return {"html": run_dir / "report.html"}, (
        f"compat: the reports could not be written to {run_dir} ({why}), nor to "
        f"{', '.join(map(str, _fallback_dirs(run_dir.name)))}. Fix: {fix}. The matrix above is "
        "this run's only record"
    )


def planned_items(items: list[pytest.Item]) -> dict[str, record.Identity]:
    """The (test, cell) items a run means to run, by node id; a stopped run reports the rest."""
    planned = {}
    for item in items:
        identity = record.identity_of(item)
        if identity is not None:
            planned[item.nodeid] = identity
    return planned


def pytest_collection_finish(session: pytest.Session) -> None:
    run = run_of(session.config)
    planned = planned_items(session.items)
    # xdist: the controller reads it (plan_from_worker); a worker with no journeys (a self-test
    # run of the harness's own tests) leaves no run folder behind.
    if run.worker is not None and planned:
        _write_plan(run, planned)


def _plan_path(run: RunContext, worker: str) -> Path:
    return run.dir / f".planned-{worker}.json"


def _write_plan(run: RunContext, planned: dict[str, record.Identity]) -> None:
    """Where the controller finds what an xdist worker collected (it collects nothing itself)."""
    path = _plan_path(run, run.worker or "main")
    try:
        run.dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(record.encode_plan(planned), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # an unwritable report folder is reported at the end, with the results
        pass


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
        self.unwritten: str | None = None  # why the reports are not in the run's folder

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.collector.add(report)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collector.planned = planned_items(session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.collector.workers.append(node.gateway.id)

    # A wrapper, inside the terminal reporter's: the reports are written even when a session
    # fixture's teardown fails, and before the terminal summary shows them. A stopped run's
    # results are final when it stops (nothing reports from a teardown after an interrupt): its
    # report is written first, then browsers, drivers, workers and the app are stopped.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int
    ) -> Generator[None, None, None]:
        if exitstatus == ExitCode.INTERRUPTED:
            self._write(session, exitstatus)
        try:
            yield
        finally:
            if self.written is None:
                self._write(session, exitstatus)

    def _write(self, session: pytest.Session, exitstatus: int) -> None:
        interrupted = exitstatus == ExitCode.INTERRUPTED
        if not self.collector.entries and not (
            interrupted and (self.collector.planned or self.collector.workers)
        ):
            return
        run_result = self.collector.build(self.config, time.time(), interrupted)
        allure = getattr(self.config.option, "allure_report_dir", None)
        run_dir = self.collector.run.dir
        try:
            paths = write_reports(run_result, run_dir, Path(allure) if allure else None)
        except OSError as exc:
            paths, self.unwritten = _write_elsewhere(run_result, run_dir, exc)
        for plan in run_dir.glob(_plan_path(self.collector.run, "*").name):
            with contextlib.suppress(OSError):
                plan.unlink()
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
        if run.run.get("target_down"):
            return int(ExitCode.TARGET_DOWN)
        if run.gating_failures() or self.collector.other_failures:
            return int(ExitCode.TESTS_FAILED)
        ran = [r for r in run.results if r.status not in (Status.NOT_RUN, Status.NOT_APPLICABLE)]
        if not ran and all(c.status == "not_run" for c in run.cells):
            return int(ExitCode.NO_ENGINE)
        if run.gating_not_run():
            return int(ExitCode.GATING_NOT_RUN)
        if self.unwritten:  # green, but not where CI looks for the reports
            return int(ExitCode.REPORTS_ELSEWHERE)
        return int(ExitCode.OK)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.written is None:
            return
        from compat_harness.report.text import terminal_summary

        run, paths = self.written
        gating = tuple(t.value for t in settings_of(self.config).fail_on)
        terminalreporter.section("compatibility matrix", sep="=")
        for line in terminal_summary(run, paths, gating):
            terminalreporter.write_line(line)
        if self.unwritten:
            terminalreporter.write_line(self.unwritten, red=True, bold=True)


_QUARANTINE = pytest.StashKey[Quarantine]()


def quarantine_of(config: pytest.Config) -> Quarantine:
    """The run's quarantine, read once per process; a mistake in it is a usage error."""
    return file_setting(
        config,
        _QUARANTINE,
        "quarantine",
        lambda path, required: load_quarantine(
            path, list_cells(config, "quarantine"), required=required
        ),
        "quarantine",
    )


def _check_report_dir(config: pytest.Config) -> None:
    """A report folder that cannot be written stops the run before anything runs (nothing is
    created to find out: the nearest folder that exists must let this process write)."""
    root = run_of(config).dir.parent
    existing = next((p for p in (root, *root.parents) if p.exists()), None)
    if existing is None or (existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)):
        return
    what = "is not a folder" if not existing.is_dir() else "cannot be written by this user"
    if existing.is_dir() and os.statvfs(existing).f_flag & os.ST_RDONLY:
        what = "is on a read-only filesystem"
    raise pytest.UsageError(
        f"--report-dir {root}: {existing} {what}. Fix: pass --report-dir (or COMPAT_REPORT_DIR) "
        "a folder this user can write, or make that one writable"
    )


@pytest.hookimpl(trylast=True)  # after the matrix is loaded (plugin.cells)
def pytest_configure(config: pytest.Config) -> None:
    if run_of(config).is_controller:
        _check_report_dir(config)
        config.pluginmanager.register(
            ResultsPlugin(config, quarantine_of(config)), "compat-results"
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
                record.record_crash(report, REDACTOR.redact(crash.message))
            report.longrepr = clean
    report.sections = [(title, REDACTOR.redact(text)) for title, text in report.sections]
    record.rewrite(report, REDACTOR.redact)
    return report


def _scrub_kept_files(item: pytest.Item, report: pytest.TestReport) -> None:
    """Every artifact this test kept is checked for secret values; what was done is noted beside
    them (``secrets-redacted.txt``) and in the report's sections."""
    paths = [Path(artifact.path) for artifact in record.read(report).artifacts]
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
        record.record_artifact(report, "note", str(note_file))
        report.sections.append(("compat: secrets in artifacts", "\n".join(lines)))
