"""The self-contained HTML compatibility matrix (one file; opens from disk; no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from compat_harness.report.history import compare, earlier_runs, trend
from compat_harness.results import RunResult, Status, tier_for

_ENV = Environment(
    loader=PackageLoader("compat_harness.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
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


def render_html(run: RunResult, history_root: Path | None = None) -> str:
    earlier = earlier_runs(history_root, str(run.run["id"])) if history_root else []
    comparison = compare(run, earlier[0]) if earlier else None
    gating = tuple(run.run.get("fail_on") or ("recommended", "supported"))
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
                anchor = f"r{len(details)}"
                tier = tier_for(cell, r.portal)
                entry = {
                    "r": r,
                    "anchor": anchor,
                    "tier": tier,
                    "gating": tier in gating,
                    "cell": cell,
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
    gating_failures = run.gating_failures(gating)
    warnings = [r for r in run.results if r.status is Status.FAILED and r not in gating_failures]
    if gating_failures:
        verdict = (
            "failed",
            f"FAILED — {len(gating_failures)} failure(s) in cells whose tier fails the run",
        )
    elif warnings:
        verdict = (
            "warn",
            f"PASSED with warnings — {len(warnings)} failure(s) only in not-recommended cells",
        )
    elif run.run.get("interrupted"):
        verdict = ("warn", "INTERRUPTED — partial results")
    else:
        verdict = ("passed", "PASSED")
    template = _ENV.get_template("report.html.j2")
    return template.render(
        run=run,
        info=run.run,
        totals=run.totals(),
        statuses=list(Status),
        icons=ICONS,
        rows=rows,
        details=details,
        journeys=run.journeys(),
        verdict=verdict,
        comparison=comparison,
        trend=trend(run, earlier[:9]) if earlier else [],
        data_json=json.dumps({"cells": [c.id for c in run.cells]}),
    )


def write_html(run: RunResult, path: Path, history_root: Path | None = None) -> None:
    path.write_text(render_html(run, history_root), encoding="utf-8")
