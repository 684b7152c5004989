"""Real remote engines, started here on loopback once for this module: a Selenium Grid 4 (a hub,
a node serving Chromium through Debian's chromedriver, relay nodes in front of WebKitWebDriver under
Xvfb) and Appium 3 with its Chromium driver. The default journeys run through them with two
workers and give the same results as the local cells; the grid's own failures (no node for the
capabilities, a queue that times out, a node killed mid-test) are clear and fail only their cells;
taps on a touch cell are real touch events."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from compat_harness.engines.appium import start_local_appium
from compat_harness.engines.selenium_grid import LocalGrid, start_local_grid
from compat_harness.engines.servers import ServerProcess, chrome_options
from compat_harness.engines.webdriver import WebDriverRuntime
from compat_harness.engines.webkitgtk import find_minibrowser
from compat_harness.results import Status
from tests.support.matrix_run import child_env, child_pytest, describe, run_suites

pytestmark = pytest.mark.xdist_group("remote-engines")  # one grid and one Appium per test run

DEFAULT = ("chrome-desktop", "ios-webkit", "android-chrome")
# The remote twin of each default cell.
TWINS = {
    "grid-chrome-desktop": "chrome-desktop",
    "grid-ios-webkit": "ios-webkit",
    "grid-android-chrome": "android-chrome",
    "appium-android-chrome": "android-chrome",
}
# Playwright on the grid is Playwright's own session code (the local cells' code) with the browser
# on a node: it runs the journeys that cross what the grid changes for it (a second browser from
# the grid, the phone's viewport, user agent and taps, profiles, clearing); the WebDriver twins,
# whose code differs from the local cells', run every journey.
PLAYWRIGHT_GRID_TWIN = "grid-android-chrome"
PLAYWRIGHT_GRID_JOURNEYS = (
    "test_login_fits_the_screen",
    "test_sign_in_and_out",
    "test_book_then_the_provider_confirms",
    "test_sign_in_reaches_the_dashboard",
    "test_clearing",
)


# Session-scoped: one grid and one Appium for the run, however the scheduler orders this group's
# tests among other files' (a module fixture is stopped whenever another module's test comes next).
@pytest.fixture(scope="session")
def grid() -> Iterator[LocalGrid]:
    # Two workers, each with a test's session(s) and the next test's spare.
    grid = start_local_grid(chromium_slots=5, webkit_slots=4)
    yield grid
    grid.stop()


@pytest.fixture(scope="session")
def appium() -> Iterator[str]:
    url, servers = start_local_appium()
    yield url
    servers.stop()


def _chrome_options(*, shell: bool = True) -> str:
    return '"goog:chromeOptions": ' + json.dumps(chrome_options(shell=shell))


def _matrix(
    path: Path, grid_url: str, appium_url: str, extra: str = "", *, spare: bool = False
) -> Path:
    chrome = _chrome_options()
    appium_chrome = _chrome_options(shell=False)
    spare_flow = "spare: true, " if spare else ""
    spare_block = "spare: true\n      " if spare else ""
    path.write_text(
        f"""
cells:
  chrome-desktop: {{device: Desktop 1440, browser: chromium, engines: [playwright], tier: recommended}}
  ios-webkit: {{device: iPhone 14, browser: webkit, engines: [webkitgtk], tier: supported}}
  android-chrome: {{device: Pixel 7, browser: chromium, engines: [playwright], tier: supported}}
  grid-chrome-desktop:
    device: Desktop 1440
    browser: chromium
    engines: [selenium-grid]
    tier: recommended
    remote: {{{spare_flow}url: "{grid_url}", capabilities: {{{chrome}}}}}
  grid-ios-webkit:
    device: iPhone 14
    browser: webkit
    engines: [selenium-grid]
    tier: supported
    remote:
      {spare_block}url: "{grid_url}"
      capabilities:
        browserName: MiniBrowser
        "webkitgtk:browserOptions": {{binary: "{find_minibrowser()}"}}
  grid-android-chrome:
    # Playwright on the grid: the browser is a grid session, driven over the grid's CDP.
    device: Pixel 7
    browser: chromium
    engines: [playwright-grid]
    tier: supported
    remote: {{url: "{grid_url}", capabilities: {{{chrome}}}}}
  appium-android-chrome:
    device: Pixel 7
    browser: chromium
    engines: [appium]
    tier: supported
    remote:
      {spare_block}url: "{appium_url}"
      capabilities:
        platformName: linux
        "appium:automationName": Chromium
        "appium:executable": /usr/bin/chromedriver
        {appium_chrome}
{extra}
cell_sets:
  default: [chrome-desktop, ios-webkit, android-chrome]
  twins: [grid-chrome-desktop, grid-ios-webkit, grid-android-chrome, appium-android-chrome]
"""
    )
    return path


def test_default_journeys_through_the_grid_and_appium_match_the_local_cells(
    tmp_path: Path, grid: LocalGrid, appium: str
) -> None:
    """Every default journey passes on each WebDriver twin, and the Playwright-on-grid twin's
    share on it, as they do on the local cells against the clean app (tests/test_detection.py
    runs them there): all passed, or not applicable for what the run lacks."""
    # Spares on, as a user with a grid of their own would run it (the other tests keep the
    # default, one session per test).
    matrix = _matrix(tmp_path / "matrix.yaml", grid.url, appium, spare=True)
    # Nothing is expected to fail: the timeouts only guard against a loaded machine.
    run = run_suites(
        ["suites"],
        tmp_path / "r",
        args=(
            f"--matrix={matrix}",
            "--cell-set=twins",
            "-k",
            " or ".join((f"not {PLAYWRIGHT_GRID_TWIN}", *PLAYWRIGHT_GRID_JOURNEYS)),
            "-n",
            "2",
            "--shuffle",
            "3",
            "--expect-timeout",
            "10",
            "--action-timeout",
            "15",
        ),
        timeout=2400,
        versions=False,
    )
    tests_of: dict[str, set[str]] = {}
    for r in run.run.results:
        tests_of.setdefault(r.cell, set()).add(r.test)
    for remote in TWINS:
        cell = run.cell(remote)
        engine = cell.engine or {}
        assert cell.status == "ran" and engine.get("kind") == "remote", cell
    assert set(tests_of) == set(TWINS), tests_of.keys()
    everything = set.union(*tests_of.values())
    assert len(everything) >= 50, sorted(everything)  # the default journeys, all of them
    for remote, tests in tests_of.items():
        expected = everything
        if remote == PLAYWRIGHT_GRID_TWIN:
            expected = {t for t in everything if any(j in t for j in PLAYWRIGHT_GRID_JOURNEYS)}
            assert len(expected) >= 10, sorted(expected)
        assert tests == expected, f"{remote} lacks {sorted(expected - tests)}"
    bad = [r for r in run.run.results if r.status not in (Status.PASSED, Status.NOT_APPLICABLE)]
    assert not bad, describe({(r.test, r.cell) for r in bad}, run.run.results)
    # Not applicable only for what the run lacks (e.g. no --control-url), never for what an
    # engine lacks: the same test, on every twin, for the same reason, as on the local cells.
    reasons: dict[str, set[tuple[str, str]]] = {}
    for r in run.run.results:
        if r.status is Status.NOT_APPLICABLE:
            reasons.setdefault(r.test, set()).add((r.cell, r.reason))
    for test, seen in reasons.items():
        ran = {cell for cell, tests in tests_of.items() if test in tests}
        assert {cell for cell, _ in seen} == ran and len({why for _, why in seen}) == 1, (
            test,
            seen,
        )
    assert (run.cell("grid-android-chrome").engine or {}).get("engine") == "playwright-grid"
    appium_engine = run.cell("appium-android-chrome").engine or {}
    # The device's own viewport and user agent, as the browser reported them, are recorded.
    assert appium_engine["viewport"] == "412x915", appium_engine
    assert "Android" in appium_engine["user_agent"] and appium_engine["touch_events"]
    assert appium_engine["engine"] == "appium" and "Appium" in appium_engine["build"]


@pytest.mark.parametrize("spare", [True, False], ids=["spare", "no-spare"])
def test_a_remote_cell_keeps_the_next_session_ready_only_when_asked(
    tmp_path: Path, grid: LocalGrid, appium: str, spare: bool
) -> None:
    """``remote.spare: true``: the next test's session starts while a test runs, and the next
    test gets it; without it (the default: a cloud grid bills idle sessions) none is started."""
    matrix = _matrix(tmp_path / "m.yaml", grid.url, appium, spare=spare)
    for cell_id in ("appium-android-chrome", "grid-ios-webkit"):
        with _runtime(matrix, cell_id) as runtime:
            first, _ = runtime.new_driver()
            if not spare:
                assert runtime._spare is None, cell_id
                runtime.quit(first)
                continue
            assert runtime._spare is not None, cell_id
            ready = runtime._spare.result(timeout=60)[0].session_id
            second, _ = runtime.new_driver()
            assert second.session_id == ready != first.session_id, cell_id
            runtime.quit(first)
            runtime.quit(second)


@contextlib.contextmanager
def _runtime(matrix: Path, cell_id: str) -> Iterator[WebDriverRuntime]:
    """A cell's WebDriver runtime, stopped at the end of the block."""
    from compat_harness.config import read
    from compat_harness.engines import RuntimeOptions, resolve, start
    from compat_harness.matrix import load_matrix

    resolution = resolve(load_matrix(matrix).cells[cell_id], settings=read())
    assert resolution.ok, resolution.reason
    runtime = start(resolution, RuntimeOptions())
    assert isinstance(runtime, WebDriverRuntime)
    try:
        yield runtime
    finally:
        runtime.stop()


def test_grid_sessions_are_driven_on_their_node_where_it_can_be_reached(
    tmp_path: Path, grid: LocalGrid, appium: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A grid session's commands go to the node that holds it (one relay, not router and node),
    and the grid still knows the session until it ends; a node this machine cannot reach keeps
    the grid's own URL."""
    from compat_harness.engines import selenium_grid
    from compat_harness.engines.selenium_grid import grid_status, held_sessions, session_node

    def sessions() -> set[str]:
        return set(held_sessions(grid_status(grid.url)))

    matrix = _matrix(tmp_path / "m.yaml", grid.url, appium)
    for cell_id in ("grid-ios-webkit", "grid-chrome-desktop"):
        with _runtime(matrix, cell_id) as runtime:
            driver, _ = runtime.new_driver()
            sent_to = driver.command_executor._client_config.remote_server_addr
            node = session_node(grid.url, driver.session_id)
            assert node and sent_to == node != grid.url, (cell_id, sent_to, node)
            assert driver.execute_script("return 6 * 7") == 42
            assert driver.session_id in sessions()
            runtime.quit(driver)
            # Ended through the router, as the grid expects. Its status may still list the
            # session for some milliseconds (seen on the WebKit relay: the distributor hears of
            # the end by an event).
            assert driver.command_executor._client_config.remote_server_addr == grid.url
            deadline = time.monotonic() + 10
            while driver.session_id in sessions() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert driver.session_id not in sessions(), cell_id

    # A grid that lists the session's node at an address nobody answers on.
    status = grid_status(grid.url)
    for node in status["nodes"]:
        node["uri"] = "http://127.0.0.1:9"  # the discard port: nothing listens here
        for slot in node["slots"]:
            slot["session"] = {"sessionId": "s1"}
    monkeypatch.setattr(selenium_grid, "grid_status", lambda url, timeout=5.0: status)
    assert held_sessions(status) == {"s1": "http://127.0.0.1:9"}
    assert session_node(grid.url, "s1") is None


def test_taps_on_remote_touch_cells_are_real_touch_events(
    tmp_path: Path, grid: LocalGrid, appium: str
) -> None:
    """The touch-only defect (a touchend handler cancels the tap's click) shows on the remote
    phone cells exactly as on the local one: their taps are W3C touch pointer actions."""
    matrix = _matrix(tmp_path / "matrix.yaml", grid.url, appium)
    run = run_suites(
        [
            "suites/test_login_url.py",
            f"--matrix={matrix}",
            "--cells=android-chrome,grid-android-chrome,appium-android-chrome,grid-chrome-desktop",
            "-k",
            "test_sign_in_and_out",
        ],
        tmp_path / "r",
        defects=("touch-submit",),
        versions=False,
    )
    by_cell: dict[str, set[Status]] = {}
    for r in run.run.results:
        by_cell.setdefault(r.cell, set()).add(r.status)
    assert by_cell["android-chrome"] == {Status.FAILED}, by_cell
    assert by_cell["grid-android-chrome"] == {Status.FAILED}, describe(
        run.with_status(Status.PASSED), run.run.results
    )
    assert by_cell["appium-android-chrome"] == {Status.FAILED}, by_cell
    assert by_cell["grid-chrome-desktop"] == {Status.PASSED}, by_cell  # mouse clicks still work


def test_a_cell_no_grid_node_serves_is_not_run_with_what_the_grid_offers(
    tmp_path: Path, grid: LocalGrid, appium: str
) -> None:
    extra = f"""
  grid-firefox:
    device: Desktop 1440
    browser: firefox
    engines: [selenium-grid]
    tier: supported
    remote: {{url: "{grid.url}"}}
"""
    matrix = _matrix(tmp_path / "matrix.yaml", grid.url, appium, extra)
    run = run_suites(
        [
            "suites/test_login_url.py",
            f"--matrix={matrix}",
            "--cells=grid-firefox,grid-chrome-desktop",
            "-k",
            "test_login_page_loads",
        ],
        tmp_path / "r",
        versions=False,
    )
    firefox = run.cell("grid-firefox")
    assert firefox.status == "not_run", firefox
    assert "no node of the Selenium Grid" in firefox.reason and "'firefox'" in firefox.reason
    assert "chrome" in firefox.reason and "MiniBrowser" in firefox.reason, firefox.reason
    assert "add a node" in firefox.install
    assert {r.status for r in run.run.results if r.cell == "grid-chrome-desktop"} == {Status.PASSED}


def test_a_full_grid_queue_times_out_with_a_clear_reason(tmp_path: Path, appium: str) -> None:
    """One Chromium slot and a short queue: the journey that needs a second browser (the provider
    confirms) cannot get one; its test fails saying so, single-browser tests pass."""
    # The grid's timeout also covers the browser's start on the node: 3 s was once too short for
    # the first, single-browser session on a loaded CI machine.
    small = start_local_grid(chromium_slots=1, webkit_slots=0, queue_timeout=10)
    try:
        matrix = _matrix(tmp_path / "matrix.yaml", small.url, appium)
        run = run_suites(
            [
                # The single-browser journey first, so that it never waits for the slot the
                # timed-out request leaves behind.
                "suites/test_booking.py::test_psychiatry_is_video_only",
                "suites/test_booking.py::test_book_then_the_provider_confirms",
                f"--matrix={matrix}",
                "--cells=grid-chrome-desktop",
            ],
            tmp_path / "r",
        )
    finally:
        small.stop()
    results = {r.test.rpartition("::")[2]: r for r in run.run.results}
    confirm = results["test_book_then_the_provider_confirms"]
    assert confirm.status is Status.FAILED and confirm.error is not None
    assert "queued the new session" in confirm.error.message, confirm.error.message
    assert confirm.error.category == "environment"
    single = results["test_psychiatry_is_video_only"]
    assert single.status is Status.PASSED, single.error


KILLED = """
import os, pathlib, time
import pytest

pytestmark = pytest.mark.journey("node-killed", portal="client")

@pytest.mark.parametrize("n", [1, 2])
def test_uses_the_grid(session, target, n):
    session.goto(target.url("client", "/login"))
    if n == 1:
        pathlib.Path(os.environ["READY_FILE"]).write_text(session.cell.id)
        deadline = time.monotonic() + 60
        while not pathlib.Path(os.environ["KILLED_FILE"]).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    session.goto(target.url("client", "/login?again=1"))
    assert session.title()
"""


def test_a_node_killed_mid_test_fails_that_test_only(
    tmp_path: Path, grid: LocalGrid, appium: str
) -> None:
    """The WebKit relay node serving a test (and its driver) is killed while the test runs: that
    test fails on that cell; the cell's next test gets a session on another node; other cells are
    untouched."""
    import subprocess

    from tests.support.matrix_run import ROOT

    suite = tmp_path / "test_node_killed.py"
    suite.write_text(KILLED)
    matrix = _matrix(tmp_path / "matrix.yaml", grid.url, appium)
    ready, killed = tmp_path / "ready", tmp_path / "killed"
    env = child_env(READY_FILE=str(ready), KILLED_FILE=str(killed))
    cmd = child_pytest(
        suite, tmp_path / "r", f"--matrix={matrix}", "--cells=grid-ios-webkit,chrome-desktop"
    )
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert ready.exists(), proc.communicate()[0].decode()[-3000:]
    # The relay nodes' drivers: kill every WebKitWebDriver that has a session (its browser with
    # it) and its relay node, as a crashed machine would.
    busy = _busy_webkit_servers(grid)
    assert busy, "no WebKit relay is serving a session"
    for server in busy:
        os.killpg(server.proc.pid, signal.SIGKILL)
    killed.write_text("x")
    output = proc.communicate(timeout=300)[0].decode()
    results = json.loads((tmp_path / "r" / "run" / "results.json").read_text())["results"]
    by = {(r["test"].rpartition("[")[2].rstrip("]"), r["cell"]): r for r in results}
    first = by[("1", "grid-ios-webkit")]
    assert first["status"] == "failed", output[-3000:]
    assert by[("2", "grid-ios-webkit")]["status"] == "passed", output[-3000:]
    assert (
        by[("1", "chrome-desktop")]["status"] == by[("2", "chrome-desktop")]["status"] == "passed"
    )


def _busy_webkit_servers(grid: LocalGrid) -> list[ServerProcess]:
    """The relay node and WebKitWebDriver pairs whose driver has a live session."""

    busy = []
    for server in grid.servers.processes:
        if not server.name.startswith("webkitwebdriver-"):
            continue
        port = next(a for a in server.proc.args if str(a).startswith("--port="))  # type: ignore[union-attr]  # args is the command list
        url = f"http://127.0.0.1:{str(port).partition('=')[2]}/status"
        with urllib.request.urlopen(url, timeout=5) as response:
            status = json.loads(response.read())["value"]
        if not status.get("ready", True):  # WebKitWebDriver is not ready while it has a session
            index = server.name.rpartition("-")[2]
            busy += [server, grid.node(f"node-webkit-{index}")]
    return busy
