"""The HTML report as a person sees it, in headless Chromium: the failing cells stand out, a
failed cell opens its details (error, step, screenshot, artifact links that resolve), the filters
work, and the page opens from disk without a single network request."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from compat_harness.engines.playwright import (
    SYSTEM_CHROMIUM_ARGS,
    bundled_executables,
    system_chromium,
)
from compat_harness.report import write_reports
from compat_harness.results import CellRecord, ErrorInfo, RunResult, Status, TestResult
from tests.support.runs import findings_run

# A 2x2 red PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)
ENGINE = {
    "engine": "playwright",
    "kind": "playwright",
    "browser": "chromium",
    "version": "156",
    "limits": [],
}


def _run(run_dir: Path) -> RunResult:
    folder = "artifacts/t-py-test-sign-in-desk"
    files = {
        "screenshot": f"{folder}/test-failed-1.png",
        "trace": f"{folder}/trace.zip",
        "video": f"{folder}/video.webm",
        "console": f"{folder}/console.txt",
        "network": f"{folder}/network.txt",
        "har": f"{folder}/network.har",
        "dom": f"{folder}/dom.html",
    }
    for kind, path in files.items():
        (run_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (run_dir / path).write_bytes(PNG if kind == "screenshot" else b"x")
    cells = [
        CellRecord(
            "desk",
            {"client": "recommended", "provider": "recommended"},
            {"name": "Desktop", "viewport": "1440x900", "scale": 1},
            "chromium",
            ENGINE,
        ),
        CellRecord(
            "droid",
            {"client": "supported", "provider": "not-recommended"},
            {"name": "Pixel 7", "viewport": "412x915", "scale": 2.625, "touch": True},
            "chromium",
            ENGINE,
        ),
    ]
    results = [
        TestResult(
            "t.py::test_sign_in[client]",
            "login_url",
            "desk",
            Status.FAILED,
            "client",
            error=ErrorInfo(
                "Timed out waiting for the dashboard", "HarnessTimeout", step="Sign in"
            ),
            artifacts={k: [v] for k, v in files.items()},
            artifact_dir=folder,
            order=0,
        ),
        TestResult(
            "t.py::test_sign_in[client]", "login_url", "droid", Status.PASSED, "client", order=1
        ),
        TestResult(
            "t.py::test_layout[provider]", "login_url", "desk", Status.PASSED, "provider", order=2
        ),
        TestResult(
            "t.py::test_layout[provider]",
            "login_url",
            "droid",
            Status.FLAKY,
            "provider",
            error=ErrorInfo("first attempt timed out"),
            attempts=2,
            order=3,
        ),
        TestResult(
            "t.py::test_reach[client]", "connectivity", "desk", Status.PASSED, "client", order=4
        ),
        TestResult(
            "t.py::test_reach[client]",
            "connectivity",
            "droid",
            Status.NOT_APPLICABLE,
            "client",
            reason="desktop only",
            order=5,
        ),
    ]
    run = {
        "id": "r1",
        "started": "2026-11-23T10:00:00",
        "duration_s": 12.5,
        "target": {
            "client_url": "http://c.test",
            "provider_url": "http://p.test",
            "defects": ["login-ua-data"],
        },
        "git": {"commit": "0123456789abcdef", "dirty": False},
        "fail_on": ["recommended", "supported"],
    }
    return RunResult(run=run, cells=cells, results=results)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    executable = bundled_executables().get("chromium") or system_chromium()
    if executable is None:
        pytest.fail("no Chromium here to open the report in (see `compat doctor`)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=list(SYSTEM_CHROMIUM_ARGS))
        yield browser
        browser.close()


@pytest.fixture
def report(tmp_path: Path, chromium: Browser) -> Iterator[tuple[Page, Path, list[str]]]:
    run_dir = tmp_path / "r1"
    run_dir.mkdir()
    html = write_reports(_run(run_dir), run_dir)["html"]
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(html.as_uri())
    yield page, run_dir, requests
    page.close()


def test_the_failure_stands_out_and_opens_in_place(report: tuple[Page, Path, list[str]]) -> None:
    page, _, requests = report
    assert page.locator("#verdict").inner_text().startswith("FAILED — 1 failure(s)")
    assert "Commit: 0123456789ab" in page.locator("header").inner_text()
    failed = page.locator('td.result[data-status="failed"]')
    assert failed.count() == 1 and failed.inner_text().startswith("✗ FAILED")
    assert "at: Sign in" in failed.inner_text()
    assert (
        page.get_by_role(
            "button", name="test_sign_in[client] on desk: failed — show details"
        ).count()
        == 1
    )

    failed.get_by_role("button").click()
    expansion = page.locator("tr.expansion")
    assert expansion.is_visible()
    text = expansion.inner_text()
    assert "Timed out waiting for the dashboard" in text and "Failed at step: Sign in" in text
    shot = expansion.get_by_role("img", name="screenshot of test_sign_in[client] on desk")
    assert shot.evaluate("img => img.complete && img.naturalWidth") == 2
    links = expansion.locator("a.artifact")
    labels = links.all_inner_texts()
    assert labels == [
        "Screenshot",
        "Trace",
        "Video",
        "Console log",
        "Network log",
        "HAR",
        "DOM snapshot",
        "all files",
    ]
    for href in links.evaluate_all("els => els.map(a => a.href)"):
        assert Path(unquote(urlparse(href).path)).exists(), href
    assert "playwright show-trace" in text
    # The row right under the test's row holds it; closing puts it back.
    assert page.locator("tr.test-row + tr.expansion").count() == 1
    expansion.get_by_role("button", name="close").click()
    assert page.locator("tr.expansion").count() == 0

    # The "need a look" list opens the same details; the flaky result is listed as flaky.
    page.locator("#failures").get_by_role("button").filter(has_text="flaky").click()
    assert "first attempt timed out" in page.locator("tr.expansion").inner_text()
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), requests


def test_filters_by_status_cell_and_journey(report: tuple[Page, Path, list[str]]) -> None:
    page, _, _ = report
    rows = page.locator("tr.test-row")

    def visible_tests() -> list[str]:
        return [r.get_attribute("data-test") or "" for r in rows.all() if r.is_visible()]

    assert len(visible_tests()) == 3
    page.get_by_role("button", name="Only problems").click()
    assert visible_tests() == ["t.py::test_sign_in[client]", "t.py::test_layout[provider]"]
    page.get_by_role("button", name="Show all").click()
    page.get_by_role("checkbox", name="droid", exact=True).uncheck()
    assert not page.locator('th[data-cell="droid"]').is_visible()
    page.get_by_role("checkbox", name="passed", exact=True).uncheck()
    assert visible_tests() == ["t.py::test_sign_in[client]"]
    page.get_by_role("button", name="Show all").click()
    page.get_by_label("Journey").select_option("connectivity")
    assert visible_tests() == ["t.py::test_reach[client]"]
    assert not page.locator('tr.journey-row[data-journey="login_url"]').is_visible()
    page.get_by_label("Journey").select_option("")
    page.get_by_label("Search").fill("layout")
    assert visible_tests() == ["t.py::test_layout[provider]"]


def test_a_link_to_a_result_opens_it(tmp_path: Path, chromium: Browser) -> None:
    run_dir = tmp_path / "r1"
    run_dir.mkdir()
    html = write_reports(_run(run_dir), run_dir)["html"]
    page = chromium.new_page()
    page.goto(html.as_uri() + "#r0")
    assert "Timed out waiting for the dashboard" in page.locator("tr.expansion").inner_text()
    page.close()


def test_served_reports_open_traces_in_playwrights_trace_viewer(tmp_path: Path) -> None:
    import functools
    import http.server
    import threading
    import urllib.request

    from compat_harness.cli import _report_handler_class

    handler = functools.partial(_report_handler_class(), directory=str(tmp_path))
    (tmp_path / "report.html").write_text("<title>r</title>")
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with urllib.request.urlopen(f"{base}/trace-viewer/index.html?trace=x") as response:
            assert "Playwright Trace Viewer" in response.read().decode()
        with urllib.request.urlopen(f"{base}/report.html") as response:
            assert response.status == 200
        server.shutdown()


def test_a_card_shows_the_triage_and_each_finding_beside_its_step(
    tmp_path: Path, chromium: Browser
) -> None:
    run = findings_run()
    assert run.results[1].error is not None
    run.results[1].error.sentinel = "page-error"
    html = write_reports(run, tmp_path / "r1")["html"]
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    page.goto(html.as_uri())
    reason = (
        "fails on ios-webkit, the only WebKit cell here; passes on chrome-desktop and "
        "android-chrome"
    )
    assert page.locator("#failures .triage-tag").inner_text() == "Only on WebKit cells"
    page.locator('td.result[data-status="failed"]').get_by_role("button").click()
    card = page.locator("tr.expansion section.detail")
    assert card.locator(".triage").inner_text() == f"Triage: Only on WebKit cells {reason}"
    error = card.locator(".error").inner_text()
    assert "Failed by a page sentinel: page error" in error
    # Allowlisted findings are not counted as what went wrong.
    assert "Seen on the page: 1 page error, 1 layout (beside their steps below)" in error

    steps = card.locator("ol.steps > li")
    assert steps.count() == 3
    # The script error sits beside the failed (inner) step it was seen in, not the outer one.
    assert steps.nth(1).locator(".finding").count() == 0
    (finding,) = steps.nth(2).locator(".finding").all()
    assert finding.get_attribute("data-kind") == "page-error"
    assert finding.inner_text().startswith("page error TypeError: sessions.at is not a function")
    assert finding.locator("code").inner_text() == "http://127.0.0.1:5001/static/dashboard.js:12:7"
    stack = finding.locator("details pre")
    assert not stack.is_visible()  # collapsed until asked for
    finding.locator("summary").click()
    assert stack.inner_text().startswith("render@http://127.0.0.1:5001/static/dashboard.js:12:7")
    # The expected answer is beside "Sign in", greyed, with its reason.
    allowed = steps.nth(0).locator(".finding")
    assert allowed.get_attribute("class") == "finding allowed"
    assert "(allowlisted until 2027-01-31: a wrong password first)" in allowed.inner_text()
    grey = allowed.locator(".badge").evaluate("e => getComputedStyle(e).color")
    red = finding.locator(".badge").evaluate("e => getComputedStyle(e).color")
    assert grey == "rgb(89, 99, 110)" and red == "rgb(207, 34, 46)"
    # Seen after the last step (the end-of-test check): listed after the steps.
    outside = card.locator(".findings-outside").inner_text()
    assert outside.startswith("Seen outside the steps (e.g. at the end of the test):")
    assert 'covered: button "Book session", covered by nav.bottom' in outside
    page.close()
