"""Accepted version findings (default ``matrix/versions-allow.yaml``): each entry names a feature,
optionally a file pattern and cells, the reason it is accepted and the last day it holds
(``until``). An accepted finding is still listed, marked accepted, and does not fail the row;
after ``until`` it counts again and the row says the acceptance expired."""

from __future__ import annotations

import datetime as dt
import fnmatch
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compat_harness.datedlist import DatedListError, load_entries


class AllowError(ValueError):
    """The allowlist is wrong; the message names file, line and the fix."""


@dataclass(frozen=True)
class Allowed:
    feature: str
    reason: str
    until: dt.date
    file: str | None = None
    cells: tuple[str, ...] = ()
    line: int = 0

    def matches(self, finding: dict[str, Any], cell: str) -> bool:
        if self.cells and cell not in self.cells:
            return False
        names = (finding.get("feature", ""), (finding.get("source") or {}).get("id", ""))
        if not any(fnmatch.fnmatchcase(str(n), self.feature) for n in names):
            return False
        if self.file is None:
            return True
        path = urllib.parse.urlsplit(str(finding.get("file", ""))).path
        return fnmatch.fnmatchcase(path, self.file)

    def describe(self) -> str:
        where = f" in {self.file}" if self.file else ""
        cells = f" on {', '.join(self.cells)}" if self.cells else ""
        return f"{self.feature}{where}{cells}"


@dataclass(frozen=True)
class Allowlist:
    entries: tuple[Allowed, ...] = ()
    source: str = ""

    def match(self, finding: dict[str, Any], cell: str) -> Allowed | None:
        return next((e for e in self.entries if e.matches(finding, cell)), None)


def write_subset(allowlist: Allowlist, cells: Iterable[str], path: Path) -> None:
    """The entries that can apply to these cells (a repro's own matrix), as an allowlist file."""
    keep = set(cells)
    entries = []
    for e in allowlist.entries:
        mine = [c for c in e.cells if c in keep]
        if e.cells and not mine:
            continue
        entries.append(
            {
                "feature": e.feature,
                **({"file": e.file} if e.file else {}),
                **({"cells": mine} if mine else {}),
                "until": e.until.isoformat(),
                "reason": e.reason,
            }
        )
    path.write_text(
        f"# Written by `compat repro` from {allowlist.source}: the entries for its cells.\n"
        + yaml.safe_dump({"allow": entries}, sort_keys=False),
        encoding="utf-8",
    )


def load_allowlist(
    path: Path, known_cells: Iterable[str] | None, *, required: bool = False
) -> Allowlist:
    """Read and validate the allowlist; a missing default file is an empty one."""
    try:
        raws = load_entries(
            path,
            list_key="allow",
            keys=("feature", "file"),
            known_cells=known_cells,
            required=required,
            kind="version allowlist",
            flag="--versions-allow",
        )
    except DatedListError as exc:
        raise AllowError(str(exc)) from None
    if raws is None:
        return Allowlist()
    entries = []
    for raw in raws:
        feature = raw.text("feature")
        if not feature:
            raise AllowError(
                f"{raw.where}: no 'feature'. Fix: name it as the finding does (e.g. "
                "'Object.groupBy()') or by its source id (e.g. css-nesting)"
            )
        entries.append(
            Allowed(feature, raw.reason, raw.until, raw.text("file"), raw.cells, raw.line)
        )
    return Allowlist(tuple(entries), str(path))
