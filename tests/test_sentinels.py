"""Page sentinels, engine by engine, against small pages made to break in one way each: every
kind of finding is seen on Playwright Chromium (desktop and touch phone) and on WebKitGTK through
the recording proxy (errors thrown while the page loads included), with what each engine reports;
what a person would not see broken (a clean page, another site's error, a request the page
aborted, a refusal the journey provoked on purpose, a marker that clears, a control a person
scrolls to) is not a finding."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from compat_harness.artifacts.capture import Capture
from compat_harness.config import read
from compat_harness.engines import Opened, RuntimeOptions, TestContext, resolve, start
from compat_harness.matrix import load_matrix
from compat_harness.results import Finding
from compat_harness.sentinels import (
    PageWatch,
    Sentinel,
    SentinelFailure,
    SentinelSettings,
    load_sentinel_allowlist,
)
from compat_harness.session.base import StepLog, Timeouts

MATRIX = load_matrix(Path(__file__).resolve().parents[1] / "matrix" / "default.yaml")

_HEAD = (
    "<!doctype html><html><head><meta name=viewport content='width=device-width'><title>t</title>"
)
_STYLE = "<style>body{margin:0;font:16px sans-serif} button{min-height:48px;min-width:48px}</style>"


def _page(body: str, head: str = "") -> bytes:
    return f"{_HEAD}{_STYLE}{head}</head><body>{body}</body></html>".encode()


PAGES: dict[str, bytes] = {
    "/clean": _page(
        "<header><a href='/clean'>Home</a></header><main><h1>Fine</h1>"
        "<p>Read <a href='/clean'>the guide</a> first.</p><button>Book session</button>"
        "<label style='display:inline-block;padding:14px 0'><input type=checkbox> Remember me</label>"
        "</main>"
    ),
    # Thrown while the page is still being parsed: before any script the harness could run.
    "/error-at-load": _page(
        "<main><h1>Broken</h1></main>", "<script>\nwindow.boom.now();\n</script>"
    ),
    "/rejection": _page(
        "<main><h1>Rejects</h1></main>",
        "<script>Promise.reject(new TypeError('the list did not load'));</script>",
    ),
    "/late-error": _page(
        "<main><h1>Widget</h1><div id=w></div></main>",
        "<script>setTimeout(function () { document.getElementById('w').render(); }, 300);</script>",
    ),
    "/swallowed-500": _page(
        "<main><h1>Dashboard</h1><ul id=l></ul></main>",
        "<script>fetch('/api/broken').then(function(){}, function(){});</script>",
    ),
    "/reset": _page(
        "<main><h1>Sessions</h1></main>",
        "<script>fetch('/api/reset').catch(function(){});</script>",
    ),
    "/expected-401": _page(
        "<main><form method=post action='/refuse'><button>Sign in</button></form></main>"
    ),
    "/stuck": _page("<main aria-busy='true'><h1>Dashboard</h1><p>Loading…</p></main>"),
    "/loads": _page(
        "<main><h1>Dashboard</h1><p id=s>Loading…</p></main>",
        "<script>setTimeout(function(){ document.getElementById('s').hidden = true; }, 400);</script>",
    ),
    "/sideways": _page("<main><h1>Wide</h1><div style='width:1200px;height:10px'></div></main>"),
    "/offscreen": _page(
        "<main style='overflow-x:hidden'><h1>Cut</h1>"
        "<div style='position:relative;left:1500px;width:100px'><button>Continue</button></div></main>",
        "<style>html,body{overflow-x:hidden}</style>",
    ),
    "/covered": _page(
        "<main><h1>Review</h1><div style='height:1200px'></div><button>Book session</button></main>"
        "<nav style='position:fixed;left:0;right:0;bottom:0;height:80px;background:#eee'>"
        "<a href='/clean'>Schedule</a></nav>"
    ),
    "/padded": _page(
        "<main style='padding-bottom:100px'><h1>Review</h1><div style='height:1200px'></div>"
        "<button>Book session</button></main>"
        "<nav style='position:fixed;left:0;right:0;bottom:0;height:80px;background:#eee'>"
        "<a href='/clean'>Schedule</a></nav>"
    ),
    "/clipped": _page(
        "<main><h1>Card</h1><div style='height:60px;overflow:hidden'>"
        "<div style='height:40px'></div><button>Confirm</button></div></main>"
    ),
    # A wide page a journey leaves at once: the click itself tidies the page before it goes, so
    # only a look before the click sees what the person saw.
    "/passing": _page(
        "<main><h1>Sign in</h1><div id=wide style='width:900px;height:10px'></div>"
        "<button onclick=\"wide.remove(); setTimeout(() => location.assign('/clean'), 50)\">"
        "Continue</button></main>"
    ),
    # A link styled as a 48 px button by a stylesheet that is slow to come: until it is in, the
    # browser paints nothing, and layout reads a 17 px text link that nobody saw.
    "/to-styled": _page(
        "<main><h1>Go</h1><button onclick=\"setTimeout(() => location.assign('/styled'), 50)\">Continue</button></main>"
    ),
    "/styled": _page(
        "<main><h1>Styled</h1><p><a class=button href='/clean'>Book a session</a></p></main>",
        "<link rel=stylesheet href='/slow.css'>",
    ),
    "/styled-small": _page(
        "<main><h1>Styled</h1><p><a class=tiny href='/clean'>Book a session</a></p></main>",
        "<link rel=stylesheet href='/slow.css'>",
    ),
    "/small": _page(
        "<main><h1>Tiny</h1><button style='min-height:0;min-width:0;width:24px;height:24px;padding:0'>x</button></main>"
    ),
}


UNSTYLED_FOR = 2.0


@dataclass
class _Site:
    url: str
    other: str  # another origin: its scripts' errors are not the target's


class _Handler(BaseHTTPRequestHandler):
    other = ""
    css_gate = threading.Event()  # the stylesheet is answered once this is set

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/api/broken":
            self._send(500, b'{"error": "boom"}', "application/json")
        elif path == "/api/reset":
            self.connection.shutdown(socket.SHUT_RDWR)  # no answer at all: a network failure
        elif path == "/third-party":
            page = _page(
                "<main><h1>Ads</h1></main>", f"<script src='{self.other}/widget.js'></script>"
            )
            self._send(200, page)
        elif path == "/widget.js":
            self._send(200, b"window.notThere.go();", "text/javascript")
        elif path == "/slow.css":
            self.css_gate.wait(10)
            css = (
                b".button{display:inline-block;min-height:48px;padding:12px} .tiny{font-size:10px}"
            )
            self._send(200, css, "text/css")
        elif path == "/favicon.ico":
            self._send(404, b"")
        else:
            body = PAGES.get(path)
            self._send(200 if body else 404, body or b"missing")
            if path == "/styled" and not self.css_gate.is_set():
                # Long enough for the page's own audit and its confirmation (and for the last
                # look of engines that do not wait for the load), as a slow network would.
                threading.Timer(UNSTYLED_FOR, self.css_gate.set).start()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(401, _page("<main><p role=alert>Wrong email or password</p></main>"))

    def _send(self, status: int, body: bytes, kind: str = "text/html") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[_Site]:
    _Handler.css_gate.set()
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Handler) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    url, other = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    _Handler.other = other
    yield _Site(url, other)
    for server in servers:
        server.shutdown()


SETTINGS = SentinelSettings(stuck_after=1.0)


@pytest.fixture(scope="module", params=["chrome-desktop", "android-chrome", "ios-webkit"])
def opened(
    request: pytest.FixtureRequest, site: _Site, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Opened]:
    """One session per cell for the module, its pages watched as the plugin watches them."""
    cell = MATRIX.cells[request.param]
    resolution = resolve(cell, settings=read())
    assert resolution.ok, f"{cell.id} cannot run here: {resolution.reason}"
    runtime = start(resolution, RuntimeOptions(spare=False))
    watch = PageWatch((site.url,), cell.touch, SETTINGS)
    test = TestContext(
        StepLog(),
        Timeouts(navigation=10),
        tmp_path_factory.mktemp("s"),
        watch=watch,
    )
    try:
        session = runtime.for_test(test)()
        yield session
        session.session.close()
    finally:
        runtime.stop()


def _visit(
    opened: Opened,
    site: _Site,
    path: str,
    *,
    wait: float = 0.8,
    expect: tuple[int, str] | None = None,
    settings: SentinelSettings = SETTINGS,
    click: str | None = None,
) -> tuple[list[Finding], SentinelFailure | None]:
    """Open ``path`` with a fresh sentinel, give the page ``wait`` seconds, look at the end."""
    session, capture = opened.session, opened.capture
    session.goto("about:blank")
    capture.drain_events()
    watch = PageWatch((site.url,), session.cell.touch, settings)
    sentinel = Sentinel(session, capture, watch, today=dt.date(2026, 12, 1))
    session.sentinel = sentinel
    if expect:
        session.expect_answer(*expect)
    failure = None
    try:
        session.goto(site.url + path)
        if path == "/expected-401":
            session.role("button", "Sign in").click()
        if click:
            session.role("button", click).click()
        session.pause(wait)
        sentinel.final()
    except SentinelFailure as exc:
        failure = exc
    finally:
        session.sentinel = None
    return sentinel.findings, failure


def _kinds(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.kind, str(f.detail.get("check", ""))) for f in findings]


def test_a_clean_page_has_no_findings(opened: Opened, site: _Site) -> None:
    findings, failure = _visit(opened, site, "/clean")
    assert not findings and failure is None, findings


def test_an_error_thrown_while_the_page_loads_is_caught_with_its_source_and_line(
    opened: Opened, site: _Site
) -> None:
    _, failure = _visit(opened, site, "/error-at-load")
    assert failure is not None and failure.finding.kind == "page-error"
    error = failure.finding
    assert "now" in error.message, error.message  # each engine words it its own way
    assert error.detail["source"].endswith("/error-at-load") and error.detail["line"], error.detail
    assert "uncaught script error on /error-at-load" in str(failure)


def test_an_error_is_one_finding_and_one_console_line(opened: Opened, site: _Site) -> None:
    # Where reports are sent as they happen and read back from the page too, each arrives twice.
    before = len(opened.capture.console)
    findings, _ = _visit(opened, site, "/error-at-load")
    opened.capture.harvest()
    errors = [c for c in opened.capture.console[before:] if c["type"] == "pageerror"]
    assert len(errors) == 1 and "now" in errors[0]["text"], errors
    assert [f.kind for f in findings] == ["page-error"], findings


class _NotYetArrived(deque[dict[str, Any]]):
    """A channel's arrivals, every report still on its way."""

    def extend(self, items: Any) -> None:
        pass


def test_an_error_whose_report_is_still_on_its_way_is_seen(
    opened: Opened, site: _Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A loaded machine delivers a page's report after the harness last looked (CI, WebKitGTK
    # through the proxy): what the page sent is read back from it too.
    channel = getattr(opened.capture, "channel", None)
    if channel is not None:
        monkeypatch.setattr(channel, "events", _NotYetArrived())
    _, failure = _visit(opened, site, "/error-at-load")
    assert failure is not None and failure.finding.kind == "page-error"
    assert "now" in failure.finding.message, failure.finding.message


def test_an_unhandled_rejection_is_a_page_error(opened: Opened, site: _Site) -> None:
    _, failure = _visit(opened, site, "/rejection")
    assert failure is not None and failure.finding.kind == "page-error"
    assert (
        "Unhandled promise rejection: TypeError: the list did not load" in failure.finding.message
    )


def test_an_error_after_load_in_a_widget_no_one_clicks(opened: Opened, site: _Site) -> None:
    _, failure = _visit(opened, site, "/late-error")
    assert failure is not None and failure.finding.kind == "page-error"
    assert "render" in failure.finding.message


def test_a_500_the_page_swallows_is_a_failed_request(opened: Opened, site: _Site) -> None:
    _, failure = _visit(opened, site, "/swallowed-500")
    assert failure is not None and failure.finding.kind == "failed-request"
    assert failure.finding.detail["status"] == 500 and failure.finding.detail["method"] == "GET"
    assert failure.finding.detail["url"].endswith("/api/broken")
    assert failure.finding.page.endswith("/swallowed-500")  # the page that asked
    assert "failed request on /swallowed-500" in str(failure)


def test_a_request_without_an_answer_is_a_failed_request(opened: Opened, site: _Site) -> None:
    _, failure = _visit(opened, site, "/reset")
    assert failure is not None and failure.finding.kind == "failed-request"
    assert failure.finding.detail["failure"], failure.finding.detail


def test_a_refusal_the_journey_provokes_is_not_a_finding(opened: Opened, site: _Site) -> None:
    findings, failure = _visit(opened, site, "/expected-401", expect=(401, "/refuse"))
    assert failure is None and not findings, findings
    _, failure = _visit(opened, site, "/expected-401")
    assert failure is not None and failure.finding.detail["status"] == 401


def test_another_sites_errors_are_not_the_targets(opened: Opened, site: _Site) -> None:
    findings, failure = _visit(opened, site, "/third-party")
    assert failure is None and not findings, findings


def test_a_page_left_loading(opened: Opened, site: _Site) -> None:
    _, failure = _visit(opened, site, "/stuck", wait=0.2)
    assert failure is not None and failure.finding.kind == "stuck-loading"
    assert (
        "aria-busy" in failure.finding.detail["marker"]
        or "Loading" in failure.finding.detail["marker"]
    )
    assert failure.finding.detail["seconds"] >= SETTINGS.stuck_after


def test_a_marker_that_clears_is_waited_for_not_reported(opened: Opened, site: _Site) -> None:
    started = time.monotonic()
    findings, failure = _visit(opened, site, "/loads", wait=0.0)
    assert failure is None and not findings, findings
    assert time.monotonic() - started < SETTINGS.stuck_after + 3


@pytest.mark.parametrize(
    ("path", "check"),
    [("/offscreen", "off-screen"), ("/covered", "covered"), ("/clipped", "clipped")],
)
def test_layout_faults_of_a_primary_control(
    opened: Opened, site: _Site, path: str, check: str
) -> None:
    _, failure = _visit(opened, site, path)
    assert failure is not None and failure.finding.kind == "layout", path
    assert failure.finding.detail["check"] == check, failure.finding.detail
    assert failure.finding.detail["element"].startswith("button"), failure.finding.detail
    assert str(opened.session.cell.device.viewport) in failure.finding.message


def test_sideways_scroll_on_a_phone_but_not_on_the_desktop(opened: Opened, site: _Site) -> None:
    findings, failure = _visit(opened, site, "/sideways")
    if opened.session.cell.device.viewport.width >= 1200:
        assert failure is None and not findings, findings
        return
    assert failure is not None and failure.finding.detail["check"] == "sideways-scroll"
    assert "1200px" in failure.finding.message or "wide" in failure.finding.message


def test_a_page_left_before_its_audit_settled_is_still_seen(opened: Opened, site: _Site) -> None:
    """The journey clicks on at once: the page is looked at before the click, not only after it
    or while it unloads (where Playwright can lose what the page says)."""
    findings, failure = _visit(opened, site, "/passing", wait=0, click="Continue")
    if opened.session.cell.device.viewport.width >= 900:
        assert failure is None and not findings, findings
        opened.session.pause(0.5)
        assert opened.session.url.endswith("/clean"), opened.session.url  # the click left
        return
    assert failure is not None and failure.finding.detail["check"] == "sideways-scroll"
    assert failure.finding.page.endswith("/passing"), failure.finding


def test_a_control_a_person_scrolls_to_is_not_covered(opened: Opened, site: _Site) -> None:
    findings, failure = _visit(opened, site, "/padded")
    assert failure is None and not findings, findings


def test_a_small_tap_target_only_on_touch_cells(opened: Opened, site: _Site) -> None:
    findings, failure = _visit(opened, site, "/small")
    if not opened.session.cell.touch:
        assert failure is None and not findings, findings
        return
    assert failure is not None and failure.finding.detail["check"] == "small-target"
    assert "24x24px" in failure.finding.message


def test_a_page_whose_stylesheet_is_still_loading_is_not_audited_unstyled(
    opened: Opened, site: _Site
) -> None:
    """Left while its stylesheet loads, a page is not measured as the unstyled page the browser
    never painted; once the styles are in, the same page's real faults are found."""
    _Handler.css_gate.clear()  # opened UNSTYLED_FOR seconds after /styled is served
    try:
        findings, failure = _visit(opened, site, "/to-styled", wait=0.6, click="Continue")
    finally:
        _Handler.css_gate.set()
    assert opened.session.url.endswith("/styled"), opened.session.url
    assert failure is None and not findings, findings
    findings, failure = _visit(opened, site, "/styled-small", wait=0.5)
    if not opened.session.cell.touch:
        assert failure is None and not findings, findings
        return
    assert failure is not None and failure.finding.detail["check"] == "small-target", findings


def test_allowlisted_noise_is_recorded_but_does_not_fail(
    opened: Opened, site: _Site, tmp_path: Path
) -> None:
    allow = tmp_path / "allow.yaml"
    allow.write_text(
        "allow:\n"
        "  - kind: failed-request\n"
        "    url: /api/broken$\n"
        "    until: 2027-01-31\n"
        "    reason: the report widget's endpoint is retired (ticket 123)\n"
    )
    accepting = SentinelSettings(
        stuck_after=1.0, allowlist=load_sentinel_allowlist(allow, MATRIX.cells)
    )
    findings, failure = _visit(opened, site, "/swallowed-500", settings=accepting)
    assert failure is None
    assert [f.kind for f in findings] == ["failed-request"]
    assert findings[0].allowed and "ticket 123" in findings[0].allowed["reason"]


def test_the_network_log_has_methods_and_statuses_on_every_engine(
    opened: Opened, site: _Site
) -> None:
    """Playwright logs from its own events; WebDriver cells get the full log (methods, statuses,
    headers) from the recording proxy."""
    capture: Capture = opened.capture
    _visit(opened, site, "/swallowed-500")
    capture.harvest()
    broken = [e for e in capture.network if str(e["url"]).endswith("/api/broken")]
    assert broken and broken[-1]["method"] == "GET" and broken[-1]["status"] == 500, capture.network
    if getattr(capture, "channel", None) is not None:
        assert broken[-1]["response_headers"]["Content-Type"] == "application/json"
