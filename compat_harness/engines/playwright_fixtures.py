"""pytest-playwright's fixtures, driven by the cell: one browser per cell and worker, the launch
and connect arguments its Playwright engine gives (system Chromium where Playwright's build is
missing, a Playwright server where the cell says so), and the cell's device in every context. Each
override asks for the fixture it replaces, so pytest-playwright's own options (--headed, --video,
--base-url...) still apply. Registered by the Playwright engines (``pytest_plugins``)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from compat_harness.engines import ENGINES, Resolution
from compat_harness.engines.playwright import PlaywrightEngine, context_args
from compat_harness.matrix import Cell


def _playwright_engine(resolution: Resolution) -> PlaywrightEngine | None:
    chosen = resolution.chosen
    engine = ENGINES.get(chosen.engine) if chosen is not None else None
    return engine if isinstance(engine, PlaywrightEngine) else None


@pytest.fixture(scope="session")
def browser_name(cell: Cell) -> str:
    """pytest-playwright's browser, from the cell (one browser per cell and worker)."""
    return cell.browser


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], cell_resolution: Resolution
) -> dict[str, Any]:
    engine = _playwright_engine(cell_resolution)
    if engine is None or cell_resolution.chosen is None:
        return browser_type_launch_args
    headless = browser_type_launch_args.get("headless", True) is not False  # --headed
    return engine.launch_args(cell_resolution.chosen, browser_type_launch_args, headless=headless)


@pytest.fixture(scope="session")
def connect_options(
    connect_options: dict[str, Any] | None, cell_resolution: Resolution
) -> dict[str, Any] | None:
    engine = _playwright_engine(cell_resolution)
    if engine is None or cell_resolution.chosen is None:
        return connect_options
    return engine.connect_options(cell_resolution.chosen) or connect_options


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], cell: Cell) -> dict[str, Any]:
    """pytest-playwright's context arguments (video, base URL...) plus the cell's device."""
    return {**browser_context_args, **context_args(cell)}


@pytest.fixture(scope="session", autouse=True)
def delete_output_dir() -> None:
    """pytest-playwright empties --output in every worker at start, racing the artifacts other
    workers have already written; each run has a new folder, so there is nothing to empty."""


@pytest.fixture(scope="session")
def _compat_browser_pool() -> Iterator[dict[str, Browser]]:
    """Browsers launched in this worker, by browser and launch options; closed at the end."""
    pool: dict[str, Browser] = {}
    yield pool
    for browser in pool.values():
        with contextlib.suppress(Exception):  # a crashed browser is already gone
            browser.close()


@pytest.fixture(scope="session")
def browser(
    launch_browser: Callable[..., Browser],
    browser_name: str,
    browser_type_launch_args: dict[str, Any],
    connect_options: dict[str, Any] | None,
    _compat_browser_pool: dict[str, Browser],
) -> Browser:
    """pytest-playwright's browser, but one per engine and worker, started once: cells that share a
    browser and launch options (desktop and Android Chromium) share the process; contexts differ."""
    key = json.dumps(
        [browser_name, browser_type_launch_args, connect_options], sort_keys=True, default=str
    )
    browser = _compat_browser_pool.get(key)
    if browser is None or not browser.is_connected():
        browser = _compat_browser_pool[key] = launch_browser()
    return browser
