"""What a test leaves behind on every engine: screenshot, DOM, console messages, network log,
video (and, on Playwright cells, pytest-playwright's trace) in one folder per test and cell.

The folder is pytest-playwright's ``output_path`` (``<--output>/<slug of the test id with its
cell>[-retryN]``; the harness puts ``--output`` in ``reports/<run-id>/artifacts``), so Playwright's
own trace and video land beside what is recorded here. Modes follow pytest-playwright's options:
``--screenshot`` (taken here for every engine, once the outcome is known) and ``--video`` (off /
on / retain-on-failure: Playwright records its own, WebDriver cells here); DOM, console and network logs are kept
when the test failed. Each log says in its header what the engine could record and what it could
not.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from compat_harness.masking import Masking, masked_screenshot
from compat_harness.processes import child_options
from compat_harness.results import UNSAVED_PROPERTY
from compat_harness.secrets import REDACTOR
from compat_harness.session.base import Session, Step, StepLog

# WebDriver commands after which the page may be a new document (the capture script is gone).
_NAVIGATING = {
    "get",
    "refresh",
    "goBack",
    "goForward",
    "clickElement",
    "sendKeysToElement",
    "actions",
}

_CAPTURE_JS = """
if (!window.__compatLog) {
  const log = window.__compatLog = {console: []};
  // WebKit's stacks hold only frames; Chromium's start with the message.
  const withStack = (message, stack) =>
    !stack ? message : stack.includes(message.replace(/^Uncaught /, "")) ? stack : message + "\\n" + stack;
  const text = (a) => {
    if (typeof a === "string") return a;
    if (a instanceof Error) return withStack(String(a), a.stack);
    try { return JSON.stringify(a); } catch (e) { return String(a); }
  };
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    const original = console[level];
    console[level] = function (...args) {
      try { log.console.push({t: Date.now(), type: level, text: args.map(text).join(" ")}); } catch (e) {}
      return original.apply(this, args);
    };
  }
  window.addEventListener("error", (e) => log.console.push({t: Date.now(), type: "pageerror",
    text: withStack(e.message || String(e.error), e.error && e.error.stack),
    location: e.filename ? e.filename + ":" + e.lineno : ""}));
  window.addEventListener("unhandledrejection", (e) => log.console.push({t: Date.now(), type: "pageerror",
    text: "unhandled rejection: " + text(e.reason)}));
}
"""
# What the current document logged and loaded since the last harvest (then forgotten in the page).
_HARVEST_JS = """
const log = window.__compatLog;
const seen = window.__compatNetSeen || 0;
const entries = performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"));
window.__compatNetSeen = entries.length;
return {
  url: location.href,
  hooked: !!log,
  console: log ? log.console.splice(0) : [],
  network: entries.slice(seen).map((e) => ({
    t: performance.timeOrigin + e.startTime, url: e.name, type: e.initiatorType || e.entryType,
    status: e.responseStatus || null, duration_ms: Math.round(e.duration), size: e.transferSize,
  })),
};
"""


# The --screenshot mode the user asked for (pytest-playwright's own capture is switched off).
SCREENSHOT_MODE = pytest.StashKey[str]()


def _keep(option: str, failed: bool) -> bool:
    """pytest-playwright's modes: on, off, only-on-failure / retain-on-failure."""
    return option == "on" or (failed and option in ("only-on-failure", "retain-on-failure"))


def _clock(ms: float) -> str:
    seconds = ms / 1000
    return time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{int(ms % 1000):03d}"


@dataclass
class _Recording:
    """One session's capture."""

    session: Session
    kind: str  # playwright | webdriver
    console: list[dict[str, Any]] = field(default_factory=list)
    network: list[dict[str, Any]] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    unhooked_pages: int = 0
    har: Path | None = None
    video: Path | None = None
    ffmpeg: subprocess.Popen[bytes] | None = None


class ArtifactsRecorder:
    """Records every session a test opens and, at its end, keeps what the modes say."""

    def __init__(
        self, request: pytest.FixtureRequest, output_path: str, *, keep_logs: bool = False
    ) -> None:
        self.request = request
        self.config = request.config
        self.output = Path(output_path)
        self.recordings: list[_Recording] = []
        self.keep_logs = keep_logs  # console and network logs also when the test passed
        self._tmp = Path(tempfile.mkdtemp(prefix="compat-artifacts-"))
        self._next_har: Path | None = None
        self._masking = Masking()
        self._run_dir = self.output
        self._shots = 0
        # (session, start of the step shot, when it was shot, its path)
        self._last_shot: tuple[Session, float, float, str] | None = None
        self._notes: list[str] = []

    # --- step screenshots (support bundles) -----------------------------------------------------
    def screenshot_steps(self, steps: StepLog, masking: Masking, run_dir: Path) -> None:
        """Keep a masked screenshot of the page at the end of every step (passed or failed)."""
        self._masking = masking
        self._run_dir = run_dir
        steps.on_end.append(self._step_screenshot)

    def _step_screenshot(self, step: Step, session: Session | None) -> None:
        if session is None or not any(r.session is session for r in self.recordings):
            return
        now = time.monotonic()
        last = self._last_shot
        if (
            last is not None
            and last[0] is session
            and last[1] >= step.started
            and now - last[2] < 0.05
            and step.status == "passed"
        ):
            # An outer step ending right after its last inner step: the page is the same.
            step.screenshot = last[3]
            return
        self._shots += 1
        slug = "".join(c if c.isalnum() else "-" for c in step.title.lower()).strip("-")[:50]
        path = self.output / "steps" / f"{self._shots:02d}-{slug}.png"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            masked_screenshot(session, str(path), self._masking)
        except Exception as exc:  # never an unmasked picture: no picture, and say why
            step.screenshot = None
            path.unlink(missing_ok=True)
            self._notes.append(f"no screenshot of step {step.title!r}: {str(exc).splitlines()[0]}")
            return
        rel = os.path.relpath(path, self._run_dir)
        step.screenshot = rel
        self._last_shot = (session, step.started, time.monotonic(), rel)
        self.request.node.user_properties.append(
            ("compat_artifact", json.dumps(["step", str(path)]))
        )

    # --- set-up -----------------------------------------------------------------------------------
    def context_args(self) -> dict[str, Any]:
        """Extra ``new_context`` arguments for the next Playwright context: a HAR of its traffic
        (request bodies left out: a sign-in form holds a password)."""
        self._next_har = self._tmp / f"{uuid.uuid4().hex}.har"
        return {"record_har_path": str(self._next_har), "record_har_content": "omit"}

    def attach(self, session: Session, capture: tuple[str, int, int] | None = None) -> None:
        """Start recording a new session. ``capture``: (X display, width, height) a WebDriver
        cell's browser paints on, for video."""
        from compat_harness.session.playwright import PlaywrightSession
        from compat_harness.session.webdriver import WebDriverSession

        if isinstance(session, PlaywrightSession):
            rec = _Recording(session, "playwright", har=self._next_har)
            self._next_har = None
            self._listen_playwright(rec, session)
        elif isinstance(session, WebDriverSession):
            rec = _Recording(session, "webdriver")
            self._listen_webdriver(rec, session)
            video = self.config.getoption("video", default="off")
            if capture is not None and video in ("on", "retain-on-failure"):
                self._start_video(rec, *capture)
        else:  # another engine family: screenshots and DOM still work through the session
            rec = _Recording(session, "other")
        self.recordings.append(rec)

    def _listen_playwright(self, rec: _Recording, session: Any) -> None:
        def on_console(message: Any) -> None:
            loc = message.location or {}
            where = f"{loc.get('url')}:{loc.get('lineNumber')}" if loc.get("url") else ""
            rec.console.append(
                {
                    "t": time.time() * 1000,
                    "type": message.type,
                    "text": message.text,
                    "location": where,
                }
            )

        def on_error(error: Any) -> None:
            text = getattr(error, "stack", None) or str(error)
            rec.console.append({"t": time.time() * 1000, "type": "pageerror", "text": text})

        def on_response(response: Any) -> None:
            request = response.request
            rec.network.append(
                {
                    "t": time.time() * 1000,
                    "method": request.method,
                    "status": response.status,
                    "type": request.resource_type,
                    "url": response.url,
                }
            )

        def on_failed(request: Any) -> None:
            rec.network.append(
                {
                    "t": time.time() * 1000,
                    "method": request.method,
                    "status": None,
                    "failure": request.failure or "failed",
                    "type": request.resource_type,
                    "url": request.url,
                }
            )

        def on_page(page: Any) -> None:
            page.on("console", on_console)
            page.on("pageerror", on_error)

        context = session.page.context
        on_page(session.page)
        context.on("page", on_page)
        context.on("response", on_response)
        context.on("requestfailed", on_failed)

    def _listen_webdriver(self, rec: _Recording, session: Any) -> None:
        """WebDriver (classic) has no log API on WebKitGTK: a capture script goes into each page
        the test navigates to, and each page's console buffer and Resource Timing entries are
        harvested before the next navigation and at the end."""
        driver = session.driver
        original = driver.execute

        def no_alert() -> bool:
            # A script run while an alert is open would dismiss it, changing the test.
            try:
                original("w3cGetAlertText")
            except Exception:
                return True
            return False

        def execute(command: str, params: Any = None) -> Any:
            if command in _NAVIGATING:
                self._harvest(rec, original, no_alert)
            result = original(command, params)
            if command in _NAVIGATING:
                with contextlib.suppress(Exception):
                    if no_alert():
                        original("w3cExecuteScript", {"script": _CAPTURE_JS, "args": []})
            return result

        driver.execute = execute
        rec.console.append({"t": time.time() * 1000, "type": "harness", "text": "session started"})

    @staticmethod
    def _harvest(rec: _Recording, execute: Any, no_alert: Callable[[], bool]) -> None:
        if execute is None:
            return
        try:
            if not no_alert():
                return
            data = execute("w3cExecuteScript", {"script": _HARVEST_JS, "args": []})["value"]
        except Exception:  # the page or the browser is gone: keep what was harvested before
            return
        if not data or str(data.get("url", "")).startswith("about:"):
            return
        rec.pages.append(str(data["url"]))
        rec.unhooked_pages += 0 if data.get("hooked") else 1
        rec.console.extend(data.get("console") or [])
        rec.network.extend(data.get("network") or [])

    # --- video (WebDriver cells under Xvfb) ------------------------------------------------------
    def _start_video(self, rec: _Recording, display: str, width: int, height: int) -> None:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            return
        rec.video = self._tmp / f"{uuid.uuid4().hex}.webm"
        # Half size, 10 fps, VP8 realtime: a readable recording that costs little CPU.
        rec.ffmpeg = subprocess.Popen(
            [
                ffmpeg,
                "-loglevel",
                "error",
                "-f",
                "x11grab",
                "-draw_mouse",
                "0",
                "-framerate",
                "10",
                "-video_size",
                f"{width}x{height}",
                "-i",
                f"{display}+0,0",
                "-vf",
                "scale=trunc(iw/4)*2:trunc(ih/4)*2",
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-b:v",
                "1M",
                "-y",
                str(rec.video),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **child_options(),
        )

    @staticmethod
    def _stop_video(rec: _Recording) -> None:
        proc = rec.ffmpeg
        if proc is None:
            return
        rec.ffmpeg = None
        try:
            if proc.stdin:
                proc.stdin.write(b"q")  # ffmpeg finishes the file cleanly on 'q'
                proc.stdin.close()
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # --- the end of the test ----------------------------------------------------------------------
    def finish(self) -> None:
        """Keep what the modes and the outcome say, close every session, drop the rest."""
        failed = _failed(self.request.node)
        screenshots = _keep(self.config.stash.get(SCREENSHOT_MODE, "only-on-failure"), failed)
        keep_video = _keep(self.config.getoption("video", default="off"), failed)
        many = len(self.recordings) > 1
        try:
            for index, rec in enumerate(self.recordings, start=1):
                suffix = f"-{index}" if many else ""
                session = rec.session
                if screenshots:  # pytest-playwright's names and --screenshot modes, every engine
                    status = "failed" if failed else "finished"
                    self._save("screenshot", f"test-{status}-{index}.png", session.screenshot)
                if failed:
                    self._save("dom", f"dom{suffix}.html", partial(_write_dom, session))
                if rec.kind == "webdriver":
                    driver = getattr(session, "driver", None)
                    self._harvest(rec, getattr(driver, "execute", None), lambda: True)
                if (failed or self.keep_logs) and rec.kind in ("playwright", "webdriver"):
                    self._save(
                        "console",
                        f"console{suffix}.txt",
                        partial(self._write_console, rec),
                    )
                    self._save(
                        "network",
                        f"network{suffix}.txt",
                        partial(self._write_network, rec),
                    )
                self._stop_video(rec)
                with contextlib.suppress(
                    Exception
                ):  # a crashed browser cannot close; its cell failed
                    session.close()
                har, video = rec.har, rec.video
                if failed and har is not None and har.exists():
                    self._save("har", f"network{suffix}.har", partial(_write_har, har))
                if keep_video and video is not None and video.exists():
                    self._save("video", f"video{suffix}.webm", partial(shutil.move, video))
            if self._notes:
                self._save("note", "steps/notes.txt", self._write_notes)
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def _write_notes(self, path: str) -> None:
        Path(path).write_text(REDACTOR.redact("\n".join(self._notes)) + "\n", encoding="utf-8")

    def _save(self, kind: str, name: str, write: Callable[[str], object]) -> None:
        path = self.output / name
        try:
            self.output.mkdir(parents=True, exist_ok=True)
            write(str(path))
        except Exception as exc:  # the browser may be the thing that failed; keep what we could
            if isinstance(exc, OSError):  # the disk's fault, not the browser's: said in the report
                self.request.node.user_properties.append((UNSAVED_PROPERTY, f"{path}: {exc}"))
            return
        if path.exists():
            self.request.node.user_properties.append(
                ("compat_artifact", json.dumps([kind, str(path)]))
            )

    def _header(self, rec: _Recording, what: str) -> list[str]:
        session = rec.session
        info = session.info
        lines = [
            f"# {what} of {self.request.node.nodeid}",
            f"# cell {session.cell.id}: {info.browser} {info.version} via {info.engine}",
        ]
        if rec.kind == "playwright":
            lines.append("# Recorded from Playwright's events: everything the pages did.")
        else:
            lines += [
                "# Recorded by the harness: WebDriver has no log API on this engine, so a small",
                "# script is put into each page after every navigation or click the test makes,",
                "# and each page's records are read before it is left and at the end.",
            ]
        return lines

    def _write_console(self, rec: _Recording, path: str) -> None:
        lines = self._header(rec, "Console messages and uncaught errors")
        if rec.kind == "webdriver":
            lines += [
                "# Limits: messages a page logs while it is still loading (before the script is in)",
                "# are not seen; uncaught errors after that are. "
                + f"Pages visited: {len(rec.pages)}"
                + (f", {rec.unhooked_pages} without the script" if rec.unhooked_pages else ""),
            ]
        lines.append("")
        entries = sorted(rec.console, key=lambda e: e.get("t") or 0)
        shown = [e for e in entries if e.get("type") != "harness"]
        for e in shown:
            where = f"  ({e['location']})" if e.get("location") else ""
            lines.append(f"{_clock(e.get('t') or 0)} [{e.get('type')}] {e.get('text')}{where}")
        if not shown:
            lines.append("(no console messages)")
        Path(path).write_text(REDACTOR.redact("\n".join(lines)) + "\n", encoding="utf-8")

    def _write_network(self, rec: _Recording, path: str) -> None:
        lines = self._header(rec, "Network requests")
        if rec.kind == "playwright":
            if rec.har is not None:
                lines.append("# The full log (headers, timings) is the HAR beside this file.")
        else:
            lines += [
                "# Source: the Resource Timing API of each page (what the page loaded, with timings).",
                "# Limits: no request methods or headers; a status only where the engine reports",
                "# responseStatus; requests that failed outright may be missing.",
            ]
        lines.append("")
        for e in sorted(rec.network, key=lambda e: e.get("t") or 0):
            status = e.get("failure") or (str(e["status"]) if e.get("status") else "-")
            timing = f"  {e['duration_ms']} ms" if e.get("duration_ms") is not None else ""
            method = e.get("method") or "-"
            lines.append(
                f"{_clock(e.get('t') or 0)} {method:<6} {status:<4} {e.get('type', ''):<14} {e.get('url')}{timing}"
            )
        if not rec.network:
            lines.append("(no requests recorded)")
        Path(path).write_text(REDACTOR.redact("\n".join(lines)) + "\n", encoding="utf-8")


def _failed(item: pytest.Item) -> bool:
    reports = [getattr(item, f"rep_{when}", None) for when in ("setup", "call")]
    return any(r is not None and r.failed for r in reports)


def _write_dom(session: Session, path: str) -> None:
    html = session.evaluate("() => document.documentElement.outerHTML")
    Path(path).write_text(REDACTOR.redact(str(html)), encoding="utf-8")


def _write_har(source: Path, target: str) -> None:
    """The HAR with request bodies dropped and secrets masked (also URL-encoded ones)."""
    data = json.loads(source.read_text(encoding="utf-8"))
    for entry in data.get("log", {}).get("entries", []):
        post = entry.get("request", {}).get("postData")
        if post:
            post.pop("params", None)
            post["text"] = "(left out by the harness: request bodies may hold credentials)"
    text = json.dumps(data, indent=1)
    for value in REDACTOR.values():
        for form in {urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)} - {value}:
            text = text.replace(form, "***")
    Path(target).write_text(REDACTOR.redact(text), encoding="utf-8")
    os.remove(source)


# --- secrets in files written by others (pytest-playwright's traces) -------------------------------

_TEXT_SUFFIXES = {".txt", ".html", ".har", ".json", ".trace", ".network", ".stacks", ".md", ".xml"}
SCRUB_NOTE = "REDACTED-BY-COMPAT.txt"


def scrub_secrets(path: Path) -> str | None:
    """Make sure a kept file holds no secret value: text is redacted, a zip (a Playwright trace)
    has its members redacted (binary members holding one are dropped), any other file holding
    one is deleted. Returns a note of what was done, None when the file was clean."""
    if not REDACTOR.values() or not path.is_file():
        return None
    if path.suffix == ".zip":
        return _scrub_zip(path)
    data = path.read_bytes()
    if not REDACTOR.found_in(data):
        return None
    if path.suffix in _TEXT_SUFFIXES:
        path.write_text(REDACTOR.redact(data.decode("utf-8", "replace")), encoding="utf-8")
        return f"{path.name}: secret values replaced by {REDACTOR.mask}"
    path.unlink()
    return f"{path.name}: deleted, it held a secret value"


def _scrub_zip(path: Path) -> str | None:
    import zipfile

    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    changed: list[str] = []
    out: list[tuple[zipfile.ZipInfo, bytes]] = []
    for info, data in members:
        if not REDACTOR.found_in(data):
            out.append((info, data))
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            changed.append(f"{info.filename} (dropped)")
            continue
        out.append((info, REDACTOR.redact(text).encode("utf-8")))
        changed.append(info.filename)
    if not changed:
        return None
    note = (
        "The harness replaced secret values (test account passwords) in these members of this "
        f"archive with {REDACTOR.mask} before keeping it:\n" + "\n".join(changed) + "\n"
    )
    tmp = path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in out:
            target.writestr(info, data)
        target.writestr(SCRUB_NOTE, note)
    os.replace(tmp, path)
    return f"{path.name}: secret values replaced by {REDACTOR.mask} in {', '.join(changed)}"
