"""Engines drive browsers, one module each; ``ENGINES`` is the one list of them. Each cell names
its engines in order of preference; the first one available on this machine runs it, and a cell
with none is reported not run, with the reason and the install command for each engine it tried.

Adding an engine: a module here with an ``Engine`` subclass (see ``base``), one line in
``_REGISTERED``, and a matrix entry naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from compat_harness.config import Settings
from compat_harness.engines.appium import AppiumEngine
from compat_harness.engines.base import (
    Availability,
    BrowserStartError,
    Engine,
    EngineInfo,
    EngineKind,
    Opened,
    Probe,
    Runtime,
    RuntimeOptions,
    TestContext,
)
from compat_harness.engines.playwright import PlaywrightEngine
from compat_harness.engines.playwright_grid import PlaywrightGridEngine
from compat_harness.engines.playwright_server import PlaywrightServerEngine
from compat_harness.engines.remote_webdriver import RemoteWebDriverEngine
from compat_harness.engines.selenium_grid import SeleniumGridEngine
from compat_harness.engines.webkitgtk import WebKitGTKEngine
from compat_harness.matrix import Cell

_REGISTERED: tuple[Engine, ...] = (
    PlaywrightEngine(),
    WebKitGTKEngine(),
    RemoteWebDriverEngine(),
    PlaywrightServerEngine(),
    SeleniumGridEngine(),
    PlaywrightGridEngine(),
    AppiumEngine(),
)
ENGINES: dict[str, Engine] = {engine.name: engine for engine in _REGISTERED}
# The engine of a cell whose matrix entry names none (and of repro's Chromium stand-in).
DEFAULT_ENGINE = PlaywrightEngine.name


def names() -> tuple[str, ...]:
    """The engine names a matrix, ``--engine`` or the environment may use."""
    return tuple(ENGINES)


def for_remote_url(url: str) -> Engine | None:
    """The engine ``--remote CELL=URL`` runs a cell on, by the URL's scheme."""
    scheme = url.partition("://")[0]
    return next(
        (e for e in ENGINES.values() if e.default_for_remote_urls and scheme in e.remote_schemes),
        None,
    )


@dataclass(frozen=True)
class Resolution:
    """Which engine runs a cell here, and what was tried before it."""

    cell: Cell
    tried: tuple[Availability, ...]

    @property
    def chosen(self) -> Availability | None:
        return next((a for a in self.tried if a.ok), None)

    @property
    def engine(self) -> Engine | None:
        """The chosen engine."""
        return ENGINES.get(self.chosen.engine) if self.chosen is not None else None

    @property
    def ok(self) -> bool:
        return self.chosen is not None

    @property
    def reason(self) -> str:
        """Why the cell cannot run (empty if it can)."""
        if self.ok:
            return ""
        return "; ".join(f"{a.engine}: {a.reason}" for a in self.tried)

    @property
    def install(self) -> str:
        return " | ".join(a.install for a in self.tried if a.install)

    @property
    def fell_back(self) -> bool:
        return self.ok and self.tried[0] is not self.chosen


def resolve(cell: Cell, forced: str | None = None, *, settings: Settings) -> Resolution:
    """Try the cell's engines (or only ``forced``) in order, stopping at the first available."""
    candidates = (forced,) if forced else cell.engines
    tried: list[Availability] = []
    for name in candidates:
        engine = ENGINES.get(name)
        if engine is None:
            tried.append(
                Availability(name, False, reason=f"unknown engine (known: {', '.join(ENGINES)})")
            )
            continue
        availability = engine.check(cell, settings)
        tried.append(availability)
        if availability.ok:
            break
    return Resolution(cell, tuple(tried))


def start(resolution: Resolution, options: RuntimeOptions) -> Runtime:
    """The runtime of a cell that can run here."""
    engine, chosen = resolution.engine, resolution.chosen
    if engine is None or chosen is None:
        raise BrowserStartError(f"no engine for {resolution.cell.id}: {resolution.reason}")
    return engine.start(resolution.cell, chosen, options)


__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "Availability",
    "BrowserStartError",
    "Engine",
    "EngineInfo",
    "EngineKind",
    "Opened",
    "Probe",
    "Resolution",
    "Runtime",
    "RuntimeOptions",
    "TestContext",
    "for_remote_url",
    "names",
    "resolve",
    "start",
]
