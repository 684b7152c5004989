"""Pair verdicts: a journey run in a fresh profile and in one with stored data."""

from __future__ import annotations

from pathlib import Path

import pytest

from compat_harness.profiles import Pair, PairVerdict, Profile, pairs, verdict
from compat_harness.results import ErrorInfo, RunResult, Status, TestResult
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


def _r(
    test: str,
    cell: str,
    status: Status,
    step: str | None = None,
    *,
    profile: str,
    pair: str | None = "t.py::x",
) -> TestResult:
    """A result as a run records it: its profile and pair, whatever its test id reads."""
    error = ErrorInfo("boom", "AssertionError", step=step) if status is F else None
    return TestResult(
        test=test, journey="incognito", cell=cell, status=status, error=error,
        profile=profile, pair=pair,
    )  # fmt: skip


def test_pairs_come_from_the_recorded_fields_not_the_test_ids() -> None:
    # Ids that name a profile word for another parameter, or no profile at all: the recorded
    # profile and pair decide (the old id parsing paired `[stored-...]` as the stored run).
    results = [
        _r("t.py::x[stored-new]", "a", P, profile="incognito", pair="t.py::x[stored]"),
        _r("t.py::x[stored-old]", "a", F, profile="stored", pair="t.py::x[stored]"),
        _r("t.py::x[incognito-new]", "a", F, profile="incognito", pair="t.py::x[incognito]"),
        _r("t.py::x[incognito-old]", "a", F, profile="stored", pair="t.py::x[incognito]"),
        _r("t.py::custom_id_one", "a", F, profile="incognito", pair="t.py::custom"),
        _r("t.py::custom_id_two", "a", P, profile="stored", pair="t.py::custom"),
        # The same pair on another cell is a pair of its own; a test that is not paired, none.
        _r("t.py::x[stored-new]", "b", F, profile="incognito", pair="t.py::x[stored]"),
        _r("t.py::x[stored-old]", "b", F, profile="stored", pair="t.py::x[stored]"),
        TestResult(test="t.py::plain[client]", journey="j", cell="a", status=F),
        # A recorded profile without a pair (or a pair without a known profile) pairs nothing.
        _r("t.py::lone[incognito]", "a", P, profile="incognito", pair=None),
        _r("t.py::odd[x]", "a", P, profile="guest", pair="t.py::odd"),
    ]
    found = {(p.test, p.cell): p.verdict for p in pairs(results)}
    assert found == {
        ("t.py::x[stored]", "a"): PairVerdict.STORED_DATA,
        ("t.py::x[incognito]", "a"): PairVerdict.PRODUCT_BUG,
        ("t.py::custom", "a"): PairVerdict.NEEDS_STORED_STATE,
        ("t.py::x[stored]", "b"): PairVerdict.PRODUCT_BUG,
    }


def test_a_version_1_results_file_recovers_its_pairs_from_the_test_ids() -> None:
    def v1(test: str, status: str, profile: str | None) -> dict[str, object]:
        data = TestResult(test=test, journey="j", cell="a", status=Status(status)).to_json()
        del data["pair"]  # version 1 had no pair; before pairs, no profile either
        if profile is None:
            del data["profile"]
        else:
            data["profile"] = profile
        return data

    old = {
        "schema_version": 1,
        "run": {"id": "old"},
        "cells": [],
        "results": [
            v1("t.py::x[a-client-incognito]", "passed", "incognito"),
            v1("t.py::x[a-client-stored]", "failed", None),
            v1("t.py::plain[a-client]", "failed", None),
        ],
    }
    run = RunResult.from_json(old)
    assert [(r.profile, r.pair) for r in run.results] == [
        ("incognito", "t.py::x[a-client]"),
        ("stored", "t.py::x[a-client]"),
        (None, None),
    ]
    assert [p.verdict for p in pairs(run.results)] == [PairVerdict.STORED_DATA]
    assert run.to_json()["schema_version"] == 2


def test_a_results_file_of_an_unknown_version_names_the_versions_it_reads() -> None:
    with pytest.raises(ValueError, match=r"version 99 is not supported .*reads 1, 2"):
        RunResult.from_json({"schema_version": 99, "run": {}, "cells": [], "results": []})


def _pairs(stored: Status, tab_closed: Status, *, step: str | None = None) -> dict[Profile, Pair]:
    results = [
        _r("t.py::x[incognito]", "a", P, profile="incognito"),
        _r("t.py::x[stored]", "a", stored, step, profile="stored"),
        _r("t.py::x[tab_closed]", "a", tab_closed, step, profile="tab_closed"),
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
    (pair,) = pairs([_r("t.py::x[incognito]", "a", P, profile="incognito")])
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
