"""The browser version a person reports ("iPhone, iOS 16", "Chrome 118", "Android 12 Chrome 109",
"Safari 15") and which of a cell's version findings apply to it (support mode)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from compat_harness.results import RunResult
from compat_harness.versions.check import TEST_ID
from compat_harness.versions.report import browser_name, version_key

# (words, browserslist family on a computer, on an Android phone). An iPhone or iPad browser is
# always WebKit, whose version is the iOS version (ios_saf).
_BROWSERS: tuple[tuple[str, str, str], ...] = (
    (r"samsung(?: internet| browser)?", "samsung", "samsung"),
    (r"(?:microsoft )?edge", "edge", "edge"),
    (r"firefox", "firefox", "and_ff"),
    (r"opera", "opera", "op_mob"),
    (r"chrome|chromium", "chrome", "and_chr"),
    (r"safari", "safari", "safari"),
)
_NUMBER = r"v?(\d+(?:\.\d+)?)"


@dataclass(frozen=True)
class Stated:
    """A browserslist family and the versions the person's words cover (``16`` is 16.0-16.x)."""

    family: str
    version: str

    @property
    def low(self) -> tuple[float, ...]:
        return version_key(self.version)

    @property
    def exact(self) -> bool:
        return "." in self.version

    def label(self) -> str:
        return f"{browser_name(self.family)} {self.version}{'' if self.exact else '.x'}"

    def lacks(self, first: str | None) -> str:
        """'yes', 'no' or 'partly' (only the earlier versions of a major the person named)."""
        if first is None:
            return "yes"
        if first == "yes":  # MDN: supported, since an unknown version
            return "no"
        first_key = version_key(first)
        if first_key <= self.low:
            return "no"
        if self.exact or first_key[0] > self.low[0]:
            return "yes"
        return "partly"


def parse_stated(description: str, kind: str) -> Stated | None:
    """The version in a device description, for the device kind support_devices found."""
    text = " ".join(description.lower().replace(",", " ").split())
    apple = kind in ("iphone", "ipad")
    ios = re.search(rf"\b(?:ios|ipados)\s*{_NUMBER}", text)
    if apple and ios:
        return Stated("ios_saf", ios.group(1))
    for words, desktop, android in _BROWSERS:
        found = re.search(rf"\b(?:{words})\s*{_NUMBER}", text)
        if not found:
            continue
        if apple:
            # Safari's version on an iPhone is the iOS version; other browsers there use WebKit
            # and name their own versions, which say nothing about WebKit's.
            return Stated("ios_saf", found.group(1)) if desktop == "safari" else None
        return Stated(android if kind in ("android", "small-android") else desktop, found.group(1))
    return None


def version_notes(run: RunResult, cell_id: str, description: str, kind: str) -> list[str]:
    """Support's lines on versions: the reported version's findings, or how to get them."""
    stated = parse_stated(description, kind)
    if stated is not None:
        return [f"reported version: {stated.label()}", *applying(run, cell_id, stated)]
    row = next((r for r in run.results if r.test == TEST_ID and r.cell == cell_id), None)
    count = len((row.versions or {}).get("findings", [])) if row else 0
    return [
        'no browser version in the description (say e.g. "iPhone, iOS 16" or "Chrome 118"): '
        f"{count} finding(s) for the versions {cell_id} stands for are in the report"
    ]


def applying(run: RunResult, cell_id: str, stated: Stated) -> list[str]:
    """What the cell's version row says for the person's version, in plain lines."""
    row = next((r for r in run.results if r.test == TEST_ID and r.cell == cell_id), None)
    if row is None:
        return [f"no version check ran for {cell_id}"]
    data: dict[str, Any] = row.versions or {}
    if not data:
        return [f"version check {row.status.label}: {row.reason}"]
    lines = []
    targets = [t for t in data.get("targets", []) if t.partition(" ")[0] == stated.family]
    if not targets:
        lines.append(
            f"{stated.label()} is not among the versions {cell_id} stands for "
            f"({data.get('query')}): findings for it cannot be told"
        )
        return lines
    floor = min((t.partition(" ")[2] for t in targets), key=version_key).split("-")[0]
    floor_key = version_key(floor)
    whole = stated.low < floor_key if stated.exact else stated.low[0] < floor_key[0]
    if whole:
        lines.append(
            f"{stated.label()} is older than the versions {cell_id} stands for "
            f"({data.get('query')}): features added since are not listed"
        )
    elif stated.low < floor_key:
        lines.append(
            f"{stated.version}.x before {floor} is older than the versions {cell_id} stands for "
            f"({data.get('query')}): features added in those releases are not listed"
        )
    notes = len(lines)
    for f in data.get("findings", []):
        first = (f.get("first") or {}).get(stated.family, "unknown")
        if first == "unknown":
            continue
        verdict = stated.lacks(first)
        where = f"{f['file']}:{f['line']}:{f['column']}"
        since = (
            f"first in {browser_name(stated.family)} {first}" if first else "not in any version yet"
        )
        accepted = " (accepted: " + f["accepted"]["reason"] + ")" if f.get("accepted") else ""
        if verdict == "yes":
            lines.append(f"applies: {f['feature']} ({since}) at {where}{accepted}")
        elif verdict == "partly":
            lines.append(
                f"applies to the earlier {stated.version}.x releases only: {f['feature']} "
                f"({since}) at {where}{accepted}"
            )
    if len(lines) == notes:
        lines.append(f"no version finding applies to {stated.label()}")
    return lines
