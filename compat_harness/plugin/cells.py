"""Cells: the matrix is loaded and validated at start-up, the selected cells parametrize every test
that uses a browser, and each cell's engine is resolved once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compat_harness.config import Settings
from compat_harness.deprecation import say_deprecated
from compat_harness.engines import ENGINES, Resolution, for_remote_url, names, resolve
from compat_harness.matrix import Cell, Matrix, MatrixError, load_matrix, suggest
from compat_harness.plugin.profiles import pair_of
from compat_harness.plugin.record import Identity, identify
from compat_harness.plugin.settings import run_of, settings_of

PLAN = pytest.StashKey["CellPlan"]()


@dataclass
class CellPlan:
    """The selected cells and, resolved lazily, the engine that runs each one here."""

    matrix: Matrix
    cells: list[Cell]
    settings: Settings
    _resolutions: dict[str, Resolution] = field(default_factory=dict)

    def resolution(self, cell: Cell) -> Resolution:
        if cell.id not in self._resolutions:
            overrides = self.settings.engine_overrides
            forced = overrides.get(cell.id) or overrides.get(None)
            self._resolutions[cell.id] = resolve(cell, forced, settings=self.settings)
        return self._resolutions[cell.id]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "journey(name, portal=None): the journey a suite test belongs to"
    )
    settings = settings_of(config)
    path = settings.resolve_path("matrix", Path(config.rootpath))
    try:
        # browserslist reads the stands_for queries once, in the controller.
        matrix = load_matrix(path, check_queries=run_of(config).is_controller)
        cells = matrix.select(settings.cell_set, list(settings.cells) or None)
    except MatrixError as exc:
        raise pytest.UsageError(f"matrix: {exc}") from None
    if run_of(config).is_controller:
        say_deprecated(matrix.deprecations)
    browsers = config.getoption("browser", default=None) or []
    if browsers:  # pytest-playwright's --browser narrows the matrix to cells on those engines
        cells = [c for c in cells if c.browser in browsers]
    for item in settings.remote:
        _check_cell_names(f"--remote {item}", (item.partition("=")[0],), matrix)
    cells = [_remote_override(cell, settings.remote) for cell in cells]
    _check_engine_overrides(settings.engine_overrides, matrix, settings.sources["engine"])
    _check_cell_names("--allow-not-run", settings.allow_not_run, matrix, allow_all=True)
    config.stash[PLAN] = CellPlan(matrix, cells, settings)


def _check_engine_overrides(forced: dict[str | None, str], matrix: Matrix, source: str) -> None:
    """--engine / COMPAT_ENGINE: every cell and engine it names exists (a typo is not 'not run')."""
    known = names()
    where = "" if source in ("command line", "default") else f" (from {source})"
    for cell_id, engine in forced.items():
        given = f"{cell_id}={engine}" if cell_id else engine
        if cell_id is not None:
            _check_cell_names(f"--engine {given}{where}", (cell_id,), matrix)
        if engine not in known:
            raise pytest.UsageError(
                f"--engine {given}{where}: unknown engine {engine!r}. Fix: use one of "
                f"{', '.join(known)}{suggest(engine, known)}, as ENGINE or CELL=ENGINE"
            )


def _check_cell_names(
    what: str, given: tuple[str, ...], matrix: Matrix, *, allow_all: bool = False
) -> None:
    unknown = [n for n in given if n not in matrix.cells and not (allow_all and n == "all")]
    if unknown:
        choices = [*matrix.cells, *(["all"] if allow_all else [])]
        raise pytest.UsageError(
            f"{what}: no cell named {unknown[0]!r} in {matrix.source}. Fix: use one of "
            f"{', '.join(choices)}{suggest(unknown[0], choices)}"
        )


def _remote_override(cell: Cell, overrides: tuple[str, ...]) -> Cell:
    """--remote CELL=URL: the cell runs on the browser at that URL, by the engine for its scheme."""
    for item in overrides:
        cell_id, sep, url = item.partition("=")
        engine = for_remote_url(url) if sep else None
        if engine is None:
            schemes = sorted(
                {s for e in ENGINES.values() if e.default_for_remote_urls for s in e.remote_schemes}
            )
            raise pytest.UsageError(
                f"--remote {item!r}: write CELL=URL with a URL of one of: {', '.join(schemes)} "
                "(ws:// a Playwright server, http(s):// a WebDriver endpoint)"
            )
        if cell_id == cell.id:
            return engine.point_at(cell, url)
    return cell


def plan_of(config: pytest.Config) -> CellPlan:
    return config.stash[PLAN]


def list_cells(config: pytest.Config, setting: str) -> tuple[str, ...] | None:
    """The cells a list file (the quarantine, an allowlist) may name: the matrix's. None (any
    name) when the project's own file meets a matrix the user chose: its entries for the
    project's cells simply do not apply there."""
    settings = settings_of(config)
    if settings.sources[setting] == "default" and settings.sources["matrix"] != "default":
        return None
    return tuple(plan_of(config).matrix.cells)


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # tryfirst: the cell is the first parameter, so ids read test[cell-rest] and the cell-free
    # test id is the id without its first part.
    if "cell" in metafunc.fixturenames:
        cells = plan_of(metafunc.config).cells
        metafunc.parametrize(
            "cell", cells, ids=[c.id for c in cells], indirect=True, scope="session"
        )


def test_key(item: pytest.Item, cell: Cell) -> str:
    """The test's id without the cell: the row of the compatibility matrix."""
    base, _, params = item.nodeid.partition("[")
    params = params[:-1] if params.endswith("]") else params
    rest = params[len(cell.id) :].lstrip("-") if params.startswith(cell.id) else params
    return f"{base}[{rest}]" if rest else base


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Label each browser test with its cell, journey, portal and row, for every report."""
    seed = settings_of(config).shuffle
    if seed is not None:
        _shuffle_within_cells(items, seed)
    only = settings_of(config).portal
    if only:  # --portal: one portal's runs of the journeys parametrized over both
        other = [i for i in items if _portal_param(i) not in (None, only)]
        if other:
            config.hook.pytest_deselected(items=other)
            items[:] = [i for i in items if i not in other]
    for item in items:
        callspec = getattr(item, "callspec", None)
        cell = callspec.params.get("cell") if callspec else None
        if not isinstance(cell, Cell) or callspec is None:
            continue
        marker = item.get_closest_marker("journey")
        journey = (
            marker.args[0] if marker and marker.args else None
        ) or item.path.stem.removeprefix("test_")
        portal = callspec.params.get("portal") or (marker.kwargs.get("portal") if marker else None)
        doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip().splitlines()
        profile = callspec.params.get("profile")
        identify(
            item,
            Identity(
                test=test_key(item, cell),
                journey=journey,
                cell=cell.id,
                portal=str(portal) if portal else None,
                title=doc[0] if doc else "",
                profile=str(profile) if profile is not None else None,
                pair=pair_of(item),
            ),
        )


def _portal_param(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    portal = callspec.params.get("portal") if callspec else None
    return str(portal) if portal is not None else None


def _shuffle_within_cells(items: list[pytest.Item], seed: int) -> None:
    """Reorder tests randomly but keep each cell's tests together (one browser per cell)."""
    import random

    rng = random.Random(seed)
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        callspec = getattr(item, "callspec", None)
        cell = callspec.params.get("cell") if callspec else None
        groups.setdefault(cell.id if isinstance(cell, Cell) else "", []).append(item)
    for group in groups.values():
        rng.shuffle(group)
    items[:] = [item for group in groups.values() for item in group]


@pytest.fixture(scope="session")
def cell(request: pytest.FixtureRequest) -> Cell:
    """The cell this test runs on (parametrized from the selected cell set or cells)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def cell_resolution(cell: Cell, pytestconfig: pytest.Config) -> Resolution:
    """Which engine runs the cell in this process."""
    return plan_of(pytestconfig).resolution(cell)
