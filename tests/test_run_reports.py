"""Reports of real runs (pytester, in a child process): retries and flaky results, quarantine,
shards merged into one run, failure artifacts on every engine, Allure results and report."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from compat_harness.cli import main as compat
from compat_harness.exitcodes import ExitCode
from compat_harness.results import RunResult, Status
from tests.support.matrix_run import PLUGINS

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]
MATRIX = ROOT / "matrix" / "default.yaml"

DEMO = """
import pytest
pytestmark = pytest.mark.journey("demo", portal="client")
PAGE = "data:text/html,<title>Demo</title><h1>Hello</h1><button>Go</button>"

def test_ok(session):
    session.goto(PAGE)

@pytest.mark.parametrize("n", [1, 2, 3])
def test_n(session, n):
    session.goto(PAGE)
    assert n != 2 or session.cell.id != "android-chrome", "two fails on android"

def test_bad(session):
    with session.step("Open the page"):
        session.goto(PAGE)
    with session.step("Count the buttons"):
        assert session.role("button", "Go").count() == 2, "boom: expected two buttons"
"""

FLAKY = """
import pathlib
import pytest
pytestmark = pytest.mark.journey("flaky", portal="provider")

def test_sometimes(session):
    marker = pathlib.Path(f"attempted-{session.cell.id}")
    first = not marker.exists()
    marker.write_text("x")
    assert not first, "first attempt fails"
"""


@pytest.fixture(autouse=True)
def _keep_playwright_browsers(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytester moves HOME; Playwright's installed builds stay where they are."""
    from compat_harness.engines.playwright import playwright_browsers_path

    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(playwright_browsers_path()))


def _run(pytester: pytest.Pytester, run_id: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        *PLUGINS,
        "-p",
        "no:cacheprovider",
        f"--matrix={MATRIX}",
        f"--report-dir={pytester.path / 'reports'}",
        f"--run-id={run_id}",
        "-W",
        "ignore::pytest.PytestRemovedIn10Warning",
        *args,
    )


def _results(pytester: pytest.Pytester, run_id: str) -> RunResult:
    return RunResult.read(pytester.path / "reports" / run_id / "results.json")


def _statuses(run: RunResult) -> list[tuple[str, str, Status]]:
    return [(r.test.rsplit("::", 1)[-1], r.cell, r.status) for r in run.results]


# --- retries and flaky results ----------------------------------------------------------------------


def test_retries_make_a_retried_pass_flaky_and_fail_on_flaky_follows_the_tiers(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_flaky=FLAKY)
    result = _run(pytester, "a", "--cells", "chrome-desktop", "--retries", "1")
    assert result.ret == ExitCode.OK
    (r,) = _results(pytester, "a").results
    assert r.status is Status.FLAKY and r.attempts == 2
    assert r.error and "first attempt fails" in r.error.message
    # The failed attempt's artifacts are kept and linked, flaky is shown as such everywhere.
    assert r.artifacts["screenshot"] and r.artifact_dir.startswith("artifacts/")
    run_dir = pytester.path / "reports" / "a"
    assert "⚠️ flaky" in (run_dir / "summary.md").read_text()
    assert "≈ flaky</a>" in (run_dir / "report.html").read_text()
    assert ET.parse(run_dir / "junit.xml").getroot().find(".//flakyFailure") is not None
    result.stdout.fnmatch_lines(["*flaky: 1 result(s) passed only on a retry*"])

    for path in pytester.path.glob("attempted-*"):
        path.unlink()
    strict = _run(pytester, "b", "--cells", "chrome-desktop", "--retries", "1", "--fail-on-flaky")
    assert strict.ret == ExitCode.TESTS_FAILED
    assert (
        "flaky result(s) (--fail-on-flaky)" in (pytester.path / "reports/b/report.html").read_text()
    )

    # android-chrome is not recommended for providers: its flaky result only warns, and
    # pytest-rerunfailures' own exit code 7 for flaky runs does not override the tier policy.
    lenient = _run(pytester, "c", "--cells", "android-chrome", "--retries", "1", "--fail-on-flaky")
    assert lenient.ret == ExitCode.OK
    assert _statuses(_results(pytester, "c")) == [
        ("test_sometimes", "android-chrome", Status.FLAKY)
    ]


# --- quarantine -------------------------------------------------------------------------------------


def test_quarantined_failures_warn_until_the_quarantine_expires(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo=DEMO)
    active = pytester.makefile(
        ".yaml",
        active=(
            "quarantine:\n"
            "  - test: test_bad\n"
            "    cells: [chrome-desktop]\n"
            "    until: 2999-12-31\n"
            "    reason: QA-1 flaky under load\n"
        ),
    )
    result = _run(pytester, "q", "--cells", "chrome-desktop", f"--quarantine={active}", "-k", "bad")
    assert result.ret == ExitCode.OK
    (r,) = _results(pytester, "q").results
    assert r.status is Status.FAILED and r.quarantined
    assert r.quarantine == {
        "entry": "test test_bad on chrome-desktop",
        "reason": "QA-1 flaky under load",
        "until": "2999-12-31",
        "expired": False,
    }
    html = (pytester.path / "reports/q/report.html").read_text()
    assert "quarantined until 2999-12-31" in html and "PASSED with warnings" in html
    assert "❌ failed (quarantined)" in (pytester.path / "reports/q/summary.md").read_text()

    expired = pytester.makefile(
        ".yaml",
        expired="quarantine:\n  - journey: demo\n    until: 2020-01-31\n    reason: QA-2\n",
    )
    result = _run(
        pytester, "x", "--cells", "chrome-desktop", f"--quarantine={expired}", "-k", "bad"
    )
    assert result.ret == ExitCode.TESTS_FAILED
    (r,) = _results(pytester, "x").results
    assert r.quarantine and r.quarantine["expired"] and not r.quarantined
    assert (
        "quarantine expired on 2020-01-31" in (pytester.path / "reports/x/report.html").read_text()
    )
    result.stdout.fnmatch_lines(["*quarantine expired for 1 result(s): they count again*"])

    bad = pytester.makefile(".yaml", bad="quarantine:\n  - journey: demo\n    reason: QA-3\n")
    result = _run(pytester, "y", f"--quarantine={bad}")
    assert result.ret == ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bad.yaml:2: 'until' must be a date. Fix: until: YYYY-MM-DD*"])


# --- shards -----------------------------------------------------------------------------------------


def _matrix_rows(html: str) -> str:
    """The matrix table without durations (which differ between any two runs)."""
    import re

    table = html[html.index('<table class="matrix"') : html.index("</table>")]
    return re.sub(r"[\d.]+ s ·", "", table)


def test_a_sharded_run_merged_equals_the_unsharded_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_demo=DEMO)
    cells = ("--cells", "chrome-desktop,android-chrome")
    assert _run(pytester, "full", *cells).ret == ExitCode.TESTS_FAILED
    one = _run(pytester, "s1", *cells, "--shard", "1/2")
    two = _run(pytester, "s2", *cells, "--shard", "2/2", "-n", "2")  # xdist inside a shard too
    full, s1, s2 = (_results(pytester, i) for i in ("full", "s1", "s2"))
    assert len(s1.results) + len(s2.results) == len(full.results) == 10
    assert {(r.test, r.cell) for r in s1.results}.isdisjoint((r.test, r.cell) for r in s2.results)
    assert s1.run["shard"] == {"index": 1, "total": 2}
    one.stdout.fnmatch_lines(["*5 deselected*"])
    assert two.ret == ExitCode.TESTS_FAILED

    reports = pytester.path / "reports"
    monkeypatch.chdir(pytester.path)
    code = compat(
        [
            "merge",
            str(reports / "s2"),
            str(reports / "s1"),
            "--report-dir",
            str(reports),
            "--run-id",
            "merged",
        ]
    )
    assert code == ExitCode.TESTS_FAILED  # android-chrome is supported for clients: it gates
    merged = _results(pytester, "merged")
    assert _statuses(merged) == _statuses(full)
    assert merged.totals() == full.totals()
    assert [c.id for c in merged.cells] == [c.id for c in full.cells]
    assert all(c.engine for c in merged.cells)
    assert [s["id"] for s in merged.run["shards"]] == ["s1", "s2"] and not merged.run[
        "missing_shards"
    ]
    md = {i: (reports / i / "summary.md").read_text() for i in ("full", "merged")}
    assert md["merged"].split("| Journey / test")[1] == md["full"].split("| Journey / test")[1]
    html = {i: (reports / i / "report.html").read_text() for i in ("full", "merged")}
    assert _matrix_rows(html["merged"]) == _matrix_rows(html["full"])
    junit = {
        i: [
            (c.get("classname"), c.get("name"), [e.tag for e in c])
            for c in ET.parse(reports / i / "junit.xml").getroot().iter("testcase")
        ]
        for i in ("full", "merged")
    }
    assert junit["merged"] == junit["full"]
    for r in merged.results:  # every shard's artifacts came along
        for paths in r.artifacts.values():
            assert all((reports / "merged" / p).is_file() for p in paths)
    # The merged run is compared with the previous whole run, never with a shard.
    assert "Since run full" in html["merged"]

    shutil.rmtree(reports / "s2")
    assert (
        compat(["merge", str(reports / "s1"), "--report-dir", str(reports), "--run-id", "half"])
        == 1
    )
    assert _results(pytester, "half").run["missing_shards"] == ["2/2"]
    assert "shard(s) 2/2 missing" in (reports / "half" / "report.html").read_text()


def test_bad_shard_flags_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo=DEMO)
    result = _run(pytester, "z", "--shard", "3/2")
    assert result.ret == ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--shard '3/2': use I/N with 1 <= I <= N*"])


# --- failure artifacts on every engine --------------------------------------------------------------

ARTIFACTS = """
import pytest
pytestmark = pytest.mark.journey("artifacts", portal="client")

def test_page_breaks(session, page_url):
    with session.step("Open the page"):
        session.goto(page_url)
    with session.step("Press Go"):
        session.role("button", "Go").click()
    with session.step("Look for the result"):
        session.evaluate("() => new Promise(r => setTimeout(r, 200))")
        assert session.role("heading", "Done").count() == 1, "no Done heading"
"""

SERVER = """
import http.server, threading, pytest

PAGE = b'''<!doctype html><title>Art</title><h1>Art</h1>
<button onclick="console.error('pressed Go'); fetch('/api/missing'); setTimeout(() => { throw new Error('late failure') }, 10)">Go</button>
<img src="/pixel.png" alt="">'''

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body, status = (PAGE, 200) if self.path == "/" else (b"nope", 404)
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

@pytest.fixture(scope="session")
def page_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
"""


@pytest.mark.parametrize("cell_id", ["chrome-desktop", "ios-webkit"])
def test_a_failure_keeps_screenshot_dom_console_network_and_video_on_every_engine(
    pytester: pytest.Pytester, cell_id: str
) -> None:
    pytester.makeconftest(SERVER)
    pytester.makepyfile(test_art=ARTIFACTS)
    result = _run(pytester, "r", "--cells", cell_id, "--video", "retain-on-failure")
    assert result.ret == ExitCode.TESTS_FAILED, result.stdout.str()[-2000:]
    run = _results(pytester, "r")
    cell = run.cell(cell_id)
    engine = (cell.engine if cell else None) or {}
    (r,) = run.results
    run_dir = pytester.path / "reports" / "r"
    # One predictable folder per test and cell, linked from results.json.
    assert r.artifact_dir == "artifacts/test-art-py-test-page-breaks-" + cell_id
    expected = {"screenshot", "dom", "console", "network", "video"}
    if engine.get("kind") == "playwright":
        expected.add("har")
    assert expected <= set(r.artifacts), r.artifacts
    for paths in r.artifacts.values():
        for path in paths:
            assert path.startswith(r.artifact_dir + "/") and (run_dir / path).stat().st_size > 0
    console = (run_dir / r.artifacts["console"][0]).read_text()
    assert "[error] pressed Go" in console
    assert "late failure" in console  # an uncaught error after the click
    network = (run_dir / r.artifacts["network"][0]).read_text()
    assert "/pixel.png" in network and "/api/missing" in network
    if engine.get("kind") == "playwright":
        assert "404" in network
        har = json.loads((run_dir / r.artifacts["har"][0]).read_text())
        assert any(e["request"]["url"].endswith("/api/missing") for e in har["log"]["entries"])
    else:  # how it was recorded, and what could not be, is said in the file
        assert "Recorded by the harness" in console and "Limits:" in network
        assert "404" in network  # the recording proxy saw the status
    assert (run_dir / r.artifacts["video"][0]).read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # WebM
    assert "<h1>Art</h1>" in (run_dir / r.artifacts["dom"][0]).read_text()


# --- Allure ---------------------------------------------------------------------------------------


def test_allure_results_carry_the_matrix_and_the_triage_and_the_allure_report_builds(
    pytester: pytest.Pytester,
) -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: Allure 3 (the npm package) cannot be installed")
    pytester.makepyfile(test_demo=DEMO)
    cells = "chrome-desktop,android-chrome"
    result = _run(pytester, "al", "--cells", cells, "--allure", "-k", "ok or bad or n and 2")
    assert result.ret == ExitCode.TESTS_FAILED
    # The triage of the whole run, in the terminal too.
    result.stdout.fnmatch_lines(
        [
            "triage: Product bug: fails on every cell (fails on every cell that ran it"
            " (chrome-desktop and android-chrome)): test_bad",
            "triage: Only on phones (fails on android-chrome, the only phone here*): test_n[[]2[]]",
        ]
    )
    allure_dir = pytester.path / "reports" / "al" / "allure-results"
    results = [json.loads(p.read_text()) for p in allure_dir.glob("*-result.json")]
    by_name = {r["name"]: r for r in results}
    assert set(by_name) == {
        f"{test}[{cell}]" for test in ("test_ok", "test_bad") for cell in cells.split(",")
    } | {"test_n[chrome-desktop-2]", "test_n[android-chrome-2]"}
    bad = by_name["test_bad[chrome-desktop]"]
    labels = {(label["name"], label["value"]) for label in bad["labels"]}
    assert {
        ("suite", "demo"),
        ("epic", "client portal"),
        ("tag", "chrome-desktop"),
        ("tier", "recommended"),
        ("compat_test", "test_demo.py::test_bad"),
        ("compat_category", "product"),
    } <= labels
    # The label set at the end of the test is replaced by the pattern across the cells.
    phone = {(x["name"], x["value"]) for x in by_name["test_n[android-chrome-2]"]["labels"]}
    assert ("compat_category", "phone-only") in phone and (
        "compat_category",
        "product",
    ) not in phone
    assert by_name["test_n[chrome-desktop-2]"]["status"] == "passed"
    assert {"name": "cell", "value": "'chrome-desktop'"} in bad["parameters"]
    assert bad["status"] == "failed" and [s["name"] for s in bad["steps"]] == [
        "Open the page",
        "Count the buttons",
    ]
    attached = {a["name"].split(" (")[0] for a in bad["attachments"]}
    assert {"screenshot", "DOM at failure", "console log", "network log"} <= attached
    assert all((allure_dir / a["source"]).exists() for a in bad["attachments"])
    env = (allure_dir / "environment.properties").read_text()
    assert "cell.chrome-desktop=chromium " in env and "fail_on=recommended,supported" in env
    names = [c["name"] for c in json.loads((allure_dir / "categories.json").read_text())]
    assert names[:3] == [
        "Product bug: fails on every cell",
        "Only on WebKit cells",
        "Only on Chromium cells",
    ]

    # The Allure 3 CLI (npm, no Java) builds the HTML report; installed once into .allure/.
    from compat_harness.report.allure import generate_allure_report

    output = generate_allure_report(pytester.path / "reports" / "al", ROOT / ".allure")
    assert (output / "index.html").exists()
    categories = (output / "widgets" / "categories.json").read_text()
    assert "Product bug: fails on every cell" in categories and "Only on phones" in categories
