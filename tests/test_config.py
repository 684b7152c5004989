"""Settings are read once in a documented order: command line > environment > ini > default."""

from __future__ import annotations

import pytest

from compat_harness.config import read_settings
from compat_harness.matrix import Tier


class _Config:
    """The two pytest.Config methods read_settings uses."""

    def __init__(self, options: dict[str, object], ini: dict[str, object]) -> None:
        self.options, self.ini = options, ini

    def getoption(self, name: str, default: object = None) -> object:
        return self.options.get(name, default)

    def getini(self, name: str) -> object:
        return self.ini.get(name)


def _read(
    options: dict[str, object] | None = None,
    env: dict[str, str] | None = None,
    ini: dict[str, object] | None = None,
):  # type: ignore[no-untyped-def]
    return read_settings(_Config(options or {}, ini or {}), env or {})  # type: ignore[arg-type]


def test_defaults() -> None:
    s = _read()
    assert s.profile == "default" and s.cells == () and s.client_url is None
    assert s.fail_on_tiers == (Tier.RECOMMENDED, Tier.SUPPORTED)
    assert s.sources["profile"] == "default"


def test_cli_beats_env_beats_ini() -> None:
    ini = {"compat_profile": "full"}
    assert _read(ini=ini).profile == "full"
    assert _read(env={"COMPAT_PROFILE": "mobile"}, ini=ini).profile == "mobile"
    s = _read({"compat_profile": "quick"}, {"COMPAT_PROFILE": "mobile"}, ini)
    assert s.profile == "quick" and s.sources["profile"] == "command line"


def test_lists_flags_and_pytest_base_url() -> None:
    s = _read(
        {"compat_cells": "ios-webkit, android-chrome", "base_url": "https://x.test"},
        {"COMPAT_ALLOW_DESTRUCTIVE": "yes", "COMPAT_ENGINE": "ios-webkit=webkitgtk"},
    )
    assert s.cells == ("ios-webkit", "android-chrome")
    assert s.client_url == "https://x.test"
    assert s.allow_destructive is True
    assert s.engine_overrides == {"ios-webkit": "webkitgtk"}


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("compat_fail_on", "recommended,great", "--fail-on"),
        ("compat_action_timeout", "soon", "not a number"),
        ("compat_expect_timeout", "-1", "must be positive"),
    ],
)
def test_bad_values_are_usage_errors(option: str, value: str, message: str) -> None:
    with pytest.raises(pytest.UsageError, match=message):
        _read({option: value})
