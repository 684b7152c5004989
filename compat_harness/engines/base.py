"""What every engine is: the one boundary between the harness and a way of driving browsers.

An engine (one module each under ``compat_harness.engines``) owns all of itself: whether it can run
a cell here and what installs it (``check``), the processes a cell needs in one worker and a fresh
session per test (``start`` → ``Runtime``), what a session records for the artifacts (its
``Capture``), what actually ran and how close that is to the real device (``EngineInfo``,
``closeness``), and its rows in ``compat doctor`` (``probe``). The rest of the harness reads the
registry (``compat_harness.engines.ENGINES``) and never asks an engine's name or type.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compat_harness.config import DEFAULTS, Settings
from compat_harness.matrix import Cell

if TYPE_CHECKING:
    from compat_harness.artifacts.capture import Capture
    from compat_harness.sentinels.core import PageWatch
    from compat_harness.session.base import Session, StepLog, Timeouts


class EngineKind(StrEnum):
    PLAYWRIGHT = "playwright"
    WEBDRIVER = "webdriver"
    REMOTE = "remote"


class BrowserStartError(RuntimeError):
    """The engine is installed but the browser did not start: the cell fails with this reason."""


@dataclass(frozen=True)
class Availability:
    """Whether an engine can run a cell here; if not, why and the command that fixes it."""

    engine: str
    ok: bool
    reason: str = ""
    install: str = ""
    detail: str = ""
    options: dict[str, Any] = field(default_factory=dict, compare=False)


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
    # What the browser reported itself (remote and real devices): "WIDTHxHEIGHT", its user agent.
    viewport: str = ""
    user_agent: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EngineInfo:
        return cls(**{**data, "kind": EngineKind(data["kind"])})


@dataclass(frozen=True)
class Probe:
    """One line of ``compat doctor``'s engine section."""

    mark: Literal["ok", "missing", "info"]
    name: str
    text: str
    fix: str = ""


def command_version(cmd: list[str]) -> str:
    """The first line a program prints for its version ('' when it cannot be run)."""
    import subprocess

    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else ""


def debian_version(package: str) -> str:
    """An installed Debian package's version ('' when not installed or not Debian)."""
    import shutil

    if not shutil.which("dpkg-query"):
        return ""
    return command_version(["dpkg-query", "-W", "-f=${Version}", package])


@dataclass(frozen=True)
class RuntimeOptions:
    """How a runtime should run its browsers (from the run's flags)."""

    headed: bool = False
    # Start the next test's session while a test runs, where the engine can (local engines).
    spare: bool = True
    start_timeout: float = 30.0
    # Watch pages (the page sentinels): WebDriver cells then go through the recording proxy.
    watch_pages: bool = True
    # The run's settings (where browsers are, how WebKitGTK paints).
    settings: Settings = DEFAULTS


@dataclass
class TestContext:
    """What one test gives its sessions: its steps, timeouts, a scratch folder for recordings
    (HAR, video), the --video mode, and, when run under pytest, pytest's fixture lookup."""

    __test__ = False  # not a pytest test class

    steps: StepLog
    timeouts: Timeouts
    scratch: Path
    video: str = "off"
    fixture: Callable[[str], Any] | None = None
    test_name: str = ""
    # What every page of the target gets watched for (None: the page sentinels are off).
    watch: PageWatch | None = None


@dataclass
class Opened:
    """A new session and what it records."""

    session: Session
    capture: Capture


SessionFactory = Callable[[], Opened]


class Runtime(ABC):
    """The processes one cell needs in one worker (browser, driver, display), started once;
    ``for_test`` gives each test a factory of fresh sessions."""

    def __init__(self, cell: Cell, availability: Availability, options: RuntimeOptions) -> None:
        self.cell = cell
        self.availability = availability
        self.options = options

    @abstractmethod
    def for_test(self, test: TestContext) -> SessionFactory:
        """Called when a test starts (before its body): each call of the factory opens a fresh
        session (context, WebDriver session) on the cell. Raises BrowserStartError."""

    def stop(self) -> None:  # noqa: B027 - a runtime may have nothing of its own to end
        """End every process this runtime started."""


class Engine(ABC):
    """A way to drive a browser. Engines are stateless; runtimes hold processes."""

    name: ClassVar[str]
    kind: ClassVar[EngineKind]
    # URL schemes of a cell's ``remote.url`` this engine drives (empty: a local engine).
    remote_schemes: ClassVar[tuple[str, ...]] = ()
    # The engine ``--remote CELL=URL`` picks for a URL of one of its schemes (one per scheme).
    default_for_remote_urls: ClassVar[bool] = False
    # pytest plugin modules this engine needs registered (e.g. fixture overrides).
    pytest_plugins: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def check(self, cell: Cell, settings: Settings) -> Availability:
        """Can this engine run the cell on this machine? Must not start a browser."""

    @abstractmethod
    def start(self, cell: Cell, availability: Availability, options: RuntimeOptions) -> Runtime:
        """The cell's runtime in this worker (browsers start lazily or here)."""

    def closeness(self, cell: Cell, info: Mapping[str, Any]) -> list[str]:
        """How the cell as it ran (``info``: its recorded EngineInfo) differs from the real
        device, in plain words, for support."""
        return []

    def probe(self, settings: Settings) -> list[Probe]:
        """What ``compat doctor`` says about this engine on this machine."""
        return []

    def point_at(self, cell: Cell, url: str) -> Cell:
        """The cell run by this engine on the browser at ``url`` (``--remote CELL=URL``)."""
        raise NotImplementedError(f"{self.name} does not drive remote browsers")

    @property
    def needs_remote(self) -> bool:
        return bool(self.remote_schemes)

    def unavailable(self, reason: str, install: str = "") -> Availability:
        return Availability(self.name, False, reason=reason, install=install)
