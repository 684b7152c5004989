"""Playwright with its bundled builds, or the system's Chromium via executable_path.

Under pytest the browser and contexts are pytest-playwright's (``playwright_fixtures``: one browser
per cell and worker, a fresh context per test, its --headed/--tracing/--video/--output flags);
standalone (benchmarks, engine-level tests) the runtime launches the browser itself. Either way a
session's console, page errors and network come from Playwright's events, and a HAR is recorded.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from compat_harness.artifacts.capture import Capture
from compat_harness.config import Settings
from compat_harness.engines.base import (
    Availability,
    Engine,
    EngineInfo,
    EngineKind,
    Opened,
    Probe,
    Runtime,
    RuntimeOptions,
    SessionFactory,
    TestContext,
    command_version,
)
from compat_harness.matrix import Cell
from compat_harness.processes import PLAYWRIGHT_LAUNCH_OPTIONS
from compat_harness.sentinels.core import PageWatch
from compat_harness.versions import collect as served

# Debian's chromium phones home at start unless told not to; on a closed network those
# connections fail noisily (and slowly). The same flags the product's CI machines use.
SYSTEM_CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)
_SYSTEM_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Playwright always passes --disable-dev-shm-usage (microsoft/playwright#12811, after
# puppeteer/puppeteer#1834) for containers whose /dev/shm is 64 MB: Chromium then keeps its shared
# memory in files under the temp folder, which on a disk-backed /tmp costs syscalls and writeback.
# Measured here (/dev/shm a 24 GB tmpfs, /tmp on disk): the chrome-desktop journeys took 18 %
# less CPU (a third less system time) with Chromium's own default, /dev/shm.
_SHM = Path("/dev/shm")
_SHM_ENOUGH = 1 << 30


def playwright_browsers_path() -> Path:
    """Where Playwright keeps (or would download) its browser builds."""
    explicit = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    return Path(explicit) if explicit else Path.home() / ".cache" / "ms-playwright"


@functools.cache
def bundled_executables() -> dict[str, str | None]:
    """Playwright's own browser builds that are installed, by browser name."""
    from playwright.sync_api import sync_playwright

    found: dict[str, str | None] = {}
    try:
        with sync_playwright() as p:
            for name in ("chromium", "webkit", "firefox"):
                path = getattr(p, name).executable_path
                found[name] = path if path and os.path.exists(path) else None
    except Exception:  # the driver itself is broken: report every build missing
        return {"chromium": None, "webkit": None, "firefox": None}
    return found


def system_headless_shell(explicit: str | None = None) -> str | None:
    """The old-headless shell build (Debian: chromium-headless-shell), which Playwright itself uses
    for headless Chromium: the full browser in headless mode also renders its own UI (a WebUI
    renderer), measured at about twice the CPU per navigation here. ``explicit``: the one the
    settings name (--chromium-headless-shell)."""
    if explicit:
        return explicit if os.path.exists(explicit) else None
    return shutil.which("chromium-headless-shell")


def shared_memory_flags() -> list[str]:
    """Playwright's default flags to leave out so that Chromium uses /dev/shm where it has room
    (1 GiB free or more); none where it is small or absent (a container's default)."""
    try:
        stat = os.statvfs(_SHM)
    except OSError:
        return []
    return ["--disable-dev-shm-usage"] if stat.f_bavail * stat.f_frsize >= _SHM_ENOUGH else []


def system_chromium(explicit: str | None = None) -> str | None:
    """The system's Chromium; ``explicit``: the one the settings name (--chromium-path)."""
    if explicit:
        return explicit if os.path.exists(explicit) else None
    for name in _SYSTEM_CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def context_args(cell: Cell) -> dict[str, Any]:
    """browser.new_context() arguments that emulate the cell's device."""
    device = cell.device
    args: dict[str, Any] = {
        "viewport": {"width": device.viewport.width, "height": device.viewport.height},
        "screen": {"width": device.viewport.width, "height": device.viewport.height},
        "device_scale_factor": device.scale,
        "has_touch": device.touch,
        "locale": device.locale,
    }
    if cell.browser != "firefox":  # Firefox has no mobile emulation in Playwright
        args["is_mobile"] = device.mobile
    if device.user_agent:
        args["user_agent"] = device.user_agent
    if device.timezone:
        args["timezone_id"] = device.timezone
    return args


class PlaywrightEngine(Engine):
    """Playwright with its bundled build, or the system's Chromium via executable_path."""

    name = "playwright"
    kind = EngineKind.PLAYWRIGHT
    pytest_plugins: ClassVar[tuple[str, ...]] = ("compat_harness.engines.playwright_fixtures",)

    def check(self, cell: Cell, settings: Settings) -> Availability:
        bundled = bundled_executables().get(cell.browser)
        if bundled:
            return Availability(self.name, True, detail=f"Playwright's {cell.browser} build")
        install = f"python -m playwright install --with-deps {cell.browser}"
        if cell.browser == "chromium":
            system = system_chromium(settings.chromium_path)
            if system:
                shell = system_headless_shell(settings.chromium_headless_shell)
                return Availability(
                    self.name,
                    True,
                    detail=f"system Chromium ({system}"
                    + (f"; headless runs use {shell}" if shell else "")
                    + "); Playwright's own build is not installed",
                    options={
                        "executable_path": system,
                        "headless_shell": shell,
                        "args": list(SYSTEM_CHROMIUM_ARGS),
                    },
                )
            explicit = settings.chromium_path
            return self.unavailable(
                f"COMPAT_CHROMIUM_PATH={explicit} does not exist"
                if explicit
                else "neither Playwright's Chromium nor a system Chromium is installed",
                f"{install}  (or: sudo apt-get install chromium)",
            )
        if cell.browser == "webkit":
            return self.unavailable(
                "Playwright's WebKit build is not installed (Playwright cannot drive the "
                "system's WebKitGTK; the webkitgtk engine can)",
                install,
            )
        return self.unavailable(f"Playwright's {cell.browser} build is not installed", install)

    def start(self, cell: Cell, availability: Availability, options: RuntimeOptions) -> Runtime:
        return PlaywrightRuntime(cell, availability, options, self)

    # --- what pytest-playwright's fixtures ask (playwright_fixtures) -----------------------------
    def launch_args(
        self, availability: Availability, base: Mapping[str, Any], *, headless: bool
    ) -> dict[str, Any]:
        """launch() arguments: the system build (its headless shell when headless, as Playwright
        does with its own builds) and the flags it needs on a closed network."""
        options = dict(availability.options)
        shell = options.pop("headless_shell", None)
        if headless and shell:
            options["executable_path"] = shell
        launch = {**base, **options, **PLAYWRIGHT_LAUNCH_OPTIONS}
        ignored = launch.get("ignore_default_args")
        # True: the user asked for none of Playwright's flags at all.
        if ignored is not True and (dropped := shared_memory_flags()):
            launch["ignore_default_args"] = [*(ignored or ()), *dropped]
        return launch

    def connect_options(self, availability: Availability) -> dict[str, Any] | None:
        """pytest-playwright's connect options (a Playwright server); None: launch locally."""
        return None

    def open_browser(
        self, playwright: Any, launch: Callable[[], Any], cell: Cell, availability: Availability
    ) -> Any:
        """The cell's browser in this worker: ``launch`` does what pytest-playwright (or the
        standalone runtime) would; an engine may get it elsewhere."""
        return launch()

    def describe(
        self, cell: Cell, availability: Availability, version: str, headless: bool
    ) -> EngineInfo:
        if not availability.options:
            build = "Playwright build"
        elif headless and availability.options.get("headless_shell"):
            build = "system chromium-headless-shell"
        else:
            build = "system chromium"
        return EngineInfo(
            engine=availability.engine,
            kind=self.kind,
            browser=cell.browser,
            version=version,
            build=build,
            headless=headless,
            display="headless" if headless else "headed",
            device=cell.device.name,
            emulated=True,
            touch_events=cell.device.touch,
        )

    def closeness(self, cell: Cell, info: Mapping[str, Any]) -> list[str]:
        device = cell.device
        if cell.browser == "webkit":
            return ["Playwright's WebKit build instead of Safari; the device is emulated"]
        if cell.browser == "chromium" and device.mobile:
            return [
                f"desktop Chromium emulating {device.name} (screen, touch, user agent) instead of "
                "Chrome on the phone itself"
            ]
        if cell.browser == "chromium":
            return ["Chromium, the open-source base of Google Chrome (same engine)"]
        if cell.browser == "firefox":
            return ["Playwright's Firefox build (same engine as Firefox)"]
        return []

    def probe(self, settings: Settings) -> list[Probe]:
        import importlib.metadata

        try:
            rows = [
                Probe(
                    "ok", "Playwright", f"Python package {importlib.metadata.version('playwright')}"
                )
            ]
        except importlib.metadata.PackageNotFoundError:
            return [Probe("missing", "Playwright", "not installed", "pip install playwright")]
        builds = bundled_executables()
        for name in ("chromium", "webkit", "firefox"):
            if builds.get(name):
                rows.append(Probe("ok", f"Playwright {name}", f"build installed ({builds[name]})"))
            else:
                rows.append(
                    Probe(
                        "info",
                        f"Playwright {name}",
                        "build not installed (cannot be downloaded on every network)",
                    )
                )
        chromium = system_chromium(settings.chromium_path)
        if chromium:
            rows.append(
                Probe("ok", "system Chromium", command_version([chromium, "--version"]) or chromium)
            )
        elif not builds.get("chromium"):
            rows.append(
                Probe(
                    "missing",
                    "Chromium",
                    "neither Playwright's nor the system's",
                    "sudo apt-get install chromium",
                )
            )
        return rows


# --- runtime ---------------------------------------------------------------------------------------


_BINDING = "__compatSentinelReport"
_TAKE = "() => window.__compatSentinel ? window.__compatSentinel.take() : '[]'"


@dataclass
class PlaywrightCapture(Capture):
    """Everything the pages did, from Playwright's events, and a HAR of the context's traffic;
    the page sentinel's reports arrive through a binding as they happen."""

    def flush_events(self) -> list[dict[str, Any]]:
        page = self.session.page  # type: ignore[attr-defined]
        self.events.extend(json.loads(page.evaluate(_TAKE)))
        return self.drain_events()

    def console_header(self) -> list[str]:
        return ["# Recorded from Playwright's events: everything the pages did."]

    def network_header(self) -> list[str]:
        lines = ["# Recorded from Playwright's events: everything the pages did."]
        if self.har is not None:
            lines.append("# The full log (headers, timings) is the HAR beside this file.")
        return lines

    def listen(self, page: Any) -> None:
        def on_console(message: Any) -> None:
            loc = message.location or {}
            where = f"{loc.get('url')}:{loc.get('lineNumber')}" if loc.get("url") else ""
            self.console.append(
                {"t": _now(), "type": message.type, "text": message.text, "location": where}
            )

        def on_error(error: Any) -> None:
            text = getattr(error, "stack", None) or str(error)
            self.console.append({"t": _now(), "type": "pageerror", "text": text})

        def record(request: Any, entry: dict[str, Any]) -> None:
            self.network.append(entry)
            page_url = ""
            with contextlib.suppress(Exception):  # a service worker's request has no frame
                page_url = request.frame.url
            self.events.append(
                {**entry, "type": "request", "resource": entry["type"], "page": page_url}
            )

        def on_response(response: Any) -> None:
            served.on_response(response)
            request = response.request
            record(
                request,
                {
                    "t": _now(),
                    "method": request.method,
                    "status": response.status,
                    "type": request.resource_type,
                    "url": response.url,
                },
            )

        def on_failed(request: Any) -> None:
            record(
                request,
                {
                    "t": _now(),
                    "method": request.method,
                    "status": None,
                    "failure": request.failure or "failed",
                    "type": request.resource_type,
                    "url": request.url,
                },
            )

        def on_page(new_page: Any) -> None:
            new_page.on("console", on_console)
            new_page.on("pageerror", on_error)

        context = page.context
        on_page(page)
        context.on("page", on_page)
        context.on("response", on_response)
        context.on("requestfailed", on_failed)


def _now() -> float:
    return time.time() * 1000


def _watch(context: Any, watch: PageWatch, events: list[dict[str, Any]]) -> None:
    """The page sentinel in every page of the context, before the page's own scripts; what it
    reports arrives through a binding as it happens."""

    def report(_source: Any, payload: str) -> None:
        events.extend(json.loads(payload))

    context.expose_binding(_BINDING, report)
    context.add_init_script(script=watch.script("binding", binding=_BINDING))


class PlaywrightRuntime(Runtime):
    """Contexts from pytest-playwright's ``new_context`` fixture under pytest; else a browser
    launched (or connected) here, once, on first use."""

    def __init__(
        self,
        cell: Cell,
        availability: Availability,
        options: RuntimeOptions,
        engine: PlaywrightEngine,
    ) -> None:
        super().__init__(cell, availability, options)
        self.engine = engine
        self._own: tuple[Any, Any] | None = None  # (playwright, browser) when standalone

    def for_test(self, test: TestContext) -> SessionFactory:
        from compat_harness.session.playwright import PlaywrightSession

        if test.fixture is not None:
            # Taken before the test body, so pytest-playwright closes its contexts only after the
            # harness's teardown has saved what the failed pages showed.
            make_context: Callable[..., Any] = test.fixture("new_context")
            browser: Any = test.fixture("browser")
            device_args: dict[str, Any] = {}  # pytest-playwright's browser_context_args hold them
        else:
            browser = self._browser()
            make_context = browser.new_context
            device_args = context_args(self.cell)
        headless = not self.options.headed

        def open_session() -> Opened:
            har = test.scratch / f"{uuid.uuid4().hex}.har"
            # Request bodies left out of the HAR: a sign-in form holds a password.
            context = make_context(
                **device_args, record_har_path=str(har), record_har_content="omit"
            )
            events: list[dict[str, Any]] = []
            if test.watch is not None:
                _watch(context, test.watch, events)
            page = context.new_page()
            info = self.engine.describe(self.cell, self.availability, browser.version, headless)
            session = PlaywrightSession(page, self.cell, info, test.timeouts, test.steps)
            capture = PlaywrightCapture(session, har=har, events=events)
            capture.listen(page)
            return Opened(session, capture)

        return open_session

    def _browser(self) -> Any:
        if self._own is None:
            from playwright.sync_api import sync_playwright

            playwright = sync_playwright().start()
            browser_type = getattr(playwright, self.cell.browser)
            connect = self.engine.connect_options(self.availability)
            headless = not self.options.headed
            args = self.engine.launch_args(
                self.availability, {"headless": headless}, headless=headless
            )

            def launch() -> Any:
                if connect is not None:
                    return browser_type.connect(connect["endpoint"], timeout=connect["timeout"])
                return browser_type.launch(**args)

            browser = self.engine.open_browser(playwright, launch, self.cell, self.availability)
            self._own = (playwright, browser)
        return self._own[1]

    def stop(self) -> None:
        if self._own is not None:
            playwright, browser = self._own
            self._own = None
            with contextlib.suppress(Exception):  # a crashed browser is already gone
                browser.close()
            playwright.stop()
