"""Cross-cell triage over synthetic runs: every pattern (product, one engine, phones, touch,
desktops, stored data, fresh profile, one cell, mixed) and the edge cases (one cell in the run,
cells that did not run the test, flaky, quarantined, paired, environment and harness errors)."""

from __future__ import annotations

import pytest

from compat_harness.results import ErrorInfo, RunResult, Status, TestResult, pair_from_test_id
from compat_harness.triage import Category, Triage
from tests.support.runs import CELLS, DEFAULT
from tests.support.runs import cell as make_cell

FULL = tuple(CELLS)
P, F, FL, NR, NA = Status.PASSED, Status.FAILED, Status.FLAKY, Status.NOT_RUN, Status.NOT_APPLICABLE


def _result(test: str, cell: str, status: Status) -> TestResult:
    failed = status in (Status.FAILED, Status.FLAKY)
    return pair_from_test_id(
        TestResult(
            test=test,
            journey="j",
            cell=cell,
            status=status,
            error=ErrorInfo("boom") if failed else None,
            reason="desktop only" if status in (NR, NA) else "",
        )
    )


def _run(
    cells: tuple[str, ...], statuses: dict[str, Status], test: str = "t.py::test_x"
) -> RunResult:
    results = [_result(test, cell, statuses.get(cell, P)) for cell in cells]
    return RunResult({"id": "r"}, [CELLS[c] for c in cells], results)


def _paired(
    cells: tuple[str, ...], stored: dict[str, Status], incognito: dict[str, Status] | None = None
) -> RunResult:
    results = []
    for cell in cells:
        results.append(_result("t.py::test_p[incognito]", cell, (incognito or {}).get(cell, P)))
        results.append(_result("t.py::test_p[stored]", cell, stored.get(cell, P)))
    return RunResult({"id": "r"}, [CELLS[c] for c in cells], results)


def _one(run: RunResult, cell: str, test: str | None = None) -> Triage:
    test = test or run.results[0].test
    return run.triage()[(test, cell)]


@pytest.mark.parametrize(
    ("cells", "failing", "category", "words"),
    [
        (DEFAULT, DEFAULT, Category.PRODUCT, "fails on every cell that ran it (chrome-desktop, "),
        (DEFAULT, ("ios-webkit",), Category.WEBKIT, "ios-webkit, the only WebKit cell here"),
        (
            FULL,
            ("ios-webkit", "desktop-webkit", "ipad-webkit"),
            Category.WEBKIT,
            "ios-webkit, desktop-webkit and ipad-webkit, every WebKit cell here",
        ),
        (
            FULL,
            ("chrome-desktop", "android-chrome", "small-android"),
            Category.CHROMIUM,
            "every Chromium cell here",
        ),
        (FULL, ("firefox-desktop",), Category.FIREFOX, "the only Firefox cell here"),
        (DEFAULT, ("ios-webkit", "android-chrome"), Category.PHONE, "every phone here; passes"),
        (
            FULL,
            ("ios-webkit", "android-chrome", "ipad-webkit", "small-android"),
            Category.MOBILE,
            "every phone or tablet here",
        ),
        (DEFAULT, ("android-chrome",), Category.TOUCH, "the only cell delivering touch events"),
        (
            FULL,
            ("android-chrome", "small-android"),
            Category.TOUCH,
            "every cell delivering touch events here",
        ),
        (DEFAULT, ("chrome-desktop",), Category.DESKTOP, "the only desktop here"),
        (FULL, ("small-android",), Category.ONE_CELL, "fails only on small-android; passes on"),
        (
            FULL,
            ("chrome-desktop", "ipad-webkit"),
            Category.MIXED,
            "no browser, device or touch trait sets them apart",
        ),
        (
            DEFAULT,
            ("chrome-desktop", "ios-webkit"),
            Category.MIXED,
            "it passes only on android-chrome, the only cell delivering touch events here",
        ),
    ],
)
def test_the_pattern_across_cells_decides_the_category(
    cells: tuple[str, ...], failing: tuple[str, ...], category: Category, words: str
) -> None:
    run = _run(cells, {c: F for c in failing})
    found = {key[1]: t for key, t in run.triage().items()}
    assert set(found) == set(failing)  # only failed (or flaky) results are triaged
    for t in found.values():
        assert t.category is category, t.reason
        assert words in t.reason
        assert t.failed == tuple(c for c in cells if c in failing)
        assert t.passed == tuple(c for c in cells if c not in failing)
        # The reason names every cell that took part.
        assert all(c in t.reason for c in cells)


def test_traits_that_the_run_cannot_tell_apart_are_both_named() -> None:
    # With Playwright's WebKit the iPhone cell delivers touch: phones and touch cells coincide.
    cells = (*DEFAULT,)
    run = _run(cells, {"ios-webkit": F, "android-chrome": F})
    run.cells[1] = make_cell("ios-webkit", "webkit", "390x844", mobile=True, touch_events=True)
    t = _one(run, "ios-webkit")
    assert t.category is Category.PHONE
    assert "every phone here (also every cell delivering touch events: this run cannot tell" in (
        t.reason
    )


def test_a_single_cell_says_there_is_nothing_to_compare() -> None:
    t = _one(_run(("ios-webkit",), {"ios-webkit": F}), "ios-webkit")
    assert t.category is Category.SINGLE_CELL
    assert t.reason == "only ios-webkit ran it, so there is no other cell to compare with"


def test_cells_that_did_not_run_the_test_count_neither_way() -> None:
    run = _run(DEFAULT, {"chrome-desktop": NA, "ios-webkit": F, "android-chrome": P})
    t = _one(run, "ios-webkit")
    # Compared with android-chrome alone: the WebKit cell.
    assert t.category is Category.WEBKIT and t.passed == ("android-chrome",)
    assert t.reason.endswith("; not counted: chrome-desktop (did not run it)")
    # Only one cell left that ran it: nothing to compare.
    run = _run(DEFAULT, {"chrome-desktop": NR, "ios-webkit": F, "android-chrome": NA})
    assert _one(run, "ios-webkit").category is Category.SINGLE_CELL
    # A test that is not collected for a cell at all (no result there) is simply not in it.
    run = _run(DEFAULT, {"ios-webkit": F})
    del run.results[0]
    assert _one(run, "ios-webkit").passed == ("android-chrome",)


def test_a_browser_that_could_not_start_is_environment_and_does_not_count() -> None:
    run = _run(DEFAULT, {"ios-webkit": F, "android-chrome": F})
    assert run.results[1].error is not None
    run.results[1].error.category = "environment"
    triage = run.triage()
    env = triage[(run.results[1].test, "ios-webkit")]
    assert env.category is Category.ENVIRONMENT
    assert "browser could not start on ios-webkit" in env.reason
    # android-chrome is then compared with chrome-desktop only.
    droid = triage[(run.results[2].test, "android-chrome")]
    assert droid.category is Category.PHONE and "not counted: ios-webkit" in droid.reason
    run.results[2].error.category = "harness"  # type: ignore[union-attr]
    assert run.triage()[(run.results[2].test, "android-chrome")].category is Category.HARNESS


def test_flaky_results_are_flaky_and_not_compared() -> None:
    run = _run(DEFAULT, {"chrome-desktop": FL})
    t = _one(run, "chrome-desktop")
    assert t.category is Category.FLAKY
    assert t.reason == (
        "failed, then passed on a retry, on chrome-desktop (the only desktop here); "
        "passed at once on ios-webkit and android-chrome"
    )
    run = _run(DEFAULT, {"ios-webkit": F, "android-chrome": FL})
    webkit, droid = _one(run, "ios-webkit"), _one(run, "android-chrome")
    # ios-webkit against chrome-desktop only: WebKit, and the only phone of the two.
    assert webkit.category is Category.WEBKIT and webkit.flaky == ("android-chrome",)
    assert "flaky (not compared): android-chrome" in webkit.reason
    assert "(also the only phone: this run cannot tell these apart)" in webkit.reason
    assert droid.category is Category.FLAKY and "fails outright on ios-webkit" in droid.reason
    # Fails on one cell, flaky on every other: nothing passed cleanly.
    run = _run(DEFAULT, {"chrome-desktop": FL, "ios-webkit": F, "android-chrome": FL})
    assert _one(run, "ios-webkit").category is Category.MIXED


def test_quarantined_and_not_gating_results_keep_their_marks_and_get_triage() -> None:
    run = _run(DEFAULT, {"ios-webkit": F, "android-chrome": F})
    run.results[1].quarantine = {"reason": "QA-1", "until": "2999-01-01", "expired": False}
    # android-chrome's tier does not gate the provider portal; ios-webkit is quarantined.
    run.cells[2].tier = {"client": "supported", "provider": "not-recommended"}
    for r in run.results:
        r.portal = "provider"
    assert run.gating_failures() == []
    assert run.results[1].quarantined
    assert {t.category for t in run.triage().values()} == {Category.PHONE}


def test_paired_journeys_fold_both_profiles_into_one_test() -> None:
    # Stored data fails on the iPhone cell only; the fresh profile passes there.
    run = _paired(DEFAULT, stored={"ios-webkit": F})
    t = _one(run, "ios-webkit", "t.py::test_p[stored]")
    assert t.category is Category.STORED_DATA and t.group == "t.py::test_p"
    assert t.reason == (
        "fails only with stored data (a fresh profile passes) on ios-webkit; passes in both "
        "profiles on chrome-desktop and android-chrome"
    )
    everywhere = _paired(DEFAULT, stored={c: F for c in DEFAULT})
    assert {t.category for t in everywhere.triage().values()} == {Category.STORED_DATA}
    assert (
        "on every cell that ran it" in _one(everywhere, "ios-webkit", "t.py::test_p[stored]").reason
    )
    # With one cell, the pair is the comparison.
    alone = _paired(("ios-webkit",), stored={"ios-webkit": F})
    assert _one(alone, "ios-webkit", "t.py::test_p[stored]").category is Category.STORED_DATA
    # Fails only in a fresh profile.
    fresh = _paired(DEFAULT, stored={}, incognito={"android-chrome": F})
    t = _one(fresh, "android-chrome", "t.py::test_p[incognito]")
    assert t.category is Category.FRESH_PROFILE and "stored data passes" in t.reason
    # Fails in both profiles on the WebKit cell: the cells decide.
    both = _paired(DEFAULT, stored={"ios-webkit": F}, incognito={"ios-webkit": F})
    triaged = both.triage()
    assert len(triaged) == 2 and {t.category for t in triaged.values()} == {Category.WEBKIT}


def test_a_cell_where_one_stored_profile_fails_fails_only_with_stored_data() -> None:
    # Each cell has a pair per stored-data profile: the signed-out one passes everywhere, the
    # tab-closed one fails on the iPhone cell only.
    run = _paired(DEFAULT, stored={})
    run.results += [
        _result("t.py::test_p[tab_closed]", c, F if c == "ios-webkit" else P) for c in DEFAULT
    ]
    t = _one(run, "ios-webkit", "t.py::test_p[tab_closed]")
    assert t.category is Category.STORED_DATA and t.group == "t.py::test_p", t
    # And the other way round: the profile that signed out fails, the tab-closed one passes.
    run = _paired(DEFAULT, stored={"ios-webkit": F})
    run.results += [_result("t.py::test_p[tab_closed]", c, P) for c in DEFAULT]
    assert _one(run, "ios-webkit", "t.py::test_p[stored]").category is Category.STORED_DATA


def test_a_stored_run_whose_earlier_visit_failed_is_not_a_stored_data_problem() -> None:
    run = _paired(DEFAULT, stored={"ios-webkit": F})
    stored = next(r for r in run.results if r.cell == "ios-webkit" and r.profile == "stored")
    assert stored.error is not None
    stored.error.step = "An earlier visit to the client portal › Sign in"
    assert _one(run, "ios-webkit", stored.test).category is Category.WEBKIT


def test_the_triage_is_derived_output_of_results_json() -> None:
    run = _run(DEFAULT, {"ios-webkit": F})
    data = run.to_json()
    assert data["triage"] == [
        {
            "test": "t.py::test_x",
            "cell": "ios-webkit",
            "group": "t.py::test_x",
            "category": "webkit-only",
            "label": "Only on WebKit cells",
            "reason": "fails on ios-webkit, the only WebKit cell here; passes on chrome-desktop "
            "and android-chrome",
            "failed": ["ios-webkit"],
            "flaky": [],
            "passed": ["chrome-desktop", "android-chrome"],
        }
    ]
    data["triage"][0]["category"] = "edited by hand"  # ignored on read: recomputed
    assert RunResult.from_json(data).to_json()["triage"][0]["category"] == "webkit-only"
