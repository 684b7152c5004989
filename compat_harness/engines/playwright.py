"""Playwright engines: local builds (bundled, or the system's Chromium) and a Playwright server.

The browser and context lifecycle belongs to pytest-playwright's fixtures; this module only says
whether a cell can run, and with which launch and context arguments.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from compat_harness.engines.base import Availability, Engine, EngineInfo, EngineKind
from compat_harness.matrix import Cell

# Debian's chromium phones home at start unless told not to; on a closed network those
# connections fail noisily (and slowly). The same flags the product's CI machines use.
SYSTEM_CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)
_SYSTEM_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


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


def system_headless_shell() -> str | None:
    """The old-headless shell build (Debian: chromium-headless-shell), which Playwright itself uses
    for headless Chromium: the full browser in headless mode also renders its own UI (a WebUI
    renderer), measured at about twice the CPU per navigation here."""
    explicit = os.environ.get("COMPAT_CHROMIUM_HEADLESS_SHELL")
    if explicit:
        return explicit if os.path.exists(explicit) else None
    return shutil.which("chromium-headless-shell")


def system_chromium() -> str | None:
    explicit = os.environ.get("COMPAT_CHROMIUM_PATH")
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

    def check(self, cell: Cell) -> Availability:
        bundled = bundled_executables().get(cell.browser)
        if bundled:
            return Availability(self.name, True, detail=f"Playwright's {cell.browser} build")
        install = f"python -m playwright install --with-deps {cell.browser}"
        if cell.browser == "chromium":
            system = system_chromium()
            if system:
                shell = system_headless_shell()
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
            explicit = os.environ.get("COMPAT_CHROMIUM_PATH")
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

    @staticmethod
    def launch_args(availability: Availability, *, headless: bool = True) -> dict[str, Any]:
        """launch() arguments: the system build (its headless shell when headless, as Playwright
        does with its own builds) and the flags it needs on a closed network."""
        options = dict(availability.options)
        shell = options.pop("headless_shell", None)
        if headless and shell:
            options["executable_path"] = shell
        return options

    @staticmethod
    def describe(
        cell: Cell, availability: Availability, version: str, headless: bool
    ) -> EngineInfo:
        if not availability.options:
            build = "Playwright build"
        elif headless and availability.options.get("headless_shell"):
            build = "system chromium-headless-shell"
        else:
            build = "system chromium"
        return EngineInfo(
            engine=availability.engine,
            kind=EngineKind.PLAYWRIGHT
            if availability.engine == "playwright"
            else EngineKind.REMOTE,
            browser=cell.browser,
            version=version,
            build=build if availability.engine == "playwright" else f"remote {availability.detail}",
            headless=headless,
            display="remote"
            if availability.engine != "playwright"
            else "headless"
            if headless
            else "headed",
            device=cell.device.name,
            emulated=True,
            touch_events=cell.device.touch,
        )


def _port_open(url: str, timeout: float = 2.0) -> str | None:
    """None when host:port accepts TCP connections, else the reason."""
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme in ("https", "wss") else 80)
    try:
        with socket.create_connection((parsed.hostname or "localhost", port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{parsed.hostname}:{port} does not answer ({exc.strerror or exc})"


class PlaywrightServerEngine(Engine):
    """A browser behind a Playwright server (`playwright run-server` / `launch_server`)."""

    name = "playwright-server"
    kind = EngineKind.REMOTE

    def check(self, cell: Cell) -> Availability:
        if cell.remote is None or not cell.remote.url.startswith(("ws://", "wss://")):
            return self.unavailable("no ws:// URL of a Playwright server in the cell's 'remote'")
        problem = _port_open(cell.remote.url)
        if problem:
            return self.unavailable(
                f"the Playwright server {problem}",
                "start one: python -m playwright run-server --port 3000",
            )
        return Availability(
            self.name, True, detail=cell.remote.url, options={"ws_endpoint": cell.remote.url}
        )
