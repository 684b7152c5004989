"""Remote browsers: a run through a Playwright server and through a remote WebDriver endpoint (both
started here on loopback) gives the same results as the same journeys run locally."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from compat_harness.devices import IOS_SAFARI_UA
from compat_harness.engines.playwright import SYSTEM_CHROMIUM_ARGS, system_chromium
from compat_harness.engines.webkitgtk import find_minibrowser
from compat_harness.engines.xvfb import VirtualDisplay
from compat_harness.results import Status
from tests.support.matrix_run import run_suites

JOURNEYS = "test_login_page_loads or test_sign_in_and_out or test_login_fits_the_screen"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(check: object, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


@pytest.fixture(scope="module")
def playwright_server() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "playwright",
            "run-server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--unsafe",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the CLI runs the server as a node child: stop the whole group
    )
    try:
        _wait(
            lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() or True,
            "playwright server",
        )
        yield f"ws://127.0.0.1:{port}/"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def webdriver_server() -> Iterator[str]:
    """A W3C WebDriver endpoint as a grid would offer it: WebKitGTK's driver on its own display."""
    driver = shutil.which("WebKitWebDriver")
    if not driver:
        pytest.fail("WebKitWebDriver is not installed (setup installs webkit2gtk-driver)")
    display = VirtualDisplay(390 * 3 + 64, 844 * 3 + 64)
    env = dict(os.environ, DISPLAY=display.start(), GDK_SCALE="3", LANG="en_US.UTF-8")
    port = _free_port()
    proc = subprocess.Popen(
        [driver, f"--port={port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(
            lambda: urllib.request.urlopen(url + "/status", timeout=1).status == 200,
            "WebKitWebDriver",
        )
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        display.stop()


def test_remote_cells_give_the_same_results_as_local_ones(
    tmp_path: Path, playwright_server: str, webdriver_server: str
) -> None:
    chromium_args = ", ".join(f'"{a}"' for a in SYSTEM_CHROMIUM_ARGS)
    matrix = tmp_path / "matrix.yaml"
    matrix.write_text(
        f"""
cells:
  chrome-desktop: {{device: Desktop 1440, browser: chromium, engines: [playwright], tier: recommended}}
  ios-webkit: {{device: iPhone 14, browser: webkit, engines: [webkitgtk], tier: supported}}
  chrome-via-server:
    # Local in the file; --remote on the command line points it at the server (the CLI path),
    # keeping these launch options for the server's browser.
    device: Desktop 1440
    browser: chromium
    engines: [playwright]
    tier: recommended
    remote:
      url: ws://set-on-the-command-line/
      capabilities: {{executable_path: "{system_chromium()}", args: [{chromium_args}]}}
  ios-via-grid:
    device: iPhone 14
    browser: webkit
    engines: [webdriver]
    tier: supported
    remote:
      url: {webdriver_server}
      capabilities:
        browserName: MiniBrowser
        "webkitgtk:browserOptions":
          binary: "{find_minibrowser()}"
          args: ["--automation", "--full-screen", "--user-agent={IOS_SAFARI_UA}"]
cell_sets:
  all: [chrome-desktop, chrome-via-server, ios-webkit, ios-via-grid]
"""
    )
    run = run_suites(
        [
            "suites/test_login_url.py",
            f"--matrix={matrix}",
            f"--remote=chrome-via-server={playwright_server}",
            "--cell-set=all",
            "-k",
            JOURNEYS,
        ],
        tmp_path / "r",
        versions=False,  # dynamic parity of remote and local engines; the version check needs none
    )
    statuses = {(r.test, r.cell): r.status for r in run.run.results}
    tests = {test for test, _ in statuses}
    assert len(tests) == 6
    for local, remote in (("chrome-desktop", "chrome-via-server"), ("ios-webkit", "ios-via-grid")):
        engine = run.cell(remote).engine
        assert engine and engine["kind"] == "remote", run.cell(remote)
        for test in tests:
            assert statuses[(test, remote)] == statuses[(test, local)] == Status.PASSED, (
                test,
                remote,
                run.output[-3000:],
            )
