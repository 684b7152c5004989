"""Known noise the page sentinels may see (default ``matrix/sentinels-allow.yaml``): each entry
names the kind of finding, a pattern of the page or request URL and of the message, optionally
the cells, the reason it is accepted and the last day it holds. An accepted finding is still
recorded, marked accepted, and does not fail the test; after ``until`` it counts again."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from compat_harness.datedlist import DatedListError, load_entries
from compat_harness.results import FINDING_KINDS, Finding

_KEYS = ("kind", "url", "message")


@dataclass(frozen=True)
class Accepted:
    reason: str
    until: dt.date
    kind: str | None = None
    url: re.Pattern[str] | None = None
    message: re.Pattern[str] | None = None
    cells: tuple[str, ...] = ()
    where: str = ""

    def matches(self, finding: Finding, cell: str) -> bool:
        if self.cells and cell not in self.cells:
            return False
        if self.kind and finding.kind != self.kind:
            return False
        if self.url is not None:
            urls = (finding.page or "", str(finding.detail.get("url") or ""))
            if not any(self.url.search(u) for u in urls if u):
                return False
        return self.message is None or bool(self.message.search(finding.message))

    def describe(self) -> str:
        parts = [self.kind or "any finding"]
        if self.url is not None:
            parts.append(f"at /{self.url.pattern}/")
        if self.message is not None:
            parts.append(f"saying /{self.message.pattern}/")
        if self.cells:
            parts.append(f"on {', '.join(self.cells)}")
        return " ".join(parts)


@dataclass(frozen=True)
class SentinelAllowlist:
    entries: tuple[Accepted, ...] = ()
    source: str = ""

    def accept(self, finding: Finding, cell: str, today: dt.date) -> None:
        """Mark the finding with the first entry that matches it (expired ones too: said so)."""
        entry = next((e for e in self.entries if e.matches(finding, cell)), None)
        if entry is not None:
            finding.allowed = {
                "reason": entry.reason,
                "until": entry.until.isoformat(),
                "entry": entry.describe(),
                "expired": today > entry.until,
            }


def _pattern(text: str | None, where: str, key: str) -> re.Pattern[str] | None:
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as exc:
        raise DatedListError(
            f"{where}: '{key}' is not a regular expression ({exc}). Fix: escape special "
            "characters, e.g. \\. for a dot"
        ) from None


def load_sentinel_allowlist(
    path: Path, known_cells: Iterable[str] | None, *, required: bool = False
) -> SentinelAllowlist:
    entries = load_entries(
        path,
        list_key="allow",
        keys=_KEYS,
        known_cells=known_cells,
        required=required,
        kind="sentinel allowlist",
        flag="--sentinels-allow",
    )
    if entries is None:
        return SentinelAllowlist()
    accepted = []
    for raw in entries:
        kind = raw.text("kind")
        if kind is not None and kind not in FINDING_KINDS:
            raise DatedListError(
                f"{raw.where}: kind {kind!r} is not a finding kind. Fix: use one of "
                f"{', '.join(FINDING_KINDS)}"
            )
        url, message = raw.text("url"), raw.text("message")
        if url is None and message is None:
            raise DatedListError(
                f"{raw.where}: give 'url' or 'message' (or both). Fix: an entry accepts one "
                "precise kind of noise, never everything"
            )
        accepted.append(
            Accepted(
                reason=raw.reason,
                until=raw.until,
                kind=kind,
                url=_pattern(url, raw.where, "url"),
                message=_pattern(message, raw.where, "message"),
                cells=raw.cells,
                where=raw.where,
            )
        )
    return SentinelAllowlist(tuple(accepted), str(path))
