"""Shared by the self-tests: child processes (pytester, the suites) import this tree's code, and
engine-level tests load small pages from a local server."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _children_import_this_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{path}" if path else str(ROOT))


PAGES = {
    # The script leaves at once; the slow image keeps the first page's load event from firing.
    "/leaves": b"<!doctype html><script>location.assign('/arrived')</script>"
    b"<img src='/slow.png' alt=''>",
    "/arrived": b"<!doctype html><title>Arrived</title><h1>Arrived</h1>",
    "/still": b"<!doctype html><title>Still</title><h1>Nothing moves</h1><p id=secret>A. Person</p>",
    # storeLater(): a cache entry lands 150 ms later (as a service worker's write does after the
    # page that caused it), then a database record 150 ms after that.
    "/stores-late": b"<!doctype html><title>Late</title><h1>Stores late</h1><script>"
    b"const db = indexedDB.open('late', 1);"
    b"db.onupgradeneeded = function () { db.result.createObjectStore('notes'); };"
    b"function storeLater() { setTimeout(function () { caches.open('late').then(function (c) {"
    b" return c.put('/late', new Response('kept')); }).then(function () { setTimeout(function () {"
    b" db.result.transaction('notes', 'readwrite').objectStore('notes').put('kept', 'draft');"
    b" }, 150); }); }, 150); }</script>",
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow.png":
            time.sleep(2)
        body = PAGES.get(self.path, b"")
        self.send_response(200 if body or self.path == "/slow.png" else 404)
        self.send_header("Content-Type", "text/html" if body else "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that leaves a page drops the requests still loading (the slow image): that
        is how the pages are meant to be left, not an error to print into the test output."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def pages_url() -> Iterator[str]:
    """A local server of PAGES, for tests that drive an engine directly."""
    server = _Server(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
