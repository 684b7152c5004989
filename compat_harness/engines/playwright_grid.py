"""Playwright's Chromium on a Selenium Grid: one grid session per cell and worker, driven over
the Chrome DevTools Protocol the grid forwards (its ``se:cdp`` endpoint, as Playwright's own
``SELENIUM_REMOTE_URL`` support does), with a fresh Playwright context per test, so the cell keeps
Playwright's speed and its --tracing/--video, the browser on a grid node.

Measured with Grid 4.48 and Chromium 150: the session's goog:chromeOptions come from the cell's
``remote.capabilities`` (the node's Chrome; here Debian's headless shell); the cell's device is
emulated in each context as on a local Playwright cell.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from compat_harness.config import Settings
from compat_harness.engines.base import Availability, EngineInfo, EngineKind, Probe
from compat_harness.engines.playwright import PlaywrightEngine
from compat_harness.engines.selenium_grid import SeleniumGridEngine, session_node
from compat_harness.matrix import Cell


class PlaywrightGridEngine(PlaywrightEngine):
    """A Chromium cell whose browser is a Selenium Grid session, driven by Playwright over CDP."""

    name = "playwright-grid"
    kind = EngineKind.REMOTE
    remote_schemes: ClassVar[tuple[str, ...]] = ("http", "https")
    default_for_remote_urls = False

    def check(self, cell: Cell, settings: Settings) -> Availability:
        if cell.browser != "chromium":
            return self.unavailable(
                f"Playwright reaches only Chromium over a grid's CDP, not {cell.browser}"
            )
        grid = SeleniumGridEngine().check(cell, settings)
        if not grid.ok:
            return dataclasses.replace(grid, engine=self.name)
        return Availability(
            self.name,
            True,
            detail=f"Playwright over CDP: {grid.detail}",
            options={"url": grid.options["url"], "capabilities": _capabilities(cell)},
        )

    def launch_args(
        self, availability: Availability, base: Mapping[str, Any], *, headless: bool
    ) -> dict[str, Any]:
        return dict(base)  # the grid node starts the browser, with the cell's capabilities

    def open_browser(
        self, playwright: Any, launch: Callable[[], Any], cell: Cell, availability: Availability
    ) -> Any:
        from selenium import webdriver
        from selenium.webdriver.common.options import ArgOptions

        from compat_harness.engines.base import BrowserStartError

        options = ArgOptions()
        for key, value in availability.options["capabilities"].items():
            options.set_capability(key, value)
        try:
            driver = webdriver.Remote(availability.options["url"], options=options)
        except Exception as exc:
            raise BrowserStartError(
                f"browser cannot start on {cell.id}: the grid refused a session "
                f"({type(exc).__name__}: {str(exc).splitlines()[0]})"
            ) from None
        cdp = driver.capabilities.get("se:cdp")
        if not cdp:
            driver.quit()
            raise BrowserStartError(
                f"browser cannot start on {cell.id}: the grid gave no se:cdp endpoint "
                "(Playwright needs a Chromium node of Grid 4)"
            )
        # The node's own endpoint where it can be reached: one relay per message, not two.
        node = session_node(availability.options["url"], str(driver.session_id))
        if node:
            cdp = node.replace("http", "ws", 1) + urlsplit(cdp).path
        browser = playwright.chromium.connect_over_cdp(cdp)
        browser.on("disconnected", lambda _browser: driver.quit())
        return browser

    def describe(
        self, cell: Cell, availability: Availability, version: str, headless: bool
    ) -> EngineInfo:
        info = super().describe(cell, availability, version, headless)
        return dataclasses.replace(
            info,
            kind=self.kind,
            build=f"Playwright over a Selenium Grid's CDP ({availability.options['url']})",
            display="remote",
        )

    def closeness(self, cell: Cell, info: Mapping[str, Any]) -> list[str]:
        return [f"on a Selenium Grid node: {n}" for n in super().closeness(cell, info)]

    def probe(self, settings: Settings) -> list[Probe]:
        return []  # the grid is configured per cell


def _capabilities(cell: Cell) -> dict[str, Any]:
    capabilities = dict(cell.remote.capabilities) if cell.remote else {}
    capabilities.setdefault("browserName", "chrome")
    return capabilities
