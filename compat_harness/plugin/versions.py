"""The version check in a run: every process collects what the target served (from the engines'
capture), and the controller lints it once at the end, adding one row per cell to the results
(``compat_harness.versions``). ``--versions off`` leaves the rows out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any

import pytest

from compat_harness.plugin.cells import list_cells, plan_of
from compat_harness.plugin.settings import file_setting, run_of, settings_of
from compat_harness.results import TestResult
from compat_harness.versions import collect
from compat_harness.versions.allow import Allowlist, load_allowlist
from compat_harness.versions.check import rows, run_check

_ALLOWLIST = pytest.StashKey[Allowlist]()


@pytest.hookimpl(trylast=True)  # after the matrix is loaded (plugin.cells)
def pytest_configure(config: pytest.Config) -> None:
    settings = settings_of(config)
    if not settings.versions:
        return
    run = run_of(config)
    if run.is_controller:
        file_setting(
            config,
            _ALLOWLIST,
            "versions_allow",
            lambda path, required: load_allowlist(
                path, list_cells(config, "versions_allow"), required=required
            ),
            "versions allowlist",
        )
    collect.start(run.dir, run.worker or "main")


def pytest_unconfigure(config: pytest.Config) -> None:
    collect.stop()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: Any
) -> Generator[None, Any, Any]:
    """The target's origins are what is collected; what WebDriver pages only listed is fetched
    just before the target stops (a finalizer added now runs before the target's own)."""
    value = yield
    collector = collect.active()
    if fixturedef.argname == "target" and collector is not None:
        collector.target(getattr(value, "client_url", ""), getattr(value, "provider_url", ""))
        fixturedef.addfinalizer(collector.fetch_listed)
    return value


def version_rows(config: pytest.Config, *, interrupted: bool) -> list[TestResult]:
    """The controller's check at the end of the run: one row per selected cell."""
    if not settings_of(config).versions or not collect.had_target(run_of(config).dir):
        return []  # no target, nothing the rows could be about
    cells = plan_of(config).cells
    run = run_of(config)
    today = dt.date.fromtimestamp(run.started)
    allowlist = config.stash.get(_ALLOWLIST, Allowlist())
    if interrupted:
        return rows(cells, None, allowlist, today, not_run="interrupted before the check")
    return rows(cells, run_check(run.dir, cells), allowlist, today)
