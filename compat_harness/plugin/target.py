"""The target: checked before anything runs when given as URLs, else the embedded reference app,
started once per worker. Destructive journeys are refused on targets that are not in test mode.
A target that stops answering during the run is found by the first test that fails after it
did (its portals are probed once): that test says so, and every test after it in the process
is "not run: target down" at once, instead of each waiting out its timeouts."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from compat_harness.exitcodes import ExitCode
from compat_harness.outcomes import not_run
from compat_harness.plugin.record import record_error_category, record_target, record_target_down
from compat_harness.plugin.settings import run_of, settings_of
from compat_harness.secrets import SecretsFileError, load_secrets_file
from compat_harness.target import (
    Reachability,
    Target,
    TargetError,
    TestHooks,
    check_health,
    check_urls,
    destructive_refusal,
    external,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "destructive: changes data on the target; refused on non-test targets"
    )
    settings = settings_of(config)
    try:
        check_urls(settings.client_url, settings.provider_url, settings.control_url)
    except TargetError as exc:
        raise pytest.UsageError(str(exc)) from None
    if settings.secrets_file:  # read now: a bad file stops the run before any browser starts
        try:
            load_secrets_file(settings.resolve_path("secrets_file", config.invocation_params.dir))
        except SecretsFileError as exc:
            raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail fast, with one message, when a given target (or the network) is down."""
    config = session.config
    settings = settings_of(config)
    client, provider = settings.client_url, settings.provider_url
    if not client or not provider or not run_of(config).is_controller:
        return
    health = check_health(client, provider, settings.control_url)
    if health.reachability is Reachability.UP:
        return
    code = (
        ExitCode.NETWORK_DOWN
        if health.reachability is Reachability.NETWORK_DOWN
        else ExitCode.TARGET_DOWN
    )
    pytest.exit(health.message, returncode=int(code))


@dataclass
class _Watch:
    """This process's target, and the message once it stopped answering."""

    target: Target | None = None
    down: str | None = None


_WATCH = pytest.StashKey[_Watch]()
_PROBE_SECONDS = 3.0


def _watch(config: pytest.Config) -> _Watch:
    if _WATCH not in config.stash:
        config.stash[_WATCH] = _Watch()
    return config.stash[_WATCH]


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The portals under test: the given URLs, or the embedded reference app (test mode)."""
    settings = settings_of(pytestconfig)
    watch = _watch(pytestconfig)
    if settings.client_url and settings.provider_url:
        watch.target = external(settings.client_url, settings.provider_url)
        yield watch.target
        return
    embedded = pytestconfig.hook.pytest_compat_embedded_target(config=pytestconfig)
    if embedded is None:
        pytest.fail(
            "no target: give --client-url and --provider-url (no plugin of this project starts "
            "an embedded one)",
            pytrace=False,
        )
    try:
        with embedded as app:
            watch.target = app
            yield app
    except TargetError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    """A failure is checked against the target once: if it no longer answers, the failure is
    the target's, and the run knows it (the rest of this process's tests are not run)."""
    report: pytest.TestReport = yield
    watch = _watch(item.config)
    if not report.failed or watch.target is None:
        return report
    if watch.down is None:
        target = watch.target
        health = check_health(target.client_url, target.provider_url, None, _PROBE_SECONDS)
        if health.reachability is Reachability.UP:
            return report
        watch.down = health.message.split(". Fix:")[0] + " (it stopped answering during the run)"
        record_target_down(report, watch.down)
        record_error_category(report, "environment")
        crash = getattr(report.longrepr, "reprcrash", None)
        failed_with = crash.message.splitlines()[0] if crash is not None else ""
        # One message that says what happened, instead of the browser's view of it.
        report.longrepr = f"{watch.down}; this test failed with: {failed_with}"
    elif report.when == "teardown":
        # Cleaning up on a target that is gone fails for that reason alone, said once already.
        report.outcome = "passed"
        report.longrepr = None
    return report


@pytest.fixture(scope="session")
def test_hooks(target: Target) -> TestHooks:
    """Provisioning, clock, outbox and releases; only on test-mode targets."""
    if not target.is_test_target:
        not_run(
            f"needs a test-mode target (provisioning, clock, outbox); {target.client_url} "
            f"reports mode {target.mode!r}"
        )
    return TestHooks(target)


@pytest.fixture(autouse=True)
def _compat_target_guard(request: pytest.FixtureRequest) -> None:
    """Record the target for reports; refuse destructive journeys on non-test targets; after
    the target went down, run nothing more against it."""
    if "target" not in request.fixturenames:
        return
    down = _watch(request.config).down
    if down is not None:
        not_run(f"target down: {down.removeprefix('target down: ')}")
    target: Target = request.getfixturevalue("target")
    record_target(request.node, target.describe())
    if request.node.get_closest_marker("destructive") is None:
        return
    refusal = destructive_refusal(target, settings_of(request.config).allow_destructive)
    if refusal:
        not_run(f"destructive journey refused: {refusal}")
