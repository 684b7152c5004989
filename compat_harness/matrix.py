"""The matrix: cells (engine x device), per-portal support tiers, and cell sets (named cell lists).

Loaded from YAML into typed objects and validated as a whole: every problem is reported with the
file, the line and the fix, and nothing runs while any remains.
"""

from __future__ import annotations

import difflib
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from compat_harness.devices import BUILTIN_DEVICES, Device, Viewport


class Tier(StrEnum):
    """How far the product supports a cell, per portal (from its own support guidance)."""

    RECOMMENDED = "recommended"
    SUPPORTED = "supported"
    NOT_RECOMMENDED = "not-recommended"


class Portal(StrEnum):
    CLIENT = "client"
    PROVIDER = "provider"


BROWSERS = ("chromium", "webkit", "firefox")


def _engines() -> dict[str, Any]:
    """The engine registry (imported here: engines build on this module's Cell)."""
    from compat_harness.engines import ENGINES

    return dict(ENGINES)


def _default_engine() -> str:
    from compat_harness.engines import DEFAULT_ENGINE

    return DEFAULT_ENGINE


@dataclass(frozen=True)
class Remote:
    """Where a remote cell's browser lives; credentials come from the environment."""

    url: str
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    username_env: str | None = None
    password_env: str | None = None
    # Seconds a new session may take (a grid that starts nodes on demand needs minutes).
    start_timeout: float | None = None
    # Keep the next test's session ready while a test runs: one more slot per worker, so off
    # unless asked (a cloud grid bills idle sessions and ends them after a minute or two).
    spare: bool = False


@dataclass(frozen=True)
class Cell:
    """One browser engine + one emulated (or real) device."""

    id: str
    browser: str
    device: Device
    engines: tuple[str, ...]
    tiers: Mapping[Portal, Tier]
    remote: Remote | None = None
    notes: str = ""
    # The real browser versions the cell stands for, as a browserslist query (compat_harness.versions).
    stands_for: str | None = None

    def tier(self, portal: Portal | str | None) -> Tier:
        """The tier for a portal; for a test spanning both (None), the stricter one."""
        if portal is None:
            return min(self.tiers.values(), key=list(Tier).index)
        return self.tiers[Portal(portal)]

    @property
    def touch(self) -> bool:
        return self.device.touch


@dataclass(frozen=True)
class Matrix:
    cells: Mapping[str, Cell]
    cell_sets: Mapping[str, tuple[str, ...]]
    source: Path | None = None
    # Old spellings the file still uses, one line each (file, line, fix); they only warn.
    deprecations: tuple[str, ...] = ()

    def select(self, cell_set: str | None = None, cells: Sequence[str] | None = None) -> list[Cell]:
        """Cells of a cell set, or the named cells (which win over the cell set)."""
        if cells:
            unknown = [c for c in cells if c not in self.cells]
            if unknown:
                raise MatrixError(
                    self.source,
                    None,
                    f"unknown cell(s) {', '.join(unknown)}",
                    f"use one of: {', '.join(self.cells)}{suggest(unknown[0], self.cells)}",
                )
            return [self.cells[c] for c in dict.fromkeys(cells)]
        name = cell_set or "default"
        if name not in self.cell_sets:
            raise MatrixError(
                self.source,
                None,
                f"unknown cell set '{name}'",
                f"use one of: {', '.join(self.cell_sets)}{suggest(name, self.cell_sets)}",
            )
        return [self.cells[c] for c in self.cell_sets[name]]


class MatrixError(Exception):
    """One or more problems in a matrix file; ``str()`` names file, line and fix for each."""

    def __init__(self, source: Path | str | None, line: int | None, problem: str, fix: str) -> None:
        self.problems: list[tuple[str | None, int | None, str, str]] = [
            (str(source) if source else None, line, problem, fix)
        ]
        super().__init__(str(self))

    @classmethod
    def collect(cls, problems: list[tuple[str | None, int | None, str, str]]) -> MatrixError:
        err = cls(*problems[0])
        err.problems = problems
        err.args = (str(err),)
        return err

    def __str__(self) -> str:
        return "\n".join(_said(*problem) for problem in self.problems)


def _said(source: str | None, line: int | None, problem: str, fix: str) -> str:
    """A problem (or a deprecation) as the matrix's messages say it: file, line, fix."""
    return f"{source or '<matrix>'}{f':{line}' if line else ''}: {problem}. Fix: {fix}"


# --- loading -------------------------------------------------------------------------------------


class _Marked(dict[str, Any]):
    """A YAML mapping that remembers the line of each key (and of itself)."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Marked:
    loader.flatten_mapping(node)
    result = _Marked()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            raise MatrixError(
                loader.name,
                line,
                f"duplicate key '{key}' (first on line {result.key_lines[key]})",
                "remove or rename one of them",
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

_TOP_KEYS = ("version", "devices", "cells", "cell_sets")
# Old top-level keys read for one more release, with the key that replaces each.
_OLD_TOP_KEYS = {"profiles": "cell_sets"}
_CELL_KEYS = (
    "device",
    "browser",
    "engines",
    "tier",
    "viewport",
    "scale",
    "touch",
    "mobile",
    "user_agent",
    "locale",
    "timezone",
    "remote",
    "notes",
    "stands_for",
)
_DEVICE_KEYS = (
    "viewport",
    "scale",
    "touch",
    "mobile",
    "user_agent",
    "platform",
    "locale",
    "timezone",
)
_REMOTE_KEYS = ("url", "capabilities", "username_env", "password_env", "start_timeout", "spare")


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean ...?)' for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Validator:
    """Turns the parsed YAML into a Matrix, collecting every problem with its line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[tuple[str | None, int | None, str, str]] = []
        self.deprecations: list[str] = []
        self.query_lines: dict[str, int] = {}

    def problem(self, line: int | None, what: str, fix: str) -> None:
        self.problems.append((self.source, line, what, fix))

    def keys(
        self,
        mapping: _Marked,
        allowed: Sequence[str],
        where: str,
        old: Mapping[str, str] | None = None,
    ) -> None:
        """Every key is one of ``allowed``; an ``old`` key (old -> new) only warns, and given
        beside its new spelling it is a problem."""
        for key, new in (old or {}).items():
            if key not in mapping:
                continue
            line = mapping.key_lines.get(key, mapping.line)
            if new in mapping:
                self.problem(
                    line,
                    f"'{key}' and '{new}' (line {mapping.key_lines.get(new, mapping.line)}) both "
                    f"in {where}: '{key}' is the old spelling of '{new}'",
                    f"keep one: move its entries under '{new}' and remove '{key}'",
                )
            else:
                self.deprecations.append(
                    _said(
                        self.source,
                        line,
                        f"'{key}' in {where} is the old spelling of '{new}'",
                        f"rename it to '{new}' (the old key is read for one more release)",
                    )
                )
        for key in mapping:
            if key not in allowed and key not in (old or {}):
                self.problem(
                    mapping.key_lines.get(key, mapping.line),
                    f"unknown key '{key}' in {where}",
                    f"remove it or use one of: {', '.join(allowed)}{suggest(str(key), allowed)}",
                )

    def mapping(self, value: Any, line: int, where: str) -> _Marked | None:
        if isinstance(value, _Marked):
            return value
        self.problem(
            line, f"{where} must be a mapping, got {type(value).__name__}", "see matrix/README.md"
        )
        return None

    def viewport(self, value: Any, line: int) -> Viewport | None:
        if isinstance(value, str) and "x" in value:
            w, _, h = value.partition("x")
            if w.strip().isdigit() and h.strip().isdigit():
                return Viewport(int(w), int(h))
        if isinstance(value, Mapping) and {"width", "height"} <= set(value):
            return Viewport(int(value["width"]), int(value["height"]))
        self.problem(line, f"bad viewport {value!r}", "write it as WIDTHxHEIGHT, e.g. 390x844")
        return None

    def device_fields(self, raw: _Marked) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("scale", "touch", "mobile", "user_agent", "platform", "locale", "timezone"):
            if key in raw:
                out[key] = raw[key]
        if "viewport" in raw:
            vp = self.viewport(raw["viewport"], raw.key_lines["viewport"])
            if vp:
                out["viewport"] = vp
        return out

    def devices(self, raw: Any, line: int) -> dict[str, Device]:
        devices = dict(BUILTIN_DEVICES)
        if raw is None:
            return devices
        section = self.mapping(raw, line, "'devices'")
        if section is None:
            return devices
        for name, spec in section.items():
            entry = self.mapping(spec, section.key_lines[name], f"device '{name}'")
            if entry is None:
                continue
            self.keys(entry, _DEVICE_KEYS, f"device '{name}'")
            fields = self.device_fields(entry)
            if "viewport" not in fields:
                self.problem(
                    entry.line, f"device '{name}' has no viewport", "add e.g. viewport: 390x844"
                )
                continue
            devices[name] = Device(name=name, **fields)
        return devices

    def tiers(self, raw: Any, line: int, cell: str) -> dict[Portal, Tier]:
        values = {p.value: raw for p in Portal} if isinstance(raw, str) else raw
        if not isinstance(values, Mapping):
            self.problem(
                line,
                f"cell '{cell}' has no tier",
                "add e.g. tier: {client: supported, provider: supported}",
            )
            return {p: Tier.SUPPORTED for p in Portal}
        tiers: dict[Portal, Tier] = {}
        for portal in Portal:
            value = values.get(portal.value)
            try:
                tiers[portal] = Tier(str(value))
            except ValueError:
                self.problem(
                    getattr(values, "key_lines", {}).get(portal.value, line),
                    f"cell '{cell}': tier for {portal.value} portal is {value!r}",
                    f"use one of: {', '.join(t.value for t in Tier)}",
                )
                tiers[portal] = Tier.SUPPORTED
        extra = set(values) - {p.value for p in Portal}
        if extra:
            self.problem(
                line,
                f"cell '{cell}': unknown portal(s) {sorted(extra)} in tier",
                "use client and provider",
            )
        return tiers

    def cell(self, cell_id: str, raw: _Marked, devices: Mapping[str, Device]) -> Cell | None:
        self.keys(raw, _CELL_KEYS, f"cell '{cell_id}'")
        line = raw.line
        device_name = str(raw.get("device"))
        if device_name not in devices:
            self.problem(
                raw.key_lines.get("device", line),
                f"cell '{cell_id}': unknown device {device_name!r}",
                f"use one of: {', '.join(devices)}{suggest(str(device_name), devices)}, "
                "or define it under 'devices:'",
            )
            return None
        browser = raw.get("browser")
        if browser not in BROWSERS:
            self.problem(
                raw.key_lines.get("browser", line),
                f"cell '{cell_id}': unknown browser {browser!r}",
                f"use one of: {', '.join(BROWSERS)}{suggest(str(browser), BROWSERS)}",
            )
            return None
        engines = raw.get("engines", [_default_engine()])
        if isinstance(engines, str):
            engines = [engines]
        known = _engines()
        for engine in engines:
            if engine not in known:
                self.problem(
                    raw.key_lines.get("engines", line),
                    f"cell '{cell_id}': unknown engine {engine!r}",
                    f"use one of: {', '.join(known)}{suggest(str(engine), known)}",
                )
        remote = None
        if "remote" in raw:
            remote_raw = self.mapping(
                raw["remote"], raw.key_lines["remote"], f"cell '{cell_id}' remote"
            )
            if remote_raw is not None:
                self.keys(remote_raw, _REMOTE_KEYS, f"cell '{cell_id}' remote")
                url = os.path.expandvars(str(remote_raw.get("url", "")))
                missing = re.findall(r"\$\{?(\w+)", url)
                if missing:
                    self.problem(
                        remote_raw.key_lines.get("url", remote_raw.line),
                        f"cell '{cell_id}': remote url needs ${missing[0]}, which is not set",
                        f"export {missing[0]}=... (grid URLs and their tokens come from the environment)",
                    )
                elif not url.startswith(("http://", "https://", "ws://", "wss://")):
                    self.problem(
                        remote_raw.line,
                        f"cell '{cell_id}': remote url {remote_raw.get('url')!r} is not a URL",
                        "use http(s):// for WebDriver or ws(s):// for a Playwright server",
                    )
                timeout = remote_raw.get("start_timeout")
                if timeout is not None and (
                    isinstance(timeout, bool)
                    or not isinstance(timeout, int | float)
                    or timeout <= 0
                ):
                    self.problem(
                        remote_raw.key_lines.get("start_timeout", remote_raw.line),
                        f"cell '{cell_id}': remote start_timeout {timeout!r} is not a number of seconds",
                        "write e.g. start_timeout: 180",
                    )
                    timeout = None
                spare = remote_raw.get("spare", False)
                if not isinstance(spare, bool):
                    self.problem(
                        remote_raw.key_lines.get("spare", remote_raw.line),
                        f"cell '{cell_id}': remote spare {spare!r} is not true or false",
                        "write spare: true (keep the next session ready) or leave it out",
                    )
                    spare = False
                remote = Remote(
                    url=url,
                    capabilities=dict(remote_raw.get("capabilities") or {}),
                    username_env=remote_raw.get("username_env"),
                    password_env=remote_raw.get("password_env"),
                    start_timeout=float(timeout) if timeout is not None else None,
                    spare=spare,
                )
        if any(known[e].needs_remote for e in engines if e in known) and remote is None:
            self.problem(
                line,
                f"cell '{cell_id}' uses a remote engine without 'remote:'",
                "add remote: {url: ...}",
            )
        stands_for = raw.get("stands_for")
        if stands_for is not None and (not isinstance(stands_for, str) or not stands_for.strip()):
            self.problem(
                raw.key_lines.get("stands_for", line),
                f"cell '{cell_id}': stands_for must be a browserslist query, got {stands_for!r}",
                'write it as a string, e.g. stands_for: "ios_saf >= 16.4"',
            )
            stands_for = None
        elif stands_for is not None:
            self.query_lines[cell_id] = raw.key_lines["stands_for"]
        device = devices[device_name].with_overrides(**self.device_fields(raw))
        return Cell(
            id=cell_id,
            browser=browser,
            device=device,
            engines=tuple(engines),
            tiers=self.tiers(raw.get("tier"), raw.key_lines.get("tier", line), cell_id),
            remote=remote,
            notes=str(raw.get("notes", "")),
            stands_for=stands_for.strip() if stands_for else None,
        )

    def queries(self, cells: Mapping[str, Cell]) -> None:
        """browserslist reads every stands_for query, once; Node missing only warns."""
        from compat_harness.versions.tools import ToolsUnavailable, resolve_queries

        queries = {c.id: c.stands_for for c in cells.values() if c.stands_for}
        try:
            answers = resolve_queries(queries)
        except ToolsUnavailable as exc:
            warnings.warn(
                f"{self.source}: stands_for queries not checked: {exc}",
                VersionsWarning,
                stacklevel=2,
            )
            return
        for cell_id, answer in answers.items():
            if answer.get("error"):
                self.problem(
                    self.query_lines.get(cell_id),
                    f"cell '{cell_id}': browserslist cannot read stands_for "
                    f"{queries[cell_id]!r} ({answer['error']})",
                    'write a browserslist query, e.g. "ios_saf >= 16.4", "and_chr >= 120", '
                    '"chrome >= 120" (https://browsersl.ist)',
                )


class VersionsWarning(UserWarning):
    """The stands_for queries could not be checked here (Node or the tools are missing)."""


def parse_matrix(
    text: str, source: str | Path = "<matrix>", *, check_queries: bool = True
) -> Matrix:
    """Parse and validate matrix YAML. Raises MatrixError naming every problem.
    ``check_queries``: have browserslist read the stands_for queries (a Node process)."""
    name = str(source)
    loader = _LineLoader(text)
    loader.name = name
    try:
        raw = loader.get_single_data()
    except MatrixError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise MatrixError(
            name,
            mark.line + 1 if mark else None,
            f"not valid YAML ({exc.problem})",
            "fix the syntax",
        ) from None
    finally:
        loader.dispose()
    v = _Validator(name)
    if not isinstance(raw, _Marked):
        raise MatrixError(
            name,
            1,
            "the matrix must be a mapping with 'cells' and 'cell_sets'",
            "see matrix/README.md",
        )
    v.keys(raw, _TOP_KEYS, "the matrix", _OLD_TOP_KEYS)
    devices = v.devices(raw.get("devices"), raw.key_lines.get("devices", 1))
    cells: dict[str, Cell] = {}
    cells_raw = v.mapping(raw.get("cells"), raw.key_lines.get("cells", 1), "'cells'")
    for cell_id, spec in (cells_raw or {}).items():
        entry = v.mapping(
            spec, cells_raw.key_lines[cell_id] if cells_raw else 1, f"cell '{cell_id}'"
        )
        if entry is not None and (cell := v.cell(str(cell_id), entry, devices)):
            cells[cell.id] = cell
    key = next((k for k in ("cell_sets", *_OLD_TOP_KEYS) if k in raw), "cell_sets")
    cell_sets: dict[str, tuple[str, ...]] = {}
    sets_raw = v.mapping(raw.get(key, _Marked()), raw.key_lines.get(key, 1), f"'{key}'")
    for name_, members in (sets_raw or {}).items():
        line = sets_raw.key_lines[name_] if sets_raw else 1
        if not isinstance(members, list) or not members:
            v.problem(
                line,
                f"cell set '{name_}' must be a non-empty list of cells",
                "e.g. quick: [chrome-desktop]",
            )
            continue
        seen: set[str] = set()
        for member in members:
            if member in seen:
                v.problem(
                    line, f"cell set '{name_}' lists cell '{member}' twice", "list each cell once"
                )
            seen.add(member)
            if member not in cells and not any(
                p[2].startswith(f"cell '{member}'") for p in v.problems
            ):
                v.problem(
                    line,
                    f"cell set '{name_}' names unknown cell '{member}'",
                    f"use one of: {', '.join(cells)}{suggest(str(member), cells)}",
                )
        cell_sets[str(name_)] = tuple(members)
    if check_queries:
        v.queries(cells)
    if v.problems:
        raise MatrixError.collect(v.problems)
    return Matrix(
        cells=cells, cell_sets=cell_sets, source=Path(name), deprecations=tuple(v.deprecations)
    )


def load_matrix(path: str | Path, *, check_queries: bool = True) -> Matrix:
    """Load a matrix file; a missing file is a MatrixError too."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MatrixError(
            path, None, f"cannot read the matrix file ({exc.strerror})", "check --matrix"
        ) from None
    return parse_matrix(text, path, check_queries=check_queries)
