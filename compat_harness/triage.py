"""Cross-cell triage: a failure's category comes from the pattern across the cells and profiles
of the same test in the run, not from a fixed label.

A test that fails on every cell that ran it is a product bug; one that fails on exactly the WebKit
cells (or the Chromium cells, the phones, the cells delivering touch events, ...) points at that
trait; a paired journey whose stored-data run fails while the fresh one passes is a stored-data
problem. Cells that did not run the test (not run, not applicable, or whose browser could not
start) count neither way; a flaky cell is named but not compared. With one cell there is nothing
to compare, and the triage says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from compat_harness.profiles import Pair, PairVerdict, pairs
from compat_harness.results import CellRecord, RunResult, Status, TestResult


class Category(StrEnum):
    PRODUCT = "product"
    WEBKIT = "webkit-only"
    CHROMIUM = "chromium-only"
    FIREFOX = "firefox-only"
    PHONE = "phone-only"
    MOBILE = "mobile-only"
    TOUCH = "touch-only"
    DESKTOP = "desktop-only"
    STORED_DATA = "stored-data"
    FRESH_PROFILE = "fresh-profile-only"
    ONE_CELL = "one-cell"
    MIXED = "mixed"
    SINGLE_CELL = "single-cell"
    FLAKY = "flaky"
    ENVIRONMENT = "environment"
    HARNESS = "harness"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Category.PRODUCT: "Product bug: fails on every cell",
    Category.WEBKIT: "Only on WebKit cells",
    Category.CHROMIUM: "Only on Chromium cells",
    Category.FIREFOX: "Only on Firefox cells",
    Category.PHONE: "Only on phones",
    Category.MOBILE: "Only on phones and tablets",
    Category.TOUCH: "Only on touch cells",
    Category.DESKTOP: "Only on desktops",
    Category.STORED_DATA: "Only with stored data (cache, cookies, storage)",
    Category.FRESH_PROFILE: "Only in a fresh profile",
    Category.ONE_CELL: "Only on one cell",
    Category.MIXED: "Mixed: no single trait",
    Category.SINGLE_CELL: "One cell ran it: nothing to compare",
    Category.FLAKY: "Flaky: failed, then passed on a retry",
    Category.ENVIRONMENT: "Environment (browser, display, network)",
    Category.HARNESS: "Harness error",
}

# error.category values the harness sets itself: such a result did not test the product.
_OWN_CATEGORIES = {"environment": Category.ENVIRONMENT, "harness": Category.HARNESS}


@dataclass(frozen=True)
class _Trait:
    category: Category
    kind: str  # engine | device | input: of several fitting traits, the first of each kind is named
    noun: str  # singular, as in "the only WebKit cell here"
    has: Callable[[CellRecord], bool]


def _viewport_width(cell: CellRecord) -> int:
    width = str(cell.device.get("viewport", "")).partition("x")[0]
    return int(width) if width.isdigit() else 0


def delivers_touch(cell: CellRecord) -> bool:
    """What the engine delivered, not what the device would: WebKitGTK under Xvfb has no touch."""
    return bool((cell.engine or {}).get("touch_events"))


def is_phone(cell: CellRecord) -> bool:
    """A mobile device narrower than 600 CSS px, read from the cell's recorded device."""
    return bool(cell.device.get("mobile")) and 0 < _viewport_width(cell) < 600


def _browser(name: str) -> Callable[[CellRecord], bool]:
    return lambda cell: cell.browser == name


# In order of precedence when several fit the same cells: the engine first (the commonest cause
# of a difference between cells), then the device, then the input.
_TRAITS = (
    _Trait(Category.WEBKIT, "engine", "WebKit cell", _browser("webkit")),
    _Trait(Category.CHROMIUM, "engine", "Chromium cell", _browser("chromium")),
    _Trait(Category.FIREFOX, "engine", "Firefox cell", _browser("firefox")),
    _Trait(Category.PHONE, "device", "phone", is_phone),
    _Trait(Category.MOBILE, "device", "phone or tablet", lambda c: bool(c.device.get("mobile"))),
    _Trait(Category.DESKTOP, "device", "desktop", lambda c: not c.device.get("mobile")),
    _Trait(Category.TOUCH, "input", "cell delivering touch events", delivers_touch),
)


@dataclass(frozen=True)
class Triage:
    """One failed or flaky result's category, with a one-line reason naming the cells."""

    test: str
    cell: str
    category: Category
    reason: str
    group: str = ""  # the test with its profile folded (the pattern's scope)
    failed: tuple[str, ...] = ()  # cells of the test that failed (outright)
    flaky: tuple[str, ...] = ()
    passed: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.category.label

    def to_json(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "cell": self.cell,
            "group": self.group,
            "category": self.category.value,
            "label": self.label,
            "reason": self.reason,
            "failed": list(self.failed),
            "flaky": list(self.flaky),
            "passed": list(self.passed),
        }


def _counts(result: TestResult) -> bool:
    """Whether a result says anything about the product on its cell."""
    if result.status not in (Status.PASSED, Status.FAILED, Status.FLAKY):
        return False
    return result.error is None or result.error.category not in _OWN_CATEGORIES


def _names(cells: Iterable[str]) -> str:
    items = list(cells)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _group_key(result: TestResult) -> str:
    """The test with its profile folded: both runs of a pair are one test across the cells."""
    return result.pair or result.test


def triage(run: RunResult) -> dict[tuple[str, str], Triage]:
    """Every failed or flaky result's triage, keyed by (test, cell), in the run's order."""
    groups: dict[str, list[TestResult]] = {}
    for r in run.results:
        groups.setdefault(_group_key(r), []).append(r)
    patterns: dict[str, _Pattern] = {}
    out: dict[tuple[str, str], Triage] = {}
    for r in run.results:
        if r.status not in (Status.FAILED, Status.FLAKY):
            continue
        own = _OWN_CATEGORIES.get(r.error.category) if r.error else None
        if own is not None and r.status is Status.FAILED:
            out[(r.test, r.cell)] = _own(r, own)
            continue
        key = _group_key(r)
        if key not in patterns:
            patterns[key] = _Pattern(run, groups[key])
        out[(r.test, r.cell)] = patterns[key].of(r)
    return out


def by_pattern(triage: dict[tuple[str, str], Triage]) -> list[tuple[Triage, list[str]]]:
    """The tests that share a category and reason (one pattern across the same cells), each
    pattern once with its tests (profiles folded), for summaries."""
    found: dict[tuple[Category, str], tuple[Triage, list[str]]] = {}
    for t in triage.values():
        _, tests = found.setdefault((t.category, t.reason), (t, []))
        if t.group not in tests:
            tests.append(t.group)
    return list(found.values())


def short_names(tests: list[str], limit: int, quote: str = "") -> str:
    """'`a`, `b` and 3 more': the tests' names without their file, at most ``limit`` of them."""
    names = ", ".join(f"{quote}{t.rsplit('::', 1)[-1]}{quote}" for t in tests[:limit])
    return names + (f" and {len(tests) - limit} more" if len(tests) > limit else "")


def _own(result: TestResult, category: Category) -> Triage:
    what = (
        "the browser could not start"
        if category is Category.ENVIRONMENT
        else "the harness itself failed"
    )
    reason = f"{what} on {result.cell}: not a verdict on the product"
    return Triage(result.test, result.cell, category, reason, _group_key(result), (result.cell,))


def _cell_verdicts(found: list[Pair]) -> dict[str, PairVerdict]:
    """One pair verdict per cell. A cell has a pair per stored-data profile (signed out, tab
    closed): it fails only with stored data when any stored run fails while the fresh one passes,
    and only in a fresh profile when every stored run passes while the fresh one fails."""
    by_cell: dict[str, list[PairVerdict]] = {}
    for pair in found:
        by_cell.setdefault(pair.cell, []).append(pair.verdict)
    out = {}
    for cell, verdicts in by_cell.items():
        if PairVerdict.STORED_DATA in verdicts:
            out[cell] = PairVerdict.STORED_DATA
        else:
            out[cell] = next(
                (v for v in verdicts if v is not PairVerdict.NEEDS_STORED_STATE), verdicts[0]
            )
    return out


class _Pattern:
    """One test (its profiles folded) across the cells of the run."""

    def __init__(self, run: RunResult, results: list[TestResult]) -> None:
        self.records = {c.id: c for c in run.cells}
        statuses: dict[str, list[Status]] = {}
        for r in results:
            if _counts(r):
                statuses.setdefault(r.cell, []).append(r.status)
        cells = [c.id for c in run.cells if c.id in statuses]
        cells += [c for c in statuses if c not in cells]
        self.failed = tuple(c for c in cells if Status.FAILED in statuses[c])
        self.flaky = tuple(c for c in cells if c not in self.failed and Status.FLAKY in statuses[c])
        self.passed = tuple(c for c in cells if c not in self.failed and c not in self.flaky)
        self.uncounted = tuple(dict.fromkeys(r.cell for r in results if r.cell not in statuses))
        self.pairs = _cell_verdicts(pairs(results))

    def of(self, result: TestResult) -> Triage:
        if result.status is Status.FLAKY:
            category, reason = Category.FLAKY, self._flaky()
        else:
            category, reason = self._failed()
        if self.uncounted:
            reason += f"; not counted: {_names(self.uncounted)} (did not run it)"
        return Triage(
            result.test,
            result.cell,
            category,
            reason,
            _group_key(result),
            self.failed,
            self.flaky,
            self.passed,
        )

    def _failed(self) -> tuple[Category, str]:
        flaky = f"; flaky (not compared): {_names(self.flaky)}" if self.flaky else ""
        profile = self._profile_pattern(flaky)
        if profile is not None:
            return profile
        if len(self.failed) + len(self.flaky) + len(self.passed) == 1:
            return (
                Category.SINGLE_CELL,
                f"only {self.failed[0]} ran it, so there is no other cell to compare with",
            )
        if not self.passed and len(self.failed) == 1:
            return (
                Category.MIXED,
                f"fails on {self.failed[0]}; the other cells that ran it were flaky "
                f"({_names(self.flaky)}), so none passed cleanly to compare with",
            )
        if not self.passed:
            return (
                Category.PRODUCT,
                f"fails on every cell that ran it ({_names(self.failed)}){flaky}",
            )
        passes = f"; passes on {_names(self.passed)}{flaky}"
        traits = self._traits(self.failed, self.passed)
        if traits:
            return traits[0].category, f"fails on {_describe(self.failed, traits)}{passes}"
        if len(self.failed) == 1:
            return Category.ONE_CELL, f"fails only on {self.failed[0]}{passes}"
        spared = self._traits(self.passed, self.failed)
        apart = (
            f"it passes only on {_describe(self.passed, spared)}"
            if spared
            else "no browser, device or touch trait sets them apart"
        )
        return Category.MIXED, f"fails on {_names(self.failed)}{passes}: {apart}"

    def _profile_pattern(self, flaky: str) -> tuple[Category, str] | None:
        """Stored data (or a fresh profile) as the difference, on every failing cell."""
        for verdict, category, what, other in (
            (PairVerdict.STORED_DATA, Category.STORED_DATA, "with stored data", "a fresh profile"),
            (
                PairVerdict.NEEDS_STORED_STATE,
                Category.FRESH_PROFILE,
                "in a fresh profile",
                "stored data",
            ),
        ):
            if all(self.pairs.get(c) is verdict for c in self.failed):
                where = (
                    f"on {_names(self.failed)}; passes in both profiles on {_names(self.passed)}"
                    if self.passed
                    else f"on every cell that ran it ({_names(self.failed)})"
                )
                return category, f"fails only {what} ({other} passes) {where}{flaky}"
        return None

    def _flaky(self) -> str:
        text = f"failed, then passed on a retry, on {_names(self.flaky)}"
        if self.failed:
            return f"{text}; fails outright on {_names(self.failed)}"
        if not self.passed:
            return text
        traits = self._traits(self.flaky, self.passed)
        where = f" ({_every(self.flaky, traits[0])})" if traits else ""
        return f"{text}{where}; passed at once on {_names(self.passed)}"

    def _traits(self, cells: tuple[str, ...], others: tuple[str, ...]) -> list[_Trait]:
        """The traits that ``cells`` all have and ``others`` all lack, one per kind."""
        if any(c not in self.records for c in (*cells, *others)):
            return []  # a cell the run has no record of: its traits are unknown
        found: dict[str, _Trait] = {}
        for trait in _TRAITS:
            fits = all(trait.has(self.records[c]) for c in cells) and not any(
                trait.has(self.records[c]) for c in others
            )
            if fits:
                found.setdefault(trait.kind, trait)
        return list(found.values())


def _every(cells: tuple[str, ...], trait: _Trait) -> str:
    return f"the only {trait.noun} here" if len(cells) == 1 else f"every {trait.noun} here"


def _describe(cells: tuple[str, ...], traits: list[_Trait]) -> str:
    """'ios-webkit, the only WebKit cell here (also the only phone: ...)'."""
    text = f"{_names(cells)}, {_every(cells, traits[0])}"
    if len(traits) > 1:
        also = " and ".join(_every(cells, t).removesuffix(" here") for t in traits[1:])
        text += f" (also {also}: this run cannot tell these apart)"
    return text
