"""Engines drive browsers. Each cell names its engines in order of preference; the first one
available on this machine runs it, and a cell with none is reported not run, with the reason and
the install command for each engine it tried."""

from __future__ import annotations

from dataclasses import dataclass

from compat_harness.engines.base import Availability, Engine, EngineInfo, EngineKind
from compat_harness.engines.playwright import PlaywrightEngine, PlaywrightServerEngine
from compat_harness.engines.webdriver import RemoteWebDriverEngine, WebKitGTKEngine
from compat_harness.matrix import Cell

ENGINES: dict[str, Engine] = {
    engine.name: engine
    for engine in (
        PlaywrightEngine(),
        WebKitGTKEngine(),
        RemoteWebDriverEngine(),
        PlaywrightServerEngine(),
    )
}


@dataclass(frozen=True)
class Resolution:
    """Which engine runs a cell here, and what was tried before it."""

    cell: Cell
    tried: tuple[Availability, ...]

    @property
    def chosen(self) -> Availability | None:
        return next((a for a in self.tried if a.ok), None)

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


def resolve(cell: Cell, forced: str | None = None) -> Resolution:
    """Try the cell's engines (or only ``forced``) in order, stopping at the first available."""
    names = (forced,) if forced else cell.engines
    tried: list[Availability] = []
    for name in names:
        engine = ENGINES.get(name)
        if engine is None:
            tried.append(
                Availability(name, False, reason=f"unknown engine (known: {', '.join(ENGINES)})")
            )
            continue
        availability = engine.check(cell)
        tried.append(availability)
        if availability.ok:
            break
    return Resolution(cell, tuple(tried))


__all__ = ["ENGINES", "Availability", "Engine", "EngineInfo", "EngineKind", "Resolution", "resolve"]
