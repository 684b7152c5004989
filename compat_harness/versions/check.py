"""The version check at the end of a run: what the target served (``collect``) is linted once,
in one Node process, against every cell's ``stands_for`` query; each cell gets one result row,
``versions::works-on-declared-versions``, failed by the findings its versions lack (less the
accepted ones). Static evidence: no old browser ran anything."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from compat_harness.matrix import Cell
from compat_harness.results import ErrorInfo, Status, TestResult
from compat_harness.versions.allow import Allowlist
from compat_harness.versions.collect import FOLDER, assets_dir
from compat_harness.versions.report import STATIC_NOTE, describe_versions, summary
from compat_harness.versions.tools import ToolsUnavailable, run_job

TEST_ID = "versions::works-on-declared-versions"
JOURNEY = "versions"
TITLE = "works on the versions this cell stands for"
# After every journey in every report (results are listed by their collection order).
ORDER_BASE = 10**7

# --- what was collected -------------------------------------------------------------------------


@dataclass
class _Piece:
    """A script or stylesheet text to lint: a file, or an inline part of a document."""

    kind: str  # script | module | style | style-attr
    text: str
    file: str
    line: int = 1
    column: int = 1
    others: list[str] = field(default_factory=list)  # the same text served at other places


class _Inline(HTMLParser):
    """Inline <script>, <style> and style="" of a document, with where each starts."""

    _STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*(["']?)""", re.IGNORECASE)

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[str, str, int, int]] = []
        self._open: str | None = None
        self._start: tuple[int, int] = (1, 1)
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        line, offset = self.getpos()
        raw = self.get_starttag_text() or ""
        match = self._STYLE_ATTR.search(raw)
        if match and values.get("style"):
            quote = match.group(1)
            end = (
                raw.find(quote, match.end()) if quote else match.end() + len(values["style"] or "")
            )
            before = raw[: match.end()]
            at_line = line + before.count("\n")
            at_col = (
                (len(before) - before.rfind("\n")) if "\n" in before else offset + len(before) + 1
            )
            self.found.append(("style-attr", raw[match.end() : end], at_line, at_col))
        kind = None
        if tag == "script" and not values.get("src"):
            script_type = (values.get("type") or "").strip().lower()
            if script_type in ("", "text/javascript", "application/javascript", "module"):
                kind = "module" if script_type == "module" else "script"
        elif tag == "style":
            kind = "style"
        if kind:
            self._open, self._text = kind, []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            if not self._text:
                line, offset = self.getpos()
                self._start = (line, offset + 1)
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag in ("script", "style"):
            text = "".join(self._text)
            if text.strip():
                self.found.append((self._open, text, *self._start))
            self._open = None


@dataclass
class Collected:
    """Every piece to lint, and what was collected from where."""

    pieces: list[_Piece]
    counts: dict[str, int]
    sources: dict[str, int]

    def describe(self) -> str:
        c = self.counts
        inline = f" (with {c['inline']} inline scripts and styles)" if c.get("inline") else ""
        what = (
            f"{c.get('script', 0)} script(s), {c.get('style', 0)} stylesheet(s) and "
            f"{c.get('html', 0)} HTML document(s){inline} of the target's origins"
        )
        where = []
        if self.sources.get("playwright"):
            where.append(f"{self.sources['playwright']} from the Playwright cells' network capture")
        if self.sources.get("fetched"):
            where.append(
                f"{self.sources['fetched']} fetched over HTTP by the harness from the URLs the "
                "WebDriver cells' pages listed (Resource Timing)"
            )
        return what + (": " + "; ".join(where) if where else "")


def read_collected(run_dir: Path) -> Collected:
    """The run's collected files, each URL once and each text once."""
    entries: dict[str, dict[str, Any]] = {}
    for index in sorted((run_dir / FOLDER).glob("index-*.jsonl")):
        for line in index.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                entries.setdefault(entry["url"], entry)
    counts: dict[str, int] = {}
    sources: dict[str, int] = {}
    by_text: dict[tuple[str, str], _Piece] = {}
    folder = assets_dir(run_dir)
    for url, entry in sorted(entries.items()):
        path = folder / entry["file"]
        if not path.exists():
            continue
        counts[entry["kind"]] = counts.get(entry["kind"], 0) + 1
        sources[entry["source"]] = sources.get(entry["source"], 0) + 1
        text = path.read_bytes().decode("utf-8", "replace")
        if entry["kind"] == "html":
            parser = _Inline()
            parser.feed(text)
            parser.close()
            parts = [_Piece(k, t, url, line, col) for k, t, line, col in parser.found]
            counts["inline"] = counts.get("inline", 0) + len(parts)
        else:
            parts = [_Piece(entry["kind"], text, url)]
        for piece in parts:
            key = (piece.kind, hashlib.sha256(piece.text.encode()).hexdigest())
            if key in by_text:
                by_text[key].others.append(url)
            else:
                by_text[key] = piece
    return Collected(list(by_text.values()), counts, sources)


# --- the check ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the one Node run said (or why it could not run)."""

    queries: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    tools: dict[str, str] = field(default_factory=dict)
    collected: Collected | None = None
    unavailable: str = ""
    duration_s: float = 0.0


def lint(collected: Collected, queries: dict[str, str]) -> Outcome:
    """One Node process for the whole run: every piece, every cell's query."""
    started = time.monotonic()
    pieces = [
        {
            "id": str(n),
            "kind": p.kind,
            "text": p.text,
            "line": p.line,
            "column": p.column,
        }
        for n, p in enumerate(collected.pieces)
    ]
    try:
        out = run_job({"mode": "check", "queries": queries, "pieces": pieces})
    except ToolsUnavailable as exc:
        return Outcome(collected=collected, unavailable=str(exc))

    def place(item: dict[str, Any]) -> dict[str, Any]:
        piece = collected.pieces[int(item.pop("piece"))] if item.get("piece") is not None else None
        if piece is not None:
            item["file"] = piece.file
            if piece.kind in ("script", "module", "style", "style-attr") and piece.line != 1:
                item["inline"] = True
            if piece.others:
                item["also_in"] = len(piece.others)
        return item

    return Outcome(
        queries=out["queries"],
        findings=[place(f) for f in out["findings"]],
        problems=[place(p) for p in out["problems"]],
        tools=out["tools"],
        collected=collected,
        duration_s=round(time.monotonic() - started, 2),
    )


def run_check(run_dir: Path, cells: list[Cell]) -> Outcome:
    """Lint what this run collected for the cells that name their versions."""
    queries = {c.id: c.stands_for for c in cells if c.stands_for}
    collected = read_collected(run_dir)
    if not queries or not collected.pieces:
        return Outcome(collected=collected)
    return lint(collected, queries)


# --- one row per cell ---------------------------------------------------------------------------


def _row(cell: Cell, index: int, status: Status, **fields: Any) -> TestResult:
    return TestResult(
        test=TEST_ID,
        journey=JOURNEY,
        cell=cell.id,
        status=status,
        title=TITLE,
        nodeid=TEST_ID,
        order=ORDER_BASE + index,
        **fields,
    )


def rows(
    cells: list[Cell],
    outcome: Outcome | None,
    allowlist: Allowlist,
    today: dt.date,
    *,
    not_run: str = "",
) -> list[TestResult]:
    """The version row of every cell; ``not_run`` says why none could be checked."""
    out = []
    for index, cell in enumerate(cells):
        if not cell.stands_for:
            out.append(
                _row(
                    cell,
                    index,
                    Status.NOT_APPLICABLE,
                    reason="the cell names no versions (stands_for in the matrix)",
                )
            )
            continue
        reason = not_run or (outcome.unavailable if outcome else "the check did not run")
        collected = outcome.collected if outcome else None
        if not reason and (collected is None or not collected.pieces):
            reason = "nothing to check: no page of the target was loaded on this run"
        if reason:
            out.append(_row(cell, index, Status.NOT_RUN, reason=reason))
            continue
        assert outcome is not None and collected is not None
        out.append(_cell_row(cell, index, outcome, collected, allowlist, today))
    return out


def _cell_row(
    cell: Cell,
    index: int,
    outcome: Outcome,
    collected: Collected,
    allowlist: Allowlist,
    today: dt.date,
) -> TestResult:
    query = outcome.queries.get(cell.id) or {}
    if query.get("error"):
        return _row(
            cell,
            index,
            Status.NOT_RUN,
            reason=f"browserslist cannot read {cell.stands_for!r}: {query['error']}",
        )
    findings = []
    for raw in outcome.findings:
        lacking = (raw.get("cells") or {}).get(cell.id)
        if not lacking:
            continue
        finding = {k: v for k, v in raw.items() if k != "cells"} | {"lacking": lacking}
        entry = allowlist.match(finding, cell.id)
        if entry is not None:
            finding["accepted"] = {
                "entry": entry.describe(),
                "reason": entry.reason,
                "until": entry.until.isoformat(),
                "expired": today > entry.until,
                "line": entry.line,
            }
        findings.append(finding)
    versions = {
        "static": True,
        "note": STATIC_NOTE,
        "query": cell.stands_for,
        "browsers": describe_versions(query.get("browsers") or []),
        "targets": query.get("browsers") or [],
        "collected": collected.describe(),
        "findings": findings,
        "problems": outcome.problems,
        "allowlist": allowlist.source or None,
        "tools": outcome.tools,
    }
    return judge(_row(cell, index, Status.PASSED, versions=versions, duration_s=outcome.duration_s))


def judge(row: TestResult) -> TestResult:
    """Failed by its findings that count (not accepted, or accepted and expired), else passed."""
    versions = row.versions or {}
    failing = [
        f for f in versions.get("findings", []) if not f.get("accepted") or f["accepted"]["expired"]
    ]
    if not failing:
        row.status, row.error = Status.PASSED, None
        return row
    names = ", ".join(dict.fromkeys(f["feature"] for f in failing))
    row.status = Status.FAILED
    row.error = ErrorInfo(
        message=f"{len(failing)} use(s) of features that {versions.get('query')} lacks: {names} "
        "(static evidence)",
        type="VersionFinding",
        details="\n".join(summary(row)),
        category="product",
    )
    return row


def combine(rows: list[TestResult]) -> TestResult:
    """One cell's version rows of several shards: each shard linted what it collected, so the
    findings add up (each once) and the row is judged again."""
    checked = [r for r in rows if r.versions]
    if not checked:
        return rows[0]
    first = checked[0]
    assert first.versions is not None
    findings: dict[tuple[Any, ...], dict[str, Any]] = {}
    problems: list[dict[str, Any]] = []
    collected = []
    for row in checked:
        data = row.versions or {}
        for f in data.get("findings", []):
            findings.setdefault((f["feature"], f["file"], f["line"], f["column"]), f)
        problems += [p for p in data.get("problems", []) if p not in problems]
        collected.append(str(data.get("collected", "")))
    first.versions = {
        **first.versions,
        "findings": list(findings.values()),
        "problems": problems,
        "collected": " + ".join(f"shard {n}: {c}" for n, c in enumerate(collected, start=1)),
    }
    first.duration_s = round(sum(r.duration_s for r in checked), 2)
    return judge(first)
