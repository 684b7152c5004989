"""Pair verdicts: a journey run in a fresh profile and in one with stored data."""

from __future__ import annotations

from pathlib import Path

import pytest

from compat_harness.profiles import Pair, PairVerdict, Profile, pair_key, pairs, verdict
from compat_harness.results import ErrorInfo, Status, TestResult
from tests.support.matrix_run import PLUGINS

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]
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
    assert pair_key("suites/t.py::test_a[tab_closed-client]") == "suites/t.py::test_a[client]"
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


def _r(test: str, cell: str, status: Status, step: str | None = None) -> TestResult:
    error = ErrorInfo("boom", "AssertionError", step=step) if status is F else None
    return TestResult(test=test, journey="incognito", cell=cell, status=status, error=error)


def _pairs(stored: Status, tab_closed: Status, *, step: str | None = None) -> dict[Profile, Pair]:
    results = [
        _r("t.py::x[incognito]", "a", P),
        _r("t.py::x[stored]", "a", stored, step),
        _r("t.py::x[tab_closed]", "a", tab_closed, step),
    ]
    return {p.profile: p for p in pairs(results)}


def test_each_stored_profile_gets_its_own_pair_beside_the_fresh_run() -> None:
    found = _pairs(P, F)
    assert set(found) == {Profile.STORED, Profile.TAB_CLOSED}
    assert found[Profile.STORED].verdict is PairVerdict.PASSES
    assert found[Profile.TAB_CLOSED].verdict is PairVerdict.STORED_DATA
    assert {p.test for p in found.values()} == {"t.py::x"}


def test_signing_out_is_advised_only_where_the_runs_show_it_helps() -> None:
    # The tab-closed visit fails, the one that signed out and signed in again passes.
    helps = _pairs(P, F)[Profile.TAB_CLOSED]
    assert helps.signing_out_helps
    assert "sign out and back in;" in helps.advice
    # The visit that signed out and in again fails too: signing out is no remedy, for either.
    for pair in _pairs(F, F).values():
        assert not pair.signing_out_helps
        assert "sign out and back in;" not in pair.advice, pair
    assert "not after signing out and back in" in _pairs(F, F)[Profile.STORED].advice
    # Signing out is the step that fails.
    failed = _pairs(P, F, step="Some journey › Sign out")[Profile.TAB_CLOSED]
    assert failed.sign_out_failed and not failed.signing_out_helps
    assert "no remedy" in failed.advice


def test_a_lone_fresh_run_is_an_incomplete_pair() -> None:
    (pair,) = pairs([_r("t.py::x[incognito]", "a", P)])
    assert pair.verdict is PairVerdict.INCOMPLETE


_PAIRED = """
import pytest

@pytest.mark.paired
def test_all(session, profile): ...

@pytest.mark.paired(profiles=["stored"])
def test_signed_out_only(session, profile): ...

def test_plain(session): ...

@pytest.mark.starts_signed_out
def test_login_page(session): ...
"""


def _collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    pytester.makepyfile(test_paired=_PAIRED)
    result = pytester.runpytest_subprocess(
        *PLUGINS, "-p", "no:cacheprovider", "--collect-only", "-q",
        "--cells=chrome-desktop", f"--matrix={ROOT / 'matrix' / 'default.yaml'}", *args,
    )  # fmt: skip
    return [line.split("::", 1)[1] for line in result.outlines if "::" in line]


def test_paired_journeys_run_fresh_and_in_each_stored_profile_that_applies(
    pytester: pytest.Pytester,
) -> None:
    assert _collected(pytester) == [
        "test_all[chrome-desktop-incognito]",
        "test_all[chrome-desktop-stored]",
        "test_all[chrome-desktop-tab_closed]",
        "test_signed_out_only[chrome-desktop-incognito]",
        "test_signed_out_only[chrome-desktop-stored]",
        "test_plain[chrome-desktop]",
        "test_login_page[chrome-desktop]",
    ]


def test_both_profiles_pairs_a_signed_out_journey_only_with_the_signed_out_profile(
    pytester: pytest.Pytester,
) -> None:
    collected = _collected(pytester, "--both-profiles")
    assert [t for t in collected if t.startswith(("test_plain", "test_login_page"))] == [
        "test_plain[chrome-desktop-incognito]",
        "test_plain[chrome-desktop-stored]",
        "test_plain[chrome-desktop-tab_closed]",
        "test_login_page[chrome-desktop-incognito]",
        "test_login_page[chrome-desktop-stored]",
    ]


@pytest.mark.parametrize(
    "source",
    [
        "@pytest.mark.paired(profiles=['incognito'])\ndef test_x(session, profile): ...\n",
        "def test_x(session, profile): ...\n",
    ],
    ids=["no-stored-profile", "not-marked-paired"],
)
def test_a_mistaken_paired_journey_is_a_usage_error(pytester: pytest.Pytester, source: str) -> None:
    pytester.makepyfile(test_bad="import pytest\n" + source)
    result = pytester.runpytest_subprocess(
        *PLUGINS, "-p", "no:cacheprovider", "--collect-only",
        "--cells=chrome-desktop", f"--matrix={ROOT / 'matrix' / 'default.yaml'}",
    )  # fmt: skip
    assert result.ret == 4
    said = result.stderr.str() + result.stdout.str()
    assert "test_bad.py::test_x" in said and ("names the stored" in said or "mark it" in said)
