"""Pair verdicts: a journey run in a fresh profile and in one with stored data."""

from __future__ import annotations

import pytest

from compat_harness.profiles import PairVerdict, pair_key, pairs, verdict
from compat_harness.results import Status, TestResult

P, F, N = Status.PASSED, Status.FAILED, Status.NOT_RUN


@pytest.mark.parametrize(
    ("incognito", "stored", "expected"),
    [
        (P, P, PairVerdict.PASSES),
        (F, F, PairVerdict.PRODUCT_BUG),
        (P, F, PairVerdict.STORED_DATA),
        (F, P, PairVerdict.NEEDS_STORED_STATE),
        (Status.FLAKY, P, PairVerdict.PASSES),
        (P, N, PairVerdict.INCOMPLETE),
        (Status.NOT_APPLICABLE, F, PairVerdict.INCOMPLETE),
    ],
)
def test_verdicts(incognito: Status, stored: Status, expected: PairVerdict) -> None:
    assert verdict(incognito, stored) is expected
    assert expected.advice


def test_a_stored_run_that_failed_building_its_history_is_not_a_stored_data_verdict() -> None:
    assert verdict(P, F, stored_failed_in_history=True) is PairVerdict.NO_HISTORY
    assert verdict(F, F, stored_failed_in_history=True) is PairVerdict.PRODUCT_BUG


def test_pair_keys_drop_only_the_profile() -> None:
    assert pair_key("suites/t.py::test_a[stored]") == "suites/t.py::test_a"
    assert pair_key("suites/t.py::test_a[client-incognito]") == "suites/t.py::test_a[client]"
    assert pair_key("suites/t.py::test_a[client]") is None
    assert pair_key("suites/t.py::test_a") is None


def test_pairs_fold_two_runs_per_cell() -> None:
    def r(test: str, cell: str, status: Status) -> TestResult:
        return TestResult(test=test, journey="incognito", cell=cell, status=status)

    results = [
        r("t.py::x[client-incognito]", "a", P),
        r("t.py::x[client-stored]", "a", F),
        r("t.py::x[client-incognito]", "b", F),
        r("t.py::x[client-stored]", "b", F),
        r("t.py::plain[client]", "a", F),
    ]
    found = {(p.test, p.cell): p.verdict for p in pairs(results)}
    assert found == {
        ("t.py::x[client]", "a"): PairVerdict.STORED_DATA,
        ("t.py::x[client]", "b"): PairVerdict.PRODUCT_BUG,
    }
