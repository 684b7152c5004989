"""``compat repro``: replay a reported problem the way support needs it.

The person's device description picks the closest cell; the journey runs there and on the
recommended desktop (chrome-desktop), each in a fresh profile and in one with stored data from an
earlier visit, as one ordinary harness run (``reports/<repro-id>/``). The results become a verdict
with the help center's advice, and a bundle to attach to the ticket.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from compat_harness.config import DEFAULTS, SettingError, project_ini, read
from compat_harness.deprecation import say_deprecated
from compat_harness.engines import DEFAULT_ENGINE, ENGINES, resolve
from compat_harness.exitcodes import ExitCode
from compat_harness.matrix import Cell, Matrix, MatrixError, Portal, Tier, load_matrix
from compat_harness.profiles import Pair, Profile, pairs, profile_of
from compat_harness.results import RunResult, TestResult
from compat_harness.support.bundle import CellUsed, ReproContext, RunEntry, build_bundle, clean
from compat_harness.support.devices import DeviceError, match_device
from compat_harness.support.journeys import Journey, JourneyError, find_journeys
from compat_harness.support.verdict import (
    JourneyRepro,
    ReproVerdict,
    advice_for,
    judge_profiles,
    overall,
    sign_out_finding,
)
from compat_harness.target import (
    EMBEDDED_ONLY,
    NO_CLEAN_UP,
    Reachability,
    TargetError,
    check_health,
    check_urls,
    destructive_refusal,
    external,
)
from compat_harness.versions.allow import AllowError, load_allowlist, write_subset
from compat_harness.versions.report import STATIC_NOTE
from compat_harness.versions.stated import version_notes

BASELINE = "chrome-desktop"


@dataclass(frozen=True)
class ReproArgs:
    device: str
    journey: str
    portal: str = "client"
    client_url: str | None = None
    provider_url: str | None = None
    control_url: str | None = None
    defects: str | None = None
    allow_destructive: bool = False
    out: str = f"{DEFAULTS.report_dir}/support"
    report_dir: str = DEFAULTS.report_dir
    matrix: str = DEFAULTS.matrix
    secrets_file: str | None = None
    mask: str | None = None
    mask_file: str | None = None
    verbose: bool = False
    steps: str | None = None  # a steps file replayed instead of a named journey


class ReproError(Exception):
    """Something support must fix before a repro can run; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = int(ExitCode.USAGE_ERROR)) -> None:
        super().__init__(message)
        self.code = code


def command_line(args: ReproArgs) -> str:
    """The exact command that runs this repro again."""
    parts = ["compat", "repro", "--device", args.device]
    parts += ["--steps", args.steps] if args.steps else ["--journey", args.journey]
    if args.portal != "client":
        parts += ["--portal", args.portal]
    for flag, value in _passed_on(args):
        parts += [flag, value] if value else [flag]
    return shlex.join(parts)


def _passed_on(args: ReproArgs) -> list[tuple[str, str]]:
    """The target, defect, secrets, masking and safety options given, as the run's flags."""
    given = [
        ("--client-url", args.client_url),
        ("--provider-url", args.provider_url),
        ("--control-url", args.control_url),
        ("--defects", args.defects),
        ("--secrets-file", args.secrets_file),
        ("--mask", args.mask),
        ("--mask-file", args.mask_file),
    ]
    flags = [(flag, value) for flag, value in given if value]
    return flags + ([("--allow-destructive", "")] if args.allow_destructive else [])


def baseline_cell(matrix: Matrix, portal: str) -> Cell:
    """chrome-desktop, else the first desktop cell recommended for the portal."""
    if BASELINE in matrix.cells:
        return matrix.cells[BASELINE]
    for cell in matrix.cells.values():
        if not cell.device.mobile and cell.tiers.get(Portal(portal)) is Tier.RECOMMENDED:
            return cell
    raise ReproError("the matrix has no recommended desktop cell to compare with")


def closeness(cell: Cell, engine: dict[str, Any] | None, substitute_for: Cell | None) -> list[str]:
    """How the cell as it ran here differs from the real device, in plain words."""
    notes: list[str] = []
    if substitute_for is not None:
        notes.append(
            f"{substitute_for.browser} cannot run here, so {substitute_for.device.name}'s screen, "
            f"touch and user agent ran on {cell.browser}: layout and touch faults show, faults of "
            f"{substitute_for.browser}'s own engine cannot"
        )
    ran = ENGINES.get(str(engine.get("engine"))) if engine else None
    if engine is not None and ran is not None:
        notes += ran.closeness(cell, engine)
    return notes


def _substitute(cell: Cell) -> Cell:
    """The same device on Chromium, when the cell's own engine is missing here."""
    return replace(
        cell,
        id=f"{cell.id}-on-chromium",
        browser="chromium",
        engines=(DEFAULT_ENGINE,),
        remote=None,
    )


def _write_matrix(cells: list[Cell], path: Path) -> None:
    """A matrix file with exactly these cells (their devices written out in full)."""
    devices: dict[str, Any] = {}
    entries: dict[str, Any] = {}
    for cell in cells:
        d = cell.device
        devices[d.name] = {
            "viewport": str(d.viewport),
            "scale": d.scale,
            "touch": d.touch,
            "mobile": d.mobile,
            "platform": d.platform,
            "locale": d.locale,
            **({"user_agent": d.user_agent} if d.user_agent else {}),
            **({"timezone": d.timezone} if d.timezone else {}),
        }
        entries[cell.id] = {
            "device": d.name,
            "browser": cell.browser,
            "engines": list(cell.engines),
            "tier": {p.value: t.value for p, t in cell.tiers.items()},
            **({"stands_for": cell.stands_for} if cell.stands_for else {}),
        }
    data = {
        "version": 1,
        "devices": devices,
        "cells": entries,
        "cell_sets": {"default": [c.id for c in cells]},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `compat repro`: the cells this repro ran.\n"
        + yaml.safe_dump(data, sort_keys=False),
        encoding="utf-8",
    )


def _versions_allowlist(root: Path, matrix: Matrix, cells: list[Cell], run_dir: Path) -> Path:
    """The project's accepted version findings, for the repro's own cells."""
    path = run_dir / "repro-versions-allow.yaml"
    try:
        allowlist = load_allowlist(root / "matrix" / "versions-allow.yaml", matrix.cells)
    except AllowError as exc:
        raise ReproError(f"versions allowlist: {exc}") from None
    write_subset(allowlist, [c.id for c in cells], path)
    return path


@contextlib.contextmanager
def _output_to(log: Path) -> Iterator[None]:
    """pytest's and the browsers' own output go to a log file; support reads the verdict."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("w", encoding="utf-8") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                yield
        finally:
            sys.stdout.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _say(text: str = "") -> None:
    print(clean(text), flush=True)


def run_repro(args: ReproArgs, root: Path) -> int:
    """Run the repro, print the verdict block, write the bundle; returns the exit code."""
    try:
        return _run(args, root)
    except ReproError as exc:
        _say(f"compat repro: {exc}")
        return exc.code


def _target_checks(args: ReproArgs, journeys: list[Journey]) -> str:
    """Health and safety of a given target, before any browser starts (the run's own target
    policy, compat_harness.target); returns its description."""
    if not args.client_url and not args.provider_url:
        defects = f" · defects: {args.defects}" if args.defects else ""
        return f"embedded reference app (test mode){defects}"
    if args.defects:
        raise ReproError(EMBEDDED_ONLY)
    try:
        check_urls(args.client_url, args.provider_url, args.control_url)
    except TargetError as exc:
        raise ReproError(str(exc)) from None
    assert args.client_url and args.provider_url  # check_urls: both or neither
    health = check_health(args.client_url, args.provider_url, args.control_url)
    if health.reachability is not Reachability.UP:
        verdict = (
            ReproVerdict.NETWORK_DOWN
            if health.reachability is Reachability.NETWORK_DOWN
            else ReproVerdict.TARGET_DOWN
        )
        lines = [f"VERDICT: {verdict.headline}", f"  {health.message}", "", "What to do:"]
        lines += [f"  - {a}" for a in verdict.advice]
        if not args.control_url:
            lines.append(
                "  (pass --control-url https://a-site-that-should-answer to tell target down from network down)"
            )
        raise ReproError("\n".join(lines), verdict.exit_code)
    target = external(args.client_url, args.provider_url)
    destructive = [j.name for j in journeys if j.destructive]
    if destructive:
        refusal = destructive_refusal(target, args.allow_destructive, ", ".join(destructive))
        if refusal:
            raise ReproError(refusal)
        if not target.is_test_target:
            _say(f"warning: {NO_CLEAN_UP}")
    return f"{target.client_url} and {target.provider_url} (mode {target.mode}, version {target.version or '?'})"


def _steps_journey(args: ReproArgs) -> tuple[ReproArgs, list[Journey]]:
    """A steps file as the journey: its portal decides the baseline and the accounts."""
    from compat_harness.support.steps import StepsError, load_steps

    assert args.steps is not None
    try:
        steps = load_steps(args.steps)
    except StepsError as exc:
        raise ReproError(str(exc)) from None
    journey = Journey(
        "steps",
        f"the steps in {Path(args.steps).name}",
        ("suites/test_steps.py::test_reported_steps",),
        destructive=steps.may_change_data,
    )
    return replace(args, portal=steps.portal.value, journey="steps"), [journey]


def _run(args: ReproArgs, root: Path) -> int:
    started = time.time()
    try:
        match = match_device(args.device)
        if args.steps:
            args, journeys = _steps_journey(args)
        else:
            journeys = find_journeys(args.journey)
    except (DeviceError, JourneyError) as exc:
        raise ReproError(str(exc)) from None
    if args.portal not in ("client", "provider"):
        raise ReproError(f"--portal {args.portal!r}: use client or provider")
    try:
        matrix = load_matrix(root / args.matrix)
    except MatrixError as exc:
        raise ReproError(f"matrix: {exc}") from None
    try:
        device_cell = matrix.cells[match.cell_in(matrix.cells)]
    except DeviceError as exc:
        raise ReproError(str(exc)) from None
    baseline = baseline_cell(matrix, args.portal)
    # Where the browsers are, as the run will read it (environment, project config).
    try:
        settings = read({}, os.environ, project_ini(root))
    except SettingError as exc:
        raise ReproError(str(exc)) from None
    say_deprecated((*settings.deprecations, *matrix.deprecations))
    base = resolve(baseline, settings=settings)
    if not base.ok:
        raise ReproError(
            f"the baseline cell {baseline.id} cannot run here: {base.reason} "
            f"(install: {base.install}); `compat doctor` says more",
            int(ExitCode.NO_ENGINE),
        )
    substitute_for: Cell | None = None
    resolution = resolve(device_cell, settings=settings)
    if not resolution.ok:
        substitute_for, device_cell = device_cell, _substitute(device_cell)
        _say(
            f"note: {substitute_for.id} cannot run here ({resolution.reason}); install: {resolution.install}"
        )
        _say(
            f"      running {substitute_for.device.name} on Chromium instead (closest available engine)"
        )
    target = _target_checks(args, journeys)

    repro_id = "repro-" + time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
    report_dir = root / args.report_dir
    run_dir = report_dir / repro_id
    cells = [device_cell] if device_cell.id == baseline.id else [device_cell, baseline]
    matrix_file = run_dir / "repro-matrix.yaml"
    _write_matrix(cells, matrix_file)
    allow_file = _versions_allowlist(root, matrix, cells, run_dir)
    profiles = "a fresh profile and one with stored data"
    _say(f"compat repro {repro_id}")
    _say(f'  reported: "{args.device}" → {match.label} → cell {device_cell.id}')
    _say(
        f"  running {', '.join(j.name for j in journeys)} on {' and '.join(c.id for c in cells)}, "
        f"each in {profiles}…"
    )
    pytest_args = [
        *[t for j in journeys for t in j.tests],
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        f"--matrix={matrix_file}",
        f"--cells={','.join(c.id for c in cells)}",
        f"--report-dir={report_dir}",
        f"--run-id={repro_id}",
        *([f"--steps={Path(args.steps).resolve()}"] if args.steps else []),
        f"--portal={args.portal}",
        f"--versions-allow={allow_file}",
        "--both-profiles",
        "--step-screenshots",
        "--keep-logs",
        "--tracing=on",
        "--fail-on=recommended,supported,not-recommended",
    ]
    pytest_args += [f"{flag}={value}" if value else flag for flag, value in _passed_on(args)]
    code = _pytest(pytest_args, run_dir, verbose=args.verbose)
    results_file = run_dir / "results.json"
    if code in (ExitCode.TARGET_DOWN, ExitCode.NETWORK_DOWN):
        verdict = (
            ReproVerdict.TARGET_DOWN if code == ExitCode.TARGET_DOWN else ReproVerdict.NETWORK_DOWN
        )
        _say(f"VERDICT: {verdict.headline}")
        return verdict.exit_code
    if not results_file.exists():
        raise ReproError(
            f"the run stopped before any result (pytest exit {code}); its output is in "
            f"{run_dir / 'repro-output.txt'}",
            int(code) if code else int(ExitCode.INTERNAL_ERROR),
        )
    run = RunResult.read(results_file)
    ctx = ReproContext(
        id=repro_id,
        description=args.device,
        device_label=match.label,
        match_notes=match.notes,
        journeys=journeys,
        portal=args.portal,
        cells=[],
        target=target,
        command=command_line(args),
        started=started,
    )
    for cell in cells:
        record = run.cell(cell.id)
        engine = record.engine if record else None
        ctx.cells.append(
            CellUsed(
                id=cell.id,
                role="device" if cell is device_cell else "baseline",
                device=cell.device.summary(),
                engine=engine,
                closeness=tuple(
                    closeness(cell, engine, substitute_for if cell is device_cell else None)
                ),
            )
        )
    entries, ctx.verdicts = _judge(run, journeys, device_cell, baseline)
    ctx.versions = tuple(version_notes(run, device_cell.id, args.device, match.kind))
    ctx.overall = overall(ctx.verdicts)
    ctx.advice = advice_for(ctx.overall, match.kind, args.portal, sign_out_finding(ctx.verdicts))
    ctx.finished = time.time()
    index, archive = build_bundle(ctx, run, run_dir, entries, root / args.out)
    _print_block(ctx, entries, index, archive, run_dir)
    return ctx.overall.exit_code


def _pytest(pytest_args: list[str], run_dir: Path, *, verbose: bool) -> int:
    import pytest

    if verbose:
        return int(pytest.main(pytest_args))
    log = run_dir.parent / f".{run_dir.name}-output.txt"
    try:
        with _output_to(log):
            code = int(pytest.main(["-q", *pytest_args]))
    finally:
        if run_dir.is_dir() and log.exists():
            log.replace(run_dir / "repro-output.txt")
    return code


def _matches(result: TestResult, journey: Journey) -> bool:
    return any(result.test.startswith(t + "[") or result.test == t for t in journey.tests)


def _judge(
    run: RunResult, journeys: list[Journey], device: Cell, baseline: Cell
) -> tuple[list[RunEntry], list[JourneyRepro]]:
    found = pairs(run.results)
    entries: list[RunEntry] = []
    verdicts: list[JourneyRepro] = []
    for journey in journeys:
        mine = [r for r in run.results if _matches(r, journey)]
        ran = {profile_of(r) for r in mine}
        # The profiles the journey runs in (a login journey has no tab-closed one).
        profiles = [p for p in Profile if p in ran] or [Profile.INCOGNITO, Profile.STORED]
        for cell in dict.fromkeys([device.id, baseline.id]):
            for profile in profiles:
                result = next(
                    (r for r in mine if r.cell == cell and profile_of(r) is profile), None
                )
                entries.append(RunEntry(journey, cell, profile, result))

        base = None if device.id == baseline.id else _pairs_of(found, journey, baseline.id)
        verdicts.append(judge_profiles(journey.name, _pairs_of(found, journey, device.id), base))
    return entries, verdicts


def _pairs_of(found: list[Pair], journey: Journey, cell_id: str) -> list[Pair]:
    """The journey's pairs on the cell (its first test's), one per stored-data profile."""
    mine = [
        p for p in found if p.cell == cell_id and any(p.test.startswith(t) for t in journey.tests)
    ]
    return [p for p in mine if p.test == mine[0].test] if mine else []


def _print_block(
    ctx: ReproContext, entries: list[RunEntry], index: Path, archive: Path, run_dir: Path
) -> None:
    from compat_harness.support.bundle import _status_line, engine_line

    _say()
    for cell in ctx.cells:
        label = "tested on" if cell.role == "device" else "compared with"
        _say(f"  {label:<13} {engine_line(cell)}")
        for note in cell.closeness:
            _say(f"  {'':<13} ~ {note}")
        for limit in (cell.engine or {}).get("limits", []):
            _say(f"  {'':<13} limit: {limit}")
    for note in ctx.match_notes:
        _say(f"  {'note':<13} {note}")
    _say(f"  {'target':<13} {ctx.target}")
    _say()
    for journey in ctx.journeys:
        _say(f"  {journey.name} ({ctx.portal} portal): {journey.title}")
        for entry in entries:
            if entry.journey is journey:
                _say(f"    {_status_line(entry)}")
    _say()
    _say(f"VERDICT: {ctx.overall.headline}")
    for v in ctx.verdicts:
        _say(f"  {v.journey}: {v.verdict.headline} ({v.why})")
        for note in v.notes:
            _say(f"    {note}")
    _say()
    _say(f"Versions (beside the verdict; {STATIC_NOTE}):")
    for line in ctx.versions:
        _say(f"  {line}")
    _say()
    _say("What to do:")
    for advice in ctx.advice:
        _say(f"  - {advice}")
    _say()
    _say(f"Bundle:  {archive}")
    _say(f"         {index}")
    _say(f"Report:  {run_dir / 'report.html'}")
    _say(f"Re-run:  {ctx.command}")
