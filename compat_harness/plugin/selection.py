"""Which (test, cell) items run and how often: every item's place in the full collection (reports
list results in that order), ``--shard I/N`` (a deterministic slice, so shards merge into the
unsharded run), and ``--retries N`` (pytest-rerunfailures' reruns; a retried pass is flaky)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from compat_harness.plugin.record import record_order
from compat_harness.plugin.settings import settings_of

if TYPE_CHECKING:
    from compat_harness.support.steps import Steps


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "steps_journey: replays --steps (left out of runs without it)"
    )
    if settings_of(config).steps:  # a bad steps file stops the run before anything starts
        _load_steps(config)
    retries = settings_of(config).retries
    # pytest-rerunfailures reads its option at run time, in every xdist worker alike; an explicit
    # --reruns wins.
    if retries and hasattr(config.option, "reruns") and not config.option.reruns:
        config.option.reruns = retries


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The steps journey takes its portal (and whether it may change data) from --steps."""
    if metafunc.definition.get_closest_marker("steps_journey") is None:
        return
    path = settings_of(metafunc.config).steps
    if not path:
        metafunc.parametrize("portal", [], ids=[])  # deselected below; never runs without steps
        return
    steps = _load_steps(metafunc.config)
    if steps.may_change_data:
        metafunc.definition.add_marker(pytest.mark.destructive)
    metafunc.parametrize("portal", [steps.portal], ids=[steps.portal.value])


def _load_steps(config: pytest.Config) -> Steps:
    from compat_harness.support.steps import StepsError, load_steps

    path = settings_of(config).steps
    if path is None:
        raise pytest.UsageError("the steps journey needs --steps FILE")
    try:
        return load_steps(path)
    except StepsError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """After every other filter (-k, -m, --browser): drop the steps journey when there are no
    steps to replay, number the items, then keep this shard's."""
    if not settings_of(config).steps:
        dropped = [item for item in items if item.get_closest_marker("steps_journey") is not None]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if item not in dropped]
    for index, item in enumerate(items):
        record_order(item, index)
    shard = settings_of(config).shard
    if shard is None:
        return
    i, n = shard
    # Round robin over the collection order: deterministic (every shard and xdist worker
    # collects the same list) and balanced across tests and cells alike.
    keep = [item for index, item in enumerate(items) if index % n == i - 1]
    dropped = [item for index, item in enumerate(items) if index % n != i - 1]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep
