"""What every WebDriver engine shares (local WebKitGTK, a remote endpoint, Selenium Grid, Appium):
a runtime that starts W3C sessions under a client timeout and retries a hung start once, sizes the
window to the device, can keep the next test's session ready (a spare), describes what ran, and
records each session's console and network with a script put into its pages.

Subclasses say where a session's driver is (``_lease``/``_release``), which capabilities it gets
(``_options``), and how close what ran is to the device (``_real_device``, ``_describe``).
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import urllib.request
from abc import abstractmethod
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from compat_harness.artifacts.capture import Capture
from compat_harness.artifacts.video import ScreenVideo
from compat_harness.engines.base import (
    Availability,
    BrowserStartError,
    Engine,
    EngineInfo,
    EngineKind,
    Opened,
    Runtime,
    RuntimeOptions,
    SessionFactory,
    TestContext,
)
from compat_harness.matrix import Cell
from compat_harness.sentinels.core import BEACON_PATH, PageWatch, SentinelSettings
from compat_harness.sentinels.proxy import Channel, recording_proxy
from compat_harness.versions import collect as served


def selenium_missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed"
    return None


def endpoint_answers(url: str, timeout: float = 5.0) -> str | None:
    """None when the WebDriver endpoint's /status answers, else why not."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/status", timeout=timeout) as response:
            response.read()
    except Exception as exc:
        return f"the WebDriver endpoint does not answer ({type(exc).__name__}: {exc})"
    return None


class WebDriverEngine(Engine):
    """Base of the WebDriver engines (for ``isinstance`` inside ``engines/`` only)."""

    kind = EngineKind.WEBDRIVER


_Ready = tuple[Any, EngineInfo]


class WebDriverRuntime(Runtime):
    """W3C sessions for one cell in one worker, a fresh one per test.

    A session can take half of a short test to start: where the engine allows (``_spare_ok``),
    the next one is started while the current test runs (a spare), so a test finds its browser
    ready. The spare has never loaded a page, so it is as fresh as one started on demand.
    """

    # A browser that could not start here will not start for the next test either: its cell's
    # remaining tests fail at once with the reason. A remote endpoint's refusal (a full queue)
    # concerns one session only.
    _start_failures_stick = True

    def __init__(self, cell: Cell, availability: Availability, options: RuntimeOptions) -> None:
        super().__init__(cell, availability, options)
        self.limits: list[str] = []
        self._failure: str | None = None
        self._lock = threading.Lock()
        self._leases: dict[str, Any] = {}  # session id -> what _lease gave it
        self._channels: dict[str, Channel | None] = {}  # session id -> its port on the proxy
        self._urls: dict[str, str] = {}  # session id -> its driver's URL
        # session id -> the connection that made it, where its commands go elsewhere: it is
        # ended there, as that endpoint (a grid's router) expects
        self._made_at: dict[str, Any] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._spare: Future[_Ready] | None = None
        self._stopped = False

    # --- what subclasses say ---------------------------------------------------------------------
    @abstractmethod
    def _lease(self) -> tuple[str, Any]:
        """The driver URL for one new session, and a handle given back to ``_release``."""

    def _release(self, lease: Any, *, broken: bool) -> None:
        """A session on ``lease`` ended (``broken``: it failed to start or its browser died)."""

    @abstractmethod
    def _options(self) -> Any:
        """Selenium options (capabilities) of a new session."""

    def _credentials(self) -> tuple[str | None, str | None]:
        return None, None

    def _spare_ok(self) -> bool:
        return False

    def _real_device(self, capabilities: dict[str, Any]) -> bool:
        return False

    @abstractmethod
    def _describe(self, driver: Any) -> EngineInfo:
        """What ran a session (browser, version, display, limits)."""

    def capture_area(self, driver: Any) -> tuple[str, int, int] | None:
        """(X display, width, height) a session's browser paints on, for video; None when the
        harness does not own the display."""
        return None

    def _commands_url(self, driver: Any, url: str) -> str:
        """Where a new session's commands go (``url``, where it was made, unless the endpoint
        is a relay in front of a server that can take them itself); it is ended at ``url``."""
        return url

    def _proxy_reachable(self) -> bool:
        """Whether the browser can reach the recording proxy on this machine's loopback."""
        return True

    @property
    def screenshots_need_repaint(self) -> bool:
        """Whether a screenshot must be preceded by a repaint (see WebDriverSession)."""
        return False

    # --- sessions --------------------------------------------------------------------------------
    def for_test(self, test: TestContext) -> SessionFactory:
        from compat_harness.session.webdriver import WebDriverSession

        def open_session() -> Opened:
            driver, info = self.new_driver()
            with self._lock:
                channel = self._channels.get(str(driver.session_id))
            if channel is not None:
                script = page_script(test.watch, "beacon", beacon=BEACON_PATH)
                channel.reset(script)
            else:
                script = page_script(test.watch, "buffer")
            session = WebDriverSession(
                driver,
                self.cell,
                info,
                test.timeouts,
                test.steps,
                on_close=lambda: self.quit(driver),
                repaint_for_screenshots=self.screenshots_need_repaint,
            )
            capture = WebDriverCapture(session, channel=channel)
            capture.install(driver, script)
            area = self.capture_area(driver)
            if area is not None and test.video in ("on", "retain-on-failure"):
                capture.video = ScreenVideo.start(test.scratch, *area)
            return Opened(session, capture)

        return open_session

    def new_driver(self) -> _Ready:
        """A fresh WebDriver session sized to the device, and what it is."""
        started = self._take_spare() or self._start()
        self._start_spare()
        return started

    def _take_spare(self) -> _Ready | None:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is None:
            return None
        try:
            ready = spare.result()
        except Exception:  # a spare that failed to start: start on demand, with the retry
            return None
        if not self._answers(ready[0]):  # its browser died while it waited
            self.quit(ready[0])
            return None
        return ready

    def _answers(self, driver: Any, timeout: float = 3.0) -> bool:
        """Whether the session's browser runs a script within ``timeout`` (a driver whose
        browser died may not answer at all, and the client would wait its whole timeout)."""
        with self._lock:
            url = self._urls.get(str(driver.session_id))
        if url is None:
            return False
        request = urllib.request.Request(
            f"{url.rstrip('/')}/session/{driver.session_id}/execute/sync",
            data=json.dumps({"script": "return 1", "args": []}).encode(),
            # Selenium Grid refuses a body not marked as UTF-8 JSON (drivers accept both).
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return bool(json.loads(response.read()).get("value") == 1)
        except Exception:
            return False

    def _start_spare(self) -> None:
        if not self._spare_ok():
            return
        with self._lock:
            if self._failure or self._stopped or self._spare is not None:
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spare-session")
            self._spare = self._pool.submit(self._start)

    def _start(self) -> _Ready:
        from selenium import webdriver
        from selenium.webdriver.remote.client_config import ClientConfig
        from selenium.webdriver.remote.remote_connection import RemoteConnection

        username, password = self._credentials()
        for attempt in (1, 2):  # a hung start is retried once, on a fresh lease
            with self._lock:
                if self._failure:
                    raise BrowserStartError(self._failure)
            url, lease = self._lease()
            channel = self._proxy_channel()
            options = self._options()
            if channel is not None:
                _through_proxy(options, channel.address)
            remote = self.cell.remote
            timeout = (remote.start_timeout if remote else None) or self.options.start_timeout
            config = ClientConfig(
                remote_server_addr=url,
                timeout=int(timeout),
                username=username,
                password=password,
            )
            try:
                driver = webdriver.Remote(
                    command_executor=RemoteConnection(client_config=config), options=options
                )
            except Exception as exc:
                self._release(lease, broken=True)
                if channel is not None:
                    channel.close()
                if attempt == 2 or not self._retry_start(exc):
                    reason = self.start_error(exc).splitlines()[0]
                    if self._start_failures_stick:
                        with self._lock:
                            self._failure = reason
                    raise BrowserStartError(reason) from None
                continue
            served_at = self._commands_url(driver, url)
            if served_at != url:
                made_at, config = driver.command_executor, copy.copy(config)
                config.remote_server_addr = url = served_at
                driver.command_executor = RemoteConnection(client_config=config)
                with self._lock:
                    self._made_at[str(driver.session_id)] = made_at
            with self._lock:
                self._leases[str(driver.session_id)] = lease
                self._channels[str(driver.session_id)] = channel
                self._urls[str(driver.session_id)] = url
            self._size(driver)
            return driver, self._describe(driver)
        raise AssertionError("unreachable")  # pragma: no cover

    def start_error(self, error: Exception) -> str:
        """Why the cell's browser could not start, in one line naming the cell."""
        return f"browser cannot start on {self.cell.id}: {type(error).__name__}: {error}"

    def _proxy_channel(self) -> Channel | None:
        if not self.options.watch_pages or not self._proxy_reachable():
            return None
        return recording_proxy().channel()

    def _retry_start(self, error: Exception) -> bool:
        """Whether a failed start is worth one more try (a local driver that hung: yes)."""
        return False

    def quit(self, driver: Any) -> None:
        """End a session; its lease is given back for the next one."""
        with self._lock:
            lease = self._leases.pop(str(driver.session_id), None)
            channel = self._channels.pop(str(driver.session_id), None)
            self._urls.pop(str(driver.session_id), None)
            made_at = self._made_at.pop(str(driver.session_id), None)
        if channel is not None:
            channel.close()
        if made_at is not None:
            driver.command_executor = made_at
        try:
            driver.quit()
        except Exception:  # the browser died: its driver may be unusable too
            self._release(lease, broken=True)
            return
        self._release(lease, broken=False)

    def _size(self, driver: Any) -> None:
        """Make the viewport exactly the device's; record a limit if the engine will not."""
        if self._real_device(driver.capabilities):
            return  # a real device: its viewport is what it is
        vp = self.cell.device.viewport
        try:
            driver.set_window_rect(0, 0, vp.width, vp.height)
            w, h = driver.execute_script("return [innerWidth, innerHeight]")
            if (w, h) != (vp.width, vp.height):
                driver.set_window_rect(0, 0, 2 * vp.width - w, 2 * vp.height - h)
                w, h = driver.execute_script("return [innerWidth, innerHeight]")
        except Exception as exc:
            self._note(f"cannot size the window ({type(exc).__name__})")
            return
        if (w, h) != (vp.width, vp.height):
            self._note(f"viewport is {w}x{h}, not the device's {vp}")

    def _note(self, limit: str) -> None:
        if limit not in self.limits:
            self.limits.append(limit)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            spare, self._spare = self._spare, None
        if spare is not None:
            with contextlib.suppress(Exception):  # a spare that did not start has nothing to end
                self.quit(spare.result()[0])
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self._stop_leases()

    def _stop_leases(self) -> None:
        """End whatever processes the leases hold (local engines)."""


_CHROMIUM_NAMES = ("chrome", "chromium", "microsoftedge", "msedge")


def _through_proxy(options: Any, address: str) -> None:
    """A session whose browser sends everything through the recording proxy at ``address``
    (HTTPS too: the proxy re-signs it, so certificate errors are not seen on this cell)."""
    options.set_capability(
        "proxy", {"proxyType": "manual", "httpProxy": address, "sslProxy": address}
    )
    options.set_capability("acceptInsecureCerts", True)
    caps = options.to_capabilities()
    if str(caps.get("browserName", "")).lower() in _CHROMIUM_NAMES:
        # Chromium never sends loopback hosts through a proxy unless told to; the flag itself
        # too, for drivers that ignore the W3C proxy (Appium's Chromium driver does, measured).
        chrome = dict(caps.get("goog:chromeOptions") or {})
        chrome["args"] = [
            *chrome.get("args", []),
            f"--proxy-server={address}",
            "--proxy-bypass-list=<-loopback>",
        ]
        options.set_capability("goog:chromeOptions", chrome)


# --- capture ---------------------------------------------------------------------------------------

# WebDriver commands after which the page may be a new document (an in-page script is gone).
_NAVIGATING = {
    "get",
    "refresh",
    "goBack",
    "goForward",
    "clickElement",
    "sendKeysToElement",
    "actions",
}
_TAKE_JS = "return window.__compatSentinel ? window.__compatSentinel.take() : '[]';"
# What the current document loaded since the last harvest (Resource Timing: no proxy).
_TIMING_JS = """
const seen = window.__compatNetSeen || 0;
const entries = performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"));
window.__compatNetSeen = entries.length;
return {url: location.href, hooked: !!window.__compatSentinel, network: entries.slice(seen).map((e) => ({
  t: performance.timeOrigin + e.startTime, url: e.name, type: e.initiatorType || e.entryType,
  status: e.responseStatus || null, duration_ms: Math.round(e.duration), size: e.transferSize,
}))};
"""


def page_script(watch: PageWatch | None, channel: str, **extra: Any) -> str:
    """The page sentinel for a WebDriver cell (with console messages: WebDriver has no console
    events); without a watch, only errors and console messages, for the logs."""
    if watch is None:
        watch = PageWatch((), False, SentinelSettings(enabled=False))
        extra["watch"] = False
    return watch.script(channel, console=True, **extra)


@dataclass
class WebDriverCapture(Capture):
    """A WebDriver session's recording. Through the recording proxy (``channel``), every request
    of the browser is recorded and the page script is in every page from its start. Without it (a remote endpoint the proxy cannot reach), the script goes into each page
    after every navigation or click the test makes, and its records are read back."""

    channel: Channel | None = None
    unhooked_pages: int = 0
    _execute: Callable[..., Any] | None = None

    def install(self, driver: Any, script: str) -> None:
        original = self._execute = driver.execute
        if self.channel is not None:
            return  # the proxy puts the script into every page

        def no_alert() -> bool:
            # A script run while an alert is open would dismiss it, changing the test.
            try:
                original("w3cGetAlertText")
            except Exception:
                return True
            return False

        def execute(command: str, params: Any = None) -> Any:
            if command in _NAVIGATING and no_alert():
                self._read_page()
            result = original(command, params)
            if command in _NAVIGATING:
                with contextlib.suppress(Exception):
                    if no_alert():
                        original("w3cExecuteScript", {"script": script, "args": []})
            return result

        driver.execute = execute

    def _call(self, script: str) -> Any:
        if self._execute is None:
            return None
        return self._execute("w3cExecuteScript", {"script": script, "args": []})["value"]

    def _take(self) -> list[dict[str, Any]]:
        try:
            return list(json.loads(self._call(_TAKE_JS) or "[]"))
        except Exception:  # the page or the browser is gone
            return []

    def _read_page(self) -> None:
        """Without the proxy: the page's records and Resource Timing entries, before it goes."""
        self.events.extend(self._take())
        try:
            data = self._call(_TIMING_JS)
        except Exception:
            return
        if not data or str(data.get("url", "")).startswith("about:"):
            return
        self.pages.append(str(data["url"]))
        self.unhooked_pages += 0 if data.get("hooked") else 1
        listed = data.get("network") or []
        self.network.extend(listed)
        served.on_listed(listed)

    def _log(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for e in events:
            if e.get("type") == "console":
                self.console.append(
                    {"t": e.get("t"), "type": e.get("level"), "text": e.get("text")}
                )
            elif e.get("type") == "page-error":
                where = f"{e['source']}:{e.get('line')}" if e.get("source") else ""
                text = f"{e.get('message')}\n{e['stack']}" if e.get("stack") else e.get("message")
                self.console.append(
                    {"t": e.get("t"), "type": "pageerror", "text": text, "location": where}
                )
            elif e.get("type") == "hello":
                self.pages.append(str(e.get("page")))
        return events

    def drain_events(self) -> list[dict[str, Any]]:
        self.events.extend(self.channel.drain() if self.channel is not None else self._take())
        return self._log(super().drain_events())

    def flush_events(self) -> list[dict[str, Any]]:
        if self.channel is not None:
            self.events.extend(self.channel.drain())
        self.events.extend(self._take())
        return self._log(super().drain_events())

    def harvest(self) -> None:
        if self.channel is not None:
            self.events.extend(self.channel.drain())
            self.network = list(self.channel.network)
        else:
            self._read_page()
        self._log(super().drain_events())

    def console_header(self) -> list[str]:
        if self.channel is not None:
            return [
                "# Recorded by the harness: a script its recording proxy puts at the start of",
                "# every page reports console messages and uncaught errors.",
                f"# Pages seen: {len(self.pages)}.",
            ]
        return [
            "# Recorded by the harness: WebDriver has no log API on this engine, so a small",
            "# script is put into each page after every navigation or click the test makes,",
            "# and each page's records are read before it is left and at the end.",
            "# Limits: messages a page logs while it is still loading (before the script is in)",
            "# are not seen; uncaught errors after that are. "
            + f"Pages visited: {len(self.pages)}"
            + (f", {self.unhooked_pages} without the script" if self.unhooked_pages else ""),
        ]

    def network_header(self) -> list[str]:
        if self.channel is not None:
            return [
                "# Recorded by the harness's recording proxy between the browser and the target:",
                "# every request with its method, status, headers and timing (credentials left out).",
                "# Limits: what the browser answers from its own cache never reaches the proxy.",
            ]
        return [
            "# Source: the Resource Timing API of each page (what the page loaded, with timings).",
            "# Limits: no request methods or headers; a status only where the engine reports",
            "# responseStatus; requests that failed outright may be missing.",
        ]
