"""The recording proxy of WebDriver cells: mitmproxy, in this process, between the browser and the
target. It puts the page script at the start of every HTML page (WebDriver has no way to run a
script before a page's own: WebKitWebDriver 2.50 refuses BiDi sessions), answers its reports itself,
and records every request with its method, status, headers and timing. Like Playwright's init
script, the script is in every page, so the console of any page is recorded; the sentinel judges
only the target's own pages.

One proxy per worker process, started on first use; every browser that uses it gets a listening
port of its own (a ``Channel``), so what arrives there is that browser's. Listens on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import tempfile
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from compat_harness.sentinels.core import BEACON_PATH

# Request headers that can carry credentials: kept out of the network log.
_SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key"}
_HEAD = re.compile(rb"<head(\s[^>]*)?>", re.I)
_HTML_OPEN = re.compile(rb"<html(\s[^>]*)?>", re.I)
_DOCTYPE = re.compile(rb"^\s*<!doctype[^>]*>", re.I)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Channel:
    """One browser's port on the proxy: the script its pages get and what arrived."""

    port: int
    proxy: RecordingProxy
    script: bytes = b""  # the page sentinel for this browser's pages (set per session)
    events: deque[dict[str, Any]] = field(default_factory=deque)
    network: deque[dict[str, Any]] = field(default_factory=deque)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def reset(self, script: str) -> None:
        """A new session on this browser: its script, nothing of the previous one's."""
        self.script = script.encode("utf-8")
        self.events.clear()
        self.network.clear()

    def drain(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while self.events:
            out.append(self.events.popleft())
        return out

    def close(self) -> None:
        self.proxy.release(self)


def _nonce(headers: Any) -> str | None:
    """A nonce added to the page's Content-Security-Policy so the inline sentinel may run."""
    policy = headers.get("content-security-policy")
    if not policy or ("script-src" not in policy and "default-src" not in policy):
        return None
    nonce = "compat" + str(time.time_ns())
    directive = "script-src" if "script-src" in policy else "default-src"
    headers["content-security-policy"] = re.sub(
        rf"({directive})([^;]*)", rf"\1\2 'nonce-{nonce}'", policy, count=1
    )
    return nonce


def inject(body: bytes, script: bytes, nonce: str | None = None) -> bytes:
    """The sentinel as the first script of the document: right after <head>, else after <html>
    or the doctype, else at the very start."""
    attrs = f' nonce="{nonce}"'.encode() if nonce else b""
    tag = b"<script" + attrs + b">" + script + b"</script>"
    for pattern in (_HEAD, _HTML_OPEN, _DOCTYPE):
        match = pattern.search(body)
        if match:
            return body[: match.end()] + tag + body[match.end() :]
    return tag + body


class _Addon:
    def __init__(self, proxy: RecordingProxy) -> None:
        self.proxy = proxy

    def _channel(self, flow: Any) -> Channel | None:
        return self.proxy.channels.get(int(flow.client_conn.sockname[1]))

    def request(self, flow: Any) -> None:
        if flow.request.path.split("?")[0] != BEACON_PATH:
            if "upgrade" not in flow.request.headers:
                # One connection to the target per request: a server that closes a kept-alive
                # connection (uvicorn does after an unhandled error) would otherwise fail the
                # next request the proxy sends on it, which a browser on its own retries.
                flow.request.headers["connection"] = "close"
            return
        from mitmproxy import http

        channel = self._channel(flow)
        try:
            payload = json.loads(flow.request.get_text() or "{}")
        except ValueError:
            payload = {}
        if channel is not None:
            channel.events.extend(e for e in payload.get("events") or [] if isinstance(e, dict))
        flow.response = http.Response.make(204)
        flow.metadata["compat_beacon"] = True

    def responseheaders(self, flow: Any) -> None:
        kind = flow.response.headers.get("content-type", "")
        if "html" not in kind.lower():
            flow.response.stream = True  # nothing to change: pass it on as it comes

    def response(self, flow: Any) -> None:
        if flow.metadata.get("compat_beacon"):
            return
        channel = self._channel(flow)
        if channel is None:
            return
        request, response = flow.request, flow.response
        self._record(channel, flow, status=response.status_code)
        if (
            "html" in response.headers.get("content-type", "").lower()
            and 200 <= response.status_code < 300
            and channel.script
            and request.method != "HEAD"
        ):
            body = response.content or b""
            response.content = inject(body, channel.script, _nonce(response.headers))

    def error(self, flow: Any) -> None:
        channel = self._channel(flow)
        if channel is not None and not flow.metadata.get("compat_beacon"):
            self._record(channel, flow, failure=str(flow.error.msg if flow.error else "failed"))

    @staticmethod
    def _record(
        channel: Channel, flow: Any, *, status: int | None = None, failure: str = ""
    ) -> None:
        request, response = flow.request, flow.response
        started = request.timestamp_start or time.time()
        ended = (response.timestamp_end if response is not None else None) or time.time()
        kind = (response.headers.get("content-type", "") if response is not None else "").split(
            ";"
        )[0]
        dest = request.headers.get("sec-fetch-dest", "")
        entry = {
            "type": "request",
            "t": started * 1000,
            "method": request.method,
            "url": request.pretty_url,
            "status": status,
            "failure": failure or None,
            "resource": dest or kind or "",
            # The page that asked: a page's own load is its page; anything else names its page
            # in the Referer (same-origin requests carry the full URL by default).
            "page": request.pretty_url
            if dest == "document"
            else request.headers.get("referer", ""),
            "duration_ms": round((ended - started) * 1000),
            "request_headers": {
                k: ("***" if k.lower() in _SECRET_HEADERS else v)
                for k, v in request.headers.items()
            },
            "response_headers": dict(response.headers.items()) if response is not None else {},
        }
        channel.network.append(entry)
        channel.events.append(entry)


class RecordingProxy:
    """mitmproxy on its own thread and event loop; channels are listening ports added and
    removed as browsers come and go."""

    def __init__(self) -> None:
        self.channels: dict[int, Channel] = {}
        self._idle: list[Channel] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._master: Any = None
        self._thread: threading.Thread | None = None
        self.confdir = tempfile.mkdtemp(prefix="compat-proxy-")

    def _start(self) -> None:
        with warnings.catch_warnings():  # its dependencies' own deprecations, not ours to fix
            warnings.simplefilter("ignore", DeprecationWarning)
            from mitmproxy import options
            from mitmproxy.tools.dump import DumpMaster

        ready = threading.Event()
        failure: list[BaseException] = []

        async def main() -> None:
            opts = options.Options(mode=[], confdir=self.confdir, listen_host="127.0.0.1")
            master = DumpMaster(opts, with_termlog=False, with_dumper=False)
            master.addons.add(_Addon(self))  # type: ignore[no-untyped-call]
            master.options.update(stream_large_bodies="2m")  # type: ignore[no-untyped-call]
            self._master, self._loop = master, asyncio.get_running_loop()
            run = asyncio.ensure_future(master.run())
            # Listening ports can be added only once the proxy server runs.
            server = master.addons.get("proxyserver")  # type: ignore[no-untyped-call]
            while not getattr(server, "is_running", False) and not run.done():
                await asyncio.sleep(0.01)
            ready.set()
            await run

        def run() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:  # reported to the starter
                failure.append(exc)
                ready.set()

        self._thread = threading.Thread(target=run, name="compat-proxy", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure or self._master is None:
            raise RuntimeError(f"the recording proxy did not start: {failure[:1]}")

    def _set_modes(self) -> None:
        """Listen on every channel's port; returns once the servers are updated."""
        modes = [f"regular@127.0.0.1:{port}" for port in sorted(self.channels)]
        assert self._loop is not None

        async def update() -> None:
            self._master.options.update(mode=modes)
            task = getattr(self._master.addons.get("proxyserver"), "_update_task", None)
            if task is not None:
                await task

        asyncio.run_coroutine_threadsafe(update(), self._loop).result(timeout=30)

    def channel(self) -> Channel:
        """A port of this browser's own (a released one when there is one)."""
        with self._lock:
            if self._master is None:
                self._start()
            if self._idle:
                return self._idle.pop()
            port = _free_port()
            channel = self.channels[port] = Channel(port, self)
            self._set_modes()
        _wait_listening(port)
        return channel

    def release(self, channel: Channel) -> None:
        channel.reset("")
        with self._lock:
            if channel.port in self.channels:
                self._idle.append(channel)

    def stop(self) -> None:
        with self._lock:
            master, self._master = self._master, None
            self.channels.clear()
            self._idle.clear()
        if master is not None and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(master.shutdown)
        if self._thread is not None:
            self._thread.join(timeout=10)


def _wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.02)
    raise RuntimeError(f"the recording proxy did not listen on 127.0.0.1:{port}")


_PROXY: RecordingProxy | None = None
_PROXY_LOCK = threading.Lock()


def recording_proxy() -> RecordingProxy:
    """This process's proxy (started by the first channel asked of it)."""
    global _PROXY
    with _PROXY_LOCK:
        if _PROXY is None:
            _PROXY = RecordingProxy()
            import atexit

            atexit.register(_PROXY.stop)
        return _PROXY
