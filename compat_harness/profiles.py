"""Fresh (incognito) and stored-data browser profiles, and the verdict a pair of runs gives.

A paired journey runs once per profile on each cell: in a fresh profile, and in profiles carrying
what an earlier visit left (cookies, localStorage, IndexedDB, HTTP cache, service worker), one for
each way people leave: the visit signed out (as people are told to), or the person closed the tab
still signed in (what most people do: the session cookie stays). Each stored profile is paired
with the fresh run: the pair tells a stored-data problem (clear the cache or site data) from a
product bug (fails either way). Its advice recommends signing out and back in only where the runs
show it helps: the tab-closed profile fails while the one that signed out and in again passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from compat_harness.results import Status, TestResult

HISTORY_STEP = "An earlier visit"  # steps building the stored profile start with this
SIGN_OUT_STEP = "Sign out"  # the step of a person signing out (pages/shell.py)


class Profile(StrEnum):
    INCOGNITO = "incognito"
    STORED = "stored"  # an earlier visit that signed out
    TAB_CLOSED = "tab_closed"  # an earlier visit that closed the tab, still signed in

    @property
    def stored(self) -> bool:
        return self is not Profile.INCOGNITO

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def history(self) -> str:
        """How the earlier visit behind a stored profile ended, in words."""
        return _HISTORIES.get(self, "no earlier visit")


_LABELS = {
    Profile.INCOGNITO: "fresh (incognito) profile",
    Profile.STORED: "stored data, signed out",
    Profile.TAB_CLOSED: "stored data, tab closed while signed in",
}
_HISTORIES = {
    Profile.STORED: "the earlier visit signed out",
    Profile.TAB_CLOSED: "the earlier visit closed the tab, still signed in",
}
STORED_PROFILES = (Profile.STORED, Profile.TAB_CLOSED)


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


_CLEAR = (
    "clear the browser's cache (not cookies or saved logins first); if that is not enough, "
    "clear the site's data."
)
_ADVICE = {
    PairVerdict.PASSES: "Works with and without stored data.",
    PairVerdict.PRODUCT_BUG: "Fails in a fresh profile too: clearing data will not help; report a product bug.",
    PairVerdict.STORED_DATA: "Works in a fresh (incognito) profile: " + _CLEAR,
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


@dataclass(frozen=True)
class Pair:
    """One stored-data profile's run of a journey on a cell, beside the fresh run."""

    test: str
    cell: str
    incognito: Status
    stored: Status
    stored_failed_in_history: bool = False
    profile: Profile = Profile.STORED
    failed_step: str | None = None  # the stored run's failing step path, outer step first
    signed_out_passed: bool = False  # for a tab-closed pair: the signed-out profile passed

    @property
    def verdict(self) -> PairVerdict:
        return verdict(
            self.incognito, self.stored, stored_failed_in_history=self.stored_failed_in_history
        )

    @property
    def sign_out_failed(self) -> bool:
        """The stored run failed while signing out."""
        return SIGN_OUT_STEP in (self.failed_step or "").split(" › ")

    @property
    def signing_out_helps(self) -> bool:
        """The runs show signing out and back in fixes it: the tab-closed visit fails with stored
        data, the visit that signed out and signed in again passes, and signing out is not what
        failed."""
        return (
            self.verdict is PairVerdict.STORED_DATA
            and self.profile is Profile.TAB_CLOSED
            and self.signed_out_passed
            and not self.sign_out_failed
        )

    @property
    def advice(self) -> str:
        if self.verdict is not PairVerdict.STORED_DATA:
            return self.verdict.advice
        if self.signing_out_helps:
            return (
                "Works in a fresh profile and after signing out and back in (which refreshes the "
                "app's own cached data): sign out and back in; if it comes back, " + _CLEAR
            )
        if self.sign_out_failed:
            return (
                "Signing out is what fails with stored data, so signing out and back in is no "
                "remedy: " + _CLEAR
            )
        if self.profile is Profile.STORED:
            return (
                "Works in a fresh (incognito) profile, but not after signing out and back in: "
                + _CLEAR
            )
        return self.verdict.advice


def pairs(results: list[TestResult]) -> list[Pair]:
    """Every paired journey's runs on one cell: one pair (and verdict) per stored-data profile
    that ran, in the profiles' order."""
    found: dict[tuple[str, str], dict[Profile, TestResult]] = {}
    for r in results:
        profile = profile_of(r)
        if r.pair is None or profile is None:
            continue
        found.setdefault((r.pair, r.cell), {})[profile] = r
    out = []
    for (test, cell), runs in found.items():
        incognito = runs.get(Profile.INCOGNITO)
        signed_out = runs.get(Profile.STORED)
        ran = [p for p in STORED_PROFILES if p in runs] or [Profile.STORED]
        for profile in ran:
            stored = runs.get(profile)
            step = stored.error.step if stored is not None and stored.error else None
            out.append(
                Pair(
                    test,
                    cell,
                    incognito.status if incognito else Status.NOT_RUN,
                    stored.status if stored is not None else Status.NOT_RUN,
                    stored_failed_in_history=bool(step and step.startswith(HISTORY_STEP)),
                    profile=profile,
                    failed_step=step
                    if stored is not None and stored.status is Status.FAILED
                    else None,
                    signed_out_passed=signed_out is not None and signed_out.status in _PASSING,
                )
            )
    return out


def profile_of(result: TestResult) -> Profile | None:
    """The browser profile a result recorded; None for a test that is not paired."""
    return Profile(result.profile) if result.profile in tuple(Profile) else None
