"""What the page sentinels saw, as every report shows it: one line per finding (kind, message,
where), and each finding placed beside the step it was seen in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from compat_harness.results import Finding

KIND_LABELS = {
    "page-error": "page error",
    "failed-request": "failed request",
    "stuck-loading": "page left loading",
    "layout": "layout",
}
STEP_SEPARATOR = " › "  # how a step path is written (ErrorInfo.step, Finding.step)


def kind_label(kind: str) -> str:
    """A finding kind as a person reads it: 'page-error' -> 'page error'."""
    return KIND_LABELS.get(kind, kind)


def where(finding: Finding) -> str:
    """The finding's own coordinates: source:line:column, method status url, the marker, or the
    element; empty when the sentinel gave none."""
    d = finding.detail
    if finding.kind == "failed-request":
        answer = d.get("status") or d.get("failure") or ""
        return " ".join(str(p) for p in (d.get("method"), answer, d.get("url")) if p)
    if finding.kind == "stuck-loading":
        marker, seconds = d.get("marker"), d.get("seconds")
        return (
            f"{marker} still shown after {seconds} s" if marker and seconds else str(marker or "")
        )
    if finding.kind == "layout":
        text = ": ".join(str(d[k]) for k in ("check", "element") if d.get(k))
        box = d.get("box")
        if isinstance(box, dict) and {"x", "y", "width", "height"} <= set(box):
            text += f" at {box['x']:g},{box['y']:g} ({box['width']:g}×{box['height']:g} px)"
        return f"{text}, covered by {d['covered_by']}" if d.get("covered_by") else text
    location = [str(d[k]) for k in ("source", "line", "column") if d.get(k) not in (None, "")]
    return ":".join(location)


def allowed_note(finding: Finding) -> str:
    """'allowlisted until 2027-01-31: reason', or '' when no allowlist entry accepted it."""
    allowed = finding.allowed
    if not allowed:
        return ""
    until = f" until {allowed['until']}" if allowed.get("until") else ""
    return f"allowlisted{until}: {allowed.get('reason', '')}".rstrip(": ")


def describe(finding: Finding, *, with_step: bool = False) -> str:
    """One line: 'page error: TypeError: x.at is not a function (app.js:12:7)'."""
    text = kind_label(finding.kind)
    if with_step and finding.step:
        text += f" at {finding.step}"
    text += f": {finding.message}"
    place = where(finding)
    if place and place not in finding.message:
        text += f" ({place})"
    if finding.page and finding.page not in text:
        text += f" on {finding.page}"
    note = allowed_note(finding)
    return f"{text} [{note}]" if note else text


def stack(finding: Finding) -> str:
    return str(finding.detail.get("stack") or "")


def as_text(items: Sequence[Finding], *, with_step: bool = True) -> str:
    """One line per finding, its stack indented under it: for JUnit and Allure."""
    lines: list[str] = []
    for f in items:
        lines.append(f"- {describe(f, with_step=with_step)}")
        lines += [f"    {line}" for line in stack(f).splitlines()]
    return "\n".join(lines) + "\n" if lines else ""


@dataclass
class Placed:
    """Findings beside the steps they were seen in (by index into the test's steps), and those
    seen outside any recorded step (e.g. at the end of the test)."""

    by_step: dict[int, list[Finding]] = field(default_factory=dict)
    outside: list[Finding] = field(default_factory=list)


def place(steps: Sequence[dict[str, Any]], findings: Sequence[Finding]) -> Placed:
    """Each finding beside its step: the step whose title ends the finding's step path (the one
    whose time window holds the finding when the title repeats), else the innermost step whose
    window holds it."""
    placed = Placed()
    for finding in findings:
        index = _step_of(steps, finding)
        if index is None:
            placed.outside.append(finding)
        else:
            placed.by_step.setdefault(index, []).append(finding)
    return placed


def _step_of(steps: Sequence[dict[str, Any]], finding: Finding) -> int | None:
    during = [i for i, s in enumerate(steps) if _holds(s, finding.t)]
    leaf = finding.step.rsplit(STEP_SEPARATOR, 1)[-1] if finding.step else None
    titled = [i for i, s in enumerate(steps) if leaf is not None and s.get("title") == leaf]
    if titled:
        # Steps nest and are listed as they start: the last one holding it is the innermost.
        return next((i for i in reversed(titled) if i in during), titled[-1])
    return during[-1] if during else None


def _holds(step: dict[str, Any], t_ms: float | None) -> bool:
    if t_ms is None or not isinstance(step.get("started"), int | float):
        return False
    start = float(step["started"]) * 1000
    return start <= t_ms <= start + float(step.get("duration_s") or 0) * 1000
