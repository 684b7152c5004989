"""Which (test, cell) items run and how often: every item's place in the full collection (reports
list results in that order), ``--shard I/N`` (a deterministic slice, so shards merge into the
unsharded run), and ``--retries N`` (pytest-rerunfailures' reruns; a retried pass is flaky)."""

from __future__ import annotations

import pytest

from compat_harness.plugin.settings import settings_of

ORDER_PROPERTY = "compat_order"


def pytest_configure(config: pytest.Config) -> None:
    retries = settings_of(config).retries
    # pytest-rerunfailures reads its option at run time, in every xdist worker alike; an explicit
    # --reruns wins.
    if retries and hasattr(config.option, "reruns") and not config.option.reruns:
        config.option.reruns = retries


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """After every other filter (-k, -m, --browser): number the items, then keep this shard's."""
    for index, item in enumerate(items):
        item.user_properties.append((ORDER_PROPERTY, index))
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
