"""WebDriver engines: real WebKitGTK on this machine (MiniBrowser under Xvfb) and any remote W3C
WebDriver endpoint (Selenium Grid, Appium, cloud grids).

Facts these rely on (measured with WebKitGTK 2.50): there is no headless mode, so the browser gets
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
import threading
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from compat_harness.engines.base import Availability, Engine, EngineInfo, EngineKind
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


class BrowserStartError(RuntimeError):
    """The engine is installed but the browser did not start: the cell fails with this reason."""


def find_minibrowser() -> str | None:
    explicit = os.environ.get("COMPAT_MINIBROWSER")
    if explicit:
        return explicit if os.path.exists(explicit) else None
    for pattern in _MINIBROWSER_GLOBS:
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[-1]
    return None


def _compositing_wanted() -> bool:
    """COMPAT_WEBKIT_COMPOSITING=1, or WebKit's own switch set to 0 by the user."""
    if os.environ.get("WEBKIT_DISABLE_COMPOSITING_MODE") == "0":
        return True
    return os.environ.get("COMPAT_WEBKIT_COMPOSITING", "") not in ("", "0")


def _selenium_missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed"
    return None


class WebKitGTKEngine(Engine):
    """WebKitGTK's WebDriver (WebKitWebDriver) driving MiniBrowser --automation."""

    name = "webkitgtk"
    kind = EngineKind.WEBDRIVER

    def check(self, cell: Cell) -> Availability:
        if cell.browser != "webkit":
            return self.unavailable(f"webkitgtk runs WebKit cells, not {cell.browser}")
        if problem := _selenium_missing():
            return self.unavailable(problem, "pip install selenium")
        explicit = os.environ.get("COMPAT_WEBKIT_DRIVER")
        if explicit and not os.access(explicit, os.X_OK):
            return self.unavailable(
                f"COMPAT_WEBKIT_DRIVER={explicit} is not an executable file",
                "point COMPAT_WEBKIT_DRIVER at WebKitWebDriver, or unset it",
            )
        driver = explicit or shutil.which("WebKitWebDriver")
        browser = find_minibrowser()
        if not driver or not browser:
            if not driver:
                why = "WebKitGTK's WebKitWebDriver is not installed"
            elif os.environ.get("COMPAT_MINIBROWSER"):
                why = f"COMPAT_MINIBROWSER={os.environ['COMPAT_MINIBROWSER']} does not exist"
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


class RemoteWebDriverEngine(Engine):
    """Any W3C WebDriver endpoint: Selenium Grid, Appium, a cloud device grid."""

    name = "webdriver"
    kind = EngineKind.REMOTE

    def check(self, cell: Cell) -> Availability:
        if cell.remote is None or not cell.remote.url.startswith(("http://", "https://")):
            return self.unavailable("no http(s) WebDriver URL in the cell's 'remote'")
        if problem := _selenium_missing():
            return self.unavailable(problem, "pip install selenium")
        status_url = cell.remote.url.rstrip("/") + "/status"
        try:
            with urllib.request.urlopen(status_url, timeout=5) as response:
                response.read()
        except Exception as exc:
            return self.unavailable(
                f"the WebDriver endpoint does not answer ({type(exc).__name__}: {exc})",
                "start the grid/Appium server or fix the cell's remote url",
            )
        return Availability(
            self.name, True, detail=cell.remote.url, options={"url": cell.remote.url}
        )


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


class WebDriverRuntime:
    """The processes one WebDriver cell needs in one worker, and a new session per test.

    WebKitWebDriver serves one session at a time, so every live session (a client and a provider
    in one journey, the next test's spare) gets its own driver process, on its own virtual screen
    so that no window covers another's (video records the screen); finished ones are kept for the
    next session.
    """

    def __init__(
        self,
        cell: Cell,
        availability: Availability,
        *,
        headed: bool = False,
        start_timeout: float = 30.0,
        spare: bool = True,
    ) -> None:
        self.cell = cell
        self.availability = availability
        self.headed = headed
        self.spare = spare
        self.start_timeout = start_timeout
        self.remote = availability.engine == "webdriver"
        self.composited = _compositing_wanted()  # read once: the env of every driver follows it
        self._idle: list[_Driver] = []  # driver processes with no session
        self._busy: dict[str, _Driver] = {}  # session id -> its driver process
        self._failure: str | None = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._spare: Future[tuple[Any, EngineInfo]] | None = None  # the next test's session
        self._stopped = False
        scale = cell.device.scale
        self.gdk_scale = max(1, round(scale))
        self.limits: list[str] = []
        if not self.remote:
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
        """The driver's environment: the display, GDK_SCALE for the pixel ratio, the locale."""
        env = dict(os.environ)
        lang = self.cell.device.locale.replace("-", "_") + ".UTF-8"
        env.update(DISPLAY=display, GDK_SCALE=str(self.gdk_scale), LANG=lang, LC_ALL=lang)
        # Xvfb has no GPU, so WebKit composites through Mesa's llvmpipe, which by default
        # rasterizes on one thread per core: a single thread cut WebKitGTK's CPU per test by a
        # tenth and its wall time by 7% (measured with 2.50, Mesa 22.3, 24 tests).
        env.setdefault("LP_NUM_THREADS", "0")
        # Compositing in software GL costs more than painting without it: turning it off cut
        # WebKitGTK's CPU per test by more than a quarter at the same wall time (2.50, 12 tests
        # in a loop), which leaves more room for a second worker. The session then nudges a
        # repaint for each screenshot (see WebDriverSession).
        if self.composited:
            env.pop("WEBKIT_DISABLE_COMPOSITING_MODE", None)
        else:
            env.setdefault("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        env.pop("WAYLAND_DISPLAY", None)
        if self.cell.device.timezone:
            env["TZ"] = self.cell.device.timezone
        return env

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

    def _lease(self) -> tuple[str, _Driver | None]:
        """A driver URL for one new session, and the local process behind it (None if remote)."""
        with self._lock:
            if self._failure:
                raise BrowserStartError(self._failure)
            if self.remote:
                return str(self.availability.options["url"]), None
            driver = self._idle.pop() if self._idle else None
        if driver is None:  # started outside the lock: the running test's calls need not wait
            driver = self._new_driver_process()
        return str(driver.service.service_url), driver

    def _options(self) -> Any:
        if self.remote:
            from selenium.webdriver.common.options import ArgOptions

            options: Any = ArgOptions()
            for key, value in (self.cell.remote.capabilities if self.cell.remote else {}).items():
                options.set_capability(key, value)
            return options
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

    def new_driver(self) -> tuple[Any, EngineInfo]:
        """A fresh WebDriver session sized to the device, and what it is.

        A local WebKitGTK session takes about 0.45 s to start, half of a short test: the next
        one is started while the current test runs (a spare), so a test finds its browser ready.
        The spare has never loaded a page, so it is as fresh as one started on demand.
        """
        started = self._take_spare() or self._start()
        self._start_spare()
        return started

    def _take_spare(self) -> tuple[Any, EngineInfo] | None:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is None:
            return None
        try:
            ready = spare.result()
        except Exception:  # a spare that failed to start: start on demand, with the retry
            return None
        try:
            ready[0].execute_script("return 1")
        except Exception:  # its browser died while it waited
            self.quit(ready[0])
            return None
        return ready

    def _start_spare(self) -> None:
        # Not for remote endpoints (a grid bills and times out idle sessions) nor headed runs
        # (an extra window on the user's screen).
        if self.remote or self.headed or not self.spare:
            return
        with self._lock:
            if self._failure or self._stopped or self._spare is not None:
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spare-session")
            self._spare = self._pool.submit(self._start)

    def _start(self) -> tuple[Any, EngineInfo]:
        from selenium import webdriver
        from selenium.webdriver.remote.client_config import ClientConfig
        from selenium.webdriver.remote.remote_connection import RemoteConnection

        username = password = None
        remote = self.cell.remote
        if self.remote and remote and remote.username_env and remote.password_env:
            username = os.environ.get(remote.username_env, "")
            password = os.environ.get(remote.password_env, "")
        for attempt in (1, 2):  # a hung start is retried once on a fresh driver (and display)
            url, process = self._lease()
            config = ClientConfig(
                remote_server_addr=url,
                timeout=int(self.start_timeout),
                username=username,
                password=password,
            )
            try:
                driver = webdriver.Remote(
                    command_executor=RemoteConnection(client_config=config), options=self._options()
                )
            except Exception as exc:
                reason = f"browser cannot start on {self.cell.id}: {type(exc).__name__}: {exc}"
                if process is not None:
                    process.stop()  # the retry gets a new driver and screen
                if attempt == 2 or self.remote:
                    with self._lock:
                        self._failure = reason.splitlines()[0]
                    raise BrowserStartError(self._failure) from None
                continue
            if process is not None:
                with self._lock:
                    self._busy[str(driver.session_id)] = process
            self._size(driver)
            return driver, self._describe(driver)
        raise AssertionError("unreachable")  # pragma: no cover

    def quit(self, driver: Any) -> None:
        """End a session; its driver process waits for the next one."""
        with self._lock:
            process = self._busy.pop(str(driver.session_id), None)
        try:
            driver.quit()
        except Exception:  # the browser died: its driver may be unusable too
            if process is not None:
                process.stop()
            return
        if process is not None:
            with self._lock:
                self._idle.append(process)

    def _size(self, driver: Any) -> None:
        """Make the viewport exactly the device's; record a limit if the engine will not."""
        vp = self.cell.device.viewport
        caps = driver.capabilities
        if self.remote and str(caps.get("platformName", "")).lower() in ("ios", "android"):
            return  # a real device: its viewport is what it is
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

    def capture_area(self, driver: Any) -> tuple[str, int, int] | None:
        """(X display, width, height) of the screen a session's browser paints on, for video;
        None when the display is not the harness's own (headed, remote)."""
        with self._lock:
            process = self._busy.get(str(driver.session_id))
        if process is None or process.screen is None or process.screen.display is None:
            return None
        vp = self.cell.device.viewport
        return process.screen.display, vp.width * self.gdk_scale, vp.height * self.gdk_scale

    def _note(self, limit: str) -> None:
        if limit not in self.limits:
            self.limits.append(limit)

    def _describe(self, driver: Any) -> EngineInfo:
        caps = driver.capabilities
        real_device = self.remote and str(caps.get("platformName", "")).lower() in (
            "ios",
            "android",
        )
        browser = str(caps.get("browserName") or self.cell.browser)
        if not self.remote:
            browser = f"{browser} (WebKitGTK)"
        return EngineInfo(
            engine=self.availability.engine,
            kind=EngineKind.REMOTE if self.remote else EngineKind.WEBDRIVER,
            browser=browser,
            version=str(caps.get("browserVersion") or caps.get("version") or ""),
            build="remote WebDriver" if self.remote else "system WebKitGTK",
            headless=False,
            display="remote" if self.remote else ("headed" if self._headed_display else "xvfb"),
            device=self.cell.device.name if not real_device else str(caps.get("deviceName", "")),
            emulated=not real_device,
            touch_events=bool(real_device),
            limits=list(self.limits),
        )

    @property
    def screenshots_need_repaint(self) -> bool:
        """Whether a screenshot must be preceded by a repaint: local WebKitGTK painting without
        compositing answers one only after the page's next repaint (see WebDriverSession)."""
        return not self.remote and not self.composited

    @property
    def _headed_display(self) -> bool:
        return self.headed and bool(os.environ.get("DISPLAY"))

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
        with self._lock:
            processes = [*self._idle, *self._busy.values()]
            self._idle.clear()
            self._busy.clear()
        for process in processes:
            process.stop()
