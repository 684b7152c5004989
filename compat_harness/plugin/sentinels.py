"""Page sentinels in a run: every session a test opens gets one (the engine puts the page watch
into the target's pages); findings are checked after each action, at each step's end and once at
the end of the test body, and travel with the test's report (``plugin.record``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from pathlib import Path

import pytest

from compat_harness.artifacts.capture import Capture
from compat_harness.plugin import record
from compat_harness.plugin.cells import list_cells
from compat_harness.plugin.settings import settings_of
from compat_harness.sentinels import (
    PageWatch,
    Sentinel,
    SentinelFailure,
    SentinelSettings,
    load_sentinel_allowlist,
)
from compat_harness.sentinels.core import origin_of
from compat_harness.session.base import Session

SETTINGS = pytest.StashKey[SentinelSettings]()
SENTINELS = pytest.StashKey[list[Sentinel]]()


@pytest.hookimpl(trylast=True)  # after the matrix is loaded (plugin.cells)
def pytest_configure(config: pytest.Config) -> None:
    settings = settings_of(config)
    path = settings.resolve_path("sentinels_allow", Path(config.rootpath))
    try:
        allowlist = load_sentinel_allowlist(
            path,
            list_cells(config, "sentinels_allow"),
            required=settings.sources["sentinels_allow"] != "default",
        )
    except ValueError as exc:
        raise pytest.UsageError(f"sentinel allowlist: {exc}") from None
    config.stash[SETTINGS] = SentinelSettings(
        enabled=settings.sentinels,
        stuck_after=settings.stuck_after,
        busy_text=tuple(settings.busy_text),
        allowlist=allowlist,
    )


def page_watch(request: pytest.FixtureRequest, touch: bool) -> PageWatch | None:
    """What the test's pages are watched for; None when the sentinels are off."""
    settings = request.config.stash[SETTINGS]
    if not settings.enabled:
        return None
    return PageWatch(target_origins(request), touch, settings)


def target_origins(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """The origins of the target's two portals (none for a test without a target)."""
    if "target" not in request.fixturenames:
        return ()
    target = request.getfixturevalue("target")
    return tuple(dict.fromkeys(origin_of(u) for u in (target.client_url, target.provider_url)))


def watch_session(request: pytest.FixtureRequest, session: Session, capture: Capture) -> None:
    """Give a new session its sentinel (when the watch is on)."""
    watch = page_watch(request, session.cell.touch)
    if watch is None:
        return
    sentinel = Sentinel(session, capture, watch, today=dt.date.today())
    session.sentinel = sentinel
    request.node.stash.setdefault(SENTINELS, []).append(sentinel)


def record_findings(item: pytest.Item) -> None:
    """What the test's sentinels saw, for the results (its report's user properties)."""
    record.record_findings(item, [f for s in item.stash.get(SENTINELS, []) for f in s.findings])


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[SENTINELS] = []  # each attempt (retries) has sessions of its own


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Once the test body has passed, every session's page is looked at one last time; a
    sentinel's failure says which kind of finding failed the test."""
    try:
        yield
        for sentinel in item.stash.get(SENTINELS, []):
            sentinel.final()
    except SentinelFailure as exc:
        record.record_sentinel(item, exc.finding.kind)
        raise
