"""The plugin run as a user runs it (pytester, in a child process): statuses, reports, artifacts,
exit codes by tier, not-run cells, flaky retries, bad input, a dead target, secrets, Ctrl-C."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compat_harness.exitcodes import ExitCode
from compat_harness.results import RunResult, Status
from tests.support.matrix_run import PLUGINS
from tests.support.secrets_scan import assert_no_secret

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]
MATRIX = ROOT / "matrix" / "default.yaml"

DEMO = """
import pytest
from compat_harness.outcomes import not_applicable
pytestmark = pytest.mark.journey("demo", portal="provider")
PAGE = "data:text/html,<title>Demo</title><h1>Hello</h1><button>Go</button>"

def test_ok(session):
    with session.step("Open the page"):
        session.goto(PAGE)
    assert session.role("heading", "Hello").inner_text() == "Hello"

def test_bad(session):
    with session.step("Open the page"):
        session.goto(PAGE)
    with session.step("Look for what is not there"):
        assert session.role("button", "Go").count() == 2, "boom: expected two buttons"

def test_na(session):
    not_applicable("not for this cell")
"""


@pytest.fixture(autouse=True)
def _keep_playwright_browsers(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytester moves HOME; Playwright's installed builds stay where they are."""
    from compat_harness.engines.playwright import playwright_browsers_path

    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(playwright_browsers_path()))


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        # --opt=value: a separate value that names a real path would sway pytest's rootdir
        *PLUGINS,
        "-p",
        "no:cacheprovider",
        f"--matrix={MATRIX}",
        f"--report-dir={pytester.path / 'reports'}",
        "--run-id=r",
        "-W",
        "ignore::pytest.PytestRemovedIn10Warning",
        *args,
    )


def _results(pytester: pytest.Pytester) -> RunResult:
    return RunResult.read(pytester.path / "reports" / "r" / "results.json")


def _by_name(run: RunResult) -> dict[str, Status]:
    return {f"{r.test.rsplit('::', 1)[-1]}@{r.cell}": r.status for r in run.results}


def test_statuses_reports_and_a_screenshot_of_the_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo=DEMO)
    result = _run(pytester, "--cells", "chrome-desktop")
    assert result.ret == ExitCode.TESTS_FAILED
    run = _results(pytester)
    assert _by_name(run) == {
        "test_ok@chrome-desktop": Status.PASSED,
        "test_bad@chrome-desktop": Status.FAILED,
        "test_na@chrome-desktop": Status.NOT_APPLICABLE,
    }
    bad = next(r for r in run.results if r.status is Status.FAILED)
    assert bad.error and "boom: expected two buttons" in bad.error.message
    assert bad.error.step == "Look for what is not there"
    shots = bad.artifacts["screenshot"]
    assert shots and (pytester.path / "reports" / "r" / shots[0]).stat().st_size > 1000
    assert (pytester.path / "reports" / "r" / bad.artifacts["dom"][0]).read_text().count(
        "<h1>Hello</h1>"
    ) == 1
    cell = run.cell("chrome-desktop")
    assert cell and cell.engine and cell.engine["browser"] == "chromium" and cell.engine["version"]
    for name in ("report.html", "junit.xml", "summary.md"):
        assert (pytester.path / "reports" / "r" / name).exists()
    assert (pytester.path / "reports" / "latest").is_symlink()
    result.stdout.fnmatch_lines(["*compatibility matrix*", "*report: *report.html"])


def test_failures_in_not_recommended_cells_warn_unless_the_policy_says_otherwise(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_demo=DEMO)
    # android-chrome is not recommended for providers: its failure warns, the run passes
    result = _run(pytester, "--cells", "android-chrome", "-k", "bad")
    assert result.ret == ExitCode.OK
    result.stdout.fnmatch_lines(
        ["*warning: 1 failure(s) in cells whose tier does not fail the run*"]
    )
    strict = _run(
        pytester,
        "--cells",
        "android-chrome",
        "-k",
        "bad",
        "--fail-on",
        "recommended,supported,not-recommended",
    )
    assert strict.ret == ExitCode.TESTS_FAILED


def test_a_cell_without_an_engine_is_not_run_with_reason_and_install_command(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_demo=DEMO)
    result = _run(pytester, "--cells", "firefox-desktop", "-k", "ok")
    assert result.ret == ExitCode.NO_ENGINE
    run = _results(pytester)
    assert [r.status for r in run.results] == [Status.NOT_RUN]
    assert "firefox" in run.results[0].reason and "playwright install" in run.results[0].reason
    cell = run.cell("firefox-desktop")
    assert (
        cell
        and cell.status == "not_run"
        and "playwright install --with-deps firefox" in cell.install
    )
    result.stdout.fnmatch_lines(["*firefox-desktop: NOT RUN*install: *playwright install*"])


def test_a_gating_cell_that_did_not_run_fails_the_run_in_every_report(
    pytester: pytest.Pytester,
) -> None:
    """firefox-desktop is supported (it gates) and has no engine here: not run is not passed."""
    pytester.makepyfile(test_demo=DEMO)
    result = _run(pytester, "--cells", "chrome-desktop,firefox-desktop", "-k", "ok")
    assert result.ret == ExitCode.GATING_NOT_RUN == 13
    result.stdout.fnmatch_lines(
        [
            "*firefox-desktop: NOT RUN (its tier gates the run: exit 13)*install:*",
            "*FAILED — gating cell(s) not run: firefox-desktop*--allow-not-run*",
        ]
    )
    folder = pytester.path / "reports" / "r"
    run = _results(pytester)
    assert [c.id for c in run.gating_not_run()] == ["firefox-desktop"]
    assert run.verdict()[0] == "failed"
    assert "gating cell(s) not run: firefox-desktop" in (folder / "summary.md").read_text()
    assert "gating cell(s) not run: firefox-desktop" in (folder / "report.html").read_text()
    junit = (folder / "junit.xml").read_text()
    assert 'name="firefox-desktop" tests="2" failures="1"' in junit
    assert 'type="not run"' in junit and 'name="not_run_gating" value="true"' in junit

    allowed = _run(
        pytester,
        "--cells",
        "chrome-desktop,firefox-desktop",
        "-k",
        "ok",
        "--allow-not-run",
        "firefox-desktop",
    )
    assert allowed.ret == ExitCode.OK
    allowed.stdout.fnmatch_lines(["*PASSED with warnings — not run, allowed: firefox-desktop*"])
    assert _results(pytester).run["allow_not_run"] == ["firefox-desktop"]


def test_bad_matrix_and_flags_stop_before_anything_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo=DEMO)
    bad = pytester.makefile(
        ".yaml",
        matrix="cells:\n  x:\n    device: iPhone 41\n    browser: webkit\n    tier: supported\n",
    )
    result = pytester.runpytest_subprocess(*PLUGINS, "--matrix", str(bad))
    assert result.ret == ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*matrix.yaml:3: cell 'x': unknown device 'iPhone 41'. Fix: *did you mean 'iPhone 14'*"]
    )
    assert not (pytester.path / "reports").exists()
    result = _run(pytester, "--cells", "chrome-dekstop")
    assert result.ret == ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown cell(s) chrome-dekstop*did you mean 'chrome-desktop'*"])
    result = _run(pytester, "--client-url", "not a url", "--provider-url", "http://x")
    assert result.ret == ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*'not a url' is not an http(s) URL*"])
    result = _run(pytester, "--defects", "login-button-offscreen")
    assert result.ret == ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--defects: unknown defect(s): login-button-offscreen; known defects: login-ua-data*"]
    )
    assert not (pytester.path / "reports").exists()


def test_a_retried_pass_is_flaky_not_passed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_flaky="""
        import pathlib
        def test_sometimes(session):
            marker = pathlib.Path("attempted")
            first = not marker.exists()
            marker.write_text("x")
            assert not first, "first attempt fails"
        """
    )
    result = _run(pytester, "--cells", "chrome-desktop", "--reruns", "1")
    assert result.ret == ExitCode.OK
    (r,) = _results(pytester).results
    assert r.status is Status.FLAKY and r.attempts == 2
    assert r.error and "first attempt fails" in r.error.message


def test_a_dead_target_fails_fast_with_one_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo=DEMO)
    dead = "http://127.0.0.1:9"
    result = _run(pytester, "--client-url", dead, "--provider-url", dead)
    assert result.ret == ExitCode.TARGET_DOWN
    result.stdout.fnmatch_lines(
        ["*target down: the client portal and provider portal do not answer*"]
    )
    result = _run(pytester, "--client-url", dead, "--provider-url", dead, "--control-url", dead)
    assert result.ret == ExitCode.NETWORK_DOWN
    result.stdout.fnmatch_lines(["*network down: neither the target nor the control URL answers*"])


def test_secrets_never_reach_the_reports(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_secret="""
        from compat_harness.secrets import REDACTOR
        def test_leaky(session):
            REDACTOR.add("hunter2-very-secret")
            print("typing hunter2-very-secret")
            assert False, "password was hunter2-very-secret"
        """
    )
    result = _run(pytester, "--cells", "chrome-desktop", "-n", "1")
    assert result.ret == ExitCode.TESTS_FAILED
    (r,) = _results(pytester).results
    assert r.error and "password was ***" in r.error.message
    printed = result.stdout.str() + result.stderr.str()
    assert_no_secret(["hunter2-very-secret"], pytester.path / "reports", printed=printed)


def test_ctrl_c_still_writes_a_partial_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_stop="""
        def test_a(session):
            session.goto("data:text/html,ok")
        def test_b(session):
            raise KeyboardInterrupt
        def test_c(session):
            pass
        """
    )
    result = _run(pytester, "--cells", "chrome-desktop")
    assert result.ret == ExitCode.INTERRUPTED
    run = _results(pytester)
    assert run.run["interrupted"] is True
    by_name = {f"{r.test.rsplit('::', 1)[-1]}@{r.cell}": r for r in run.results}
    assert by_name["test_a@chrome-desktop"].status is Status.PASSED
    for rest in ("test_b@chrome-desktop", "test_c@chrome-desktop"):
        assert (by_name[rest].status, by_name[rest].reason) == (Status.NOT_RUN, "interrupted")


def test_parallel_workers_give_the_same_results(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo=DEMO)
    _run(pytester, "--cells", "chrome-desktop,android-chrome")
    serial = _by_name(_results(pytester))
    result = _run(pytester, "--cells", "chrome-desktop,android-chrome", "-n", "2")
    assert result.ret == ExitCode.TESTS_FAILED
    assert _by_name(_results(pytester)) == serial


def test_webdriver_cells_keep_the_same_failure_artifacts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo=DEMO)
    _run(pytester, "--cells", "ios-webkit", "-k", "bad")
    run = _results(pytester)
    (bad,) = run.results
    cell = run.cell("ios-webkit")
    if cell is None or cell.engine is None:
        pytest.fail(f"ios-webkit did not run here: {cell and cell.reason}")
    assert bad.status is Status.FAILED and bad.error and "boom" in bad.error.message
    assert bad.artifacts["screenshot"] and bad.artifacts["dom"]
    assert cell.engine["engine"] in ("webkitgtk", "playwright")


def test_pytest_playwright_browser_flag_narrows_the_matrix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo=DEMO)
    _run(pytester, "--cell-set", "default", "--browser", "webkit", "-k", "ok")
    assert {r.cell for r in _results(pytester).results} == {"ios-webkit"}


def test_results_json_is_plain_json_with_the_schema_version(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo=DEMO)
    _run(pytester, "--cells", "chrome-desktop", "-k", "ok")
    data = json.loads((pytester.path / "reports" / "r" / "results.json").read_text())
    assert data["schema_version"] == 2 and data["run"]["id"] == "r"


def test_old_spellings_run_and_each_says_its_new_one_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cell set's old flag, environment variable, ini key and matrix key all still work, each
    with one deprecation line on stderr (not one per xdist worker); the flag's value wins."""
    # Tests that take the cell and start no browser: one item per cell of the set read.
    pytester.makepyfile(
        test_cells="def test_one(cell):\n    pass\n\ndef test_two(cell):\n    pass\n"
    )
    old = MATRIX.read_text(encoding="utf-8").replace("\ncell_sets:", "\nprofiles:")
    line = old.splitlines().index("profiles:") + 1
    (pytester.path / "old.yaml").write_text(old, encoding="utf-8")
    pytester.makeini("[pytest]\ncompat_profile = mobile\n")
    monkeypatch.setenv("COMPAT_PROFILE", "default")
    result = pytester.runpytest_subprocess(
        *PLUGINS,
        "-p",
        "no:cacheprovider",
        "--matrix=old.yaml",
        f"--report-dir={pytester.path / 'reports'}",
        "--run-id=r",
        "--profile=quick",
        "-n",
        "2",
    )
    assert result.ret == ExitCode.OK, result.stdout.str()[-2000:]
    assert "2 workers [2 items]" in result.stdout.str(), result.stdout.str()[-2000:]
    run = _results(pytester).run
    assert (run["cell_set"], run["cells"]) == ("quick", ["chrome-desktop"]), run
    said = [text for text in result.stderr.lines if text.startswith("compat: deprecated: ")]
    assert said == [
        *(
            f"compat: deprecated: {old_spelling}: use {new} instead "
            "(the old spelling is read for one more release)"
            for old_spelling, new in (
                ("--profile", "--cell-set"),
                ("COMPAT_PROFILE", "COMPAT_CELL_SET"),
                ("compat_profile", "compat_cell_set"),
            )
        ),
        f"compat: deprecated: {pytester.path / 'old.yaml'}:{line}: 'profiles' in the matrix is "
        "the old spelling of 'cell_sets'. Fix: rename it to 'cell_sets' (the old key is read for "
        "one more release)",
    ], result.stderr.str()


def test_compat_run_takes_the_old_flag_and_says_so_once(tmp_path: Path) -> None:
    """`compat run --profile` passes the old spelling on; the run reads it and says so once."""
    command = ["run", "--profile", "quick", "--report-dir", str(tmp_path), "--", "--collect-only"]
    done = subprocess.run(
        [sys.executable, "-m", "compat_harness", *command],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("COMPAT_")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == ExitCode.OK, done.stdout[-2000:] + done.stderr[-2000:]
    items = [line for line in done.stdout.splitlines() if "::" in line]
    # The quick set is the desktop cell alone (the default set's phones would be here too).
    assert items and all("[chrome-desktop" in line for line in items), items
    assert done.stderr.count("compat: deprecated:") == 1, done.stderr
    assert "compat: deprecated: --profile: use --cell-set instead" in done.stderr
