"""``compat report serve``: one run's folder over HTTP, plus Playwright's trace viewer, so traces
open from the report. Loopback only unless told otherwise, and nothing outside those two folders:
a request that resolves elsewhere (``..``, encoded or not, an absolute path, a symlink pointing
out) is refused with 403."""

from __future__ import annotations

import functools
import http.server
import ipaddress
import socket
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

LOOPBACK = "127.0.0.1"
TRACE_VIEWER_PREFIX = "/trace-viewer/"


def trace_viewer_dir() -> Path:
    """Playwright's own trace viewer (static files shipped with the Python package)."""
    import playwright

    return Path(playwright.__file__).parent / "driver" / "package" / "lib" / "vite" / "traceViewer"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


class ReportHandler(http.server.SimpleHTTPRequestHandler):
    """Files of the run folder, and of the trace viewer under /trace-viewer/; nothing else."""

    run_dir: Path
    viewer_dir: Path

    def _resolve(self) -> tuple[Path, Path]:
        """(the folder the request belongs to, the file it names), both resolved."""
        path = unquote(urlsplit(self.path).path)
        if path.startswith(TRACE_VIEWER_PREFIX):
            base, rest = self.viewer_dir, path.removeprefix(TRACE_VIEWER_PREFIX) or "index.html"
        else:
            base, rest = self.run_dir, path
        base = base.resolve()
        return base, (base / rest.lstrip("/")).resolve()

    def translate_path(self, path: str) -> str:
        return str(self._resolve()[1])

    def send_head(self) -> Any:
        base, target = self._resolve()
        if target != base and not target.is_relative_to(base):
            self.send_error(403, "outside the report folder")
            return None
        return super().send_head()

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the URL printed at start is what matters


def make_server(
    run_dir: Path, host: str = LOOPBACK, port: int = 0
) -> http.server.ThreadingHTTPServer:
    """A server of ``run_dir`` (not started); ``server_address`` says where it listens."""
    handler = type(
        "RunReportHandler",
        (ReportHandler,),
        {"run_dir": run_dir.resolve(), "viewer_dir": trace_viewer_dir()},
    )
    return http.server.ThreadingHTTPServer(
        (host, port), functools.partial(handler, directory=str(run_dir.resolve()))
    )
