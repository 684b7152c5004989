"""Quarantine: known-flaky journeys or tests whose failures only warn until a set date.

A quarantine file (default ``matrix/quarantine.yaml``) lists entries; each names a journey or a
test pattern, optionally the cells, a reason and the last day it holds (``until``). A matching
result keeps its real status (failed stays failed, in every report) but does not fail the run.
After ``until`` the entry has expired: its failures count again and reports say so.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compat_harness.results import TestResult

_KEYS = {"journey", "test", "cells", "until", "reason"}


class QuarantineError(ValueError):
    """The quarantine file is wrong; the message names file, line and the fix."""


@dataclass(frozen=True)
class Entry:
    reason: str
    until: dt.date
    journey: str | None = None
    test: str | None = None
    cells: tuple[str, ...] = ()

    def describe(self) -> str:
        what = f"journey {self.journey}" if self.journey else f"test {self.test}"
        return what + (f" on {', '.join(self.cells)}" if self.cells else "")

    def matches(self, result: TestResult) -> bool:
        if self.cells and result.cell not in self.cells:
            return False
        if self.journey is not None and result.journey != self.journey:
            return False
        if self.test is not None:
            short = result.test.rsplit("::", 1)[-1]
            return any(fnmatch.fnmatchcase(name, self.test) for name in (result.test, short))
        return True

    def expired(self, today: dt.date) -> bool:
        return today > self.until


@dataclass(frozen=True)
class Quarantine:
    entries: tuple[Entry, ...] = ()
    source: str = ""

    def apply(self, results: list[TestResult], today: dt.date) -> None:
        """Mark each matching result with its (first) entry, expired or not."""
        for result in results:
            entry = next((e for e in self.entries if e.matches(result)), None)
            if entry is None:
                continue
            result.quarantine = {
                "entry": entry.describe(),
                "reason": entry.reason,
                "until": entry.until.isoformat(),
                "expired": entry.expired(today),
            }


def until_date(value: Any) -> dt.date | None:
    """An entry's ``until`` (a YAML date or YYYY-MM-DD text), None when it is not a date."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, dt.date) else None


def _line(node: Any) -> int:
    return int(getattr(getattr(node, "start_mark", None), "line", -1)) + 1


def load_quarantine(path: Path, *, required: bool = False) -> Quarantine:
    """Read and validate a quarantine file; a missing default file is an empty quarantine."""
    if not path.exists():
        if required:
            raise QuarantineError(f"{path}: no such quarantine file")
        return Quarantine()
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise QuarantineError(f"{path}: not valid YAML: {exc}") from None
    if root is None:
        return Quarantine(source=str(path))
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("quarantine", []), list):
        raise QuarantineError(
            f"{path}:{_line(root)}: expected a mapping with a 'quarantine:' list of entries"
        )
    nodes = dict((k.value, v) for k, v in root.value)
    items = nodes["quarantine"].value if "quarantine" in nodes else []
    entries = []
    for node, raw in zip(items, data.get("quarantine") or [], strict=True):
        where = f"{path}:{_line(node)}"
        if not isinstance(raw, dict):
            raise QuarantineError(f"{where}: each entry is a mapping (journey/test, until, reason)")
        unknown = set(raw) - _KEYS
        if unknown:
            raise QuarantineError(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))}. Fix: use {', '.join(sorted(_KEYS))}"
            )
        if bool(raw.get("journey")) == bool(raw.get("test")):
            raise QuarantineError(f"{where}: give exactly one of 'journey' or 'test' (a pattern)")
        until = until_date(raw.get("until"))
        if until is None:
            raise QuarantineError(
                f"{where}: 'until' must be a date (YYYY-MM-DD): a quarantine always ends"
            )
        if not str(raw.get("reason") or "").strip():
            raise QuarantineError(f"{where}: say why in 'reason' (a ticket, the symptom)")
        cells = raw.get("cells") or ()
        if isinstance(cells, str):
            cells = (cells,)
        entries.append(
            Entry(
                reason=str(raw["reason"]).strip(),
                until=until,
                journey=raw.get("journey"),
                test=raw.get("test"),
                cells=tuple(str(c) for c in cells),
            )
        )
    return Quarantine(tuple(entries), str(path))
