"""``compat doctor``: what can run here, in a form support can paste into a ticket or a chat.

Engines and their versions, each cell of the matrix (what runs it here, or why not and the exact
command that fixes it), what that means for the devices people report, the target and a control
URL (target down vs network down), and where each setting came from (never a secret's value).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import time
from dataclasses import dataclass, field

from compat_harness.config import OPTIONS, Settings
from compat_harness.engines import ENGINES, resolve
from compat_harness.exitcodes import ExitCode
from compat_harness.matrix import Matrix
from compat_harness.target import Reachability, check_health


@dataclass
class Section:
    title: str
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (mark, name, text)
    fixes: list[str] = field(default_factory=list)  # commands to run

    def ok(self, name: str, text: str) -> None:
        self.rows.append(("ok", name, text))

    def bad(self, name: str, text: str, fix: str = "") -> None:
        self.rows.append(("missing", name, text))
        if fix and fix not in self.fixes:
            self.fixes.append(fix)

    def info(self, name: str, text: str) -> None:
        self.rows.append(("info", name, text))


def engines_section(settings: Settings) -> Section:
    """Each registered engine's own probe of this machine."""
    s = Section("Engines")
    for engine in ENGINES.values():
        for probe in engine.probe(settings):
            if probe.mark == "missing":
                s.bad(probe.name, probe.text, probe.fix)
            else:
                s.rows.append((probe.mark, probe.name, probe.text))
    return s


def cells_section(matrix: Matrix, settings: Settings) -> tuple[Section, int]:
    s = Section("Cells")
    missing = 0
    for cell in matrix.cells.values():
        res = resolve(cell, settings=settings)
        if res.ok and res.chosen:
            note = f" (first choice unavailable: {res.tried[0].reason})" if res.fell_back else ""
            s.ok(cell.id, f"{cell.device.name} · {res.chosen.engine}: {res.chosen.detail}{note}")
        else:
            missing += 1
            s.bad(cell.id, f"{cell.device.name} · cannot run: {res.reason}", res.install)
    return s, missing


def devices_section(matrix: Matrix, settings: Settings) -> Section:
    """What the cells mean for the devices people report (compat repro)."""
    s = Section("Reported devices (compat repro)")
    groups = (
        ("iPhone / iPad / Mac Safari", ("ios-webkit", "ipad-webkit", "desktop-webkit")),
        ("Android phones", ("android-chrome", "small-android")),
        ("Windows / Mac / Chromebook with Chrome or Edge", ("chrome-desktop",)),
        ("Firefox", ("firefox-desktop",)),
    )
    for label, ids in groups:
        cells = [matrix.cells[i] for i in ids if i in matrix.cells]
        if not cells:
            continue
        running = [c.id for c in cells if resolve(c, settings=settings).ok]
        if running:
            s.ok(label, f"runs here ({', '.join(running)})")
        else:
            s.bad(
                label,
                "its engine is missing: repro falls back to Chromium with the device's screen and "
                "user agent, so engine-specific faults cannot show",
            )
    return s


def target_section(
    client: str | None, provider: str | None, control: str | None
) -> tuple[Section, int]:
    s = Section("Target")
    code = 0
    if not client or not provider:
        from compat_harness.processes import child_options
        from reference_app.launcher import AppStartError, start

        started = time.monotonic()
        try:
            with start(mode="test", popen_options=child_options()) as app:
                s.ok(
                    "embedded reference app",
                    f"starts and answers ({app.info.client_url}, {time.monotonic() - started:.1f} s)",
                )
        except AppStartError as exc:
            s.bad(
                "embedded reference app",
                f"does not start: {str(exc).splitlines()[0]}",
                "pip install -e .",
            )
            code = int(ExitCode.TARGET_DOWN)
    else:
        health = check_health(client, provider, control)
        for name, line in health.details.items():
            (s.ok if line.endswith("answers") else s.bad)(name, line)
        if health.reachability is Reachability.UP and control:
            problem = check_health(control, control, None).reachability is not Reachability.UP
            (s.bad if problem else s.ok)(
                "control", f"{control}: {'no answer' if problem else 'answers'}"
            )
        s.info("verdict", health.message)
        if health.reachability is Reachability.TARGET_DOWN:
            code = int(ExitCode.TARGET_DOWN)
        elif health.reachability is Reachability.NETWORK_DOWN:
            code = int(ExitCode.NETWORK_DOWN)
    if not control:
        s.info(
            "control URL",
            "none given: --control-url (or COMPAT_CONTROL_URL) tells target down from network down",
        )
    return s, code


def config_section(settings: Settings) -> Section:
    """Every setting given, and the ones that say where things are, with where each came from
    (the run's own reader: command line > environment > config file > default)."""
    s = Section("Configuration (command line > environment > config file > default)")
    shown = ("matrix", "client_url", "provider_url", "control_url", "secrets_file", "mask_file")
    for opt in OPTIONS:
        if opt.dest not in shown and not settings.given(opt.dest):
            continue
        value = getattr(settings, opt.dest)
        if opt.dest in ("client_url", "provider_url") and value is None:
            value = "the embedded target"
        shown_value = ",".join(map(str, value)) if isinstance(value, tuple) else value
        s.info(
            opt.flag,
            f"{shown_value if shown_value not in (None, '') else 'none'} ({settings.sources.get(opt.dest, 'default')})",
        )
    for var in (
        "COMPAT_CLIENT_EMAIL",
        "COMPAT_CLIENT_PASSWORD",
        "COMPAT_PROVIDER_EMAIL",
        "COMPAT_PROVIDER_PASSWORD",
    ):
        s.info(var, "set (value not shown)" if os.environ.get(var) else "not set")
    return s


def header() -> list[str]:
    try:
        version = importlib.metadata.version("compat-harness")
    except importlib.metadata.PackageNotFoundError:
        version = "?"
    return [
        f"compat doctor · {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"harness {version} · Python {platform.python_version()} · {platform.platform(terse=True)}",
    ]


_MARK = {"ok": "✓", "missing": "✗", "info": "·"}


def render_text(head: list[str], sections: list[Section]) -> str:
    lines = [*head]
    for s in sections:
        lines += ["", f"{s.title}:"]
        width = max((len(r[1]) for r in s.rows), default=0)
        lines += [f"  {_MARK[m]} {name:<{width}}  {text}" for m, name, text in s.rows]
        for fix in s.fixes:  # " | " separates alternatives: each is a command on its own
            first, *others = fix.split(" | ")
            lines.append(f"  fix: {first}")
            lines += [f"   or: {alt}" for alt in others]
    return "\n".join(lines) + "\n"


def render_markdown(head: list[str], sections: list[Section]) -> str:
    lines = [f"### {head[0]}", "", head[1]]
    for s in sections:
        lines += ["", f"#### {s.title}", "", "| | | |", "|---|---|---|"]
        lines += [f"| {_MARK[m]} | {name} | {text.replace('|', '/')} |" for m, name, text in s.rows]
        if s.fixes:
            alternatives = [" # or: ".join(f.split(" | ")) for f in s.fixes]
            lines += ["", "Fix:", "", "```sh", *alternatives, "```"]
    return "\n".join(lines) + "\n"


def doctor(matrix: Matrix, settings: Settings, *, markdown: bool = False) -> tuple[str, int]:
    """The report and the exit code (0; 12 when no cell can run; 10/11 target/network down)."""
    cells, missing = cells_section(matrix, settings)
    target, target_code = target_section(
        settings.client_url, settings.provider_url, settings.control_url
    )
    sections = [
        engines_section(settings),
        cells,
        devices_section(matrix, settings),
        target,
        config_section(settings),
    ]
    text = (render_markdown if markdown else render_text)(header(), sections)
    if target_code:
        return text, target_code
    code = int(ExitCode.NO_ENGINE) if missing == len(matrix.cells) else 0
    return text, code
