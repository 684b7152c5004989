"""Navigation and screenshots mean the same on every engine: a page that sends itself elsewhere
from its script before it finishes loading (as a signed-out dashboard sends to the login page) lands
where a person would land, and a page where nothing moves can still be photographed (WebKitGTK
without compositing answers a screenshot only after a repaint); and an earlier visit is over only
once what it stores has landed."""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compat_harness.config import read
from compat_harness.engines import RuntimeOptions, TestContext, resolve, start
from compat_harness.expect import expect
from compat_harness.matrix import load_matrix
from compat_harness.session.base import Session, StepLog, Timeouts
from compat_harness.storage import settle

MATRIX = load_matrix(Path(__file__).resolve().parents[1] / "matrix" / "default.yaml")


@pytest.fixture(params=["chrome-desktop", "ios-webkit"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    """A session opened the way the plugin opens one, through the cell's engine (standalone)."""
    resolution = resolve(MATRIX.cells[request.param], settings=read())
    assert resolution.ok, f"{request.param} cannot run here: {resolution.reason}"
    runtime = start(resolution, RuntimeOptions())
    try:
        opened = runtime.for_test(TestContext(StepLog(), Timeouts(navigation=10), tmp_path))()
        yield opened.session
        opened.session.close()
    finally:
        runtime.stop()


def test_a_redirect_from_script_before_load_lands_on_its_page(
    session: Session, pages_url: str
) -> None:
    session.goto(pages_url + "/leaves")
    expect(session.role("heading", "Arrived", exact=True)).to_be_visible()
    assert session.url == pages_url + "/arrived"


def test_an_earlier_visit_is_over_once_what_it_stores_has_landed(
    session: Session, pages_url: str
) -> None:
    session.goto(pages_url + "/stores-late")
    expect(session.role("heading", "Stores late", exact=True)).to_be_visible()
    landed = """async () => [await caches.has('late'), await new Promise(function (done) {
      const db = indexedDB.open('late', 1);
      db.onsuccess = function () {
        const count = db.result.transaction('notes').objectStore('notes').count();
        count.onsuccess = function () { db.result.close(); done(count.result); };
      };
    })]"""
    session.evaluate("() => { storeLater(); }")
    settle(session)
    assert session.evaluate(landed) == [True, 1]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("masked", [False, True], ids=["plain", "masked"])
def test_a_page_where_nothing_moves_is_photographed(
    session: Session, pages_url: str, tmp_path: Path, masked: bool
) -> None:
    session.goto(pages_url + "/still")
    expect(session.role("heading", "Nothing moves", exact=True)).to_be_visible()
    shot = tmp_path / "still.png"
    started = time.monotonic()
    session.screenshot(str(shot), mask=[session.css("#secret")] if masked else None)
    assert time.monotonic() - started < 5
    vp, scale = session.cell.device.viewport, session.cell.device.scale
    assert _png_size(shot) == (round(vp.width * scale), round(vp.height * scale))
    # The helpers painted for the picture are gone again.
    assert session.evaluate("() => document.querySelectorAll('[id^=__compat]').length") == 0


def test_the_page_server_is_quiet_when_a_browser_leaves_a_page_mid_load(
    pages_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """A page left while its slow image loads drops that request: no traceback in the output."""
    import socket

    host, port = pages_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"GET /slow.png HTTP/1.1\r\nHost: x\r\n\r\n")
        # Closed with unread data queued: the server's late answer meets a reset connection.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    time.sleep(2.5)  # the server answers /slow.png after 2 s
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
