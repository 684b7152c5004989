"""Engine selection: preference order, fallback, forced engines, and the reasons and install
commands a cell that cannot run is reported with."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from compat_harness import engines
from compat_harness.config import DEFAULTS, Settings, read
from compat_harness.engines import Availability, Engine, EngineKind, Runtime, resolve
from compat_harness.engines import playwright as pw
from compat_harness.engines import webkitgtk as wd
from compat_harness.engines.base import RuntimeOptions
from compat_harness.engines.playwright import PlaywrightEngine, context_args
from compat_harness.engines.webkitgtk import WebKitGTKEngine
from compat_harness.matrix import Cell, load_matrix
from compat_harness.processes import descendants

ROOT = Path(__file__).resolve().parents[1]
MATRIX = load_matrix(ROOT / "matrix" / "default.yaml")


class _Fake(Engine):
    kind = EngineKind.PLAYWRIGHT

    def start(self, cell: Cell, availability: Availability, options: RuntimeOptions) -> Runtime:
        raise NotImplementedError

    def __init__(self, name: str, ok: bool) -> None:
        self.name, self.ok = name, ok  # type: ignore[misc]

    def check(self, cell: Cell, settings: Settings) -> Availability:
        if self.ok:
            return Availability(self.name, True, detail="fake")
        return self.unavailable(f"{self.name} missing", f"install {self.name}")


@pytest.fixture
def fake_engines(monkeypatch: pytest.MonkeyPatch) -> dict[str, Engine]:
    fakes: dict[str, Engine] = {
        "playwright": _Fake("playwright", False),
        "webkitgtk": _Fake("webkitgtk", True),
    }
    monkeypatch.setattr(engines, "ENGINES", fakes)
    return fakes


def test_first_available_engine_in_preference_order_wins(fake_engines: dict[str, Engine]) -> None:
    res = resolve(MATRIX.cells["ios-webkit"], settings=DEFAULTS)
    assert res.ok and res.chosen is not None and res.chosen.engine == "webkitgtk"
    assert res.fell_back
    assert [a.engine for a in res.tried] == ["playwright", "webkitgtk"]


def test_a_cell_with_no_engine_says_why_and_how_to_install(fake_engines: dict[str, Engine]) -> None:
    fake_engines["webkitgtk"] = _Fake("webkitgtk", False)
    res = resolve(MATRIX.cells["ios-webkit"], settings=DEFAULTS)
    assert not res.ok
    assert res.reason == "playwright: playwright missing; webkitgtk: webkitgtk missing"
    assert res.install == "install playwright | install webkitgtk"


def test_a_forced_engine_is_the_only_one_tried(fake_engines: dict[str, Engine]) -> None:
    res = resolve(MATRIX.cells["ios-webkit"], forced="playwright", settings=DEFAULTS)
    assert not res.ok and [a.engine for a in res.tried] == ["playwright"]
    assert (
        "unknown engine"
        in resolve(MATRIX.cells["ios-webkit"], forced="nope", settings=DEFAULTS).reason
    )


def test_playwright_chromium_falls_back_to_the_system_chromium(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        pw, "bundled_executables", lambda: {"chromium": None, "webkit": None, "firefox": None}
    )
    monkeypatch.setattr(pw, "system_chromium", lambda explicit: explicit or "/usr/bin/chromium")
    cell = MATRIX.cells["chrome-desktop"]
    avail = PlaywrightEngine().check(cell, DEFAULTS)
    assert avail.ok and avail.options["executable_path"] == "/usr/bin/chromium"
    assert "--disable-background-networking" in avail.options["args"]
    monkeypatch.setattr(pw, "system_chromium", lambda explicit: None)
    avail = PlaywrightEngine().check(cell, DEFAULTS)
    assert not avail.ok and "playwright install --with-deps chromium" in avail.install
    # Where a setting names the browser (here from the environment), that one or none.
    given = read({}, {"COMPAT_CHROMIUM_PATH": "/nowhere/chromium"})
    assert (
        PlaywrightEngine().check(cell, given).reason
        == "COMPAT_CHROMIUM_PATH=/nowhere/chromium does not exist"
    )


def test_playwright_never_stands_in_a_chromium_for_webkit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        pw,
        "bundled_executables",
        lambda: {"chromium": "/x/chrome", "webkit": None, "firefox": None},
    )
    avail = PlaywrightEngine().check(MATRIX.cells["ios-webkit"], DEFAULTS)
    assert not avail.ok and "WebKit build is not installed" in avail.reason


def test_webkitgtk_needs_its_driver_and_says_which_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wd.shutil, "which", lambda name: None)
    engine, ios = WebKitGTKEngine(), MATRIX.cells["ios-webkit"]
    avail = engine.check(ios, DEFAULTS)
    assert not avail.ok and avail.install == "sudo apt-get install webkit2gtk-driver xvfb"
    assert not engine.check(MATRIX.cells["chrome-desktop"], DEFAULTS).ok
    avail = engine.check(ios, read({}, {"COMPAT_WEBKIT_DRIVER": "/nowhere/WebKitWebDriver"}))
    assert not avail.ok and "COMPAT_WEBKIT_DRIVER=/nowhere/WebKitWebDriver" in avail.reason
    # Any executable stands in for the driver here; the browser is named and missing.
    given = read(
        {}, {"COMPAT_WEBKIT_DRIVER": "/bin/true", "COMPAT_MINIBROWSER": "/nowhere/MiniBrowser"}
    )
    avail = engine.check(ios, given)
    assert avail.reason == "COMPAT_MINIBROWSER=/nowhere/MiniBrowser does not exist"


def test_device_emulation_for_playwright_contexts() -> None:
    android = context_args(MATRIX.cells["android-chrome"])
    assert android["viewport"] == {"width": 412, "height": 915}
    assert android["is_mobile"] and android["has_touch"] and "Android" in android["user_agent"]
    desktop = context_args(MATRIX.cells["chrome-desktop"])
    assert not desktop["has_touch"] and "user_agent" not in desktop


def test_on_this_machine_ios_webkit_runs_on_a_webkit_engine() -> None:
    """Whatever is installed, ios-webkit is never run on Chromium."""
    res = resolve(MATRIX.cells["ios-webkit"], settings=DEFAULTS)
    if not res.ok:
        pytest.skip(f"no WebKit engine here: {res.reason}")
    assert res.chosen is not None
    assert res.chosen.engine == "webkitgtk" or pw.bundled_executables().get("webkit")


def test_webkitgtk_environment_carries_the_device_and_keeps_a_users_gl_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cell = MATRIX.cells["ios-webkit"]
    availability = Availability("webkitgtk", True, options={"driver": "d", "browser": "b"})
    monkeypatch.setenv("DISPLAY", ":99")  # headed on an existing display: no Xvfb started
    monkeypatch.delenv("LP_NUM_THREADS", raising=False)
    env = wd.WebKitGTKRuntime(cell, availability, RuntimeOptions(headed=True))._local_env(":99")
    assert env["DISPLAY"] == ":99"
    assert env["GDK_SCALE"] == "3"  # iPhone 14's pixel ratio
    assert env["LANG"] == env["LC_ALL"] == cell.device.locale.replace("-", "_") + ".UTF-8"
    assert env["LP_NUM_THREADS"] == "0"  # one llvmpipe thread: measured cheaper under Xvfb
    monkeypatch.setenv("LP_NUM_THREADS", "4")
    env = wd.WebKitGTKRuntime(cell, availability, RuntimeOptions(headed=True))._local_env(":99")
    assert env["LP_NUM_THREADS"] == "4"


def test_webkitgtk_paints_without_compositing_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    cell = MATRIX.cells["ios-webkit"]
    availability = Availability("webkitgtk", True, options={"driver": "d", "browser": "b"})
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("WEBKIT_DISABLE_COMPOSITING_MODE", raising=False)
    runtime = wd.WebKitGTKRuntime(cell, availability, RuntimeOptions(headed=True))
    assert runtime._local_env(":99")["WEBKIT_DISABLE_COMPOSITING_MODE"] == "1"  # a quarter less CPU
    assert wd.NO_COMPOSITING_LIMIT in runtime.limits  # reported with the cell
    monkeypatch.setenv("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
    asked = RuntimeOptions(headed=True, settings=read({}, {"COMPAT_WEBKIT_COMPOSITING": "1"}))
    runtime = wd.WebKitGTKRuntime(cell, availability, asked)
    assert "WEBKIT_DISABLE_COMPOSITING_MODE" not in runtime._local_env(":99")
    assert wd.NO_COMPOSITING_LIMIT not in runtime.limits
    monkeypatch.setenv("WEBKIT_DISABLE_COMPOSITING_MODE", "0")  # WebKit's own switch, off
    runtime = wd.WebKitGTKRuntime(cell, availability, RuntimeOptions(headed=True))
    assert runtime._local_env(":99").get("WEBKIT_DISABLE_COMPOSITING_MODE", "0") == "0"
    assert wd.NO_COMPOSITING_LIMIT not in runtime.limits


def _chromium_shared_memory(playwright: Any, launch: dict[str, Any]) -> set[str]:
    """The folders whose files the launched Chromium's processes map as shared memory."""
    # What earlier tests in this worker left behind is not this browser's; other workers' are not
    # below this process.
    before = {proc.pid for proc in descendants(os.getpid())}
    browser = playwright.chromium.launch(**launch)
    try:
        page = browser.new_page()
        page.set_content("<h1>shared memory</h1>")
        page.screenshot()
        folders = set()
        for pid in {proc.pid for proc in descendants(os.getpid())} - before:
            try:
                maps = Path(f"/proc/{pid}/maps").read_text()
            except OSError:
                continue
            for line in maps.splitlines():
                if ".org.chromium." in line:
                    folders.add(os.path.dirname(line.split(maxsplit=5)[-1]))
    finally:
        browser.close()
    return folders


def test_chromium_keeps_shared_memory_in_dev_shm_where_it_has_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import sync_playwright

    # Playwright's --disable-dev-shm-usage is left out only where the folder has room: here a
    # folder with room stands in for /dev/shm, then a missing one, then a container's 64 MB.
    monkeypatch.setattr(pw, "_SHM", tmp_path)
    assert pw.shared_memory_flags() == ["--disable-dev-shm-usage"]
    real = os.statvfs(tmp_path)
    small = os.statvfs_result((*real[:4], (64 << 20) // real.f_frsize, *real[5:]))
    with monkeypatch.context() as m:
        m.setattr(pw.os, "statvfs", lambda path: small)
        assert pw.shared_memory_flags() == []
    engine, cell = PlaywrightEngine(), MATRIX.cells["chrome-desktop"]
    avail = engine.check(cell, DEFAULTS)
    assert avail.ok, avail.reason
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # read by Chromium, started after this
    with sync_playwright() as p:
        monkeypatch.setattr(pw, "_SHM", tmp_path / "absent")
        assert pw.shared_memory_flags() == []
        launch = engine.launch_args(avail, {}, headless=True)
        assert "ignore_default_args" not in launch
        assert _chromium_shared_memory(p, launch) == {str(temp)}  # Playwright's: temp folder
        monkeypatch.setattr(pw, "_SHM", tmp_path)
        launch = engine.launch_args(avail, {"ignore_default_args": ["--mute-audio"]}, headless=True)
        assert launch["ignore_default_args"] == ["--mute-audio", "--disable-dev-shm-usage"]
        assert _chromium_shared_memory(p, launch) == {"/dev/shm"}  # Chromium's own
    assert (
        engine.launch_args(avail, {"ignore_default_args": True}, headless=True)[
            "ignore_default_args"
        ]
        is True
    )
