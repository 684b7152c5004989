"""Cells: the matrix is loaded and validated at start-up, the selected cells parametrize every test
that uses a browser, and each cell's engine is resolved once per process."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compat_harness.engines import ENGINES, Resolution, for_remote_url, resolve
from compat_harness.matrix import Cell, Matrix, MatrixError, load_matrix
from compat_harness.plugin.settings import run_of, settings_of

PLAN = pytest.StashKey["CellPlan"]()


@dataclass
class CellPlan:
    """The selected cells and, resolved lazily, the engine that runs each one here."""

    matrix: Matrix
    cells: list[Cell]
    forced: dict[str | None, str]
    _resolutions: dict[str, Resolution] = field(default_factory=dict)

    def resolution(self, cell: Cell) -> Resolution:
        if cell.id not in self._resolutions:
            forced = self.forced.get(cell.id) or self.forced.get(None)
            self._resolutions[cell.id] = resolve(cell, forced)
        return self._resolutions[cell.id]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("compat").addoption(
        "--shuffle",
        type=int,
        default=None,
        metavar="SEED",
        help="run the tests of each cell in a random order (seeded) to prove journeys are independent",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "journey(name, portal=None): the journey a suite test belongs to"
    )
    settings = settings_of(config)
    path = settings.resolve_path("matrix", Path(config.rootpath))
    try:
        # browserslist reads the stands_for queries once, in the controller.
        matrix = load_matrix(path, check_queries=run_of(config).is_controller)
        cells = matrix.select(settings.profile, list(settings.cells) or None)
    except MatrixError as exc:
        raise pytest.UsageError(f"matrix: {exc}") from None
    browsers = config.getoption("browser", default=None) or []
    if browsers:  # pytest-playwright's --browser narrows the matrix to cells on those engines
        cells = [c for c in cells if c.browser in browsers]
    for item in settings.remote:
        if item.partition("=")[0] not in matrix.cells:
            raise pytest.UsageError(f"--remote {item}: no cell named {item.partition('=')[0]!r}")
    cells = [_remote_override(cell, settings.remote) for cell in cells]
    for cell_id, engine in settings.engine_overrides.items():
        if cell_id is not None and cell_id not in matrix.cells:
            raise pytest.UsageError(f"--engine {cell_id}={engine}: no cell named {cell_id!r}")
    config.stash[PLAN] = CellPlan(matrix, cells, settings.engine_overrides)


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
    seed = config.getoption("shuffle", default=None)
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
        item.user_properties.append(
            (
                "compat",
                json.dumps(
                    {
                        "cell": cell.id,
                        "test": test_key(item, cell),
                        "journey": journey,
                        "portal": str(portal) if portal else None,
                        "title": doc[0] if doc else "",
                        "profile": str(callspec.params["profile"])
                        if "profile" in callspec.params
                        else None,
                    }
                ),
            )
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
    """The cell this test runs on (parametrized from the selected profile/cells)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def cell_resolution(cell: Cell, pytestconfig: pytest.Config) -> Resolution:
    """Which engine runs the cell in this process."""
    return plan_of(pytestconfig).resolution(cell)
