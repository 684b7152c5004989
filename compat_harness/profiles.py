"""Fresh (incognito) and stored-data browser profiles, and the verdict a pair of runs gives.

A paired journey runs twice per cell: in a fresh profile, and in a profile carrying what an earlier
visit left (cookies, localStorage, IndexedDB, HTTP cache, service worker). Comparing the two tells
a stored-data problem (clear the cache or site data) from a product bug (fails either way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from compat_harness.results import Status, TestResult

HISTORY_STEP = "An earlier visit"  # steps building the stored profile start with this


class Profile(StrEnum):
    INCOGNITO = "incognito"
    STORED = "stored"

    @property
    def stored(self) -> bool:
        return self is Profile.STORED


class PairVerdict(StrEnum):
    PASSES = "passes in both"
    PRODUCT_BUG = "fails in both: a product bug"
    STORED_DATA = "fails only with stored data: clear the cache or site data"
    NEEDS_STORED_STATE = "fails only in incognito: depends on stored state"
    INCOMPLETE = "incomplete: one of the pair did not run"
    NO_HISTORY = "incomplete: the earlier visit itself failed"

    @property
    def advice(self) -> str:
        return _ADVICE[self]


_ADVICE = {
    PairVerdict.PASSES: "Works with and without stored data.",
    PairVerdict.PRODUCT_BUG: "Fails in a fresh profile too: clearing data will not help; report a product bug.",
    PairVerdict.STORED_DATA: (
        "Works in a fresh (incognito) profile: clear the browser's cache (not cookies or saved "
        "logins first), or sign out and back in; if that is not enough, clear the site's data."
    ),
    PairVerdict.NEEDS_STORED_STATE: (
        "Works only for returning visitors: first-time visitors (or after clearing data) are "
        "affected; report a product bug."
    ),
    PairVerdict.INCOMPLETE: "One run of the pair did not finish; see its result.",
    PairVerdict.NO_HISTORY: (
        "The stored-data run failed while making the earlier visit (e.g. signing in), so stored "
        "data was never tested; fix what the earlier visit tripped on first."
    ),
}

_FAILING = (Status.FAILED,)
_PASSING = (Status.PASSED, Status.FLAKY)


def verdict(
    incognito: Status, stored: Status, *, stored_failed_in_history: bool = False
) -> PairVerdict:
    if incognito in _PASSING and stored in _FAILING and stored_failed_in_history:
        return PairVerdict.NO_HISTORY
    if incognito in _PASSING and stored in _PASSING:
        return PairVerdict.PASSES
    if incognito in _FAILING and stored in _FAILING:
        return PairVerdict.PRODUCT_BUG
    if incognito in _PASSING and stored in _FAILING:
        return PairVerdict.STORED_DATA
    if incognito in _FAILING and stored in _PASSING:
        return PairVerdict.NEEDS_STORED_STATE
    return PairVerdict.INCOMPLETE


def pair_key(test: str) -> str | None:
    """The test id without its profile parameter; None for tests that are not paired."""
    match = re.fullmatch(r"(?P<base>[^\[]*)\[(?P<params>.*)\]", test)
    if not match:
        return None
    params = match["params"].split("-")
    rest = [p for p in params if p not in (Profile.INCOGNITO, Profile.STORED)]
    if len(rest) == len(params):
        return None
    return f"{match['base']}[{'-'.join(rest)}]" if rest else match["base"]


@dataclass(frozen=True)
class Pair:
    test: str
    cell: str
    incognito: Status
    stored: Status
    stored_failed_in_history: bool = False

    @property
    def verdict(self) -> PairVerdict:
        return verdict(
            self.incognito, self.stored, stored_failed_in_history=self.stored_failed_in_history
        )


def pairs(results: list[TestResult]) -> list[Pair]:
    """Every paired journey's two runs on one cell, folded into one verdict."""
    found: dict[tuple[str, str], dict[str, TestResult]] = {}
    for r in results:
        key = pair_key(r.test)
        profile = _profile_of(r.test)
        if key is None or profile is None:
            continue
        found.setdefault((key, r.cell), {})[profile] = r
    out = []
    for (test, cell), runs in found.items():
        incognito, stored = runs.get("incognito"), runs.get("stored")
        step = stored.error.step if stored is not None and stored.error else None
        out.append(
            Pair(
                test,
                cell,
                incognito.status if incognito else Status.NOT_RUN,
                stored.status if stored else Status.NOT_RUN,
                stored_failed_in_history=bool(step and step.startswith(HISTORY_STEP)),
            )
        )
    return out


def _profile_of(test: str) -> str | None:
    params = test.rpartition("[")[2].rstrip("]").split("-")
    return next((p for p in params if p in (Profile.INCOGNITO, Profile.STORED)), None)
