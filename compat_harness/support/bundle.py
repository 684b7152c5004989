"""The ticket bundle of a repro: ``repro-<id>/index.html`` (self-contained, opens from disk),
``ticket.txt``, the masked step screenshots, console and network logs, sanitized traces, and
``repro-<id>.zip`` holding all of it.

Nothing leaves unchecked: every text is redacted of secret values and of the personal values the
harness knows, and a last scan of every file (and of the zip) drops anything still holding one.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from compat_harness.profiles import Profile
from compat_harness.results import RunResult, TestResult
from compat_harness.secrets import PERSONAL, REDACTOR
from compat_harness.support.journeys import Journey
from compat_harness.support.trace import sanitize_trace
from compat_harness.support.verdict import JourneyRepro, ReproVerdict


def clean(text: str) -> str:
    """Text fit for a ticket: secrets and known personal values masked."""
    return PERSONAL.redact(REDACTOR.redact(text))


@dataclass(frozen=True)
class CellUsed:
    """A cell of the repro as it ran here."""

    id: str
    role: str  # "device" | "baseline"
    device: dict[str, Any]
    engine: dict[str, Any] | None
    closeness: tuple[str, ...]  # how it differs from the real device, plainly


@dataclass
class ReproContext:
    """Everything the verdict block, the ticket and the page say."""

    id: str
    description: str
    device_label: str
    match_notes: tuple[str, ...]
    journeys: list[Journey]
    portal: str
    cells: list[CellUsed]
    target: str
    command: str
    started: float
    finished: float = 0.0
    verdicts: list[JourneyRepro] = field(default_factory=list)
    overall: ReproVerdict = ReproVerdict.INCONCLUSIVE
    advice: tuple[str, ...] = ()
    # Which version findings (static evidence) apply to the version the person reported.
    versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunEntry:
    journey: Journey
    cell: str
    profile: Profile
    result: TestResult | None


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).astimezone().isoformat(timespec="milliseconds")


def _status_line(entry: RunEntry) -> str:
    r = entry.result
    profile = f"{entry.profile.label:<39}"
    if r is None:
        return f"{entry.cell:<16} {profile}  did not run"
    if r.status.value in ("passed", "flaky"):
        return f"{entry.cell:<16} {profile}  passed ({r.duration_s:.1f} s)"
    if r.status.value == "failed":
        step = f' at "{r.error.step}"' if r.error and r.error.step else ""
        message = (r.error.message.splitlines() or [""])[0][:160] if r.error else ""
        return clean(f"{entry.cell:<16} {profile}  FAILED{step}: {message}")
    return clean(f"{entry.cell:<16} {profile}  {r.status.label}: {r.reason[:160]}")


def engine_line(cell: CellUsed) -> str:
    e = cell.engine or {}
    d = cell.device
    device = f"{d.get('name')} ({d.get('platform')}, {d.get('viewport')}@{d.get('scale', 1):g}x)"
    engine = (
        f"{e.get('browser')} {e.get('version')} via {e.get('engine')}" if e else "did not start"
    )
    return f"{cell.id} · {device} · {engine}"


def ticket_text(ctx: ReproContext, entries: list[RunEntry], bundle_name: str) -> str:
    journeys = ", ".join(j.name for j in ctx.journeys)
    lines = [
        f"Subject: [repro] {journeys} on {ctx.device_label}: {ctx.overall.headline}",
        "",
        f'Reported device: "{ctx.description}" ({ctx.device_label})',
    ]
    for cell in ctx.cells:
        lines.append(
            f"{'Tested on' if cell.role == 'device' else 'Compared with'}: {engine_line(cell)}"
        )
        lines += [f"  note: {n}" for n in cell.closeness]
    lines += [f"  note: {n}" for n in ctx.match_notes]
    lines += [
        f"Target: {ctx.target}",
        f"When: {_when(ctx.started)} to {_when(ctx.finished)}",
        "",
    ]
    for journey in ctx.journeys:
        lines.append(f"Journey {journey.name} ({ctx.portal} portal): {journey.title}")
        lines += [f"  {_status_line(e)}" for e in entries if e.journey is journey]
        verdict = next((v for v in ctx.verdicts if v.journey == journey.name), None)
        if verdict:
            lines.append(f"  → {verdict.verdict.headline} ({verdict.why})")
            lines += [f"    {n}" for n in verdict.notes]
        lines.append("")
    lines += [f"VERDICT: {ctx.overall.headline}", ""]
    if ctx.versions:
        lines += [
            "Browser versions (static evidence: the served scripts and styles checked",
            "against MDN and caniuse data, beside the verdict):",
        ]
        lines += [f"- {v}" for v in ctx.versions] + [""]
    lines += ["What to do:"]
    lines += [f"- {a}" for a in ctx.advice]
    lines += [
        "",
        f"Re-run: {ctx.command}",
        f"Attached: {bundle_name}.zip (steps with timestamps and masked screenshots, console and "
        "network logs, sanitized traces, engine and device versions). Personal data is masked in "
        "every screenshot and text.",
    ]
    return clean("\n".join(lines)) + "\n"


_PAGE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem;max-width:1100px;color:#1d2733}
h1{font-size:1.4rem} h2{font-size:1.15rem;margin-top:2rem} h3{font-size:1rem}
.verdict{padding:1rem;border-radius:8px;border:2px solid #555;background:#f4f6f8}
.bad{border-color:#b3261e;background:#fdecea} .good{border-color:#1e7b34;background:#e8f5ec}
table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.failed{color:#b3261e;font-weight:bold} .passed{color:#1e7b34}
img.shot{max-width:260px;max-height:340px;border:1px solid #ccc;cursor:zoom-in}
pre{background:#f4f6f8;padding:.6rem;overflow:auto;font-size:12px;white-space:pre-wrap}
code{background:#eef1f4;padding:0 .2rem}
</style></head><body>
<h1>{{ title }}</h1>
<div class="verdict {{ 'good' if ok else 'bad' }}">
<strong>Verdict: {{ headline }}</strong>
<ul>{% for v in verdicts %}<li><b>{{ v.journey }}</b>: {{ v.verdict.headline }} ({{ v.why }}){% for n in v.notes %}; {{ n }}{% endfor %}</li>{% endfor %}</ul>
<b>What to do</b><ul>{% for a in advice %}<li>{{ a }}</li>{% endfor %}</ul>
</div>
{% if versions %}<h2>Browser versions (static evidence)</h2>
<p>The scripts and styles the target served, checked against MDN browser-compat-data and caniuse for the version reported; beside the verdict above, not part of it.</p>
<ul>{% for v in versions %}<li>{{ v }}</li>{% endfor %}</ul>{% endif %}
<h2>What was tested</h2>
<p>Reported device: “{{ description }}” ({{ device_label }}). Target: {{ target }}.<br>
Started {{ started }}, finished {{ finished }}.</p>
<table><tr><th>cell</th><th>role</th><th>device</th><th>engine and version</th><th>how close</th></tr>
{% for c in cells %}<tr><td>{{ c.id }}</td><td>{{ c.role }}</td>
<td>{{ c.device.name }} · {{ c.device.platform }} · {{ c.device.viewport }}@{{ c.device.scale }}x{% if c.device.touch %} · touch{% endif %}<br><small>{{ c.device.user_agent or "engine's own user agent" }}</small></td>
<td>{% if c.engine %}{{ c.engine.browser }} {{ c.engine.version }} via {{ c.engine.engine }} ({{ c.engine.display }}){% else %}did not start{% endif %}</td>
<td>{% for n in c.closeness %}{{ n }}<br>{% endfor %}{% if c.engine %}{% for l in c.engine.limits %}limit: {{ l }}<br>{% endfor %}{% endif %}</td></tr>{% endfor %}
</table>
{% for n in match_notes %}<p>Note: {{ n }}</p>{% endfor %}
<h2>Re-run</h2><pre>{{ command }}</pre>
{% for run in runs %}
<h2>{{ run.journey }} · {{ run.cell }} · {{ run.profile }} — <span class="{{ run.status_class }}">{{ run.status }}</span></h2>
{% if run.error %}<p class="failed">{{ run.error }}</p>{% endif %}
<table><tr><th>time</th><th>step</th><th>status</th><th>screenshot (masked)</th></tr>
{% for s in run.steps %}<tr><td>{{ s.time }}<br><small>{{ s.duration }} s</small></td><td>{{ s.title }}{% if s.error %}<br><small class="failed">{{ s.error }}</small>{% endif %}</td>
<td class="{{ s.status }}">{{ s.status }}</td><td>{% if s.image %}<a href="{{ s.file }}"><img class="shot" alt="screenshot after: {{ s.title }}" src="{{ s.image }}"></a>{% endif %}</td></tr>{% endfor %}
</table>
{% for name, text in run.logs %}<details><summary>{{ name }}</summary><pre>{{ text }}</pre></details>{% endfor %}
<p>Trace: {% if run.trace %}<a href="{{ run.trace }}">{{ run.trace }}</a> (sanitized; open with <code>playwright show-trace</code>){% else %}{{ run.trace_note }}{% endif %}</p>
{% endfor %}
<h2>Ticket text</h2><pre>{{ ticket }}</pre>
</body></html>
"""
)


def build_bundle(
    ctx: ReproContext, run: RunResult, run_dir: Path, entries: list[RunEntry], out: Path
) -> tuple[Path, Path]:
    """Write ``out/repro-<id>/`` and ``out/repro-<id>.zip``; returns (index.html, zip)."""
    name = ctx.id
    folder = out / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    ticket = ticket_text(ctx, entries, name)
    views = [_run_view(entry, run_dir, folder) for entry in entries]
    (folder / "ticket.txt").write_text(ticket, encoding="utf-8")
    summary = {
        "id": name,
        "verdict": ctx.overall.value,
        "headline": ctx.overall.headline,
        "journeys": [
            {"journey": v.journey, "verdict": v.verdict.value, "why": v.why} for v in ctx.verdicts
        ],
        "reported_device": ctx.description,
        "cells": [
            {
                "id": c.id,
                "role": c.role,
                "device": c.device,
                "engine": c.engine,
                "closeness": c.closeness,
            }
            for c in ctx.cells
        ],
        "target": ctx.target,
        "versions": list(ctx.versions),
        "command": ctx.command,
        "started": _when(ctx.started),
        "finished": _when(ctx.finished),
    }
    (folder / "summary.json").write_text(clean(json.dumps(summary, indent=1)), encoding="utf-8")
    html = _PAGE.render(
        title=f"Repro {name}: {', '.join(j.name for j in ctx.journeys)} on {ctx.device_label}",
        ok=ctx.overall is ReproVerdict.WORKS,
        headline=ctx.overall.headline,
        verdicts=ctx.verdicts,
        advice=ctx.advice,
        versions=ctx.versions,
        description=ctx.description,
        device_label=ctx.device_label,
        target=ctx.target,
        started=_when(ctx.started),
        finished=_when(ctx.finished),
        cells=ctx.cells,
        match_notes=ctx.match_notes,
        command=ctx.command,
        runs=views,
        ticket=ticket,
    )
    index = folder / "index.html"
    index.write_text(clean(html), encoding="utf-8")
    _final_scan(folder)
    archive = out / f"{name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(out).as_posix())
    return index, archive


def _run_view(entry: RunEntry, run_dir: Path, folder: Path) -> dict[str, Any]:
    r = entry.result
    slug = f"{entry.journey.name}-{entry.cell}-{entry.profile.value}"
    dest = folder / "runs" / slug
    dest.mkdir(parents=True, exist_ok=True)
    view: dict[str, Any] = {
        "journey": entry.journey.name,
        "cell": entry.cell,
        "profile": entry.profile.label,
        "status": r.status.label if r else "did not run",
        "status_class": r.status.value if r else "",
        "error": "",
        "steps": [],
        "logs": [],
        "trace": "",
        "trace_note": "none (WebDriver cells have no Playwright trace)",
    }
    if r is None:
        return view
    if r.error:
        step = f' at step "{r.error.step}"' if r.error.step else ""
        view["error"] = clean(f"Failed{step}: {r.error.message[:1500]}")
    elif r.reason:
        view["error"] = clean(r.reason)
    for index, step_data in enumerate(r.steps, start=1):
        shot = step_data.get("screenshot")
        image = file = ""
        if shot and (run_dir / shot).is_file():
            target = dest / "steps" / f"{index:02d}.png"
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(run_dir / shot, target)
            data = base64.b64encode(target.read_bytes()).decode()
            image, file = f"data:image/png;base64,{data}", target.relative_to(folder).as_posix()
        view["steps"].append(
            {
                "time": _when(float(step_data.get("started") or 0)).split("T")[1],
                "duration": step_data.get("duration_s"),
                "title": clean(str(step_data.get("title"))),
                "status": step_data.get("status"),
                "error": clean(str(step_data.get("error") or "")),
                "image": image,
                "file": file,
            }
        )
    for kind in ("console", "network", "note"):
        for rel in r.artifacts.get(kind, []):
            source = run_dir / rel
            if not source.is_file() or source.suffix != ".txt":
                continue
            text = clean(source.read_text(encoding="utf-8", errors="replace"))
            (dest / source.name).write_text(text, encoding="utf-8")
            view["logs"].append((f"{kind}: {source.name}", text))
    traces = r.artifacts.get("trace", [])
    if traces:
        notes = []
        for i, rel in enumerate(traces, start=1):
            target = dest / (f"trace-{i}.zip" if len(traces) > 1 else "trace.zip")
            problem = sanitize_trace(run_dir / rel, target)
            if problem:
                notes.append(f"trace {i} left out: {problem}")
            elif not view["trace"]:
                view["trace"] = target.relative_to(folder).as_posix()
        view["trace_note"] = "; ".join(notes) or view["trace_note"]
    return view


def _final_scan(folder: Path) -> None:
    """Last line of defence: a file still holding a secret or known personal value is removed
    and a note says so (images are checked as bytes; their pixels were masked when shot)."""
    removed = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".png":
            continue  # pixels, masked when shot; PNG bytes hold no text of the page
        data = path.read_bytes()
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                data = b"\n".join(zf.read(n) for n in zf.namelist())
        elif path.suffix == ".html":
            # The embedded screenshots are base64: short names would match it by chance.
            data = re.sub(rb"data:image/png;base64,[A-Za-z0-9+/=]+", b"", data)
        if REDACTOR.found_in(data) or PERSONAL.found_in(data):
            path.unlink()
            removed.append(path.relative_to(folder).as_posix())
    if removed:
        (folder / "REMOVED.txt").write_text(
            "These files were removed because they still held a secret or personal value:\n"
            + "\n".join(removed)
            + "\n",
            encoding="utf-8",
        )
