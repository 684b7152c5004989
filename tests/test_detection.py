"""The harness finds real compatibility faults: against the clean reference app every available
cell passes every journey; with each catalogued defect on, exactly the documented (test, cell)
pairs fail — no more (false alarms), no fewer (missed faults) — and paired journeys get the
documented verdict (stored data vs product bug).

Each defect runs the journeys its expectations name (the journeys that use what it breaks) on every
default cell; the clean run covers every suite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compat_harness.profiles import PairVerdict, pairs, profile_of
from compat_harness.results import CellRecord, RunResult, Status, TestResult
from reference_app.defects import CATALOG, Defect
from tests.support.expectations import EXPECTED, VERSIONS_ROW, Expectation
from tests.support.matrix_run import (
    ROOT,
    describe,
    expected_failures,
    expected_failures_of,
    has_trait,
    run_suites,
)

DETECTABLE = [d for d in CATALOG if EXPECTED.get(d.name)]
DEFAULT_CELLS = ("chrome-desktop", "ios-webkit", "android-chrome")
_VERDICTS = {"stored-data": PairVerdict.STORED_DATA, "product-bug": PairVerdict.PRODUCT_BUG}


# A version defect's code is on the login page or in the shared script: loading the login pages
# serves it (the check reads what was served, on every cell at once).
_LOAD_PAGES = ["suites/test_login_url.py", "-k", "test_login_page_loads"]


def _journeys_of(defect: Defect) -> list[str]:
    """The journeys the expectations name, each with all its parametrizations on every default
    cell (so where the defect must not show is checked too); a whole file where a pattern names
    one. The clean run covers every journey without the defect."""
    files: dict[str, set[str] | None] = {}
    for expectation in EXPECTED[defect.name]:
        for pattern in expectation.tests:
            if pattern == VERSIONS_ROW:
                continue
            file, _, test = pattern.partition("::")
            name = test.split("[")[0]
            if not name or "*" in name:
                files[file] = None
            elif (names := files.setdefault(file, set())) is not None:
                names.add(name)
    ids = [
        f"suites/{file}::{name}" if name else f"suites/{file}"
        for file, names in sorted(files.items())
        for name in (sorted(names) if names is not None else [""])
    ]
    return ids or _LOAD_PAGES


def _version_expectations(defect: Defect) -> list[Expectation]:
    return [e for e in EXPECTED[defect.name] if e.cells == "versions"]


def test_clean_app_passes_every_journey_on_every_default_cell(tmp_path: Path) -> None:
    # Shuffled and on two workers: journeys must not depend on order or share state. Nothing is
    # expected to fail here, so the timeouts only guard against a loaded machine.
    run = run_suites(
        ["suites", "--shuffle", "7", "-n", "2", "--expect-timeout", "10", "--action-timeout", "15"],
        tmp_path,
    )
    for cell_id in DEFAULT_CELLS:
        cell = run.cell(cell_id)
        assert cell.status == "ran" and cell.engine, (
            f"{cell_id} did not run: {cell.reason} ({cell.install})"
        )
    webkit = run.cell("ios-webkit").engine or {}
    assert "webkit" in str(webkit.get("browser", "")).lower(), f"ios-webkit ran on {webkit}"
    assert (run.cell("chrome-desktop").engine or {}).get("browser") == "chromium"
    bad = run.with_status(Status.FAILED, Status.FLAKY, Status.NOT_RUN)
    assert not bad, "the clean app must pass everywhere:\n" + describe(bad, run.run.results)
    not_applicable = [r for r in run.run.results if r.status is Status.NOT_APPLICABLE]
    assert all(r.reason for r in not_applicable)
    assert all(p.verdict is PairVerdict.PASSES for p in pairs(run.run.results))
    assert run.code == 0, run.output[-2000:]


@pytest.mark.parametrize("defect", DETECTABLE, ids=lambda d: d.name)
def test_each_defect_fails_exactly_its_documented_cells(defect: Defect, tmp_path: Path) -> None:
    versions = _version_expectations(defect)
    run = run_suites(
        _journeys_of(defect), tmp_path, defects=(defect.name,), versions=bool(versions)
    )
    assert run.run.run["target"]["defects"] == [defect.name]
    ran = {c.id for c in run.run.cells if c.status == "ran"}
    assert set(DEFAULT_CELLS) <= ran, f"cells that did not run: {set(DEFAULT_CELLS) - ran}"
    expected = expected_failures(run.run, EXPECTED[defect.name])
    failed = run.with_status(Status.FAILED)
    assert expected, f"{defect.name}: the expectations match no result — a pattern is stale"
    assert failed == expected, (
        f"{defect.name}\nfailed but not documented:\n{describe(failed - expected, run.run.results)}"
        f"\ndocumented but passed:\n{describe(expected - failed, run.run.results)}"
    )
    unsettled = run.with_status(Status.FLAKY, Status.NOT_RUN)
    assert not unsettled, describe(unsettled, run.run.results)
    _check_pair_verdicts(defect, run.run.results, expected)
    _check_sentinel_kinds(defect, run.run.results, expected)
    for expectation in versions:
        _check_version_findings(expectation, run.run, tmp_path / "run")


def _check_sentinel_kinds(
    defect: Defect, results: list[TestResult], expected: set[tuple[str, str]]
) -> None:
    """Where the catalog says a page sentinel sees the defect first, the test failed by that
    kind of finding, which is among the result's findings; elsewhere by the journey's own
    assertion (``error.sentinel`` empty)."""
    by_key = {(r.test, r.cell): r for r in results}
    for expectation in EXPECTED[defect.name]:
        if expectation.cells == "versions":
            continue
        for key in expected_failures_of(results, expectation, expected):
            result = by_key[key]
            error = result.error
            assert error is not None, key
            got = error.sentinel
            if expectation.sentinel is None:
                continue  # a journey's assertion, or a sentinel (both are a person seeing it)
            assert got == expectation.sentinel, (
                f"{defect.name}: {key} failed by {got or 'its own assertion'}, not a "
                f"{expectation.sentinel} finding: {error.message[:300]}"
            )
            assert any(f.kind == got for f in result.findings), (key, result.findings)


def _check_version_findings(expectation: Expectation, run: RunResult, run_dir: Path) -> None:
    """Each cell whose versions lack the feature names it with its file, line and column (which
    point at the feature in the text served), its first version and its source; no other cell
    names it."""
    served = {}
    for index in (run_dir / "versions").glob("index-*.jsonl"):
        for line in index.read_text().splitlines():
            entry = json.loads(line)
            served[entry["url"]] = run_dir / "versions" / "assets" / entry["file"]
    first = dict(expectation.first)
    token = expectation.feature.split("(")[0].split(".")[-1].replace("CSS Nesting", "&")
    for row in (r for r in run.results if r.test == VERSIONS_ROW):
        findings = [
            f
            for f in (row.versions or {}).get("findings", [])
            if f["feature"] == expectation.feature
        ]
        lacking = expected_failures(run, (expectation,))
        if (row.test, row.cell) not in lacking:
            assert not findings, f"{row.cell} names {expectation.feature}: {findings}"
            continue
        assert findings, f"{row.cell}: no finding of {expectation.feature}"
        for finding in findings:
            text = served[finding["file"]].read_text().splitlines()[finding["line"] - 1]
            assert token in text[finding["column"] - 1 :][: len(token) + 40], (finding, text)
            families = {t.partition(" ")[0] for t in finding["lacking"]}
            for family in families:
                assert finding["first"].get(family) == first[family], (family, finding["first"])
            assert finding["source"]["name"] in ("MDN browser-compat-data", "caniuse")
            assert finding["source"]["url"].startswith("https://"), finding["source"]
        assert row.status is Status.FAILED and expectation.feature in (
            row.error.message if row.error else ""
        )
        assert "static evidence" in (row.error.message if row.error else "")


def _check_pair_verdicts(
    defect: Defect, results: list[TestResult], expected: set[tuple[str, str]]
) -> None:
    """Paired journeys get the documented verdict where the defect shows, 'passes' elsewhere; each
    stored-data profile's pair on its own (a fault may show after signing out and not after
    closing the tab)."""
    grid = {(r.test, r.cell): r for r in results}
    wanted = {
        (grid[key].pair, key[1], profile_of(grid[key])): _VERDICTS[e.verdict]
        for e in EXPECTED[defect.name]
        if e.verdict
        for key in expected_failures_of(results, e, expected)
    }
    for pair in pairs(results):
        touched = any(grid[key].pair == pair.test and key[1] == pair.cell for key in expected)
        want = wanted.get((pair.test, pair.cell, pair.profile))
        if touched and want is None:
            continue  # a paired journey failing for a documented reason without a stated verdict
        want = want or PairVerdict.PASSES
        assert pair.verdict is want, (
            f"{defect.name}: {pair.test} on {pair.cell}: {pair.verdict.value}"
        )


def test_every_catalogued_defect_has_its_expectations_and_no_other() -> None:
    names = {d.name for d in CATALOG}
    assert set(EXPECTED) - names == set(), "expectations of defects the app does not have"
    assert names - set(EXPECTED) == set(), "defects without expectations (say where they show)"


def test_every_expectation_names_a_known_trait_and_an_existing_suite() -> None:
    probe = CellRecord(
        "x", {}, {"viewport": "390x844", "mobile": True}, "webkit", {"touch_events": False}
    )
    for defect in CATALOG:
        for expectation in EXPECTED.get(defect.name, ()):
            has_trait(probe, expectation.cells)  # raises on an unknown trait
            assert expectation.why, f"{defect.name}: say why these cells fail"
            assert expectation.verdict in (None, *_VERDICTS), (
                f"{defect.name}: verdict {expectation.verdict}"
            )
            for pattern in expectation.tests:
                if pattern == VERSIONS_ROW:
                    assert expectation.cells == "versions" and expectation.first, defect.name
                    continue
                assert (ROOT / "suites" / pattern.split("::")[0]).exists(), (
                    f"{defect.name}: {pattern}"
                )
