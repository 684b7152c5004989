"""The version row as every report shows it (HTML, Markdown, JUnit, Allure): one view, built from
the row's ``versions`` data in results.json."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from compat_harness.results import TestResult

STATIC_NOTE = (
    "static evidence: the scripts and styles the target served, checked against MDN "
    "browser-compat-data and caniuse for the cell's stands_for versions; no browser of those "
    "versions ran them"
)
BROWSER_NAMES = {
    "ios_saf": "iOS Safari",
    "safari": "Safari",
    "chrome": "Chrome",
    "and_chr": "Chrome for Android",
    "firefox": "Firefox",
    "and_ff": "Firefox for Android",
    "samsung": "Samsung Internet",
    "edge": "Edge",
    "opera": "Opera",
    "op_mob": "Opera Mobile",
    "android": "Android WebView",
}


def version_key(version: str) -> tuple[float, ...]:
    """'16.6-16.7' -> (16, 6): the lowest of a merged range, as numbers."""
    low = version.split("-", 1)[0]
    return tuple(float(p) if p.replace(".", "").isdigit() else float("inf") for p in low.split("."))


def browser_name(family: str) -> str:
    return BROWSER_NAMES.get(family, family)


def describe_versions(targets: Iterable[str]) -> str:
    """['ios_saf 17.3', 'ios_saf 16.4', ...] -> 'iOS Safari 16.4-17.3 (an en dash)'."""
    by_family: dict[str, list[str]] = {}
    for target in targets:
        family, _, version = target.partition(" ")
        by_family.setdefault(family, []).append(version)
    parts = []
    for family, versions in by_family.items():
        versions.sort(key=version_key)
        low, high = versions[0].split("-")[0], versions[-1].split("-")[-1]
        span = low if low == high else f"{low}–{high}"
        parts.append(f"{browser_name(family)} {span}")
    return ", ".join(parts)


def describe_first(first: dict[str, Any], families: Iterable[str]) -> str:
    """The first version of each family that has the feature, or 'none yet'."""
    parts = []
    for family in families:
        if family not in first:
            continue
        value = first[family]
        parts.append(f"{browser_name(family)} {value}" if value else f"no {browser_name(family)}")
    return ", ".join(parts) or "unknown"


@dataclass(frozen=True)
class FindingView:
    feature: str
    where: str
    missing_in: str
    first_in: str
    source: str
    source_url: str
    accepted: str  # "" | "accepted until …: reason" | "acceptance expired …"

    @property
    def counts(self) -> bool:
        return not self.accepted or self.accepted.startswith("acceptance expired")


@dataclass(frozen=True)
class VersionsView:
    query: str
    browsers: str
    collected: str
    note: str
    findings: tuple[FindingView, ...]
    problems: tuple[str, ...]
    tools: str

    def lines(self) -> list[str]:
        """Plain text: the query, what was collected, each finding on a line."""
        out = [
            f"stands for {self.query} = {self.browsers}",
            f"collected: {self.collected}",
            f"({self.note})",
        ]
        out += [
            f"{f.feature} at {f.where}: missing in {f.missing_in}; first in {f.first_in}; "
            f"source: {f.source} {f.source_url}" + (f" [{f.accepted}]" if f.accepted else "")
            for f in self.findings
        ] or ["no findings"]
        return out + list(self.problems)


def view(result: TestResult) -> VersionsView | None:
    data = result.versions
    if not data:
        return None
    findings = []
    for f in data.get("findings", []):
        lacking = f.get("lacking") or []
        families = list(dict.fromkeys(t.partition(" ")[0] for t in lacking))
        source = f.get("source") or {}
        accepted = f.get("accepted")
        note = ""
        if accepted:
            state = "acceptance expired" if accepted.get("expired") else "accepted"
            note = f"{state} until {accepted['until']}: {accepted['reason']}"
        also = f" (and {f['also_in']} other page(s))" if f.get("also_in") else ""
        findings.append(
            FindingView(
                feature=str(f.get("feature")),
                where=f"{f.get('file')}:{f.get('line')}:{f.get('column')}{also}",
                missing_in=describe_versions(lacking),
                first_in=describe_first(f.get("first") or {}, families),
                source=f"{source.get('name', '')} {source.get('id', '')}".strip(),
                source_url=str(source.get("url", "")),
                accepted=note,
            )
        )
    problems = tuple(
        f"could not read {p.get('file', '')}:{p.get('line')}:{p.get('column')}: {p.get('message')}"
        for p in data.get("problems", [])
    )
    tools = ", ".join(f"{k} {v}" for k, v in (data.get("tools") or {}).items())
    return VersionsView(
        query=str(data.get("query", "")),
        browsers=str(data.get("browsers", "")),
        collected=str(data.get("collected", "")),
        note=str(data.get("note") or STATIC_NOTE),
        findings=tuple(findings),
        problems=problems,
        tools=tools,
    )


def summary(result: TestResult) -> list[str]:
    """Plain-text lines for a version row (its view, else its reason)."""
    shown = view(result)
    return shown.lines() if shown else [result.reason or STATIC_NOTE]
