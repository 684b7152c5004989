"""Settings are read once in a documented order: command line > environment > ini > default."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from compat_harness.config import (
    DEFAULTS,
    OPTIONS,
    SettingError,
    Settings,
    markdown_table,
    project_ini,
    read,
)
from compat_harness.matrix import Tier
from compat_harness.plugin.settings import read_settings


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
) -> Settings:
    return read_settings(_Config(options or {}, ini or {}), env or {})  # type: ignore[arg-type]


def test_defaults() -> None:
    s = _read()
    assert s.profile == "default" and s.cells == () and s.client_url is None
    assert s.fail_on == (Tier.RECOMMENDED, Tier.SUPPORTED)
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


def test_the_table_gives_every_setting_a_flag_an_env_and_an_ini_key() -> None:
    names = [f.name for f in dataclasses.fields(Settings) if f.name != "sources"]
    assert [opt.dest for opt in OPTIONS] == names
    for opt in OPTIONS:
        assert opt.flag == "--" + opt.dest.replace("_", "-")
        assert opt.env == "COMPAT_" + opt.dest.upper()
        assert opt.ini == "compat_" + opt.dest
        assert opt.help
    assert read({}, {}) == DEFAULTS


def test_read_outside_pytest_names_the_source_of_a_bad_value() -> None:
    with pytest.raises(SettingError, match=r"--retries \(env COMPAT_RETRIES\) 'x' is not a whole"):
        read({}, {"COMPAT_RETRIES": "x"})
    with pytest.raises(SettingError, match=r"--shard \(ini compat_shard\)"):
        read({}, {}, {"shard": "5/4"})
    s = read({"retries": "2"}, {"COMPAT_RETRIES": "1"})
    assert s.retries == 2 and s.given("retries") and not s.given("profile")


def test_project_ini_reads_the_compat_keys_of_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ncompat_profile = "quick"\naddopts = "-q"\n'
    )
    assert project_ini(tmp_path) == {"profile": "quick"}
    assert read({}, {}, project_ini(tmp_path)).sources["profile"] == "ini compat_profile"
    (tmp_path / "pyproject.toml").write_text("not toml [")
    assert project_ini(tmp_path) == {}


def test_the_readme_shows_the_table_as_it_is() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, (
        "README's settings table is stale: paste the output of "
        "`python -m compat_harness.config` over it"
    )
