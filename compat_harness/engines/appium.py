"""Appium 3: real iOS Safari (XCUITest), real Android Chrome (UiAutomator2), or a desktop
browser through one of its drivers (e.g. the Chromium driver, which the self-tests use here).

The cell's ``remote.capabilities`` name the driver (``appium:automationName``) and the device; on
a desktop browser the harness adds the cell's device emulation as for any remote Chromium. A real
device keeps its own viewport and user agent (both recorded with the cell) and taps are W3C touch
pointer actions; clearing the cache or site data goes through the target's test hook, as Appium
has no browser-data API of its own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from compat_harness.config import Settings
from compat_harness.engines.base import Availability, Runtime, RuntimeOptions
from compat_harness.engines.remote_webdriver import (
    W3C_BROWSER,
    RemoteWebDriverEngine,
    RemoteWebDriverRuntime,
    device_capabilities,
    real_device,
)
from compat_harness.engines.servers import (
    SERVERS_DIR,
    SETUP_HINT,
    Servers,
    ServerStartError,
    free_port,
)
from compat_harness.engines.webdriver import endpoint_answers, selenium_missing
from compat_harness.matrix import Cell

AUTOMATION = "appium:automationName"


class AppiumEngine(RemoteWebDriverEngine):
    """An Appium server; its driver is chosen by the cell's ``appium:automationName``."""

    name = "appium"
    default_for_remote_urls = False
    remote_schemes: ClassVar[tuple[str, ...]] = ("http", "https")

    def check(self, cell: Cell, settings: Settings) -> Availability:
        if cell.remote is None or not cell.remote.url.startswith(("http://", "https://")):
            return self.unavailable("no http(s) URL of an Appium server in the cell's 'remote'")
        if problem := selenium_missing():
            return self.unavailable(problem, "pip install selenium")
        if not cell.remote.capabilities.get(AUTOMATION):
            return self.unavailable(
                f"the cell's remote.capabilities name no {AUTOMATION}",
                f"add e.g. {AUTOMATION}: XCUITest (iOS Safari), UiAutomator2 (Android Chrome) "
                "or Chromium (a desktop Chromium through appium-chromium-driver)",
            )
        if problem := endpoint_answers(cell.remote.url):
            return self.unavailable(
                problem.replace("WebDriver endpoint", "Appium server"),
                "start it: appium --address 127.0.0.1 --port 4723 (and `appium driver install` "
                "the cell's driver), or fix the cell's remote url",
            )
        return Availability(
            self.name,
            True,
            detail=f"Appium at {cell.remote.url} ({cell.remote.capabilities[AUTOMATION]})",
            options={"url": cell.remote.url},
        )

    def start(self, cell: Cell, availability: Availability, options: RuntimeOptions) -> Runtime:
        return AppiumRuntime(cell, availability, options)

    def closeness(self, cell: Cell, info: Mapping[str, Any]) -> list[str]:
        return [f"through Appium: {n}" for n in super().closeness(cell, info)]


class AppiumRuntime(RemoteWebDriverRuntime):
    build = "Appium"
    _sessions = 0  # sessions started, for their chromedriver ports

    def capabilities(self) -> dict[str, Any]:
        capabilities = dict(self.cell.remote.capabilities) if self.cell.remote else {}
        if not real_device(capabilities):
            capabilities.setdefault("browserName", W3C_BROWSER[self.cell.browser])
        return device_capabilities(self.cell, capabilities)

    def _options(self) -> Any:
        options = super()._options()
        automation = str(self.capabilities().get(AUTOMATION, "")).lower()
        if automation in ("chromium", "uiautomator2") and "appium:chromedriverPort" not in (
            self.cell.remote.capabilities if self.cell.remote else {}
        ):
            # Every session's own chromedriver port: sessions at once (two workers, a client and
            # a provider) would otherwise share Appium's default 9515 and stop each other's.
            options.set_capability("appium:chromedriverPort", self._chromedriver_port())
        return options

    def _chromedriver_port(self) -> int:
        if self._proxy_reachable():  # Appium on this machine: a port that is free here
            return free_port()
        # Elsewhere: one range per worker, so this run's sessions never share one.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
        self._sessions += 1
        return 9600 + 50 * (int(worker) if worker.isdigit() else 0) + self._sessions % 50


# --- Appium on this machine (self-tests, trying the engine out) -----------------------------------


def appium_home() -> Path:
    """Where setup installs Appium's drivers (a project-local APPIUM_HOME)."""
    return SERVERS_DIR / "appium-home"


def start_local_appium() -> tuple[str, Servers]:
    """Appium 3 on 127.0.0.1 with the drivers setup installed (the Chromium driver here)."""
    main = SERVERS_DIR / "node_modules" / "appium" / "index.js"
    node = shutil.which("node")
    if not main.exists() or node is None:
        raise ServerStartError(f"Appium is not installed: {SETUP_HINT}")
    servers = Servers()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, APPIUM_HOME=str(appium_home()), APPIUM_SKIP_CHROMEDRIVER_INSTALL="1")
    try:
        servers.start(
            "appium",
            [node, str(main), "--address", "127.0.0.1", "--port", str(port), "--log-level", "warn"],
            ready_url=url,
            env=env,
            timeout=90,
        )
    except BaseException:
        servers.stop()
        raise
    return url, servers
