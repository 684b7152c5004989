"""The self-contained HTML compatibility matrix (one file; opens from disk; no network)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from compat_harness.report import findings
from compat_harness.report.history import compare, earlier_runs, trend
from compat_harness.results import RunResult, Status, TestResult, tier_for
from compat_harness.versions.report import view as versions_view

_ENV = Environment(
    loader=PackageLoader("compat_harness.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(
    finding_kind=findings.kind_label,
    finding_where=findings.where,
    finding_allowed=findings.allowed_note,
    finding_stack=findings.stack,
)

ICONS = {
    Status.PASSED: "✓",
    Status.FAILED: "✗",
    Status.FLAKY: "≈",
    Status.NOT_RUN: "∅",
    Status.NOT_APPLICABLE: "–",
}


def _short(test: str) -> str:
    return test.rsplit("::", 1)[-1]


ARTIFACT_LABELS = {
    "screenshot": "Screenshot",
    "trace": "Trace",
    "video": "Video",
    "console": "Console log",
    "network": "Network log",
    "har": "HAR",
    "dom": "DOM snapshot",
}
ARTIFACT_ORDER = list(ARTIFACT_LABELS)


def _artifact_links(artifacts: dict[str, list[str]]) -> list[dict[str, str]]:
    """Every artifact as (kind, label, path), in the order a person looks at them."""
    kinds = sorted(artifacts, key=lambda k: [*ARTIFACT_ORDER, k].index(k))
    links = []
    for kind in kinds:
        paths = artifacts[kind]
        for index, path in enumerate(paths, start=1):
            label = ARTIFACT_LABELS.get(kind, kind)
            links.append(
                {
                    "kind": kind,
                    "label": f"{label} {index}" if len(paths) > 1 else label,
                    "path": path,
                    "name": path.rsplit("/", 1)[-1],
                }
            )
    return links


def _findings_summary(result: TestResult) -> str:
    """'1 page error, 2 failed request(s)': what the sentinels saw, allowlisted ones left out."""
    counts = Counter(findings.kind_label(f.kind) for f in result.findings if not f.allowed)
    return ", ".join(f"{n} {kind}" + ("(s)" if n > 1 else "") for kind, n in counts.items())


def render_html(run: RunResult, history_root: Path | None = None) -> str:
    triage = run.triage()
    earlier = earlier_runs(history_root, str(run.run["id"])) if history_root else []
    comparison = compare(run, earlier[0]) if earlier else None
    gating = run.fail_on
    gating_failures = run.gating_failures()
    rows: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []
    grid = run.grid()
    for journey in run.journeys():
        tests = [
            t for t in run.tests() if any(r.journey == journey for r in run.results if r.test == t)
        ]
        for test in tests:
            cells: list[dict[str, Any] | None] = []
            title = ""
            for cell in run.cells:
                r = grid.get((test, cell.id))
                if r is None:
                    cells.append(None)
                    continue
                title = title or r.title
                tier = tier_for(cell, r.portal)
                entry = {
                    "r": r,
                    "anchor": f"r{len(details)}",
                    "short": _short(test),
                    "tier": tier,
                    "gating": tier in gating,
                    "fails_run": r in gating_failures,
                    "cell": cell,
                    "links": _artifact_links(r.artifacts),
                    "triage": triage.get((r.test, r.cell)),
                    "placed": findings.place(r.steps, r.findings),
                    "findings_summary": _findings_summary(r),
                    "versions": versions_view(r),
                }
                cells.append(entry)
                details.append(entry)
            rows.append(
                {
                    "journey": journey,
                    "test": test,
                    "short": _short(test),
                    "title": title,
                    "cells": cells,
                }
            )
    attention = sorted(
        (e for e in details if e["r"].status in (Status.FAILED, Status.FLAKY)),
        key=lambda e: (not e["fails_run"], e["r"].status is Status.FLAKY),
    )
    quarantine = [e for e in details if e["r"].quarantine]
    template = _ENV.get_template("report.html.j2")
    return template.render(
        run=run,
        info=run.run,
        totals=run.totals(),
        statuses=list(Status),
        icons=ICONS,
        rows=rows,
        details=details,
        attention=attention,
        quarantine=quarantine,
        journeys=run.journeys(),
        verdict=run.verdict(),
        gating=gating,
        comparison=comparison,
        new_failures=set(comparison.new_failures) if comparison else set(),
        trend=trend(run, earlier[:9]) if earlier else [],
        pairs=run.pair_verdicts(),
    )


def write_html(run: RunResult, path: Path, history_root: Path | None = None) -> None:
    path.write_text(render_html(run, history_root), encoding="utf-8")
