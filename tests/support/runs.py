"""Synthetic runs for the report and triage tests: the matrix's cells as they run here, and a
failed result with what the page sentinels saw."""

from __future__ import annotations

from compat_harness.results import CellRecord, ErrorInfo, Finding, RunResult, Status, TestResult

TIERS = {"client": "supported", "provider": "supported"}


def cell(
    cell_id: str, browser: str, viewport: str, *, mobile: bool, touch_events: bool
) -> CellRecord:
    device = {"name": cell_id, "viewport": viewport, "mobile": mobile, "touch": mobile, "scale": 1}
    engine = {"engine": "x", "kind": "playwright", "browser": browser, "version": "1", "limits": []}
    return CellRecord(cell_id, TIERS, device, browser, engine | {"touch_events": touch_events})


# The cells of the full cell set as they run on this project's machine: WebKit is WebKitGTK (no
# touch events), Chromium emulates the phones with touch.
CELLS = {
    c.id: c
    for c in (
        cell("chrome-desktop", "chromium", "1440x900", mobile=False, touch_events=False),
        cell("ios-webkit", "webkit", "390x844", mobile=True, touch_events=False),
        cell("android-chrome", "chromium", "412x915", mobile=True, touch_events=True),
        cell("desktop-webkit", "webkit", "1440x900", mobile=False, touch_events=False),
        cell("ipad-webkit", "webkit", "820x1180", mobile=True, touch_events=False),
        cell("small-android", "chromium", "360x800", mobile=True, touch_events=True),
        cell("firefox-desktop", "firefox", "1440x900", mobile=False, touch_events=False),
    )
}
DEFAULT = ("chrome-desktop", "ios-webkit", "android-chrome")

T0 = 1_767_225_600.0  # epoch seconds when the failed test's first step started
PAGE_ERROR = Finding(
    "page-error",
    "TypeError: sessions.at is not a function",
    step="Open the dashboard › Read the upcoming sessions",
    page="http://127.0.0.1:5001/dashboard",
    t=(T0 + 1.5) * 1000,
    detail={
        "source": "http://127.0.0.1:5001/static/dashboard.js",
        "line": 12,
        "column": 7,
        "stack": "render@http://127.0.0.1:5001/static/dashboard.js:12:7\nload@dashboard.js:3:1",
    },
)
EXPECTED_REQUEST = Finding(
    "failed-request",
    "POST /login answered 401",
    step="Sign in",
    page="http://127.0.0.1:5001/login",
    t=(T0 + 0.2) * 1000,
    detail={"method": "POST", "url": "http://127.0.0.1:5001/login", "status": 401},
    allowed={"reason": "a wrong password first", "until": "2027-01-31", "entry": "allow.yaml:3"},
)
LAYOUT = Finding(
    "layout",
    "button 'Book session' is covered",
    page="http://127.0.0.1:5001/dashboard",
    t=(T0 + 9) * 1000,  # after the last step: the end-of-test check
    detail={"check": "covered", "element": 'button "Book session"', "covered_by": "nav.bottom"},
)


def findings_run() -> RunResult:
    """The dashboard's list breaks on the WebKit cell only: its journey's assertion fails, and
    the sentinels saw a script error at that step (plus an allowlisted answer and a layout fault)."""
    steps = [
        {"title": "Sign in", "started": T0, "duration_s": 0.5, "status": "passed", "error": None},
        {"title": "Open the dashboard", "started": T0 + 1, "duration_s": 2.0, "status": "failed"},
        {
            "title": "Read the upcoming sessions",
            "started": T0 + 1.2,
            "duration_s": 1.0,
            "status": "failed",
        },
    ]
    test = "suites/test_dashboard.py::test_upcoming[client]"
    results = [
        TestResult(test, "dashboard", c, Status.PASSED, "client", order=i)
        for i, c in enumerate(DEFAULT)
    ]
    broken = results[1]
    broken.status = Status.FAILED
    broken.steps = steps
    broken.error = ErrorInfo(
        "expected 2 upcoming sessions, saw 0",
        "AssertionError",
        step="Open the dashboard › Read the upcoming sessions",
    )
    broken.findings = [EXPECTED_REQUEST, PAGE_ERROR, LAYOUT]
    run = {"id": "r1", "started": "2026-11-23T10:00:00", "fail_on": ["recommended", "supported"]}
    return RunResult(run, [CELLS[c] for c in DEFAULT], results)
