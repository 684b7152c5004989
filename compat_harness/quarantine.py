"""Quarantine: known-flaky journeys or tests whose failures only warn until a set date.

A quarantine file (default ``matrix/quarantine.yaml``) lists entries; each names a journey or a
test pattern, optionally the cells, a reason and the last day it holds (``until``). A matching
result keeps its real status (failed stays failed, in every report) but does not fail the run.
After ``until`` the entry has expired: its failures count again and reports say so.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from compat_harness.datedlist import DatedListError, load_entries
from compat_harness.results import TestResult


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


def load_quarantine(
    path: Path, known_cells: Iterable[str] | None = None, *, required: bool = False
) -> Quarantine:
    """Read and validate a quarantine file; a missing default file is an empty quarantine.
    ``known_cells`` (when given): the cells an entry may name."""
    try:
        raws = load_entries(
            path,
            list_key="quarantine",
            keys=("journey", "test"),
            known_cells=known_cells,
            required=required,
            kind="quarantine",
            flag="--quarantine",
        )
    except DatedListError as exc:
        raise QuarantineError(str(exc)) from None
    if raws is None:
        return Quarantine()
    entries = []
    for raw in raws:
        journey, test = raw.text("journey"), raw.text("test")
        if bool(journey) == bool(test):
            raise QuarantineError(
                f"{raw.where}: give exactly one of 'journey' or 'test' (a pattern)"
            )
        entries.append(Entry(raw.reason, raw.until, journey, test, raw.cells))
    return Quarantine(tuple(entries), str(path))
