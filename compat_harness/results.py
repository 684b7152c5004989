"""Results of a run: what ran on which cell and how it ended. ``results.json`` is this model
serialised (versioned schema); every report (HTML, JUnit, Markdown, Allure) is built from it, so a
merged set of shards reports exactly like one run."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compat_harness.triage import Triage

# 2: each result records its pair (`pair`), read from the parametrisation when the test ran;
# version 1 files are read too (their pairs recovered from the test ids, as they were then).
SCHEMA_VERSION = 2
_READABLE_VERSIONS = (1, SCHEMA_VERSION)


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    FLAKY = "flaky"
    NOT_RUN = "not_run"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


# The reason of what a stopped run (Ctrl-C, SIGTERM) did not reach.
INTERRUPTED = "interrupted"


@dataclass
class ErrorInfo:
    message: str
    type: str = ""
    step: str | None = None
    details: str = ""
    # What the harness knows when the test ends: "environment" (the browser could not start) and
    # "harness" (its own error) stand; a "product" failure's category comes from the pattern
    # across cells (compat_harness.triage).
    category: str = "product"
    # The finding kind that failed the test (a page sentinel); None when the journey's own
    # assertion failed.
    sentinel: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


FINDING_KINDS = ("page-error", "failed-request", "stuck-loading", "layout")


@dataclass
class Finding:
    """What a page sentinel saw while the test ran: a script error, a failed request, a page
    left loading, a layout fault. ``detail`` holds the kind's own fields (source, line, column,
    stack; method, url, status, failure; marker, seconds; check, element, box, covered_by)."""

    kind: str  # one of FINDING_KINDS
    message: str
    step: str | None = None  # the path of the step it was seen in, as ErrorInfo.step has it
    page: str | None = None  # the page's URL when seen
    t: float | None = None  # epoch milliseconds
    detail: dict[str, Any] = field(default_factory=dict)
    # Set when an allowlist entry accepted it: {"reason", "until", "entry"}.
    allowed: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)


@dataclass
class TestResult:
    """One test on one cell (its attempts folded into one status)."""

    __test__ = False  # not a pytest test class

    test: str
    journey: str
    cell: str
    status: Status
    portal: str | None = None
    title: str = ""
    duration_s: float = 0.0
    attempts: int = 1
    error: ErrorInfo | None = None
    reason: str = ""
    artifacts: dict[str, list[str]] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    nodeid: str = ""
    # Position in the full (unsharded) collection: every report lists results in this order, so
    # a merge of shards and an xdist run read like a plain run.
    order: int = 0
    # The folder holding this test's artifacts on this cell (relative to the run folder).
    artifact_dir: str = ""
    # Set when a quarantine entry matches: {"reason", "until", "expired", "entry"}.
    quarantine: dict[str, Any] | None = None
    # For paired journeys: which browser profile this run used ("incognito", or the stored-data
    # profiles "stored" (the earlier visit signed out) and "tab_closed" (it stayed signed in)).
    profile: str | None = None
    # For paired journeys: what every profile's run of the journey on this cell shares (the test
    # without its profile parameter), recorded from the parametrisation; pairs group by it.
    pair: str | None = None
    # What the page sentinels saw, in the order seen (allowlisted ones included, marked).
    findings: list[Finding] = field(default_factory=list)
    # The version row (compat_harness.versions): its query, what was collected, the findings.
    versions: dict[str, Any] | None = None

    @property
    def quarantined(self) -> bool:
        """Matched by a quarantine entry that has not expired: its failure does not gate."""
        return self.quarantine is not None and not self.quarantine.get("expired")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["error"] = self.error.to_json() if self.error else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestResult:
        data = dict(data)
        data["status"] = Status(data["status"])
        data["error"] = ErrorInfo(**data["error"]) if data.get("error") else None
        data["findings"] = [Finding.from_json(f) for f in data.get("findings") or []]
        return cls(**data)


@dataclass
class CellRecord:
    """A column of the matrix: the cell as configured and what actually ran it."""

    id: str
    tier: dict[str, str]
    device: dict[str, Any]
    browser: str
    engine: dict[str, Any] | None = None
    emulated: bool = True
    status: str = "ran"  # ran | not_run
    reason: str = ""
    install: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CellRecord:
        return cls(**data)


@dataclass
class RunResult:
    run: dict[str, Any]
    cells: list[CellRecord]
    results: list[TestResult]
    schema_version: int = SCHEMA_VERSION

    # --- views the reports share ---
    def totals(self) -> dict[str, int]:
        counts = Counter(r.status.value for r in self.results)
        return {s.value: counts.get(s.value, 0) for s in Status} | {
            "total": len(self.results),
            "quarantined": sum(r.quarantined for r in self.results),
        }

    def journeys(self) -> list[str]:
        return list(dict.fromkeys(r.journey for r in self.results))

    def tests(self) -> list[str]:
        return list(dict.fromkeys(r.test for r in self.results))

    def cell(self, cell_id: str) -> CellRecord | None:
        return next((c for c in self.cells if c.id == cell_id), None)

    def grid(self) -> dict[tuple[str, str], TestResult]:
        return {(r.test, r.cell): r for r in self.results}

    @property
    def fail_on(self) -> tuple[str, ...]:
        """The tiers whose failures fail this run (the policy it ran with)."""
        return tuple(self.run.get("fail_on") or ("recommended", "supported"))

    @property
    def fail_on_flaky(self) -> bool:
        return bool(self.run.get("fail_on_flaky"))

    def tier(self, result: TestResult) -> str:
        cell = self.cell(result.cell)
        return tier_for(cell, result.portal) if cell else "recommended"

    def gating_failures(
        self, gating_tiers: tuple[str, ...] | None = None, *, flaky: bool | None = None
    ) -> list[TestResult]:
        """Failures (and flaky results when the policy says so) that fail the run: in cells whose
        tier for the test's portal gates, and not under an active quarantine."""
        tiers = self.fail_on if gating_tiers is None else gating_tiers
        statuses = {Status.FAILED}
        if self.fail_on_flaky if flaky is None else flaky:
            statuses.add(Status.FLAKY)
        return [
            r
            for r in self.results
            if r.status in statuses and not r.quarantined and self.tier(r) in tiers
        ]

    @property
    def allow_not_run(self) -> tuple[str, ...]:
        """Cells accepted as 'not run' on purpose (--allow-not-run); 'all' accepts every cell."""
        return tuple(self.run.get("allow_not_run") or ())

    def gating_not_run(self, gating_tiers: tuple[str, ...] | None = None) -> list[CellRecord]:
        """Cells that could not run (no engine, refused session) although their tier gates the
        run, for a portal their tests use, and that were not accepted with --allow-not-run."""
        tiers = self.fail_on if gating_tiers is None else gating_tiers
        allowed = self.allow_not_run
        if "all" in allowed:
            return []
        out = []
        for cell in self.cells:
            # Without a reason (or "interrupted") the run never reached it: it did not fail to start.
            if cell.status != "not_run" or cell.reason in ("", INTERRUPTED) or cell.id in allowed:
                continue
            portals = {r.portal for r in self.results if r.cell == cell.id} or {None}
            if any(tier_for(cell, portal) in tiers for portal in portals):
                out.append(cell)
        return out

    def warnings(self, gating_tiers: tuple[str, ...] | None = None) -> list[TestResult]:
        """Failures that only warn: in not-gating tiers, or quarantined."""
        gating = self.gating_failures(gating_tiers)
        return [r for r in self.results if r.status is Status.FAILED and r not in gating]

    def verdict(self, gating_tiers: tuple[str, ...] | None = None) -> tuple[str, str]:
        """("failed" | "warn" | "passed", one line a person reads first)."""
        gating = self.gating_failures(gating_tiers)
        not_run = self.gating_not_run(gating_tiers)
        warnings = self.warnings(gating_tiers)
        flaky = [r for r in gating if r.status is Status.FLAKY]
        problems = []
        if self.run.get("target_down"):
            skipped = sum(r.reason.startswith("target down") for r in self.results)
            problems.append(f"{self.run['target_down']}; {skipped} test(s) not run")
        if gating:
            problems.append(
                f"{len(gating) - len(flaky)} failure(s)"
                + (f" and {len(flaky)} flaky result(s) (--fail-on-flaky)" if flaky else "")
                + " in cells whose tier fails the run"
            )
        if not_run:
            problems.append(
                f"gating cell(s) not run: {', '.join(c.id for c in not_run)} "
                "(not run is not passed; --allow-not-run CELL accepts it)"
            )
        if problems:
            return "failed", "FAILED — " + "; ".join(problems)
        if self.run.get("interrupted"):
            return "warn", "INTERRUPTED — partial results"
        notes = []
        if warnings:
            quarantined = sum(r.quarantined for r in warnings)
            why = (
                "only in not-recommended cells or quarantined"
                if quarantined
                else ("only in not-recommended cells")
            )
            notes.append(f"{len(warnings)} failure(s) {why}")
        skipped_cells = [
            c.id for c in self.cells if c.status == "not_run" and c.reason not in ("", INTERRUPTED)
        ]
        if skipped_cells:
            notes.append(f"not run, allowed: {', '.join(skipped_cells)}")
        if notes:
            return "warn", "PASSED with warnings — " + "; ".join(notes)
        return "passed", "PASSED"

    def triage(self) -> dict[tuple[str, str], Triage]:
        """Each failed or flaky result's category from the pattern across the cells and profiles
        of its test, keyed by (test, cell) (derived, not stored)."""
        from compat_harness.triage import triage  # triage builds on this module

        return triage(self)

    # --- serialisation ---
    def pair_verdicts(self) -> list[dict[str, Any]]:
        """Paired journeys: each (test, cell, stored-data profile) pair of runs beside the fresh
        run, and its verdict and advice (derived, not stored)."""
        from compat_harness.profiles import pairs  # profiles builds on this module

        return [
            {
                "test": p.test,
                "cell": p.cell,
                "incognito": p.incognito.value,
                "stored": p.stored.value,
                "profile": p.profile.value,
                "profile_label": p.profile.label,
                "verdict": p.verdict.value,
                "advice": p.advice,
                "ok": p.verdict.value == "passes in both",
            }
            for p in pairs(self.results)
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "run": self.run,
            "totals": self.totals(),
            "cells": [c.to_json() for c in self.cells],
            "results": [r.to_json() for r in self.results],
            "pairs": self.pair_verdicts(),
            "triage": [t.to_json() for t in self.triage().values()],
        }

    def write(self, path: Path) -> None:
        path.write_text(
            json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n", encoding="utf-8"
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunResult:
        # Derived from the results: written for other tools, recomputed here.
        data = {k: v for k, v in data.items() if k not in ("pairs", "triage")}
        version = data.get("schema_version")
        if version not in _READABLE_VERSIONS:
            raise ValueError(
                f"results schema version {version!r} is not supported (this harness reads "
                f"{', '.join(map(str, _READABLE_VERSIONS))}). Fix: open it with the harness "
                "version that wrote it, or run the tests again with this one"
            )
        run = dict(data["run"])
        if "profile" in run:  # written before the cell set had its own word
            run.setdefault("cell_set", run.pop("profile"))
        results = [TestResult.from_json(r) for r in data["results"]]
        if version == 1:
            results = [pair_from_test_id(r) for r in results]
        return cls(
            run=run,
            cells=[CellRecord.from_json(c) for c in data["cells"]],
            results=results,
        )

    @classmethod
    def read(cls, path: Path) -> RunResult:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def pair_from_test_id(result: TestResult) -> TestResult:
    """A result whose pair is not recorded (a version 1 file; made-up results in the self-tests):
    its profile and pair read from its test id the way version 1 made them
    (``test[...-profile-...]``)."""
    from compat_harness.profiles import Profile  # profiles builds on this module

    base, bracket, params = result.test.partition("[")
    parts = params.removesuffix("]").split("-") if bracket else []
    named = [p for p in parts if p in tuple(Profile)]
    profile = result.profile or (named[0] if named else None)
    if profile is None:
        return result
    rest = [p for p in parts if p != profile]
    result.profile = profile
    result.pair = f"{base}[{'-'.join(rest)}]" if rest else base
    return result


def tier_for(cell: CellRecord, portal: str | None) -> str:
    """The cell's tier for a portal; the stricter of both for tests spanning portals."""
    if portal in cell.tier:
        return cell.tier[portal]
    order = ["recommended", "supported", "not-recommended"]
    return min(cell.tier.values(), key=order.index) if cell.tier else "recommended"
