"""Browsers per cell: each cell's engine starts a runtime once per worker (browser, driver,
display) and gives each test fresh sessions; the artifacts recorder keeps what the test's outcome
and the --screenshot/--video modes say. Suites see only the neutral ``session`` /
``new_session``; which engine runs a cell is the registry's business (``compat_harness.engines``)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

from compat_harness.artifacts import SCREENSHOT_MODE, ArtifactsRecorder
from compat_harness.engines import (
    ENGINES,
    BrowserStartError,
    Resolution,
    Runtime,
    RuntimeOptions,
    TestContext,
    start,
)
from compat_harness.engines.base import EngineInfo
from compat_harness.masking import Masking, load_masking
from compat_harness.matrix import Cell
from compat_harness.outcomes import not_run
from compat_harness.plugin.record import (
    record_browser_crashed,
    record_engine,
    record_error_category,
    record_steps,
)
from compat_harness.plugin.sentinels import (
    page_watch,
    record_findings,
    watch_session,
)
from compat_harness.plugin.settings import file_setting, run_of, settings_of
from compat_harness.results import ErrorInfo
from compat_harness.session.base import Session, StepLog, Timeouts

NewSession = Callable[[], Session]
SESSIONS = pytest.StashKey[list[Session]]()


def pytest_configure(config: pytest.Config) -> None:
    # Engines' own fixtures (e.g. pytest-playwright's, driven by the cell) are registered now,
    # after every entry-point plugin: the last registered definition of a fixture wins, whatever
    # order `-p`, conftest and entry points loaded in.
    import importlib

    for name in dict.fromkeys(m for e in ENGINES.values() for m in e.pytest_plugins):
        module = importlib.import_module(name)
        if not config.pluginmanager.is_registered(module):
            config.pluginmanager.register(module, f"compat-{name}")
    if settings_of(config).step_screenshots:
        _masking(config)  # a bad masking file stops the run before anything starts
    args = config.invocation_params.args
    given = {a.split("=")[0] for a in args if isinstance(a, str)}
    # A failed cell keeps a screenshot unless the user says otherwise. The harness's recorder takes
    # them, for every engine, once the outcome is known: pytest-playwright would capture every page
    # of every test at context close and discard the passing ones (40-90 ms a test, measured).
    mode = config.getoption("screenshot", default=None) or "off"
    if "--screenshot" not in given and mode == "off":
        mode = "only-on-failure"
    config.stash[SCREENSHOT_MODE] = mode
    if hasattr(config.option, "screenshot"):
        config.option.screenshot = "off"
    # Artifacts live inside the run's report folder, so the report links them.
    if "--output" not in given and hasattr(config.option, "output"):
        config.option.output = str(run_of(config).dir / "artifacts")


@pytest.fixture(scope="session")
def _compat_runtime(
    cell: Cell, cell_resolution: Resolution, pytestconfig: pytest.Config
) -> Iterator[Runtime]:
    """The cell's browser processes in this worker (started once, stopped at the end)."""
    settings = settings_of(pytestconfig)
    options = RuntimeOptions(
        headed=bool(pytestconfig.getoption("headed", default=False)),
        watch_pages=settings.sentinels,
        settings=settings,
    )
    runtime = start(cell_resolution, options)
    yield runtime
    runtime.stop()


# --- the neutral session ---------------------------------------------------------------------------


@pytest.fixture
def compat_steps(request: pytest.FixtureRequest) -> Iterator[StepLog]:
    """The test's named steps, shown in reports (and as Allure steps when Allure is on)."""
    log = StepLog()
    if request.config.pluginmanager.hasplugin("allure_pytest"):
        import allure

        log.listeners.append(allure.step)
    yield log
    record_steps(request.node, (s.to_json() for s in log.steps))


@pytest.fixture(scope="session")
def timeouts(pytestconfig: pytest.Config) -> Timeouts:
    settings = settings_of(pytestconfig)
    return Timeouts(action=settings.action_timeout, expect=settings.expect_timeout)


def _record_engine(request: pytest.FixtureRequest, info: EngineInfo) -> None:
    record_engine(request.node, info.to_json())


def _start_failed(request: pytest.FixtureRequest, error: BrowserStartError) -> None:
    record_error_category(request.node, ErrorInfo(str(error), category="environment").category)
    pytest.fail(str(error), pytrace=False)


@pytest.fixture
def new_session(
    request: pytest.FixtureRequest,
    cell: Cell,
    cell_resolution: Resolution,
    compat_steps: StepLog,
    timeouts: Timeouts,
    output_path: str,
) -> Iterator[NewSession]:
    """Open another fresh session (context) on this test's cell, e.g. a provider beside a client."""
    if not cell_resolution.ok:
        not_run(
            f"no engine for {cell.id}: {cell_resolution.reason} (install: {cell_resolution.install})"
        )
    settings = settings_of(request.config)
    recorder = ArtifactsRecorder(request, output_path, keep_logs=settings.keep_logs)
    if settings.step_screenshots:
        recorder.screenshot_steps(
            compat_steps, _masking(request.config), run_of(request.config).dir
        )
    runtime: Runtime = request.getfixturevalue("_compat_runtime")
    test = TestContext(
        steps=compat_steps,
        timeouts=timeouts,
        scratch=recorder.scratch,
        video=recorder.video,
        fixture=request.getfixturevalue,
        test_name=request.node.nodeid,
        watch=page_watch(request, cell.touch),
    )
    try:
        open_session = runtime.for_test(test)
    except BrowserStartError as exc:
        _start_failed(request, exc)

    def factory() -> Session:
        try:
            opened = open_session()
        except BrowserStartError as exc:
            _start_failed(request, exc)
        recorder.attach(opened.capture)
        request.node.stash.setdefault(SESSIONS, []).append(opened.session)
        watch_session(request, opened.session, opened.capture)
        _record_engine(request, opened.session.info)
        return opened.session

    yield factory
    record_findings(request.node)
    recorder.finish()  # keeps the failure's artifacts, then closes every session


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    """A test that failed because its browser died (killed, crashed) says so: its cell's next
    test starts the browser again, so this is the environment, not the product."""
    report: pytest.TestReport = yield
    if report.failed and call.when == "call":
        gone = [s for s in item.stash.get(SESSIONS, []) if _crashed(s)]
        if gone:
            record_error_category(report, "environment")
            record_browser_crashed(report, f"{gone[0].info.browser} {gone[0].info.version}")
    return report


def _crashed(session: Session) -> bool:
    try:
        return session.crashed()
    except Exception:  # asking failed too: the browser is gone
        return True


_MASKING = pytest.StashKey[Masking]()


def _masking(config: pytest.Config) -> Masking:
    """The masking file and --mask selectors, read once per process."""
    mask = settings_of(config).mask
    return file_setting(
        config,
        _MASKING,
        "mask_file",
        lambda path, required: load_masking(path, mask, required=required),
        "masking",
    )


@pytest.fixture
def session(new_session: NewSession) -> Session:
    """A fresh (incognito) browser session on the test's cell, behind the neutral API."""
    return new_session()
