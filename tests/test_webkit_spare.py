"""The spare WebKitGTK session: the next test's browser starts while a test runs, and is as fresh as
one started on demand (nothing of the previous session's site data), on a screen of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from compat_harness.config import read
from compat_harness.engines import RuntimeOptions, resolve
from compat_harness.engines.webkitgtk import WebKitGTKRuntime
from compat_harness.matrix import load_matrix

MATRIX = load_matrix(Path(__file__).resolve().parents[1] / "matrix" / "default.yaml")


@pytest.fixture
def runtime() -> Iterator[WebKitGTKRuntime]:
    cell = MATRIX.cells["ios-webkit"]
    chosen = resolve(cell, settings=read()).chosen
    assert chosen is not None and chosen.engine == "webkitgtk", resolve(
        cell, settings=read()
    ).reason
    runtime = WebKitGTKRuntime(cell, chosen, RuntimeOptions())
    yield runtime
    runtime.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")


def test_the_next_session_is_started_early_and_is_fresh(
    runtime: WebKitGTKRuntime, pages_url: str
) -> None:
    first, _ = runtime.new_driver()
    first.get(pages_url + "/arrived")
    first.execute_script("document.cookie = 'seen=1; path=/'; localStorage.setItem('seen', '1')")
    assert first.get_cookies()

    spare = runtime._spare
    assert spare is not None  # started as soon as the first session was handed out
    ready_id = spare.result(timeout=30)[0].session_id
    second, _ = runtime.new_driver()
    assert second.session_id == ready_id  # the test got the browser that was already up

    # Both live at once (as a client and a provider in one journey): separate screens for video.
    assert runtime.capture_area(first) != runtime.capture_area(second)
    second.get(pages_url + "/arrived")
    assert second.get_cookies() == []
    assert second.execute_script("return localStorage.getItem('seen')") is None
    runtime.quit(first)
    runtime.quit(second)


def test_stopping_ends_the_spare_too(runtime: WebKitGTKRuntime) -> None:
    driver, _ = runtime.new_driver()
    runtime.quit(driver)
    spare = runtime._spare
    assert spare is not None
    spare.result(timeout=30)
    pids = [p.service.process.pid for p in [*runtime._idle, *runtime._leases.values()]]
    assert len(pids) == 2  # the finished session's driver, kept for reuse, and the spare's
    runtime.stop()
    assert not any(_alive(pid) for pid in pids)
    assert runtime._spare is None
