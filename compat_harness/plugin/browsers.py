"""Browsers per cell. Playwright cells run on pytest-playwright's own fixtures (browser per cell and
worker, a fresh context per test, its --headed/--tracing/--video/--screenshot/--output flags); this
module only makes the cell decide the browser, launch and context arguments. WebDriver cells get a
runtime per worker (display, driver service) and a fresh WebDriver session per test, honouring the
same flags where the engine can. Suites see only the neutral ``session`` / ``new_session``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from compat_harness.artifacts import SCREENSHOT_MODE, ArtifactsRecorder
from compat_harness.engines import Resolution
from compat_harness.engines.base import EngineInfo
from compat_harness.engines.playwright import PlaywrightEngine
from compat_harness.engines.webdriver import BrowserStartError, WebDriverRuntime
from compat_harness.masking import Masking, MaskingError, load_masking
from compat_harness.matrix import Cell
from compat_harness.outcomes import not_run
from compat_harness.plugin.settings import run_of, settings_of
from compat_harness.results import ErrorInfo
from compat_harness.session.base import Session, StepLog, Timeouts

PLAYWRIGHT_ENGINES = ("playwright", "playwright-server")
NewSession = Callable[[], Session]


def pytest_configure(config: pytest.Config) -> None:
    # pytest-playwright's fixtures are overridden by a module registered now, after every
    # entry-point plugin: the last registered definition of a fixture wins, whatever order
    # `-p`, conftest and entry points loaded in.
    from compat_harness.plugin import playwright_fixtures

    if not config.pluginmanager.is_registered(playwright_fixtures):
        config.pluginmanager.register(playwright_fixtures, "compat-playwright-fixtures")
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


# --- WebDriver cells -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _compat_webdriver_runtime(
    cell: Cell, cell_resolution: Resolution, pytestconfig: pytest.Config
) -> Iterator[WebDriverRuntime]:
    assert cell_resolution.chosen is not None
    runtime = WebDriverRuntime(
        cell, cell_resolution.chosen, headed=bool(pytestconfig.getoption("headed", default=False))
    )
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
    request.node.user_properties.append(
        ("compat_steps", json.dumps([s.to_json() for s in log.steps]))
    )


@pytest.fixture(scope="session")
def timeouts(pytestconfig: pytest.Config) -> Timeouts:
    settings = settings_of(pytestconfig)
    return Timeouts(action=settings.action_timeout, expect=settings.expect_timeout)


def _record_engine(request: pytest.FixtureRequest, info: EngineInfo) -> None:
    props = request.node.user_properties
    if not any(name == "compat_engine" for name, _ in props):
        props.append(("compat_engine", json.dumps(info.to_json())))


def _playwright_info(
    request: pytest.FixtureRequest, cell: Cell, resolution: Resolution
) -> EngineInfo:
    browser = request.getfixturevalue("browser")
    headless = not request.config.getoption("headed", default=False)
    assert resolution.chosen is not None
    return PlaywrightEngine.describe(cell, resolution.chosen, browser.version, headless)


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
    from compat_harness.session.playwright import PlaywrightSession
    from compat_harness.session.webdriver import WebDriverSession

    if not cell_resolution.ok:
        not_run(
            f"no engine for {cell.id}: {cell_resolution.reason} (install: {cell_resolution.install})"
        )
    assert cell_resolution.chosen is not None
    settings = settings_of(request.config)
    recorder = ArtifactsRecorder(request, output_path, keep_logs=settings.keep_logs)
    if settings.step_screenshots:
        recorder.screenshot_steps(
            compat_steps, _masking(request.config), run_of(request.config).dir
        )
    webdriver = cell_resolution.chosen.engine not in PLAYWRIGHT_ENGINES
    # Set up before this fixture yields, so pytest-playwright closes its contexts only after this
    # fixture's teardown has saved what the failed pages showed.
    make_context = None if webdriver else request.getfixturevalue("new_context")

    def factory() -> Session:
        session: Session
        if make_context is not None:
            info = _playwright_info(request, cell, cell_resolution)
            page = make_context(**recorder.context_args()).new_page()
            session = PlaywrightSession(page, cell, info, timeouts, compat_steps)
            recorder.attach(session)
        else:
            runtime: WebDriverRuntime = request.getfixturevalue("_compat_webdriver_runtime")
            try:
                driver, info = runtime.new_driver()
            except BrowserStartError as exc:
                request.node.user_properties.append(
                    ("compat_error_category", ErrorInfo(str(exc), category="environment").category)
                )
                pytest.fail(str(exc), pytrace=False)
            session = WebDriverSession(
                driver,
                cell,
                info,
                timeouts,
                compat_steps,
                on_close=lambda: runtime.quit(driver),
                repaint_for_screenshots=runtime.screenshots_need_repaint,
            )
            recorder.attach(session, runtime.capture_area(driver))
        _record_engine(request, info)
        return session

    yield factory
    recorder.finish()  # keeps the failure's artifacts, then closes every session


_MASKING = pytest.StashKey[Masking]()


def _masking(config: pytest.Config) -> Masking:
    """The masking file and --mask selectors, read once per process."""
    if _MASKING not in config.stash:
        settings = settings_of(config)
        path = settings.resolve_path("mask_file", Path(config.rootpath))
        try:
            required = settings.sources["mask_file"] != "default"
            config.stash[_MASKING] = load_masking(path, settings.mask, required=required)
        except MaskingError as exc:
            raise pytest.UsageError(f"masking: {exc}") from None
    return config.stash[_MASKING]


@pytest.fixture
def session(new_session: NewSession) -> Session:
    """A fresh (incognito) browser session on the test's cell, behind the neutral API."""
    return new_session()
