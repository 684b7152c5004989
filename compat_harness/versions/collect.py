"""What the target served during the run, kept for the version check: every script, stylesheet and
HTML document of the target's own origins, fetched once per process (by URL) and written into the
run folder (``versions/``), so the controller lints each once at the end of the run.

Playwright cells hand over every response (``response``); WebDriver cells only list what their
pages loaded (Resource Timing), so those URLs are fetched over HTTP by the harness before the
target stops, when no Playwright response brought them already."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FOLDER = "versions"
# Playwright's resource types and Resource Timing's initiator types -> what the check reads.
_KINDS = {
    "document": "html",
    "navigation": "html",
    "script": "script",
    "stylesheet": "style",
    "css": "style",
}
_EXTENSIONS = {"html": ".html", "script": ".js", "style": ".css"}
_FETCH_TIMEOUT = 5.0


def assets_dir(run_dir: Path) -> Path:
    return run_dir / FOLDER / "assets"


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _kind_of_listed(url: str, initiator: str) -> str | None:
    """Resource Timing says 'link' for stylesheets and icons alike: the path decides."""
    if initiator in _KINDS:
        return _KINDS[initiator]
    path = urllib.parse.urlsplit(url).path
    if initiator == "link" and path.endswith(".css"):
        return "style"
    return None


@dataclass
class Collector:
    """One process's collection (an xdist worker, or a plain run)."""

    run_dir: Path
    worker: str
    origins: set[str] = field(default_factory=set)
    _seen: set[str] = field(default_factory=set)
    _listed: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def index(self) -> Path:
        return self.run_dir / FOLDER / f"index-{self.worker}.jsonl"

    def target(self, *urls: str) -> None:
        """The target's portals: only their origins are collected. A run none of whose
        processes had a target (pages from data: URLs, say) has nothing to check."""
        self.origins.update(_origin(u) for u in urls if u)
        marker = self.run_dir / FOLDER / f"target-{self.worker}.json"
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(sorted(self.origins)) + "\n", encoding="utf-8")

    def _wanted(self, url: str) -> str | None:
        url = url.split("#", 1)[0]
        if not self.origins or _origin(url) not in self.origins or url in self._seen:
            return None
        return url

    def response(self, response: Any) -> None:
        """A Playwright response: its body is kept when it is one of the target's documents,
        scripts or stylesheets not seen before in this process."""
        kind = _KINDS.get(response.request.resource_type)
        if kind is None:
            return
        with self._lock:
            url = self._wanted(response.url)
            if url is None:
                return
            self._seen.add(url)
        if not 200 <= response.status < 300:
            return
        try:
            body = response.body()
        except Exception:  # the page went away before its body was read: nothing to keep
            return
        self._keep(url, kind, body, "playwright")

    def listed(self, entries: list[dict[str, Any]]) -> None:
        """What a WebDriver page listed (Resource Timing): remembered, fetched at the end if no
        Playwright response brought it."""
        for entry in entries:
            url = str(entry.get("url") or "")
            kind = _kind_of_listed(url, str(entry.get("type") or ""))
            with self._lock:
                wanted = kind and self._wanted(url)
                if wanted and kind:
                    self._listed.setdefault(wanted, kind)

    def fetch_listed(self) -> None:
        """Fetch the listed URLs nothing brought, while the target still runs."""
        for url, kind in list(self._listed.items()):
            if url in self._seen:
                continue
            self._seen.add(url)
            try:
                with urllib.request.urlopen(url, timeout=_FETCH_TIMEOUT) as answer:
                    if answer.geturl().split("#", 1)[0] != url:
                        continue  # redirected (a page that needs a sign-in): not what was listed
                    body = answer.read()
            except (OSError, ValueError):
                continue
            self._keep(url, kind, body, "fetched")
        self._listed.clear()

    def _keep(self, url: str, kind: str, body: bytes, source: str) -> None:
        sha = hashlib.sha256(body).hexdigest()[:32]
        folder = assets_dir(self.run_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{sha}{_EXTENSIONS[kind]}"
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(body)
            os.replace(tmp, path)
        line = json.dumps({"url": url, "kind": kind, "file": path.name, "source": source})
        with self._lock, self.index.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


_ACTIVE: Collector | None = None


def start(run_dir: Path, worker: str) -> Collector:
    """This process's collector (the plugin starts it; the engines' capture feeds it)."""
    global _ACTIVE
    _ACTIVE = Collector(run_dir, worker)
    return _ACTIVE


def had_target(run_dir: Path) -> bool:
    """Whether any process of the run used a target."""
    return any((run_dir / FOLDER).glob("target-*.json"))


def active() -> Collector | None:
    return _ACTIVE


def stop() -> None:
    global _ACTIVE
    _ACTIVE = None


def on_response(response: Any) -> None:
    """Called for every Playwright response of a test (compat_harness.artifacts)."""
    if _ACTIVE is not None:
        with contextlib.suppress(Exception):  # collecting never fails a test
            _ACTIVE.response(response)


def on_listed(entries: list[dict[str, Any]]) -> None:
    """Called with a WebDriver page's Resource Timing entries (compat_harness.artifacts)."""
    if _ACTIVE is not None:
        with contextlib.suppress(Exception):
            _ACTIVE.listed(entries)
