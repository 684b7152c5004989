"""Harness settings, read once per run in a documented order:
command line > environment (``COMPAT_*``) > config file (pytest ini: ``[tool.pytest.ini_options]``
``compat_*`` keys) > defaults. Each value remembers where it came from (``compat doctor`` shows it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from compat_harness.matrix import Tier


def _csv(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else [value]
    return tuple(part.strip() for item in items for part in str(item).split(",") if part.strip())


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _tiers(value: Any) -> tuple[Tier, ...]:
    try:
        return tuple(Tier(v) for v in _csv(value))
    except ValueError:
        raise pytest.UsageError(
            f"--fail-on {value!r}: use a comma list of {', '.join(t.value for t in Tier)}"
        ) from None


def _count(value: Any) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"--retries {value!r} is not a whole number") from None
    if count < 0:
        raise pytest.UsageError(f"--retries {value!r} must be 0 or more")
    return count


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
        raise pytest.UsageError(
            f"--shard {value!r}: use I/N with 1 <= I <= N, e.g. --shard 2/4 for the second of four"
        )
    return i, n


def _seconds(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"timeout {value!r} is not a number of seconds") from None
    if seconds <= 0:
        raise pytest.UsageError(f"timeout {value!r} must be positive")
    return seconds


def _on_off(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise pytest.UsageError(f"{value!r}: use on or off")


def _portal(value: Any) -> str:
    portal = str(value).strip().lower()
    if portal not in ("client", "provider"):
        raise pytest.UsageError(f"--portal {value!r}: use client or provider")
    return portal


@dataclass(frozen=True)
class Option:
    """One setting: its command-line flag, environment variable, ini key and default."""

    dest: str
    flag: str
    env: str
    help: str
    default: Any = None
    parse: Callable[[Any], Any] = str
    is_flag: bool = False
    # The flag belongs to another plugin (its dest); the harness reads it rather than adding it.
    shared_dest: str | None = None

    @property
    def ini(self) -> str:
        return f"compat_{self.dest}"


OPTIONS: tuple[Option, ...] = (
    Option("matrix", "--matrix", "COMPAT_MATRIX", "matrix YAML file", "matrix/default.yaml"),
    Option("profile", "--profile", "COMPAT_PROFILE", "profile of the matrix to run", "default"),
    Option(
        "cells", "--cells", "COMPAT_CELLS", "comma list of cells (wins over --profile)", (), _csv
    ),
    Option(
        "engine",
        "--engine",
        "COMPAT_ENGINE",
        "force an engine for cells: ENGINE or CELL=ENGINE, comma separated",
        (),
        _csv,
    ),
    Option(
        "client_url",
        "--client-url",
        "COMPAT_CLIENT_URL",
        "client portal base URL (default: start the embedded reference app)",
    ),
    Option("provider_url", "--provider-url", "COMPAT_PROVIDER_URL", "provider portal base URL"),
    Option(
        "control_url",
        "--control-url",
        "COMPAT_CONTROL_URL",
        "a URL outside the target that should answer, to tell 'target down' from 'network down'",
    ),
    Option(
        "defects",
        "--defects",
        "COMPAT_DEFECTS",
        "reference app only: catalogued defects to switch on (comma list; see `compat defects`)",
        (),
        _csv,
    ),
    Option(
        "report_dir", "--report-dir", "COMPAT_REPORT_DIR", "where runs write reports", "reports"
    ),
    Option("run_id", "--run-id", "COMPAT_RUN_ID", "id of this run (default: time + random)"),
    Option(
        "allow_destructive",
        "--allow-destructive",
        "COMPAT_ALLOW_DESTRUCTIVE",
        "let destructive journeys (booking, cancel) run against a target that is not in test mode",
        False,
        _bool,
        is_flag=True,
    ),
    Option(
        "fail_on",
        "--fail-on",
        "COMPAT_FAIL_ON",
        "tiers whose failures fail the run (others only warn)",
        "recommended,supported",
        _tiers,
    ),
    Option(
        "fail_on_flaky",
        "--fail-on-flaky",
        "COMPAT_FAIL_ON_FLAKY",
        "flaky results (failed, then passed on retry) in gating cells fail the run too"
        " (pytest-rerunfailures' flag; the exit code follows the tier policy)",
        False,
        _bool,
        is_flag=True,
        shared_dest="fail_on_flaky",
    ),
    Option(
        "retries",
        "--retries",
        "COMPAT_RETRIES",
        "retry a failed test N times; a test that passes on a retry is reported flaky",
        0,
        _count,
    ),
    Option(
        "quarantine",
        "--quarantine",
        "COMPAT_QUARANTINE",
        "YAML list of known-flaky journeys/tests (with expiry dates) whose failures only warn",
        "matrix/quarantine.yaml",
    ),
    Option(
        "shard",
        "--shard",
        "COMPAT_SHARD",
        "run shard I of N (e.g. 2/4) of the (test, cell) items; `compat merge` joins the shards",
        None,
        _shard,
    ),
    Option(
        "allure",
        "--allure",
        "COMPAT_ALLURE",
        "write Allure results into the run folder (allure-results/); --alluredir still works",
        False,
        _bool,
        is_flag=True,
    ),
    Option(
        "action_timeout",
        "--action-timeout",
        "COMPAT_ACTION_TIMEOUT",
        "seconds an action waits for its element",
        10.0,
        _seconds,
    ),
    Option(
        "expect_timeout",
        "--expect-timeout",
        "COMPAT_EXPECT_TIMEOUT",
        "seconds an expectation polls",
        5.0,
        _seconds,
    ),
    Option(
        "secrets_file", "--secrets-file", "COMPAT_SECRETS_FILE", "file with test account secrets"
    ),
    Option(
        "remote",
        "--remote",
        "COMPAT_REMOTE",
        "run cells on remote browsers: CELL=URL, comma separated (ws:// a Playwright server, "
        "http(s):// a WebDriver endpoint: Selenium Grid, Appium, a cloud grid)",
        (),
        _csv,
    ),
    Option(
        "both_profiles",
        "--both-profiles",
        "COMPAT_BOTH_PROFILES",
        "run every selected journey twice: in a fresh profile and in one carrying an earlier "
        "visit's stored data (as @pytest.mark.paired journeys always do)",
        False,
        _bool,
        is_flag=True,
    ),
    Option(
        "portal",
        "--portal",
        "COMPAT_PORTAL",
        "only this portal's runs (client or provider) of journeys that run on both portals",
        None,
        _portal,
    ),
    Option(
        "step_screenshots",
        "--step-screenshots",
        "COMPAT_STEP_SCREENSHOTS",
        "a masked screenshot (personal data painted over) at the end of every step",
        False,
        _bool,
        is_flag=True,
    ),
    Option(
        "keep_logs",
        "--keep-logs",
        "COMPAT_KEEP_LOGS",
        "keep console and network logs of every test, not only of failed ones",
        False,
        _bool,
        is_flag=True,
    ),
    Option(
        "mask_file",
        "--mask-file",
        "COMPAT_MASK_FILE",
        "YAML list of extra CSS selectors to mask in step screenshots",
        "matrix/masking.yaml",
    ),
    Option(
        "mask",
        "--mask",
        "COMPAT_MASK",
        "extra CSS selectors to mask in step screenshots (comma list)",
        (),
        _csv,
    ),
    Option(
        "versions",
        "--versions",
        "COMPAT_VERSIONS",
        "at the end of the run, check what the target served against each cell's stands_for "
        "versions (MDN and caniuse data; static evidence): on or off",
        True,
        _on_off,
    ),
    Option(
        "versions_allow",
        "--versions-allow",
        "COMPAT_VERSIONS_ALLOW",
        "YAML list of accepted version findings (feature, file, cells, until, reason)",
        "matrix/versions-allow.yaml",
    ),
    Option(
        "sentinels",
        "--sentinels",
        "COMPAT_SENTINELS",
        "page sentinels on every page a journey visits (script errors, failed requests, pages "
        "left loading, layout at the device's viewport): on or off (off is for measuring; known "
        "noise goes into the allowlist)",
        True,
        _on_off,
    ),
    Option(
        "sentinels_allow",
        "--sentinels-allow",
        "COMPAT_SENTINELS_ALLOW",
        "YAML list of accepted page findings (kind, url and message patterns, cells, until, reason)",
        "matrix/sentinels-allow.yaml",
    ),
    Option(
        "stuck_after",
        "--stuck-after",
        "COMPAT_STUCK_AFTER",
        "seconds a busy marker may stay after a step ends before the page counts as left loading",
        5.0,
        _seconds,
    ),
    Option(
        "busy_text",
        "--busy-text",
        "COMPAT_BUSY_TEXT",
        "the product's loading wording (comma list), besides aria-busy and progress bars",
        ("Loading…", "Loading...", "Please wait"),
        _csv,
    ),
    Option(
        "steps",
        "--steps",
        "COMPAT_STEPS",
        "a YAML list of steps to replay as a journey (suites/test_steps.py; "
        "format: compat_harness/support/steps.py)",
    ),
)


@dataclass(frozen=True)
class Settings:
    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def fail_on_tiers(self) -> tuple[Tier, ...]:
        value = self.values["fail_on"]
        return value if isinstance(value, tuple) else _tiers(value)

    @property
    def engine_overrides(self) -> dict[str | None, str]:
        """Forced engines: key None applies to every cell."""
        forced: dict[str | None, str] = {}
        for item in self.values["engine"]:
            cell, sep, engine = item.partition("=")
            forced[cell if sep else None] = engine if sep else cell
        return forced

    def resolve_path(self, name: str, root: Path) -> Path:
        path = Path(self.values[name])
        return path if path.is_absolute() else root / path


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("compat", "browser compatibility harness")
    for opt in OPTIONS:
        if opt.shared_dest:
            pass
        elif opt.is_flag:
            group.addoption(
                opt.flag,
                action="store_true",
                default=None,
                dest=f"compat_{opt.dest}",
                help=opt.help,
            )
        else:
            group.addoption(
                opt.flag,
                default=None,
                dest=f"compat_{opt.dest}",
                help=f"{opt.help} [env {opt.env}]",
            )
        parser.addini(opt.ini, help=opt.help, default=None)


def read_settings(config: pytest.Config, env: dict[str, str] | None = None) -> Settings:
    """Resolve every option: command line > environment > ini > default."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for opt in OPTIONS:
        raw: Any = config.getoption(opt.shared_dest or f"compat_{opt.dest}", default=None)
        if opt.is_flag and raw is False:  # a store_true flag not given
            raw = None
        source = "command line"
        if raw is None and opt.dest == "client_url":
            raw = config.getoption(
                "base_url", default=None
            )  # pytest-playwright/pytest-base-url flag
        if raw is None and opt.env in env and env[opt.env] != "":
            raw, source = env[opt.env], f"env {opt.env}"
        if raw is None:
            ini = config.getini(opt.ini)
            if ini not in (None, "", []):
                raw, source = ini, f"ini {opt.ini}"
        if raw is None:
            values[opt.dest], sources[opt.dest] = opt.default, "default"
            continue
        try:
            values[opt.dest], sources[opt.dest] = opt.parse(raw), source
        except pytest.UsageError as exc:
            text = str(exc)
            if text.startswith(opt.flag):
                raise
            where = "" if source == "command line" else f" ({source})"
            raise pytest.UsageError(f"{opt.flag}{where} {text}") from None
    return Settings(values, sources)
