"""A browser behind a Playwright server (``playwright run-server`` / ``launch_server``): the same
sessions and capture as local Playwright, the browser on the server."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlparse

from compat_harness.config import Settings
from compat_harness.engines.base import Availability, EngineInfo, EngineKind, Probe
from compat_harness.engines.playwright import PlaywrightEngine
from compat_harness.matrix import Cell, Remote


def port_open(url: str, timeout: float = 2.0) -> str | None:
    """None when host:port accepts TCP connections, else the reason."""
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme in ("https", "wss") else 80)
    try:
        with socket.create_connection((parsed.hostname or "localhost", port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{parsed.hostname}:{port} does not answer ({exc.strerror or exc})"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class PlaywrightServerEngine(PlaywrightEngine):
    """The cell's ``remote.url`` is a ws:// Playwright server; ``remote.capabilities`` are the
    launch options of the server's browser."""

    name = "playwright-server"
    kind = EngineKind.REMOTE
    remote_schemes: ClassVar[tuple[str, ...]] = ("ws", "wss")
    default_for_remote_urls = True

    def check(self, cell: Cell, settings: Settings) -> Availability:
        if cell.remote is None or not cell.remote.url.startswith(("ws://", "wss://")):
            return self.unavailable("no ws:// URL of a Playwright server in the cell's 'remote'")
        problem = port_open(cell.remote.url)
        if problem:
            return self.unavailable(
                f"the Playwright server {problem}",
                "start one: python -m playwright run-server --port 3000",
            )
        return Availability(
            self.name,
            True,
            detail=cell.remote.url,
            options={"ws_endpoint": cell.remote.url, "launch": dict(cell.remote.capabilities)},
        )

    def launch_args(
        self, availability: Availability, base: Mapping[str, Any], *, headless: bool
    ) -> dict[str, Any]:
        # These only travel to the server, as pytest-playwright's x-playwright-launch-options
        # header, which the server reads as its own (camelCase) launch options.
        options = {**base, **availability.options.get("launch", {})}
        return {_camel(key): value for key, value in options.items()}

    def connect_options(self, availability: Availability) -> dict[str, Any] | None:
        return {"endpoint": availability.options["ws_endpoint"], "timeout": 30_000}

    def describe(
        self, cell: Cell, availability: Availability, version: str, headless: bool
    ) -> EngineInfo:
        info = super().describe(cell, availability, version, headless)
        return dataclasses.replace(
            info, kind=self.kind, build=f"remote {availability.detail}", display="remote"
        )

    def point_at(self, cell: Cell, url: str) -> Cell:
        capabilities = dict(cell.remote.capabilities) if cell.remote else {}
        return dataclasses.replace(
            cell, remote=Remote(url=url, capabilities=capabilities), engines=(self.name,)
        )

    def probe(self, settings: Settings) -> list[Probe]:
        return []  # nothing to install here: the server is configured per cell
