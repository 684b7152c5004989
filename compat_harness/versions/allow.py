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

from compat_harness.quarantine import until_date

_KEYS = ("feature", "file", "cells", "until", "reason")


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


def _line(node: Any) -> int:
    return int(getattr(getattr(node, "start_mark", None), "line", -1)) + 1


def load_allowlist(path: Path, known_cells: Iterable[str], *, required: bool = False) -> Allowlist:
    """Read and validate the allowlist; a missing default file is an empty one."""
    if not path.exists():
        if required:
            raise AllowError(f"{path}: no such file. Fix: check --versions-allow")
        return Allowlist()
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise AllowError(f"{where}: not valid YAML. Fix: the syntax ({exc})") from None
    if root is None:
        return Allowlist(source=str(path))
    if not isinstance(data, dict) or not isinstance(data.get("allow", []), list):
        raise AllowError(
            f"{path}:{_line(root)}: expected a mapping with an 'allow:' list. Fix: see the "
            "comments at the top of matrix/versions-allow.yaml"
        )
    nodes = {k.value: v for k, v in root.value}
    items = nodes["allow"].value if "allow" in nodes else []
    known = set(known_cells)
    entries = []
    for node, raw in zip(items, data.get("allow") or [], strict=True):
        line = _line(node)
        where = f"{path}:{line}"
        if not isinstance(raw, dict):
            raise AllowError(f"{where}: each entry is a mapping. Fix: give feature, until, reason")
        unknown = sorted(set(raw) - set(_KEYS))
        if unknown:
            raise AllowError(
                f"{where}: unknown key(s) {', '.join(unknown)}. Fix: use {', '.join(_KEYS)}"
            )
        feature = str(raw.get("feature") or "").strip()
        if not feature:
            raise AllowError(
                f"{where}: no 'feature'. Fix: name it as the finding does (e.g. "
                "'Object.groupBy()') or by its source id (e.g. css-nesting)"
            )
        until = until_date(raw.get("until"))
        if until is None:
            raise AllowError(
                f"{where}: 'until' must be a date. Fix: until: YYYY-MM-DD (an acceptance ends)"
            )
        reason = str(raw.get("reason") or "").strip()
        if not reason:
            raise AllowError(f"{where}: no 'reason'. Fix: say why the finding is acceptable")
        cells = raw.get("cells") or ()
        cells = (cells,) if isinstance(cells, str) else tuple(str(c) for c in cells)
        strangers = [c for c in cells if c not in known]
        if strangers:
            raise AllowError(
                f"{where}: no cell named {', '.join(strangers)}. Fix: use cells of the matrix "
                f"({', '.join(sorted(known))})"
            )
        file = raw.get("file")
        entries.append(Allowed(feature, reason, until, str(file) if file else None, cells, line))
    return Allowlist(tuple(entries), str(path))
