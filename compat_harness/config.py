"""Harness settings: one typed table, read once per run in a documented order:
command line > environment (``COMPAT_*``) > config file (pytest ini: ``[tool.pytest.ini_options]``
``compat_*`` keys) > defaults. Each value remembers where it came from (``compat doctor`` shows it).

``Settings`` is the table: every field is a setting, its metadata its flag, environment variable,
help and parser. The pytest plugin's options, ``compat run``'s flags and the doctor's view are all
built from it; ``read()`` is the one reader.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from compat_harness.matrix import Tier


class SettingError(ValueError):
    """A setting's value is wrong; the message names the flag (or where it came from) and the fix."""


# --- parsers: a raw value (text from the command line, the environment or the ini file) -> typed --


def _text(value: Any) -> str:
    return str(value)


def _csv(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else [value]
    return tuple(part.strip() for item in items for part in str(item).split(",") if part.strip())


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _on_off(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise SettingError(f"{value!r}: use on or off")


def _tiers(value: Any) -> tuple[Tier, ...]:
    try:
        return tuple(Tier(v) for v in _csv(value))
    except ValueError:
        raise SettingError(
            f"{value!r}: use a comma list of {', '.join(t.value for t in Tier)}"
        ) from None


def _count(value: Any) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise SettingError(f"{value!r} is not a whole number") from None
    if count < 0:
        raise SettingError(f"{value!r} must be 0 or more")
    return count


def _seed(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SettingError(f"{value!r} is not a whole number (a random seed)") from None


def _shard(value: Any) -> tuple[int, int] | None:
    """'i/n' (1-based) -> (i, n)."""
    if value in (None, ""):
        return None
    index, sep, total = str(value).partition("/")
    try:
        i, n = int(index), int(total)
    except ValueError:
        i = n = 0
    if not sep or n < 1 or not 1 <= i <= n:
        raise SettingError(
            f"{value!r}: use I/N with 1 <= I <= N, e.g. --shard 2/4 for the second of four"
        )
    return i, n


def _seconds(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise SettingError(f"{value!r} is not a number of seconds") from None
    if seconds <= 0:
        raise SettingError(f"{value!r} must be positive")
    return seconds


def _portal(value: Any) -> str:
    portal = str(value).strip().lower()
    if portal not in ("client", "provider"):
        raise SettingError(f"{value!r}: use client or provider")
    return portal


# --- the table -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One setting: its field (``dest``), command-line flag, environment variable, ini key, help,
    parser and default."""

    dest: str
    flag: str
    env: str
    help: str
    default: Any
    parse: Callable[[Any], Any]
    is_flag: bool = False
    # The flag belongs to another plugin (its dest); the harness reads it rather than adding it.
    shared_dest: str | None = None
    # Also a flag of `compat run` (the rest are passed to pytest after `--`).
    run_flag: bool = True
    # Old flags of this setting, read for one more release (with their environment variables and
    # ini keys, spelt the same way); using one prints a deprecation line naming this spelling.
    aliases: tuple[str, ...] = ()

    @property
    def ini(self) -> str:
        return f"compat_{self.dest}"

    def old_spellings(self) -> tuple[Option, ...]:
        """Each alias as an option of its own (flag, environment variable, ini key)."""
        return tuple(
            replace(
                self,
                dest=_dest_of(flag),
                flag=flag,
                env=f"COMPAT_{_dest_of(flag).upper()}",
                help=f"deprecated spelling of {self.flag}",
                default=None,  # the setting's default is its own
                aliases=(),
            )
            for flag in self.aliases
        )


def _dest_of(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_")


def _option(
    default: Any,
    flag: str,
    env: str,
    help: str,
    parse: Callable[[Any], Any] = _text,
    *,
    is_flag: bool = False,
    shared_dest: str | None = None,
    run_flag: bool = True,
    aliases: tuple[str, ...] = (),
) -> Any:
    spec = {
        "flag": flag,
        "env": env,
        "help": help,
        "parse": parse,
        "is_flag": is_flag,
        "shared_dest": shared_dest,
        "run_flag": run_flag,
        "aliases": aliases,
    }
    return field(default=default, metadata={"option": spec})


def _flag(flag: str, env: str, help: str, *, shared_dest: str | None = None) -> Any:
    return _option(False, flag, env, help, _bool, is_flag=True, shared_dest=shared_dest)


@dataclass(frozen=True)
class Settings:
    """Every setting of a run, typed; ``sources`` says where each value came from."""

    # --- what runs where
    matrix: str = _option("matrix/default.yaml", "--matrix", "COMPAT_MATRIX", "matrix YAML file")
    cell_set: str = _option(
        "default",
        "--cell-set",
        "COMPAT_CELL_SET",
        "cell set of the matrix to run (a named list of its cells, under cell_sets:)",
        aliases=("--profile",),
    )
    cells: tuple[str, ...] = _option(
        (), "--cells", "COMPAT_CELLS", "comma list of cells (wins over --cell-set)", _csv
    )
    engine: tuple[str, ...] = _option(
        (),
        "--engine",
        "COMPAT_ENGINE",
        "force an engine for cells: ENGINE or CELL=ENGINE, comma separated",
        _csv,
    )
    remote: tuple[str, ...] = _option(
        (),
        "--remote",
        "COMPAT_REMOTE",
        "run cells on remote browsers: CELL=URL, comma separated (ws:// a Playwright server, "
        "http(s):// a WebDriver endpoint: Selenium Grid, Appium, a cloud grid)",
        _csv,
    )
    portal: str | None = _option(
        None,
        "--portal",
        "COMPAT_PORTAL",
        "only this portal's runs (client or provider) of journeys that run on both portals",
        _portal,
    )
    both_profiles: bool = _flag(
        "--both-profiles",
        "COMPAT_BOTH_PROFILES",
        "run every selected journey in a fresh profile and in ones carrying an earlier visit's "
        "stored data (as @pytest.mark.paired journeys always do)",
    )
    steps: str | None = _option(
        None,
        "--steps",
        "COMPAT_STEPS",
        "a YAML list of steps to replay as a journey (suites/test_steps.py; "
        "format: compat_harness/support/steps.py)",
    )
    shuffle: int | None = _option(
        None,
        "--shuffle",
        "COMPAT_SHUFFLE",
        "run the tests of each cell in a random order (this seed), to prove journeys are "
        "independent",
        _seed,
    )
    # --- the target
    client_url: str | None = _option(
        None,
        "--client-url",
        "COMPAT_CLIENT_URL",
        "client portal base URL (default: start the embedded reference app)",
    )
    provider_url: str | None = _option(
        None, "--provider-url", "COMPAT_PROVIDER_URL", "provider portal base URL"
    )
    control_url: str | None = _option(
        None,
        "--control-url",
        "COMPAT_CONTROL_URL",
        "a URL outside the target that should answer, to tell 'target down' from 'network down'",
    )
    allow_destructive: bool = _flag(
        "--allow-destructive",
        "COMPAT_ALLOW_DESTRUCTIVE",
        "let destructive journeys (booking, cancel) run against a target that is not in test mode",
    )
    secrets_file: str | None = _option(
        None, "--secrets-file", "COMPAT_SECRETS_FILE", "file with test account secrets"
    )
    # --- how a test waits and judges
    action_timeout: float = _option(
        10.0,
        "--action-timeout",
        "COMPAT_ACTION_TIMEOUT",
        "seconds an action waits for its element",
        _seconds,
    )
    expect_timeout: float = _option(
        5.0, "--expect-timeout", "COMPAT_EXPECT_TIMEOUT", "seconds an expectation polls", _seconds
    )
    sentinels: bool = _option(
        True,
        "--sentinels",
        "COMPAT_SENTINELS",
        "page sentinels on every page a journey visits (script errors, failed requests, pages "
        "left loading, layout at the device's viewport): on or off (off is for measuring; known "
        "noise goes into the allowlist)",
        _on_off,
    )
    sentinels_allow: str = _option(
        "matrix/sentinels-allow.yaml",
        "--sentinels-allow",
        "COMPAT_SENTINELS_ALLOW",
        "YAML list of accepted page findings (kind, url and message patterns, cells, until, reason)",
    )
    stuck_after: float = _option(
        5.0,
        "--stuck-after",
        "COMPAT_STUCK_AFTER",
        "seconds a busy marker may stay after a step ends before the page counts as left loading",
        _seconds,
    )
    busy_text: tuple[str, ...] = _option(
        ("Loading…", "Loading...", "Please wait"),
        "--busy-text",
        "COMPAT_BUSY_TEXT",
        "the product's loading wording (comma list), besides aria-busy and progress bars",
        _csv,
    )
    versions: bool = _option(
        True,
        "--versions",
        "COMPAT_VERSIONS",
        "at the end of the run, check what the target served against each cell's stands_for "
        "versions (MDN and caniuse data; static evidence): on or off",
        _on_off,
    )
    versions_allow: str = _option(
        "matrix/versions-allow.yaml",
        "--versions-allow",
        "COMPAT_VERSIONS_ALLOW",
        "YAML list of accepted version findings (feature, file, cells, until, reason)",
    )
    # --- the run's verdict
    fail_on: tuple[Tier, ...] = _option(
        (Tier.RECOMMENDED, Tier.SUPPORTED),
        "--fail-on",
        "COMPAT_FAIL_ON",
        "tiers whose failures fail the run (others only warn)",
        _tiers,
    )
    fail_on_flaky: bool = _flag(
        "--fail-on-flaky",
        "COMPAT_FAIL_ON_FLAKY",
        "flaky results (failed, then passed on retry) in gating cells fail the run too"
        " (pytest-rerunfailures' flag; the exit code follows the tier policy)",
        shared_dest="fail_on_flaky",
    )
    allow_not_run: tuple[str, ...] = _option(
        (),
        "--allow-not-run",
        "COMPAT_ALLOW_NOT_RUN",
        "cells (comma list, or 'all') that may be 'not run' without failing the run; by default "
        "a cell whose tier gates the run and that could not run fails it (exit 13)",
        _csv,
    )
    retries: int = _option(
        0,
        "--retries",
        "COMPAT_RETRIES",
        "retry a failed test N times; a test that passes on a retry is reported flaky",
        _count,
    )
    quarantine: str = _option(
        "matrix/quarantine.yaml",
        "--quarantine",
        "COMPAT_QUARANTINE",
        "YAML list of known-flaky journeys/tests (with expiry dates) whose failures only warn",
    )
    # --- reports and artifacts
    report_dir: str = _option(
        "reports", "--report-dir", "COMPAT_REPORT_DIR", "where runs write reports"
    )
    run_id: str | None = _option(
        None, "--run-id", "COMPAT_RUN_ID", "id of this run (default: time + random)"
    )
    shard: tuple[int, int] | None = _option(
        None,
        "--shard",
        "COMPAT_SHARD",
        "run shard I of N (e.g. 2/4) of the (test, cell) items; `compat merge` joins the shards",
        _shard,
    )
    allure: bool = _flag(
        "--allure",
        "COMPAT_ALLURE",
        "write Allure results into the run folder (allure-results/); --alluredir still works",
    )
    step_screenshots: bool = _flag(
        "--step-screenshots",
        "COMPAT_STEP_SCREENSHOTS",
        "a masked screenshot (personal data painted over) at the end of every step",
    )
    keep_logs: bool = _flag(
        "--keep-logs",
        "COMPAT_KEEP_LOGS",
        "keep console and network logs of every test, not only of failed ones",
    )
    mask_file: str = _option(
        "matrix/masking.yaml",
        "--mask-file",
        "COMPAT_MASK_FILE",
        "YAML list of extra CSS selectors to mask in step screenshots",
    )
    mask: tuple[str, ...] = _option(
        (),
        "--mask",
        "COMPAT_MASK",
        "extra CSS selectors to mask in step screenshots (comma list)",
        _csv,
    )
    # --- where the engines' browsers are (found on their own when not given)
    chromium_path: str | None = _option(
        None,
        "--chromium-path",
        "COMPAT_CHROMIUM_PATH",
        "the system Chromium the Playwright engine uses when its own build is missing",
        run_flag=False,
    )
    chromium_headless_shell: str | None = _option(
        None,
        "--chromium-headless-shell",
        "COMPAT_CHROMIUM_HEADLESS_SHELL",
        "the system's chromium-headless-shell, for headless runs of the system Chromium",
        run_flag=False,
    )
    minibrowser: str | None = _option(
        None,
        "--minibrowser",
        "COMPAT_MINIBROWSER",
        "WebKitGTK's MiniBrowser (the webkitgtk engine's browser)",
        run_flag=False,
    )
    webkit_driver: str | None = _option(
        None,
        "--webkit-driver",
        "COMPAT_WEBKIT_DRIVER",
        "WebKitGTK's WebKitWebDriver (the webkitgtk engine's driver)",
        run_flag=False,
    )
    webkit_compositing: bool = _flag(
        "--webkit-compositing",
        "COMPAT_WEBKIT_COMPOSITING",
        "WebKitGTK cells paint with accelerated compositing (software GL under Xvfb: more CPU)",
    )

    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    # One line per old spelling the values were read from, naming the new spelling.
    deprecations: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def engine_overrides(self) -> dict[str | None, str]:
        """Forced engines: key None applies to every cell."""
        forced: dict[str | None, str] = {}
        for item in self.engine:
            cell, sep, engine = item.partition("=")
            forced[cell if sep else None] = engine if sep else cell
        return forced

    def resolve_path(self, name: str, root: Path) -> Path:
        """A path setting (by its field name), relative ones against ``root``."""
        value = getattr(self, name)
        if not isinstance(value, str):
            raise TypeError(f"{name} is not a path setting")
        path = Path(value)
        return path if path.is_absolute() else root / path

    def given(self, name: str) -> bool:
        """Whether the setting was given (not its default)."""
        return self.sources.get(name, "default") != "default"


OPTIONS: tuple[Option, ...] = tuple(
    Option(dest=f.name, default=f.default, **f.metadata["option"])
    for f in fields(Settings)
    if "option" in f.metadata
)
DEFAULTS = Settings()


# --- the reader ------------------------------------------------------------------------------------


Lookup = Callable[[Option], Any]


def read(
    command_line: Lookup | Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    ini: Lookup | Mapping[str, Any] | None = None,
) -> Settings:
    """Resolve every setting: command line > environment > ini > default.

    ``command_line`` and ``ini`` give an option's raw value (None: not given), as a function of
    the option or a mapping by its field name; an alias is looked up as an option of its own
    (``Option.old_spellings``)."""
    environ = os.environ if env is None else env
    levels: tuple[tuple[str, Callable[[Option], Any]], ...] = (
        ("command line", lambda opt: _given(command_line, opt)),
        ("env", lambda opt: environ.get(opt.env) or None),
        ("ini", lambda opt: _given(ini, opt)),
    )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    deprecations: list[str] = []
    for opt in OPTIONS:
        values[opt.dest], sources[opt.dest] = opt.default, "default"
        resolved = False
        for level, lookup in levels:
            given = _given_at(opt, level, lookup)
            if given is None:
                continue
            spelt, raw = given
            if spelt is not opt:  # said even when a higher level wins: the old spelling is there
                deprecations.append(
                    f"{_spelling(spelt, level)}: use {_spelling(opt, level)} instead "
                    "(the old spelling is read for one more release)"
                )
            if resolved:
                continue
            source = (
                "command line" if level == "command line" else f"{level} {_spelling(spelt, level)}"
            )
            try:
                values[opt.dest] = opt.parse(raw)
            except SettingError as exc:
                where = "" if level == "command line" else f" ({source})"
                raise SettingError(f"{spelt.flag}{where} {exc}") from None
            sources[opt.dest], resolved = source, True
    return Settings(**values, sources=sources, deprecations=tuple(deprecations))


def _given_at(
    opt: Option, level: str, lookup: Callable[[Option], Any]
) -> tuple[Option, Any] | None:
    """The spelling (the option or an old one) given at a level, and its raw value; both given
    at once is a mistake."""
    found = [(o, raw) for o in (opt, *opt.old_spellings()) if (raw := lookup(o)) is not None]
    if len(found) > 1:
        both = " and ".join(_spelling(o, level) for o, _ in found)
        raise SettingError(
            f"{both} are one setting, given twice ({level}). Fix: give only {_spelling(opt, level)}"
        )
    return found[0] if found else None


def _spelling(opt: Option, level: str) -> str:
    """How an option is spelt at a level of the reader."""
    return {"command line": opt.flag, "env": opt.env}.get(level, opt.ini)


def _given(source: Lookup | Mapping[str, Any] | None, opt: Option) -> Any:
    if source is None:
        return None
    raw = source(opt) if callable(source) else source.get(opt.dest)
    if raw in ("", []) or (opt.is_flag and raw is False):
        return None  # an empty value, a store_true flag not given
    return raw


def project_ini(root: Path) -> dict[str, Any]:
    """The ``compat_*`` keys of the project's ``[tool.pytest.ini_options]`` (pyproject.toml), for
    readers outside pytest (the doctor)."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    table = data.get("tool", {}).get("pytest", {}).get("ini_options", {})
    return {
        key.removeprefix("compat_"): value
        for key, value in table.items()
        if key.startswith("compat_")
    }


def run_flags() -> Iterable[Option]:
    """The settings `compat run` takes as flags of its own, and their old spellings."""
    return (spelling for opt in OPTIONS if opt.run_flag for spelling in (opt, *opt.old_spellings()))


def _shown(value: Any) -> str:
    """A default as the docs show it."""
    if value is None or value == ():
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(str(getattr(v, "value", v)) for v in value)
    return str(value)


def markdown_table() -> str:
    """The table as the README shows it (a self-test keeps the two the same)."""
    rows = ["| flag | environment | default | what |", "|---|---|---|---|"]
    for opt in OPTIONS:
        old = opt.old_spellings()
        flags = " ".join([f"`{opt.flag}`", *(f"(old: `{o.flag}`)" for o in old)])
        envs = " ".join([f"`{opt.env}`", *(f"(old: `{o.env}`)" for o in old)])
        rows.append(
            f"| {flags} | {envs} | `{_shown(opt.default)}` | {opt.help.replace('|', '&#124;')} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
