"""The repro verdict: a journey run on the person's device and on the recommended desktop, each in
a fresh and a stored-data profile, read as one plain-language answer with the help-center advice
that applies."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from compat_harness.exitcodes import ExitCode
from compat_harness.profiles import Pair, Profile
from compat_harness.results import Status


class ReproVerdict(StrEnum):
    """What a repro found, for a journey or for the whole ticket (its headline, advice, exit)."""

    WORKS = "works"
    PRODUCT_BUG = "fails everywhere"
    DEVICE_ONLY = "fails only on this device"
    STORED_DATA = "fails only with stored data"
    INCONCLUSIVE = "inconclusive"
    TARGET_DOWN = "target down"
    NETWORK_DOWN = "network down"

    @property
    def headline(self) -> str:
        return _HEADLINES[self]

    @property
    def exit_code(self) -> int:
        if self is ReproVerdict.WORKS:
            return int(ExitCode.OK)
        if self is ReproVerdict.TARGET_DOWN:
            return int(ExitCode.TARGET_DOWN)
        if self is ReproVerdict.NETWORK_DOWN:
            return int(ExitCode.NETWORK_DOWN)
        return int(ExitCode.TESTS_FAILED)

    @property
    def advice(self) -> tuple[str, ...]:
        return _ADVICE[self]


_HEADLINES = {
    ReproVerdict.WORKS: "works: could not reproduce the problem here",
    ReproVerdict.PRODUCT_BUG: "fails everywhere → product bug",
    ReproVerdict.DEVICE_ONLY: "fails only on this device → compatibility issue",
    ReproVerdict.STORED_DATA: "fails only with stored data → clear the cache",
    ReproVerdict.INCONCLUSIVE: "inconclusive: the runs did not finish the way a verdict needs",
    ReproVerdict.TARGET_DOWN: "target down: the site does not answer (other sites do)",
    ReproVerdict.NETWORK_DOWN: "network down: neither the site nor the control site answers from here",
}

# The help center's troubleshooting, in the harness's own words, per verdict.
_ADVICE: dict[ReproVerdict, tuple[str, ...]] = {
    ReproVerdict.WORKS: (
        "Check the address: providers sign in on the provider login page, clients on the client "
        "login page (each login page links to the other).",
        "Try a private (incognito) window: if it works there, data stored in the browser is the "
        "cause; then clear the browser's cache.",
        "Fully quit and reopen the browser, and restart the device; doing this every few days "
        "(at least weekly) prevents many problems, especially after site updates.",
        "Check the internet connection: do other websites load? If not, restart the router or "
        "modem, or contact the internet provider.",
        "Keep the operating system and the browser up to date.",
        "Ask for a screenshot of what they see, with any personal health information blocked out.",
    ),
    ReproVerdict.STORED_DATA: (
        "It works in a fresh (incognito) profile: data the browser kept from earlier visits is "
        "the cause.",
        "Clear the browser's cache only. Cookies and saved passwords are different data: "
        "clearing them signs the person out and loses saved logins.",
        "If that is not enough, clear the site's data for the portal, then sign in again.",
        "Fully quit and reopen the browser regularly (at least weekly), especially after site "
        "updates.",
    ),
    ReproVerdict.DEVICE_ONLY: (
        "It works on the recommended setup (a computer, macOS or Windows, with Google Chrome) "
        "but not on this device: a compatibility issue to report to engineering with this "
        "bundle.",
        "Until it is fixed, the person can use Chrome on a computer.",
        "Keep the device's operating system and browser up to date.",
    ),
    ReproVerdict.PRODUCT_BUG: (
        "It fails in a fresh profile and on the recommended desktop Chrome as well: clearing "
        "data or changing device will not help.",
        "Escalate as a product bug with this bundle; tell the person it is being worked on.",
    ),
    ReproVerdict.INCONCLUSIVE: (
        "Re-run the command below; if it stays inconclusive, attach this bundle and the reasons "
        "shown for each run.",
    ),
    ReproVerdict.TARGET_DOWN: (
        "The environment itself is down or unreachable: check the URLs and the environment's "
        "status, and escalate to engineering. Nothing on the person's device will fix it.",
    ),
    ReproVerdict.NETWORK_DOWN: (
        "This machine's network (or proxy or VPN) is down: fix it and re-run.",
        "If the person reports the same: other websites should load first; restart the router or "
        "modem, and contact the internet provider if that does not help.",
    ),
}
_SEVERITY = (
    ReproVerdict.NETWORK_DOWN,
    ReproVerdict.TARGET_DOWN,
    ReproVerdict.PRODUCT_BUG,
    ReproVerdict.DEVICE_ONLY,
    ReproVerdict.STORED_DATA,
    ReproVerdict.INCONCLUSIVE,
    ReproVerdict.WORKS,
)
_PASSING = (Status.PASSED, Status.FLAKY)


class SignOut(StrEnum):
    """What the stored-data runs show about signing out and back in."""

    HELPS = "helps"  # the tab-closed visit fails, the one that signed out and in again passes
    NO_HELP = "no help"  # the visit that signed out and signed in again fails too
    FAILS = "fails"  # signing out is the step that fails


_SIGN_OUT_ADVICE = {
    SignOut.HELPS: (
        "Sign out and back in first: it works after signing out and in again, which clears and "
        "refreshes the app's own cached data (for example a dashboard that does not refresh or "
        "still lists a canceled client)."
    ),
    SignOut.NO_HELP: (
        "Signing out and back in does not fix it (the run that signed out and signed in again "
        "failed too): do not suggest it."
    ),
    SignOut.FAILS: "Signing out itself fails here: do not ask the person to sign out and back in.",
}


@dataclass(frozen=True)
class JourneyRepro:
    """One journey reproduced: its verdict, why, and what signing out showed."""

    journey: str
    verdict: ReproVerdict
    why: str
    notes: tuple[str, ...] = field(default=())
    sign_out: SignOut | None = None  # for a stored-data verdict


def _passes(pair: Pair) -> bool:
    return pair.incognito in _PASSING and pair.stored in _PASSING


def _complete(pair: Pair | None) -> bool:
    ran = (*_PASSING, Status.FAILED)
    return pair is not None and pair.incognito in ran and pair.stored in ran


def judge(journey: str, device: Pair | None, baseline: Pair | None) -> JourneyRepro:
    """One journey's verdict from its pair of runs on the device's cell and on the baseline
    (``baseline`` None when the device is the baseline itself)."""
    if device is None or not _complete(device):
        return JourneyRepro(
            journey, ReproVerdict.INCONCLUSIVE, "the run on the device's cell did not finish"
        )
    if _passes(device):
        notes: tuple[str, ...] = ()
        if baseline is not None and _complete(baseline) and not _passes(baseline):
            notes = ("it fails on the recommended desktop cell, though: worth a look by QA",)
        return JourneyRepro(journey, ReproVerdict.WORKS, "passes in both profiles", notes)
    if device.incognito in _PASSING:
        if device.stored_failed_in_history:
            return JourneyRepro(
                journey,
                ReproVerdict.INCONCLUSIVE,
                "a fresh visit works, but the earlier visit that fills the stored profile failed",
            )
        return JourneyRepro(
            journey,
            ReproVerdict.STORED_DATA,
            f"passes in a fresh profile, fails with stored data ({device.profile.history})",
            sign_out=_sign_out(device),
        )
    fresh_only = device.stored in _PASSING
    where = "in a fresh profile only" if fresh_only else "in both profiles"
    if baseline is None:
        return JourneyRepro(
            journey, ReproVerdict.PRODUCT_BUG, f"fails {where} on the recommended desktop cell"
        )
    if not _complete(baseline):
        return JourneyRepro(
            journey,
            ReproVerdict.INCONCLUSIVE,
            f"fails {where} on the device; the recommended desktop run did not finish",
        )
    if baseline.incognito in _PASSING:
        also = baseline.stored not in _PASSING
        return JourneyRepro(
            journey,
            ReproVerdict.DEVICE_ONLY,
            f"fails {where} on the device, passes on the recommended desktop",
            ("on the desktop cell it also fails with stored data",) if also else (),
        )
    return JourneyRepro(
        journey,
        ReproVerdict.PRODUCT_BUG,
        f"fails {where} on the device and on the recommended desktop",
    )


def _sign_out(pair: Pair) -> SignOut | None:
    if pair.sign_out_failed:
        return SignOut.FAILS
    if pair.signing_out_helps:
        return SignOut.HELPS
    return SignOut.NO_HELP if pair.profile is Profile.STORED else None


def judge_profiles(journey: str, device: list[Pair], baseline: list[Pair] | None) -> JourneyRepro:
    """One journey's verdict from its pairs, one per stored-data profile, on the device's cell
    and on the baseline (None when the device is the baseline): the most serious of them, and
    for stored data what the runs show about signing out."""
    if not device:
        return judge(journey, None, None)
    verdicts = []
    for pair in device:
        base = None
        if baseline is not None:
            base = next((b for b in baseline if b.profile is pair.profile), None)
            if base is None:
                # The baseline ran no such profile: judge against a run that did not finish.
                base = Pair(pair.test, "baseline", Status.NOT_RUN, Status.NOT_RUN)
        verdicts.append(judge(journey, pair, base))
    worst = min(verdicts, key=lambda v: _SEVERITY.index(v.verdict))
    if worst.verdict is ReproVerdict.STORED_DATA:
        return replace(worst, sign_out=sign_out_finding(verdicts))
    return worst


def overall(verdicts: list[JourneyRepro]) -> ReproVerdict:
    """The most serious of the journeys' verdicts."""
    found = {v.verdict for v in verdicts}
    return next((v for v in _SEVERITY if v in found), ReproVerdict.INCONCLUSIVE)


def sign_out_finding(verdicts: list[JourneyRepro]) -> SignOut | None:
    """Across the journeys that fail only with stored data, what signing out does: it helps only
    if it helps in every one of them."""
    findings = {v.sign_out for v in verdicts if v.verdict is ReproVerdict.STORED_DATA}
    return next(
        (f for f in (SignOut.FAILS, SignOut.NO_HELP, None, SignOut.HELPS) if f in findings), None
    )


def advice_for(
    verdict: ReproVerdict, device_kind: str, portal: str, sign_out: SignOut | None = None
) -> tuple[str, ...]:
    """The verdict's advice, with the line about the person's kind of device where it helps, and
    for stored data what the runs show about signing out and back in."""
    lines = list(verdict.advice)
    if verdict is ReproVerdict.STORED_DATA and sign_out is not None:
        lines.insert(1, _SIGN_OUT_ADVICE[sign_out])
    if verdict is ReproVerdict.DEVICE_ONLY and "android" in device_kind:
        lines.append(
            "On a phone, iOS gives the best experience"
            + (
                "; an Android browser is not recommended for providers (the provider app is iOS only)."
                if portal == "provider"
                else "."
            )
        )
    if verdict is ReproVerdict.WORKS and portal == "provider":
        lines.insert(
            0, "Providers: make sure the address is the provider login page, not the client one."
        )
    return tuple(lines)
