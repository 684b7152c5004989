"""Real WebKit on Linux: WebKitGTK's WebDriver (WebKitWebDriver) driving MiniBrowser --automation,
each browser on an Xvfb screen the harness starts.

Facts this relies on (measured with WebKitGTK 2.50): there is no headless mode, so the browser gets
an Xvfb screen of the device's pixel size; GDK_SCALE (an integer) sets devicePixelRatio and must be
in the driver service's environment; ``set_window_rect`` gives an exact viewport (the window has no
browser chrome in automation mode); no touch events are delivered under Xvfb; a bad MiniBrowser
argument or a missing display makes new-session hang, hence the client timeout on every start.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compat_harness.config import Settings
from compat_harness.engines.base import (
    Availability,
    EngineInfo,
    EngineKind,
    Probe,
    Runtime,
    RuntimeOptions,
    debian_version,
)
from compat_harness.engines.webdriver import WebDriverEngine, WebDriverRuntime, selenium_missing
from compat_harness.engines.xvfb import VirtualDisplay
from compat_harness.matrix import Cell
from compat_harness.processes import child_options

_MINIBROWSER_GLOBS = (
    "/usr/lib/*/webkit2gtk-4.1/MiniBrowser",
    "/usr/lib/*/webkitgtk-6.0/MiniBrowser",
    "/usr/lib/*/webkit2gtk-4.0/MiniBrowser",
    "/usr/libexec/webkit2gtk-4.*/MiniBrowser",
    "/usr/lib/webkit2gtk-4.*/MiniBrowser",
)
WEBKITGTK_INSTALL = "sudo apt-get install webkit2gtk-driver xvfb"
NO_TOUCH_LIMIT = "no touch events: WebKitGTK under Xvfb delivers mouse input only (taps are clicks)"
NO_COMPOSITING_LIMIT = (
    "painted without accelerated compositing (COMPAT_WEBKIT_COMPOSITING=1 turns it on)"
)


def find_minibrowser(explicit: str | None = None) -> str | None:
    """WebKitGTK's MiniBrowser; ``explicit``: the one the settings name (--minibrowser)."""
    if explicit:
        return explicit if os.path.exists(explicit) else None
    for pattern in _MINIBROWSER_GLOBS:
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[-1]
    return None


def find_driver(explicit: str | None = None) -> str | None:
    """WebKitWebDriver; ``explicit``: the one the settings name (--webkit-driver)."""
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return shutil.which("WebKitWebDriver")


def _compositing_wanted(settings: Settings) -> bool:
    """--webkit-compositing, or WebKit's own switch (its environment variable) set to 0."""
    return settings.webkit_compositing or os.environ.get("WEBKIT_DISABLE_COMPOSITING_MODE") == "0"


def local_env(
    display: str, *, scale: int, locale: str, composited: bool, timezone: str | None = None
) -> dict[str, str]:
    """A WebKitWebDriver's environment: the display, GDK_SCALE for the pixel ratio, the locale
    (and with it the browser's language), compositing on or off, the device's time zone."""
    env = dict(os.environ)
    lang = locale.replace("-", "_") + ".UTF-8"
    env.update(DISPLAY=display, GDK_SCALE=str(scale), LANG=lang, LC_ALL=lang)
    # Xvfb has no GPU, so WebKit composites through Mesa's llvmpipe, which by default rasterizes
    # on one thread per core: a single thread cut WebKitGTK's CPU per test by a tenth and its wall
    # time by 7% (measured with 2.50, Mesa 22.3, 24 tests).
    env.setdefault("LP_NUM_THREADS", "0")
    # Compositing in software GL costs more than painting without it: turning it off cut
    # WebKitGTK's CPU per test by more than a quarter at the same wall time (2.50, 12 tests in a
    # loop), which leaves more room for a second worker. The session then nudges a repaint for
    # each screenshot (see WebDriverSession).
    if composited:
        env.pop("WEBKIT_DISABLE_COMPOSITING_MODE", None)
    else:
        env.setdefault("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
    env.pop("WAYLAND_DISPLAY", None)
    if timezone:
        env["TZ"] = timezone
    return env


class WebKitGTKEngine(WebDriverEngine):
    """WebKitGTK's WebDriver (WebKitWebDriver) driving MiniBrowser --automation."""

    name = "webkitgtk"
    kind = EngineKind.WEBDRIVER

    def check(self, cell: Cell, settings: Settings) -> Availability:
        if cell.browser != "webkit":
            return self.unavailable(f"webkitgtk runs WebKit cells, not {cell.browser}")
        if problem := selenium_missing():
            return self.unavailable(problem, "pip install selenium")
        explicit = settings.webkit_driver
        if explicit and not os.access(explicit, os.X_OK):
            return self.unavailable(
                f"COMPAT_WEBKIT_DRIVER={explicit} is not an executable file",
                "point COMPAT_WEBKIT_DRIVER at WebKitWebDriver, or unset it",
            )
        driver = find_driver(explicit)
        browser = find_minibrowser(settings.minibrowser)
        if not driver or not browser:
            if not driver:
                why = "WebKitGTK's WebKitWebDriver is not installed"
            elif settings.minibrowser:
                why = f"COMPAT_MINIBROWSER={settings.minibrowser} does not exist"
            else:
                why = "WebKitGTK's MiniBrowser is not installed"
            return self.unavailable(why, WEBKITGTK_INSTALL)
        if not VirtualDisplay.available() and not os.environ.get("DISPLAY"):
            return self.unavailable(
                "no display and no Xvfb to make one", "sudo apt-get install xvfb"
            )
        return Availability(
            self.name,
            True,
            detail="WebKitGTK MiniBrowser through WebKitWebDriver",
            options={"driver": driver, "browser": browser},
        )

    def start(self, cell: Cell, availability: Availability, options: RuntimeOptions) -> Runtime:
        return WebKitGTKRuntime(cell, availability, options)

    def closeness(self, cell: Cell, info: Mapping[str, Any]) -> list[str]:
        real = "Safari on iOS" if cell.device.mobile else "Safari on macOS"
        return [
            f"WebKitGTK (Apple's WebKit engine, Linux port) instead of {real}; the device's "
            "screen size, pixel ratio and user agent are emulated"
        ]

    def probe(self, settings: Settings) -> list[Probe]:
        rows: list[Probe] = []
        driver = find_driver(settings.webkit_driver)
        browser = find_minibrowser(settings.minibrowser)
        if driver and browser:
            version = debian_version("webkit2gtk-driver")
            rows.append(
                Probe(
                    "ok",
                    "WebKitGTK",
                    f"WebKitWebDriver {driver}, MiniBrowser {browser}"
                    + (f" ({version})" if version else ""),
                )
            )
        else:
            missing = " and ".join(
                n for n, p in (("WebKitWebDriver", driver), ("MiniBrowser", browser)) if not p
            )
            rows.append(
                Probe(
                    "missing",
                    "WebKitGTK",
                    f"{missing} not found: WebKit cells cannot run here",
                    WEBKITGTK_INSTALL,
                )
            )
        xvfb = shutil.which("Xvfb")
        rows.append(
            Probe("ok", "Xvfb", xvfb)
            if xvfb
            else Probe(
                "missing",
                "Xvfb",
                "not found: WebKitGTK needs a virtual display",
                "sudo apt-get install xvfb",
            )
        )
        ffmpeg = shutil.which("ffmpeg")
        rows.append(
            Probe("ok", "ffmpeg", f"{ffmpeg} (video of WebDriver cells)")
            if ffmpeg
            else Probe(
                "info",
                "ffmpeg",
                "not found: no video recording (optional: sudo apt-get install ffmpeg)",
            )
        )
        return rows


@dataclass
class _Driver:
    """A local WebKitWebDriver process and the screen its browsers paint on (None: the user's)."""

    service: Any
    screen: VirtualDisplay | None

    def stop(self) -> None:
        with contextlib.suppress(Exception):  # already gone; nothing to keep
            self.service.stop()
        if self.screen is not None:
            self.screen.stop()


class WebKitGTKRuntime(WebDriverRuntime):
    """WebKitWebDriver serves one session at a time, so every live session (a client and a
    provider in one journey, the next test's spare) gets its own driver process, on its own
    virtual screen so that no window covers another's (video records the screen); finished ones
    are kept for the next session."""

    def __init__(self, cell: Cell, availability: Availability, options: RuntimeOptions) -> None:
        super().__init__(cell, availability, options)
        self.composited = _compositing_wanted(options.settings)  # every driver's env follows it
        self._idle: list[_Driver] = []  # driver processes with no session
        scale = cell.device.scale
        self.gdk_scale = max(1, round(scale))
        if cell.device.touch:
            self.limits.append(NO_TOUCH_LIMIT)
        if not self.composited:
            self.limits.append(NO_COMPOSITING_LIMIT)
        if self.gdk_scale != scale:
            self.limits.append(
                f"device pixel ratio {scale} rounded to {self.gdk_scale} (GDK_SCALE)"
            )

    # --- processes ---
    def _local_env(self, display: str) -> dict[str, str]:
        device = self.cell.device
        return local_env(
            display,
            scale=self.gdk_scale,
            locale=device.locale,
            composited=self.composited,
            timezone=device.timezone,
        )

    def _new_driver_process(self) -> _Driver:
        from selenium.webdriver.webkitgtk.service import Service

        screen = None
        if self._headed_display:
            display = os.environ["DISPLAY"]
        else:
            vp = self.cell.device.viewport
            # Room for the window at device pixels (plus slack).
            screen = VirtualDisplay(vp.width * self.gdk_scale + 64, vp.height * self.gdk_scale + 64)
            display = screen.start()
        service = Service(
            executable_path=self.availability.options["driver"],
            env=self._local_env(display),
            popen_kw=child_options(),
        )
        driver = _Driver(service, screen)
        try:
            service.start()
        except BaseException:
            driver.stop()
            raise
        return driver

    def _lease(self) -> tuple[str, _Driver]:
        with self._lock:
            driver = self._idle.pop() if self._idle else None
        if driver is None:  # started outside the lock: the running test's calls need not wait
            driver = self._new_driver_process()
        return str(driver.service.service_url), driver

    def _release(self, lease: Any, *, broken: bool) -> None:
        if not isinstance(lease, _Driver):
            return
        if broken:
            lease.stop()  # the next session gets a new driver and screen
            return
        with self._lock:
            self._idle.append(lease)

    def _retry_start(self, error: Exception) -> bool:
        return True

    def _options(self) -> Any:
        from selenium.webdriver.webkitgtk.options import Options

        options = Options()
        options.binary_location = self.availability.options["browser"]
        options.add_argument("--automation")
        # Without --full-screen the window has a header bar (38 px) and a 447 px minimum width,
        # so phone viewports cannot be had; full-screen + set_window_rect gives the exact size.
        options.add_argument("--full-screen")
        if self.cell.device.user_agent:
            options.add_argument(f"--user-agent={self.cell.device.user_agent}")
        return options

    def _spare_ok(self) -> bool:
        # Not for headed runs: an extra window on the user's screen.
        return self.options.spare and not self.options.headed

    def capture_area(self, driver: Any) -> tuple[str, int, int] | None:
        with self._lock:
            process = self._leases.get(str(driver.session_id))
        if not isinstance(process, _Driver) or process.screen is None:
            return None
        if process.screen.display is None:
            return None
        vp = self.cell.device.viewport
        return process.screen.display, vp.width * self.gdk_scale, vp.height * self.gdk_scale

    def _describe(self, driver: Any) -> EngineInfo:
        caps = driver.capabilities
        return EngineInfo(
            engine=self.availability.engine,
            kind=EngineKind.WEBDRIVER,
            browser=f"{caps.get('browserName') or self.cell.browser} (WebKitGTK)",
            version=str(caps.get("browserVersion") or caps.get("version") or ""),
            build="system WebKitGTK",
            headless=False,
            display="headed" if self._headed_display else "xvfb",
            device=self.cell.device.name,
            emulated=True,
            touch_events=False,
            limits=list(self.limits),
        )

    @property
    def screenshots_need_repaint(self) -> bool:
        """Painting without compositing, WebKitGTK answers a screenshot only after the page's
        next repaint (see WebDriverSession)."""
        return not self.composited

    @property
    def _headed_display(self) -> bool:
        return self.options.headed and bool(os.environ.get("DISPLAY"))

    def _stop_leases(self) -> None:
        with self._lock:
            processes = [*self._idle, *(p for p in self._leases.values() if isinstance(p, _Driver))]
            self._idle.clear()
            self._leases.clear()
        for process in processes:
            process.stop()
