"""What one test records, and the only place it is encoded and decoded.

A test's facts travel as pytest user properties, ``(name, value)`` pairs with a ``str`` value
(JSON where it has structure): the one channel that crosses from an xdist worker to the
controller, that pytest-rerunfailures keeps across attempts and that every report of the test
carries (each phase's report holds every property recorded so far, in order). Writers append
with the ``record_*`` functions; readers fold a report's (or an item's) properties with
:func:`read`. The two outcomes pytest only knows as "skipped" (not run, not applicable) travel as
a prefix of the skip reason, written by :func:`skip` and read back here too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any, NoReturn, Protocol

import pytest

from compat_harness.results import Finding


class Outcome(StrEnum):
    """How one report of a test ended."""

    PASSED = "passed"
    FAILED = "failed"
    RERUN = "rerun"  # pytest-rerunfailures: this attempt failed, another follows
    NOT_RUN = "not_run"  # skipped: it could not run here (a plain pytest skip too)
    NOT_APPLICABLE = "not_applicable"  # skipped: the journey does not apply to the cell


_SKIP_PREFIXES = {Outcome.NOT_RUN: "not run: ", Outcome.NOT_APPLICABLE: "not applicable: "}


@dataclass(frozen=True)
class Identity:
    """Which (test, cell) a test is, written when it is collected: the row and column of the
    matrix, and for a paired journey its browser profile and the pair it belongs to."""

    test: str  # the test id without the cell: the matrix row
    journey: str
    cell: str
    portal: str | None = None
    title: str = ""
    profile: str | None = None  # the browser profile this run uses (compat_harness.profiles)
    pair: str | None = None  # the same for every profile's run of one journey on one cell
    order: int = 0  # position in the full (unsharded) collection


@dataclass(frozen=True)
class Artifact:
    kind: str  # screenshot, trace, video, dom, console, network, har, step, note
    path: str


@dataclass(frozen=True)
class Record:
    """What a test has recorded, as one report (or the item) carries it: the latest steps,
    findings and error category, the first engine and target, every artifact once."""

    identity: Identity | None = None
    outcome: Outcome = Outcome.PASSED
    reason: str = ""  # why it did not run, or does not apply
    artifacts: tuple[Artifact, ...] = ()
    unsaved: tuple[str, ...] = ()  # artifacts the disk refused: "path: error"
    steps: tuple[dict[str, Any], ...] | None = None
    findings: tuple[Finding, ...] | None = None
    engine: dict[str, Any] | None = None  # what ran the cell (EngineInfo.to_json)
    target: dict[str, Any] | None = None  # the target the test ran against (Target.describe)
    target_down: str | None = None  # the target stopped answering: the message
    error_category: str | None = None  # environment, harness: the error is not the product's
    crash: str | None = None  # the crash line of a failure, redacted
    sentinel: str | None = None  # the finding kind that failed the test
    browser_crashed: str | None = None  # "browser version" of a browser that died
    order: int | None = None  # numbered after the identity was written; folded into it


class _Holder(Protocol):
    """An item or a report: both carry user properties."""

    user_properties: list[tuple[str, object]]


# --- the encoding: each fact's property name, how it folds into a record, and its writer ----------

_IDENTITY = "compat"
_ORDER = "compat_order"
_ENGINE = "compat_engine"
_TARGET = "compat_target"
_TARGET_DOWN = "compat_target_down"
_STEPS = "compat_steps"
_FINDINGS = "compat_findings"
_ARTIFACT = "compat_artifact"
_UNSAVED = "compat_artifact_unsaved"
_ERROR_CATEGORY = "compat_error_category"
_CRASH = "compat_crash"
_SENTINEL = "compat_sentinel"
_BROWSER_CRASHED = "compat_browser_crashed"
# pytest-playwright's own, one per artifact it kept: playwright_screenshot, _trace, _video.
_PLAYWRIGHT = "playwright_"


def _add_artifact(record: Record, artifact: Artifact) -> Record:
    if artifact in record.artifacts:
        return record
    return replace(record, artifacts=(*record.artifacts, artifact))


_DECODERS: dict[str, Callable[[Record, str], Record]] = {
    _IDENTITY: lambda r, v: replace(
        r, identity=Identity(**json.loads(v)) if r.identity is None else r.identity
    ),
    _ORDER: lambda r, v: replace(r, order=int(v)),
    _ENGINE: lambda r, v: r if r.engine is not None else replace(r, engine=json.loads(v)),
    _TARGET: lambda r, v: r if r.target is not None else replace(r, target=json.loads(v)),
    _TARGET_DOWN: lambda r, v: r if r.target_down is not None else replace(r, target_down=v),
    _STEPS: lambda r, v: replace(r, steps=tuple(json.loads(v))),
    _FINDINGS: lambda r, v: replace(r, findings=tuple(Finding.from_json(f) for f in json.loads(v))),
    _ARTIFACT: lambda r, v: _add_artifact(r, Artifact(*json.loads(v))),
    _UNSAVED: lambda r, v: replace(r, unsaved=(*r.unsaved, v)),
    _ERROR_CATEGORY: lambda r, v: replace(r, error_category=v),
    _CRASH: lambda r, v: r if r.crash is not None else replace(r, crash=v),
    _SENTINEL: lambda r, v: replace(r, sentinel=v),
    _BROWSER_CRASHED: lambda r, v: replace(r, browser_crashed=v),
}


def _append(holder: _Holder, name: str, value: str) -> None:
    holder.user_properties.append((name, value))


def identify(item: _Holder, identity: Identity) -> None:
    _append(item, _IDENTITY, json.dumps(asdict(identity)))


def record_order(item: _Holder, index: int) -> None:
    _append(item, _ORDER, str(index))


def record_engine(holder: _Holder, info: dict[str, Any]) -> None:
    """What ran the cell: recorded once per test."""
    if not any(name == _ENGINE for name, _ in holder.user_properties):
        _append(holder, _ENGINE, json.dumps(info))


def record_target(holder: _Holder, described: dict[str, Any]) -> None:
    _append(holder, _TARGET, json.dumps(described))


def record_target_down(holder: _Holder, message: str) -> None:
    _append(holder, _TARGET_DOWN, message)


def record_steps(holder: _Holder, steps: Iterable[dict[str, Any]]) -> None:
    _append(holder, _STEPS, json.dumps(list(steps)))


def record_findings(holder: _Holder, findings: Sequence[Finding]) -> None:
    if findings:
        _append(holder, _FINDINGS, json.dumps([asdict(f) for f in findings]))


def record_artifact(holder: _Holder, kind: str, path: str) -> None:
    _append(holder, _ARTIFACT, json.dumps([kind, path]))


def record_unsaved(holder: _Holder, path: str, error: BaseException) -> None:
    _append(holder, _UNSAVED, f"{path}: {error}")


def record_error_category(holder: _Holder, category: str) -> None:
    """The error is not the product's (environment, harness): the latest said wins."""
    _append(holder, _ERROR_CATEGORY, category)


def record_crash(holder: _Holder, message: str) -> None:
    _append(holder, _CRASH, message)


def record_sentinel(holder: _Holder, kind: str) -> None:
    _append(holder, _SENTINEL, kind)


def record_browser_crashed(holder: _Holder, browser: str) -> None:
    _append(holder, _BROWSER_CRASHED, browser)


def rewrite(holder: _Holder, clean: Callable[[str], str]) -> None:
    """Every recorded value passed through ``clean`` (secrets redacted before a report travels)."""
    holder.user_properties = [(k, clean(str(v))) for k, v in holder.user_properties]


def skip(outcome: Outcome, reason: str) -> NoReturn:
    """End the test as not run or not applicable, with its reason."""
    pytest.skip(_SKIP_PREFIXES[outcome] + reason)


# --- reading --------------------------------------------------------------------------------------


def read(holder: _Holder) -> Record:
    """Fold what a report (or an item, collected or run) carries into one record."""
    record = Record()
    for name, value in holder.user_properties:
        decode = _DECODERS.get(name)
        if decode is not None:
            record = decode(record, str(value))
        elif name.startswith(_PLAYWRIGHT):
            record = _add_artifact(record, Artifact(name.removeprefix(_PLAYWRIGHT), str(value)))
    if record.identity is not None and record.order is not None:
        record = replace(record, identity=replace(record.identity, order=record.order))
    if isinstance(holder, pytest.TestReport):
        outcome, reason = _outcome(holder)
        record = replace(record, outcome=outcome, reason=reason)
    return record


def identity_of(item: pytest.Item) -> Identity | None:
    """The item's identity (None for a test the matrix does not parametrize)."""
    return read(item).identity


def encode_plan(planned: dict[str, Identity]) -> str:
    """What an xdist worker collected, by node id, for the controller (a stopped run reports
    what it did not reach)."""
    return json.dumps({nodeid: asdict(identity) for nodeid, identity in planned.items()})


def decode_plan(text: str) -> dict[str, Identity]:
    return {nodeid: Identity(**fields) for nodeid, fields in json.loads(text).items()}


def _outcome(report: pytest.TestReport) -> tuple[Outcome, str]:
    if str(report.outcome) == "rerun":
        return Outcome.RERUN, ""
    if report.failed:
        return Outcome.FAILED, ""
    if not report.skipped:
        return Outcome.PASSED, ""
    longrepr = report.longrepr
    reason = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr)
    reason = reason.removeprefix("Skipped: ")
    for outcome, prefix in _SKIP_PREFIXES.items():
        if reason.startswith(prefix):
            return outcome, reason.removeprefix(prefix)
    return Outcome.NOT_RUN, reason
