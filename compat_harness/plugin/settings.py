"""Options, settings (read once: CLI > env > ini > default) and the run's id and folder."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from compat_harness.config import OPTIONS, Option, SettingError, Settings, read
from compat_harness.deprecation import say_deprecated

SETTINGS = pytest.StashKey[Settings]()
RUN = pytest.StashKey["RunContext"]()


@dataclass(frozen=True)
class RunContext:
    """This run's id and report folder, shared by the controller and every xdist worker."""

    id: str
    dir: Path
    started: float
    worker: str | None  # xdist worker id, None in the controller or a plain run

    @property
    def is_controller(self) -> bool:
        return self.worker is None


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Every setting of the table as an option (and an ini key), and each old spelling as one of
    its own (the reader tells them apart); pytest-rerunfailures owns --fail-on-flaky, which the
    harness reads."""
    group = parser.getgroup("compat", "browser compatibility harness")
    for opt in (spelling for o in OPTIONS for spelling in (o, *o.old_spellings())):
        if not opt.shared_dest:
            group.addoption(
                opt.flag,
                action="store_true" if opt.is_flag else "store",
                default=None,
                dest=f"compat_{opt.dest}",
                help=opt.help if opt.is_flag else f"{opt.help} [env {opt.env}]",
            )
        parser.addini(opt.ini, help=opt.help, default=None)


def read_settings(config: pytest.Config, env: dict[str, str] | None = None) -> Settings:
    """The run's settings from pytest's options and ini file and the environment."""

    def command_line(opt: Option) -> Any:
        raw = config.getoption(opt.shared_dest or f"compat_{opt.dest}", default=None)
        if raw is None and opt.dest == "client_url":  # pytest-base-url's flag means the same
            raw = config.getoption("base_url", default=None)
        return raw

    def ini(opt: Option) -> Any:
        return config.getini(opt.ini)

    try:
        return read(command_line, os.environ if env is None else env, ini)
    except SettingError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    settings = read_settings(config)
    config.stash[SETTINGS] = settings
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None and "compat_run_id" in workerinput:
        run_id, started = workerinput["compat_run_id"], workerinput["compat_started"]
    else:
        run_id, started = settings.run_id or new_run_id(), time.time()
        say_deprecated(settings.deprecations)  # in the controller: once per run
    report_root = settings.resolve_path("report_dir", Path(config.invocation_params.dir))
    config.stash[RUN] = RunContext(
        id=run_id,
        dir=report_root / run_id,
        started=started,
        worker=workerinput.get("workerid") if workerinput else None,
    )
    # Here rather than in plugin.allure: allure-pytest reads its folder in its own pytest_configure,
    # which runs after this one (tryfirst) and needs the run folder this one decides.
    if settings.allure and not getattr(config.option, "allure_report_dir", "x"):
        config.option.allure_report_dir = str(report_root / run_id / "allure-results")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker writes into the controller's run."""
    run = node.config.stash[RUN]
    node.workerinput["compat_run_id"] = run.id
    node.workerinput["compat_started"] = run.started


def settings_of(config: pytest.Config) -> Settings:
    return config.stash[SETTINGS]


def run_of(config: pytest.Config) -> RunContext:
    return config.stash[RUN]


T = TypeVar("T")


def file_setting(
    config: pytest.Config,
    key: pytest.StashKey[T],
    setting: str,
    load: Callable[[Path, bool], T],
    label: str,
) -> T:
    """The file a path setting names, read once per process by ``load(path, required)`` (a file
    given on purpose must exist); a mistake in it (a ``ValueError``) is a usage error."""
    if key not in config.stash:
        settings = settings_of(config)
        path = settings.resolve_path(setting, Path(config.rootpath))
        try:
            config.stash[key] = load(path, settings.given(setting))
        except ValueError as exc:
            raise pytest.UsageError(f"{label}: {exc}") from None
    return config.stash[key]
