"""The files of accepted exceptions that end on a date: the quarantine, the version allowlist and
the sentinel allowlist. Each is a YAML mapping with one list of entries; every entry says why
(``reason``) and until when (``until``), may name cells, and has its own keys. Every mistake is
named with the file, the line and the fix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class DatedListError(ValueError):
    """The file is wrong; the message names file, line and the fix."""


@dataclass(frozen=True)
class RawEntry:
    """One entry as written, with what every dated list checks already checked."""

    data: dict[str, Any]
    where: str  # "file:line"
    line: int
    until: dt.date
    reason: str
    cells: tuple[str, ...]

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        return None if value in (None, "") else str(value).strip()


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


def load_entries(
    path: Path,
    *,
    list_key: str,
    keys: Iterable[str],
    known_cells: Iterable[str] | None = None,
    required: bool = False,
    what: str = "entry",
    kind: str = "",
    flag: str = "",
) -> tuple[RawEntry, ...] | None:
    """The file's entries; None when the file does not exist and is not ``required``.

    ``keys`` are the entry keys besides ``until``, ``reason`` and ``cells``; ``known_cells``
    (when given) are the matrix's cells an entry may name; ``kind`` and ``flag`` name the file
    and the option that gives it in errors (e.g. "quarantine", "--quarantine")."""
    allowed = (*keys, "cells", "until", "reason")
    if not path.exists():
        if required:
            raise DatedListError(
                f"{path}: no such {kind + ' ' if kind else ''}file. "
                f"Fix: check {flag or 'the path given'}"
            )
        return None
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise DatedListError(f"{where}: not valid YAML. Fix: the syntax ({exc})") from None
    if root is None:
        return ()
    if not isinstance(data, dict) or not isinstance(data.get(list_key, []), list):
        raise DatedListError(
            f"{path}:{_line(root)}: expected a mapping with a '{list_key}:' list of entries. "
            f"Fix: see the comments at the top of the file"
        )
    nodes = {k.value: v for k, v in root.value}
    items = nodes[list_key].value if list_key in nodes else []
    known = set(known_cells) if known_cells is not None else None
    entries: list[RawEntry] = []
    for node, raw in zip(items, data.get(list_key) or [], strict=True):
        line = _line(node)
        where = f"{path}:{line}"
        if not isinstance(raw, dict):
            raise DatedListError(
                f"{where}: each {what} is a mapping. Fix: give {', '.join(allowed)}"
            )
        unknown = sorted(str(k) for k in set(raw) - set(allowed))
        if unknown:
            raise DatedListError(
                f"{where}: unknown key(s) {', '.join(unknown)}. Fix: use {', '.join(allowed)}"
            )
        until = until_date(raw.get("until"))
        if until is None:
            raise DatedListError(
                f"{where}: 'until' must be a date. Fix: until: YYYY-MM-DD (an exception ends)"
            )
        reason = str(raw.get("reason") or "").strip()
        if not reason:
            raise DatedListError(f"{where}: no 'reason'. Fix: say why (a ticket, the symptom)")
        cells = raw.get("cells") or ()
        cells = (str(cells),) if isinstance(cells, str) else tuple(str(c) for c in cells)
        strangers = [c for c in cells if known is not None and c not in known]
        if strangers:
            raise DatedListError(
                f"{where}: no cell named {', '.join(strangers)}. Fix: use cells of the matrix "
                f"({', '.join(sorted(known or ()))})"
            )
        entries.append(RawEntry(dict(raw), where, line, until, reason, cells))
    return tuple(entries)
