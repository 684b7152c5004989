"""Any W3C WebDriver endpoint (a cloud device grid, a single driver, a grid without grid options):
the cell's ``remote.capabilities`` go as they are; credentials come from environment variables the
cell names; a real phone (``platformName`` iOS/Android) keeps its own viewport and touch."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from compat_harness.config import Settings
from compat_harness.engines.base import (
    Availability,
    EngineInfo,
    EngineKind,
    Runtime,
    RuntimeOptions,
)
from compat_harness.engines.webdriver import (
    WebDriverEngine,
    WebDriverRuntime,
    endpoint_answers,
    selenium_missing,
)
from compat_harness.matrix import Cell, Remote

# What a WebDriver endpoint calls each browser (W3C browserName).
W3C_BROWSER = {"chromium": "chrome", "webkit": "safari", "firefox": "firefox"}


def real_device(capabilities: Mapping[str, Any]) -> bool:
    """A session on a real phone or tablet (Appium, a device cloud), not an emulated screen."""
    return str(capabilities.get("platformName", "")).lower() in ("ios", "android")


_CHROMIUM_NAMES = ("chrome", "chromium", "microsoftedge", "msedge")


def device_capabilities(cell: Cell, capabilities: Mapping[str, Any]) -> dict[str, Any]:
    """The cell's capabilities plus what makes the remote browser emulate the cell's device, in
    each browser's own options (what the cell already sets wins): Chromium's mobile emulation
    (screen, pixel ratio, touch, user agent), MiniBrowser's arguments (WebKitGTK behind a grid
    relay), Firefox's user agent preference. A real device (iOS/Android) is left as it is."""
    caps = dict(capabilities)
    if real_device(caps):
        return caps
    device = cell.device
    browser = str(caps.get("browserName", "")).lower()
    if browser in _CHROMIUM_NAMES and (device.mobile or device.touch or device.user_agent):
        options = dict(caps.get("goog:chromeOptions") or {})
        emulation: dict[str, Any] = {
            "deviceMetrics": {
                "width": device.viewport.width,
                "height": device.viewport.height,
                "pixelRatio": device.scale,
                "touch": device.touch,
                "mobile": device.mobile,
            }
        }
        if device.user_agent:
            emulation["userAgent"] = device.user_agent
        options.setdefault("mobileEmulation", emulation)
        caps["goog:chromeOptions"] = options
    elif browser == "minibrowser":
        options = dict(caps.get("webkitgtk:browserOptions") or {})
        args = list(options.get("args") or [])
        # --full-screen: without it the window has a header bar and a 447 px minimum width.
        for arg in ("--automation", "--full-screen"):
            if arg not in args:
                args.append(arg)
        if device.user_agent and not any(a.startswith("--user-agent=") for a in args):
            args.append(f"--user-agent={device.user_agent}")
        options["args"] = args
        caps["webkitgtk:browserOptions"] = options
    elif browser == "firefox" and device.user_agent:
        options = dict(caps.get("moz:firefoxOptions") or {})
        prefs = dict(options.get("prefs") or {})
        prefs.setdefault("general.useragent.override", device.user_agent)
        options["prefs"] = prefs
        caps["moz:firefoxOptions"] = options
    return caps


def emulated_by_browser(capabilities: Mapping[str, Any]) -> bool:
    """The browser emulates the device's screen itself (Chromium's mobile emulation): the window
    is not resized to the viewport."""
    options = capabilities.get("goog:chromeOptions") or {}
    return isinstance(options, Mapping) and "mobileEmulation" in options


class RemoteWebDriverEngine(WebDriverEngine):
    """Any W3C WebDriver endpoint: Selenium Grid, Appium, a cloud device grid."""

    name = "webdriver"
    kind = EngineKind.REMOTE
    remote_schemes: ClassVar[tuple[str, ...]] = ("http", "https")
    default_for_remote_urls = True

    def check(self, cell: Cell, settings: Settings) -> Availability:
        if cell.remote is None or not cell.remote.url.startswith(("http://", "https://")):
            return self.unavailable("no http(s) WebDriver URL in the cell's 'remote'")
        if problem := selenium_missing():
            return self.unavailable(problem, "pip install selenium")
        if problem := endpoint_answers(cell.remote.url):
            return self.unavailable(
                problem, "start the grid/Appium server or fix the cell's remote url"
            )
        return Availability(
            self.name, True, detail=cell.remote.url, options={"url": cell.remote.url}
        )

    def start(self, cell: Cell, availability: Availability, options: RuntimeOptions) -> Runtime:
        return RemoteWebDriverRuntime(cell, availability, options)

    def point_at(self, cell: Cell, url: str) -> Cell:
        capabilities = dict(cell.remote.capabilities) if cell.remote else {}
        capabilities.setdefault("browserName", W3C_BROWSER[cell.browser])
        return dataclasses.replace(
            cell, remote=Remote(url=url, capabilities=capabilities), engines=(self.name,)
        )

    def closeness(self, cell: Cell, info: Mapping[str, Any]) -> list[str]:
        if not info.get("emulated", True):
            return [f"a real {info.get('device') or 'device'} through {info.get('build')}"]
        return [
            f"{info.get('browser')} on a remote WebDriver endpoint emulating {cell.device.name}"
            " (screen size; the user agent only where the endpoint's capabilities set it)"
        ]


class RemoteWebDriverRuntime(WebDriverRuntime):
    """Sessions on the cell's endpoint; a spare only where the cell asks (``remote.spare``): a
    grid bills and times out idle sessions."""

    build = "remote WebDriver"
    _start_failures_stick = False

    @property
    def url(self) -> str:
        return str(self.availability.options["url"])

    def _lease(self) -> tuple[str, Any]:
        return self.url, None

    def capabilities(self) -> dict[str, Any]:
        """What a new session asks for: the cell's capabilities as they are."""
        return dict(self.cell.remote.capabilities) if self.cell.remote else {}

    def _options(self) -> Any:
        from selenium.webdriver.common.options import ArgOptions

        options = ArgOptions()
        for key, value in self.capabilities().items():
            options.set_capability(key, value)
        return options

    def _spare_ok(self) -> bool:
        return self.options.spare and self.cell.remote is not None and self.cell.remote.spare

    def _credentials(self) -> tuple[str | None, str | None]:
        remote = self.cell.remote
        if remote and remote.username_env and remote.password_env:
            return os.environ.get(remote.username_env, ""), os.environ.get(remote.password_env, "")
        return None, None

    def _real_device(self, capabilities: dict[str, Any]) -> bool:
        return real_device(capabilities)

    def _proxy_reachable(self) -> bool:
        # The proxy listens on this machine's loopback only: an endpoint elsewhere cannot use it.
        return urlsplit(self.url).hostname in ("127.0.0.1", "localhost", "::1")

    @property
    def screenshots_need_repaint(self) -> bool:
        # WebKitGTK behind a relay may paint without compositing, and then answers a screenshot
        # only after a repaint; the nudge costs nothing where it does not.
        return str(self.capabilities().get("browserName", "")).lower() == "minibrowser"

    def _size(self, driver: Any) -> None:
        if emulated_by_browser(self.capabilities()):
            return  # the screen is the emulated device's
        super()._size(driver)

    def _describe(self, driver: Any) -> EngineInfo:
        caps = driver.capabilities
        real = self._real_device(caps)
        touch = real or bool(
            ((self.capabilities().get("goog:chromeOptions") or {}).get("mobileEmulation") or {})
            .get("deviceMetrics", {})
            .get("touch")
        )
        return EngineInfo(
            engine=self.availability.engine,
            kind=EngineKind.REMOTE,
            browser=str(caps.get("browserName") or self.cell.browser),
            version=str(caps.get("browserVersion") or caps.get("version") or ""),
            build=self.build,
            headless=False,
            display="remote",
            device=str(caps.get("deviceName", "")) if real else self.cell.device.name,
            emulated=not real,
            touch_events=touch,
            limits=list(self.limits),
            **self._screen(driver),
        )

    def _screen(self, driver: Any) -> dict[str, str]:
        """The viewport and user agent the remote browser really has (a real device keeps its
        own), as recorded with the cell."""
        try:
            # The visual viewport at its scale: the start page has no viewport meta, so a phone
            # lays it out 980 px wide and innerWidth says 981, not the device's width.
            width, height, agent = driver.execute_script(
                "const v = window.visualViewport;"
                "const [w, h] = v ? [v.width * v.scale, v.height * v.scale]"
                " : [innerWidth, innerHeight];"
                "return [Math.round(w), Math.round(h), navigator.userAgent]"
            )
        except Exception:  # an endpoint without scripts on a blank page: nothing to record
            return {}
        return {"viewport": f"{width}x{height}", "user_agent": str(agent)}
