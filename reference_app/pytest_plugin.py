"""The embedded reference app as the harness's target: a pytest plugin of its own, registered by
this project's conftest.py. With no target URLs given, the harness asks its plugins for the target
it starts itself (``pytest_compat_embedded_target``); this one starts the reference app in test mode
on free loopback ports, with the catalogued defects ``--defects`` switches on. The harness itself
never imports the app: run against any other target, it does not need this plugin."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from compat_harness.target import Target, TargetError
from reference_app.defects import UnknownDefectError, parse_defects

_DEFECTS = pytest.StashKey[tuple[str, ...]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("compat").addoption(
        "--defects",
        default=None,
        dest="compat_defects",
        help="reference app only: catalogued defects to switch on (comma list; see `compat "
        "defects`) [env COMPAT_DEFECTS]",
    )
    parser.addini("compat_defects", help="reference app defects to switch on", default=None)


def _given(config: pytest.Config) -> str:
    """--defects, else COMPAT_DEFECTS, else the ini key (the harness's settings order)."""
    for raw in (
        config.getoption("compat_defects", default=None),
        os.environ.get("COMPAT_DEFECTS"),
        config.getini("compat_defects"),
    ):
        if raw:
            return str(raw)
    return ""


def pytest_configure(config: pytest.Config) -> None:
    from compat_harness.plugin.settings import settings_of

    spec = _given(config)
    if spec and settings_of(config).client_url:
        raise pytest.UsageError(
            "--defects switches faults on in the embedded reference app only; drop it or drop the URLs"
        )
    try:
        config.stash[_DEFECTS] = tuple(sorted(parse_defects(spec)))
    except UnknownDefectError as exc:
        raise pytest.UsageError(f"--defects: {exc} (`compat defects` describes each)") from None


@pytest.hookimpl
def pytest_compat_embedded_target(
    config: pytest.Config,
) -> contextlib.AbstractContextManager[Target]:
    return reference_app(config.stash.get(_DEFECTS, ()))


@contextlib.contextmanager
def reference_app(defects: tuple[str, ...] = ()) -> Iterator[Target]:
    """Start the embedded reference app in test mode; stop it on exit."""
    from compat_harness.processes import child_options
    from reference_app.launcher import AppStartError, start

    try:
        app = start(defects=defects, mode="test", popen_options=child_options())
    except AppStartError as exc:
        raise TargetError(f"the embedded reference app did not start: {exc}") from None
    try:
        info = app.info
        yield Target(
            client_url=info.client_url,
            provider_url=info.provider_url,
            kind="reference",
            mode=info.mode,
            defects=tuple(info.defects),
            version=str(info.version),
            demo={role: dict(account) for role, account in info.demo.items()},
        )
    finally:
        app.stop()
