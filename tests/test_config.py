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
    assert s.cell_set == "default" and s.cells == () and s.client_url is None
    assert s.fail_on == (Tier.RECOMMENDED, Tier.SUPPORTED)
    assert s.sources["cell_set"] == "default" and s.deprecations == ()


def test_cli_beats_env_beats_ini() -> None:
    ini = {"compat_cell_set": "full"}
    assert _read(ini=ini).cell_set == "full"
    assert _read(env={"COMPAT_CELL_SET": "mobile"}, ini=ini).cell_set == "mobile"
    s = _read({"compat_cell_set": "quick"}, {"COMPAT_CELL_SET": "mobile"}, ini)
    assert s.cell_set == "quick" and s.sources["cell_set"] == "command line"


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
    names = [
        f.name for f in dataclasses.fields(Settings) if f.name not in ("sources", "deprecations")
    ]
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
    assert s.retries == 2 and s.given("retries") and not s.given("cell_set")


def test_project_ini_reads_the_compat_keys_of_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ncompat_cell_set = "quick"\naddopts = "-q"\n'
    )
    assert project_ini(tmp_path) == {"cell_set": "quick"}
    assert read({}, {}, project_ini(tmp_path)).sources["cell_set"] == "ini compat_cell_set"
    (tmp_path / "pyproject.toml").write_text("not toml [")
    assert project_ini(tmp_path) == {}


def test_the_readme_shows_the_table_as_it_is() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, (
        "README's settings table is stale: paste the output of "
        "`python -m compat_harness.config` over it"
    )


# --- old spellings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "env", "ini", "source", "old", "new"),
    [
        ({"compat_profile": "quick"}, {}, {}, "command line", "--profile", "--cell-set"),
        (
            {},
            {"COMPAT_PROFILE": "quick"},
            {},
            "env COMPAT_PROFILE",
            "COMPAT_PROFILE",
            "COMPAT_CELL_SET",
        ),
        (
            {},
            {},
            {"compat_profile": "quick"},
            "ini compat_profile",
            "compat_profile",
            "compat_cell_set",
        ),
    ],
    ids=["flag", "env", "ini"],
)
def test_an_old_spelling_still_works_and_says_the_new_one(
    options: dict[str, object],
    env: dict[str, str],
    ini: dict[str, object],
    source: str,
    old: str,
    new: str,
) -> None:
    s = _read(options, env, ini)
    assert s.cell_set == "quick" and s.sources["cell_set"] == source
    assert s.deprecations == (
        f"{old}: use {new} instead (the old spelling is read for one more release)",
    )


def test_an_old_spelling_a_higher_level_overrides_is_still_said() -> None:
    s = _read({"compat_cell_set": "full"}, {"COMPAT_PROFILE": "quick"})
    assert s.cell_set == "full" and s.sources["cell_set"] == "command line"
    assert [line.split(":")[0] for line in s.deprecations] == ["COMPAT_PROFILE"]


@pytest.mark.parametrize(
    ("options", "env", "ini", "message"),
    [
        ({"compat_cell_set": "a", "compat_profile": "b"}, {}, {}, r"--cell-set and --profile are"),
        (
            {},
            {"COMPAT_CELL_SET": "a", "COMPAT_PROFILE": "a"},
            {},
            r"COMPAT_CELL_SET and COMPAT_PRO",
        ),
        (
            {},
            {},
            {"compat_cell_set": "a", "compat_profile": "b"},
            r"compat_cell_set and compat_pro",
        ),
    ],
    ids=["flag", "env", "ini"],
)
def test_both_spellings_at_one_level_are_a_usage_error(
    options: dict[str, object], env: dict[str, str], ini: dict[str, object], message: str
) -> None:
    with pytest.raises(pytest.UsageError, match=message + r".*given twice.*Fix: give only"):
        _read(options, env, ini)


def test_every_old_spelling_is_a_flag_env_and_ini_key_of_its_own() -> None:
    (cell_set,) = (opt for opt in OPTIONS if opt.dest == "cell_set")
    (old,) = cell_set.old_spellings()
    assert (old.flag, old.env, old.ini) == ("--profile", "COMPAT_PROFILE", "compat_profile")
    assert old.default is None and "--cell-set" in old.help
    # The mapping form of the reader (by field name) knows the old name too.
    assert read({"profile": "quick"}, {}).cell_set == "quick"
    assert "`--cell-set` (old: `--profile`)" in markdown_table()
