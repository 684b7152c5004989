"""Page sentinels: what a person would see broken on any page a journey visits, checked on every
engine after each navigation and action, at each step's end and once at the end of the test.

An engine puts the page script (``page.js``) into every page of the target and delivers what it
reports, with its own network log, as events on the session's Capture (``Capture.drain_events``).
The Sentinel turns events into findings by precise rules, accepts known noise from the allowlist,
and fails the test at the first finding that counts, naming the step, the page and what broke.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from compat_harness.results import Finding
from compat_harness.sentinels.allowlist import SentinelAllowlist

if TYPE_CHECKING:
    from compat_harness.artifacts.capture import Capture
    from compat_harness.session.base import Session

MIN_TAP_TARGET = 44  # CSS px: Apple's HIG and WCAG 2.5.5
DEFAULT_BUSY_TEXT = ("Loading…", "Loading...", "Please wait")
# Where the page script reports on cells that use the recording proxy (answered by the proxy).
BEACON_PATH = "/__compat__/sentinel"


class SentinelFailure(AssertionError):
    """A page sentinel saw something a person would see broken."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(describe(finding))


@dataclass(frozen=True)
class ExpectedAnswer:
    """A 4xx/5xx answer a journey provokes on purpose (e.g. a wrong password's 401)."""

    status: int
    path: str | re.Pattern[str]
    method: str = "POST"

    def matches(self, method: str, url: str, status: int | None) -> bool:
        if status != self.status or method.upper() != self.method.upper():
            return False
        path = urlsplit(url).path
        if isinstance(self.path, re.Pattern):
            return bool(self.path.search(path))
        return path == self.path


@dataclass(frozen=True)
class SentinelSettings:
    """How the sentinels judge (from the run's settings)."""

    enabled: bool = True
    stuck_after: float = 5.0
    busy_text: tuple[str, ...] = DEFAULT_BUSY_TEXT
    allowlist: SentinelAllowlist = field(default_factory=SentinelAllowlist)


@cache
def _page_js() -> str:
    return files("compat_harness.sentinels").joinpath("page.js").read_text(encoding="utf-8")


@dataclass(frozen=True)
class PageWatch:
    """What an engine puts into every page of the target: the page script, configured for the
    cell; the engine adds the channel it delivers events through."""

    origins: tuple[str, ...]
    touch: bool
    settings: SentinelSettings

    def script(self, channel: str, **extra: Any) -> str:
        """``channel``: "binding" (``binding=<function name>``), "beacon" (``beacon=<url>``,
        ``token=``) or "buffer" (read by the harness); ``console=True`` also reports console
        messages (engines that have no console events of their own)."""
        config = {
            "channel": channel,
            "console": False,
            "touch": self.touch,
            "minTarget": MIN_TAP_TARGET,
            "stuckAfter": self.settings.stuck_after,
            "busyText": list(self.settings.busy_text),
            "settle": 250,
            **extra,
        }
        return _page_js().replace("__COMPAT_SENTINEL_CONFIG__", json.dumps(config))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Requests the browser gave up itself (the page navigated away, a script aborted them): not a
# fault of the target. Chromium: net::ERR_ABORTED; WebKit: "cancelled"; the proxy: the browser
# closed the connection.
_MASKED = re.compile(r"^(Uncaught )?Script error\.?$")
_ABORTED = re.compile(r"ERR_ABORTED|cancel|abort|client disconnected|closed by client", re.I)


class Sentinel:
    """One session's sentinel: the findings so far and the page's busy state."""

    def __init__(
        self,
        session: Session,
        capture: Capture,
        watch: PageWatch,
        *,
        today: dt.date | None = None,
    ) -> None:
        self.session = session
        self.capture = capture
        self.watch = watch
        self.settings = watch.settings
        self.today = today or dt.date.today()
        self.findings: list[Finding] = []
        self.expected: list[ExpectedAnswer] = []
        self._busy: tuple[str, float] | None = None  # (marker, since epoch ms) of the current page
        self._doc: str | None = None  # the document that said hello last
        self._failed: Finding | None = None
        self._stuck_seen: set[str] = set()

    # --- what journeys declare ---------------------------------------------------------------
    def expect_answer(self, answer: ExpectedAnswer) -> None:
        self.expected.append(answer)

    # --- checks ------------------------------------------------------------------------------
    def check(self) -> None:
        """After a navigation or an action: what arrived since the last check."""
        self._take(self.capture.drain_events())

    def look(self) -> None:
        """Before an action that may leave the page: the page as it is now. A page a journey
        passes through faster than its audit settles is seen here, since what a page reports
        while it unloads does not always arrive (Playwright drops binding calls and console
        messages of a page being left: measured with Chromium 150)."""
        self._take(self._ask())

    def settle(self) -> None:
        """At a step's end: a page still showing a busy marker is waited for, up to the stuck
        time since the marker appeared; still there then, the page was left loading."""
        self.check()
        while self._busy is not None:
            marker, since = self._busy
            waited = time.time() * 1000 - since
            if waited >= self.settings.stuck_after * 1000:
                self._take(self._ask())  # the page itself says whether it is still busy
                if self._busy is not None:
                    self._stuck(marker, waited / 1000, "after the step ended")
                return
            self.session.pause(0.05)
            self.check()

    def final(self) -> None:
        """At the end of the test: what the page still holds, then as at a step's end. A
        failure the test body caught and went on from still fails the test."""
        if self._failed is not None:
            raise SentinelFailure(self._failed)
        self._take(self._ask())
        self.settle()

    def _ask(self) -> list[dict[str, Any]]:
        try:
            return self.capture.flush_events()
        except Exception:  # the page or the browser is gone; what came before stands
            return []

    # --- events -> findings --------------------------------------------------------------------
    def _take(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            finding = self._finding(event)
            if finding is None:
                continue
            finding.step = self._step()
            self.watch.settings.allowlist.accept(finding, self.session.cell.id, self.today)
            self.findings.append(finding)
            if self._counts(finding) and self._failed is None:
                self._failed = finding
                raise SentinelFailure(finding)

    @staticmethod
    def _counts(finding: Finding) -> bool:
        return finding.allowed is None or bool(finding.allowed.get("expired"))

    def _ours(self, url: str) -> bool:
        return origin_of(url) in self.watch.origins

    def _finding(self, event: dict[str, Any]) -> Finding | None:
        kind = event.get("type")
        page = str(event.get("page") or "")
        t = float(event.get("t") or time.time() * 1000)
        doc = event.get("doc")
        if kind in ("hello", "state") and doc != self._doc:
            self._doc, self._busy = doc, None  # a new page: the old one's markers are gone
        if kind in ("busy", "idle", "state") and doc is not None and doc != self._doc:
            return None  # a page that is gone
        if kind == "busy":
            self._busy = (str(event.get("marker")), float(event.get("since") or t))
            return None
        if kind == "idle":
            self._busy = None
            return None
        if kind == "state":
            busy = event.get("busy")
            self._busy = (str(busy["marker"]), float(busy["since"])) if busy else None
            return None
        if kind == "stuck-loading":
            marker = str(event.get("marker"))
            if marker in self._stuck_seen or not self._ours(page):
                return None
            self._stuck_seen.add(marker)
            seconds = float(event.get("seconds") or self.settings.stuck_after)
            return Finding(
                "stuck-loading",
                f"page left loading: {marker} still shown after {seconds:.1f} s",
                page=page,
                t=t,
                detail={"marker": marker, "seconds": round(seconds, 1)},
            )
        if kind == "page-error":
            source = str(event.get("source") or "")
            # An error of a script from another origin is not the target's own code; browsers
            # hide the details of those they may not show ("Script error." and no source).
            if not self._ours(source or page) or (
                not source and _MASKED.match(str(event.get("message")))
            ):
                return None
            where = source or page
            line, column = event.get("line"), event.get("column")
            at = f" ({where}:{line}:{column})" if line else f" ({where})"
            return Finding(
                "page-error",
                f"{event.get('message')}{at}",
                page=page,
                t=t,
                detail={
                    "source": source,
                    "line": line,
                    "column": column,
                    "stack": str(event.get("stack") or ""),
                },
            )
        if kind == "request":
            return self._request(event, page, t)
        if kind == "layout":
            if not self._ours(page):
                return None
            detail = {k: event.get(k) for k in ("check", "element", "box", "covered_by")}
            return Finding(
                "layout",
                f"layout at {self.session.cell.device.viewport}: {event.get('message')}",
                page=page,
                t=t,
                detail={k: v for k, v in detail.items() if v is not None},
            )
        return None  # console messages and the like: for the logs only

    def _request(self, event: dict[str, Any], page: str, t: float) -> Finding | None:
        url = str(event.get("url") or "")
        if not self._ours(url) or BEACON_PATH in url:
            return None
        method = str(event.get("method") or "GET")
        status = event.get("status")
        failure = str(event.get("failure") or "")
        if failure:
            if _ABORTED.search(failure):
                return None
        elif not isinstance(status, int) or status < 400:
            return None
        # The browser asks every site for its icon on its own; a site without one is not broken.
        if urlsplit(url).path == "/favicon.ico" and not event.get("initiator"):
            return None
        if any(
            a.matches(method, url, status if isinstance(status, int) else None)
            for a in self.expected
        ):
            return None
        answer = failure or f"HTTP {status}"
        return Finding(
            "failed-request",
            f"{method} {url} failed: {answer}",
            page=page or None,
            t=t,
            detail={"method": method, "url": url, "status": status, "failure": failure or None},
        )

    def _stuck(self, marker: str, seconds: float, when: str) -> None:
        self._stuck_seen.add(marker)
        self._busy = None
        finding = Finding(
            "stuck-loading",
            f"page left loading: {marker} still shown {seconds:.1f} s {when}",
            page=self.session.url,
            t=time.time() * 1000,
            detail={"marker": marker, "seconds": round(seconds, 1)},
        )
        finding.step = self._step()
        self.watch.settings.allowlist.accept(finding, self.session.cell.id, self.today)
        self.findings.append(finding)
        if self._counts(finding) and self._failed is None:
            self._failed = finding
            raise SentinelFailure(finding)

    def _step(self) -> str | None:
        running = [s.title for s in self.session.steps.steps if s.status == "running"]
        return " › ".join(running) or None


def describe(finding: Finding) -> str:
    """The failure line of a finding, for the test's error."""
    where = f" on {urlsplit(finding.page).path or finding.page}" if finding.page else ""
    labels = {
        "page-error": "uncaught script error",
        "failed-request": "failed request",
        "stuck-loading": "page left loading",
        "layout": "layout fault",
    }
    message = finding.message
    if finding.kind == "stuck-loading":
        message = message.removeprefix("page left loading: ")
    return f"page sentinel: {labels.get(finding.kind, finding.kind)}{where}: {message}"
