"""What every engine offers: an availability check (cheap, no browser start) and a description of
what actually ran, recorded for every cell."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from compat_harness.matrix import Cell


class EngineKind(StrEnum):
    PLAYWRIGHT = "playwright"
    WEBDRIVER = "webdriver"
    REMOTE = "remote"


@dataclass(frozen=True)
class Availability:
    """Whether an engine can run a cell here; if not, why and the command that fixes it."""

    engine: str
    ok: bool
    reason: str = ""
    install: str = ""
    detail: str = ""
    options: dict[str, Any] = field(default_factory=dict, compare=False)

    def explain(self) -> str:
        text = f"{self.engine}: {self.reason or self.detail}"
        return f"{text} (install: {self.install})" if self.install else text


@dataclass
class EngineInfo:
    """What actually ran a cell: engine, browser name and version, how the device was emulated."""

    engine: str
    kind: EngineKind
    browser: str
    version: str = ""
    build: str = ""
    headless: bool = True
    display: str = "headless"
    device: str = ""
    emulated: bool = True
    touch_events: bool = False
    limits: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EngineInfo:
        return cls(**{**data, "kind": EngineKind(data["kind"])})


class Engine(ABC):
    """A way to drive a browser. Engines are stateless; runtimes hold processes."""

    name: ClassVar[str]
    kind: ClassVar[EngineKind]

    @abstractmethod
    def check(self, cell: Cell) -> Availability:
        """Can this engine run the cell on this machine? Must not start a browser."""

    def unavailable(self, reason: str, install: str = "") -> Availability:
        return Availability(self.name, False, reason=reason, install=install)
