"""The catalog of defects the reference app can switch on at start-up.

The clean behaviour is the contract (CONTRACT.md). Each defect changes exactly one place in the
app, which asks `AppConfig.defect(name)`. The harness's self-tests check that each defect shows
in the matrix cells listed in `expected` (filled in by the harness side).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

PortalName = Literal["client", "provider"]
DefectPortal = Literal["client", "provider", "both"]
Category = Literal["compat", "layout", "rule", "stored-data", "script", "server"]


@dataclass(frozen=True)
class Expectation:
    """Tests that fail on the cells with a trait, and why.

    ``tests`` are patterns over the harness's cell-free test ids without the ``suites/`` prefix
    (``*`` is the only wildcard), e.g. ``test_login_url.py::test_sign_in_and_out[*]``.
    ``cells`` is a trait every matching cell has:

    - ``all``: every cell
    - ``webkit`` / ``chromium``: the cell's browser engine
    - ``phone``: a mobile device narrower than 600 CSS px
    - ``touch-events``: the engine really delivers touch events (taps); WebKitGTK under Xvfb does
      not, so a real iPhone would show what this cell cannot
    - ``touch-phone``: both of the above
    - ``android-ua``: the cell sends an Android user agent
    - ``versions``: the real browser versions the cell stands for (its ``stands_for`` query)
      include one older than ``first`` (the feature's first versions, as MDN and caniuse give
      them); for the version row, ``versions::works-on-declared-versions``
    """

    tests: tuple[str, ...]
    cells: str
    why: str
    verdict: str | None = None
    """For paired journeys: the pair verdict on those cells ('stored-data' or 'product-bug')."""
    first: tuple[tuple[str, str], ...] = ()
    """For ``versions``: (browserslist family, first version with the feature), e.g. ("ios_saf", "17.4")."""
    feature: str = ""
    """For ``versions``: the feature as the version row names it, e.g. 'Object.groupBy()'."""
    sentinel: str | None = None
    """The kind of page finding that fails these tests (page-error, failed-request,
    stuck-loading, layout), when a page sentinel, not the journey, sees it first."""


def fails(tests: Iterable[str], on: str, why: str, verdict: str | None = None) -> Expectation:
    return Expectation(tuple(tests), on, why, verdict)


def seen(
    tests: Iterable[str], on: str, kind: str, why: str, verdict: str | None = None
) -> Expectation:
    """Tests a page sentinel fails (``kind`` of finding) on the cells with a trait."""
    return Expectation(tuple(tests), on, why, verdict, sentinel=kind)


VERSIONS_ROW = "versions::works-on-declared-versions"


def lacks(feature: str, first: dict[str, str]) -> Expectation:
    """The version row fails on the cells whose declared versions are older than ``first``."""
    since = ", ".join(f"{family} {version}" for family, version in first.items())
    return Expectation(
        (VERSIONS_ROW,),
        "versions",
        f"{feature} is missing before {since}; the engines here are newer, so only the version "
        "check shows it",
        first=tuple(first.items()),
        feature=feature,
    )


# Booking journeys that book through the details and review pages.
_BOOKS = (
    "test_booking.py::test_book_then_the_provider_confirms",
    "test_booking.py::test_buy_a_credit_when_none_is_left",
)
_LATE = (
    "test_reschedule_cancel.py::test_late_cancel_warns_then_forfeits_the_credit",
    "test_reschedule_cancel.py::test_late_reschedule_warns_and_costs_a_credit",
)

# Every paired/cache journey that signs in, and the one whose stored run signs in to build history.
_SIGN_IN_PAIRS = (
    "test_incognito.py::test_sign_in_reaches_the_dashboard[*]",
    "test_incognito.py::test_the_dashboard_shows_changes_made_elsewhere[*]",
)


def _no_session_cookie(on: str) -> tuple[Expectation, ...]:
    return (
        fails(
            _SIGN_IN_PAIRS,
            on,
            "signing in never sticks, with or without stored data",
            "product-bug",
        ),
        fails(["test_cache.py::*"], on, "every cache journey starts by signing in"),
        fails(
            [
                "test_incognito.py::test_pages_run_the_current_release[stored]",
                "test_incognito.py::test_pages_run_the_current_release[tab_closed]",
            ],
            on,
            "its earlier visits cannot sign in (the pairs say the history failed, not stored data)",
        ),
    )


# Tests that submit the login form (both portals).
_SIGN_IN = (
    "test_login_url.py::test_wrong_portal_account_is_told_where_to_go[*]",
    "test_login_url.py::test_deep_link_returns_after_sign_in[*]",
    "test_login_url.py::test_wrong_password_gives_a_clear_message[*]",
    "test_login_url.py::test_sign_in_and_out[*]",
)


@dataclass(frozen=True)
class Defect:
    """One switchable defect: where it is, what a user sees and why."""

    name: str
    title: str
    portal: DefectPortal
    category: Category
    symptom: str
    cause: str
    expected: tuple[Expectation, ...] = ()
    """Where the harness must see it: the self-tests assert exactly these (test, cell) fail."""

    def applies_to(self, portal: PortalName) -> bool:
        """Whether the defect lives in that portal."""
        return self.portal in ("both", portal)


CATALOG: tuple[Defect, ...] = (
    # --- login ----------------------------------------------------------------------------------
    Defect(
        name="login-ua-data",
        title="Sign in relies on navigator.userAgentData",
        portal="both",
        category="compat",
        symptom="Pressing Sign in does nothing in Safari/WebKit; the page stays on the form.",
        cause=(
            "The shared script intercepts the login form's submit, calls preventDefault() and "
            "reads navigator.userAgentData.mobile to fill a hidden `device` field. WebKit has "
            "no navigator.userAgentData, so a TypeError stops the handler before form.submit()."
        ),
        expected=(fails(_SIGN_IN, "webkit", "the submit handler throws before submitting"),),
    ),
    Defect(
        name="login-narrow-overflow",
        title="Login card has a fixed minimum width",
        portal="both",
        category="layout",
        symptom=(
            "On phones the login page scrolls sideways and the Sign in button is cut off at "
            "the right edge."
        ),
        cause="The login card is styled with `min-width: 560px` instead of a fluid width.",
        expected=(
            fails(["test_login_url.py::test_login_fits_the_screen[*]"], "phone", "sideways scroll"),
            fails(
                ["test_login_url.py::test_wrong_portal_account_is_told_where_to_go[*]"],
                "touch-phone",
                "the alert's link lies beyond the visible width; a mobile browser widens the layout "
                "viewport, so a tap where the link is drawn hits the page beside it",
            ),
        ),
    ),
    Defect(
        name="provider-links-client-login",
        title="Provider login links to the client portal",
        portal="provider",
        category="compat",
        symptom=(
            "On the provider login, Forgot password? opens the client portal's reset page and "
            "the header's product link goes to the client login."
        ),
        cause=("The provider login template builds those links from the client portal's base URL."),
        expected=(
            fails(
                ["test_login_url.py::test_portal_links_stay_on_the_portal[provider]"],
                "all",
                "the links lead to the client portal",
            ),
        ),
    ),
    Defect(
        name="android-ua-block",
        title="Android browsers are turned away",
        portal="client",
        category="compat",
        symptom=(
            'On Android every client page says "Your browser isn\'t supported"; there is no '
            "login form."
        ),
        cause=(
            'Server-side User-Agent sniffing answers any User-Agent containing "Android" '
            "with an unsupported-browser page."
        ),
        expected=(
            fails(
                ["test_login_url.py::*[client]"], "android-ua", "no login form on the client portal"
            ),
            fails(
                [
                    "test_login_url.py::test_login_names_the_other_portal[provider]",
                    "test_login_url.py::test_wrong_portal_account_is_told_where_to_go[provider]",
                ],
                "android-ua",
                "these end on the client login, which is blocked",
            ),
        ),
    ),
    Defect(
        name="touch-submit",
        title="Tapping Sign in does nothing",
        portal="both",
        category="compat",
        symptom=(
            "On touch devices tapping Sign in does not submit the form; mouse clicks still work."
        ),
        cause=(
            "A `touchend` listener on the Sign in button calls preventDefault() (meant to stop "
            "double submits), which cancels the click that a tap would synthesise."
        ),
        expected=(fails(_SIGN_IN, "touch-events", "a tap never submits the form"),),
    ),
    # --- booking --------------------------------------------------------------------------------
    Defect(
        name="date-parse-mdy",
        title="Booking date parsed from an MM-DD-YYYY string",
        portal="client",
        category="compat",
        symptom=(
            'In Safari/WebKit the booking and reschedule pages preview "Invalid Date" and '
            'Continue / Confirm rescheduling shows "Please choose a valid date."'
        ),
        cause=(
            "The page script builds the date with new Date(mm + '-' + dd + '-' + yyyy); "
            "Chromium's lenient parser accepts it, WebKit returns an Invalid Date."
        ),
        expected=(
            fails(
                [
                    *_BOOKS,
                    "test_reschedule_cancel.py::test_reschedule_ahead_of_time_is_free",
                    "test_reschedule_cancel.py::test_late_reschedule_warns_and_costs_a_credit",
                ],
                "webkit",
                "every journey that picks a date (booking, rescheduling) is blocked",
            ),
        ),
    ),
    Defect(
        name="book-button-under-footer",
        title="Book session hidden under the bottom nav on phones",
        portal="client",
        category="layout",
        symptom=(
            "On phones the Book session button sits under the fixed bottom navigation bar; "
            "a tap lands on the navigation instead."
        ),
        cause=(
            "The review page drops the body's bottom padding and renders the button as the very "
            "last element, behind the 64 px fixed nav."
        ),
        expected=(fails(_BOOKS, "phone", "the bottom navigation covers Book session"),),
    ),
    Defect(
        name="late-window-tz-hour",
        title="24-hour rule off by the time-zone difference",
        portal="client",
        category="rule",
        symptom=(
            "With client and provider one hour apart, a change 23.5 hours ahead shows no "
            "warning and the credit comes back, although it is inside the 24-hour window."
        ),
        cause=(
            "The 24-hour check converts the client's local start time to UTC through the "
            "provider's UTC offset instead of using the stored UTC instant."
        ),
        expected=(
            fails(_LATE, "all", "23.5 hours ahead is treated as outside the 24-hour window"),
        ),
    ),
    Defect(
        name="email-utc-time",
        title="Confirmation email shows UTC time with the local zone name",
        portal="client",
        category="rule",
        symptom=(
            "The confirmation email's time is off by the client's UTC offset "
            "(e.g. 3:00 PM EST for a 10:00 AM EST session)."
        ),
        cause=("The email formats the UTC clock time but appends the client's zone abbreviation."),
        expected=(
            fails(
                ["test_booking.py::test_book_then_the_provider_confirms"],
                "all",
                "the email's time is the UTC clock time",
            ),
        ),
    ),
    # --- stored data ----------------------------------------------------------------------------
    Defect(
        name="script-immutable-unversioned",
        title="Shared script cached forever at an unversioned URL",
        portal="both",
        category="stored-data",
        symptom=(
            "After a release, a browser with a warm cache keeps running the old script: the "
            "footer shows a Script version different from the App version."
        ),
        cause=(
            "The script is served at /static/app.js with `Cache-Control: public, "
            "max-age=31536000, immutable`, so a new release under the same URL is never fetched."
        ),
        expected=(
            fails(
                [
                    "test_incognito.py::test_pages_run_the_current_release[stored]",
                    "test_incognito.py::test_pages_run_the_current_release[tab_closed]",
                ],
                "all",
                "the warm cache keeps the old script after a release, whether the earlier visit "
                "signed out or closed the tab",
                "stored-data",
            ),
        ),
    ),
    Defect(
        name="dashboard-cache-kept-on-signout",
        title="Dashboard cache survives sign-out",
        portal="both",
        category="stored-data",
        symptom=(
            "After signing out and back in, the dashboard still shows old data (e.g. a client "
            "who canceled is still under Paying clients)."
        ),
        cause=(
            "Sign-out does not clear the `haven.` localStorage keys and the cache key has no "
            "user id or release-version check."
        ),
        expected=(
            fails(
                ["test_incognito.py::test_the_dashboard_shows_changes_made_elsewhere[stored]"],
                "all",
                "the earlier visit's dashboard cache survives sign-out",
                "stored-data",
            ),
            fails(
                ["test_cache.py::test_a_warm_cache_shows_a_stale_dashboard_until_sign_out"],
                "all",
                "signing out and back in does not refresh the dashboard",
            ),
        ),
    ),
    Defect(
        name="session-cookie-samesite-none",
        title="Session cookie SameSite=None without Secure",
        portal="both",
        category="compat",
        symptom=(
            "In Chrome/Chromium signing in silently fails: you land back on the login page. "
            "Safari/WebKit signs in."
        ),
        cause=(
            "The session cookie is set with SameSite=None but without Secure; Chromium rejects "
            "such cookies, WebKit stores them."
        ),
        expected=_no_session_cookie("chromium"),
    ),
    Defect(
        name="session-cookie-secure",
        title="Secure session cookie on plain HTTP",
        portal="both",
        category="compat",
        symptom=(
            "In Safari/WebKit signing in silently fails on the http test origin; Chromium signs in."
        ),
        cause=(
            "The session cookie is marked Secure; WebKit drops Secure cookies set over plain "
            "http, Chromium treats loopback hosts as secure and keeps them."
        ),
        expected=_no_session_cookie("webkit"),
    ),
    # --- real browser versions (what no engine here is old enough to show) ------------------------
    Defect(
        name="login-groupby-nesting",
        title="Login page uses Object.groupBy and CSS nesting",
        portal="both",
        category="compat",
        symptom=(
            "On an iPhone before iOS 17.4 the login page's inline script stops with 'Object.groupBy "
            "is not a function'; before iOS 16.5 the login card's nested CSS rule is dropped. "
            "Every browser on this machine is newer, so every journey passes here."
        ),
        cause=(
            "The login template adds an inline <script> calling Object.groupBy (Safari 17.4, "
            "Chrome 117, Firefox 119, Samsung Internet 24) and an inline <style> with a nested "
            "rule (CSS nesting: Safari 17.2 in full, Chrome 120, Firefox 117)."
        ),
        expected=(
            lacks(
                "Object.groupBy()",
                {
                    "ios_saf": "17.4",
                    "safari": "17.4",
                    "chrome": "117",
                    "and_chr": "117",
                    "firefox": "119",
                    "samsung": "24",
                },
            ),
            # caniuse: partial support from Safari 16.5 (the check counts partial as support).
            lacks(
                "CSS Nesting",
                {
                    "ios_saf": "16.5",
                    "safari": "16.5",
                    "chrome": "112",
                    "and_chr": "112",
                    "firefox": "117",
                    "samsung": "23",
                },
            ),
        ),
    ),
    # --- what only a look at the whole page shows (page sentinels) and more engine differences ----
    Defect(
        name="dashboard-idle-draw",
        title="Dashboard lists drawn in an idle callback with the wrong argument",
        portal="client",
        category="compat",
        symptom=(
            'In Chrome the client dashboard says "You have no upcoming sessions." right after '
            "signing in, although sessions are booked; Safari shows them."
        ),
        cause=(
            "The dashboard draws its lists in requestIdleCallback(renderDashboard.bind(null, "
            "root)) where the browser has it: the callback gets an IdleDeadline, not the data. "
            "WebKit has no requestIdleCallback (measured: WebKitGTK 2.50), so it draws at once."
        ),
    ),
    Defect(
        name="room-time-parse",
        title="Room marks session times with a date Chromium cannot parse",
        portal="client",
        category="compat",
        symptom=(
            "In Chrome the client's room throws 'RangeError: Invalid time value' once a session "
            "confirmation is in the conversation; Safari does not. Nothing visible changes."
        ),
        cause=(
            "The room turns 'Your session on Wednesday, February 3 at 11:00 AM EST' into a <time> "
            "with new Date('Wednesday, February 3, 2027 at 11:00 AM EST').toISOString(): "
            "WebKit's parser reads the word 'at', Chromium's returns an Invalid Date (measured)."
        ),
    ),
    Defect(
        name="message-box-field-sizing",
        title="Message box sized to its content (one line when empty)",
        portal="both",
        category="layout",
        symptom=(
            "On Android Chrome the empty message box in a room is one line high (about 34 px), "
            "hard to tap; in Safari it keeps its height."
        ),
        cause=(
            "The room's textarea gets 'field-sizing: content; min-height: 1lh', which only "
            "Chromium implements (measured: Chromium 150 yes, WebKitGTK 2.50 no)."
        ),
    ),
    Defect(
        name="announcements-500",
        title="Dashboard announcements endpoint answers 500; the page hides it",
        portal="client",
        category="server",
        symptom=(
            "Nothing a person notices at first: the client dashboard's announcements stay empty "
            "because /api/announcements fails with 500 on every visit."
        ),
        cause=(
            "The announcements query names a table a migration renamed; the dashboard script "
            "swallows the error."
        ),
    ),
    Defect(
        name="help-widget-error",
        title="Provider dashboard's help widget throws after load",
        portal="provider",
        category="script",
        symptom=(
            "On every provider dashboard load the console shows 'TypeError: null is not an object' "
            "(or 'Cannot read properties of null'); the page looks fine."
        ),
        cause=(
            "The help widget wires its toggle on the load event, but the header no longer has a "
            "[data-help-toggle] element."
        ),
    ),
    Defect(
        name="provider-dashboard-idle-wait",
        title="Provider dashboard waits for an idle callback Safari never makes",
        portal="provider",
        category="compat",
        symptom=('In Safari the provider dashboard stays on "Loading…" for ever; Chrome loads it.'),
        cause=(
            "The dashboard loads its data from requestIdleCallback, falling back to a queue of an "
            "analytics shim that is no longer loaded: WebKit has no requestIdleCallback (measured: "
            "WebKitGTK 2.50), so nothing ever runs the queue."
        ),
    ),
    Defect(
        name="signout-resume-undefined",
        title="Sign-out stores a value the next visit cannot read",
        portal="both",
        category="stored-data",
        symptom=(
            "Someone who signed out earlier finds the login page broken on their next visit "
            "(a SyntaxError in the console; the sign-in still posts); a private window or a "
            "person who only closed the tab is fine."
        ),
        cause=(
            "Sign-out saves localStorage 'haven.resume' = JSON.stringify(undefined), which "
            "localStorage stores as the text 'undefined'; the login page later runs JSON.parse on "
            "it and throws."
        ),
    ),
    Defect(
        name="sw-shell-cache-first",
        title="Service worker serves the login page and dashboard from its cache for ever",
        portal="both",
        category="stored-data",
        symptom=(
            "After a release, a returning visitor keeps seeing the old login page or dashboard "
            "(the footer's App version stays old) until the site's data is cleared; clearing the "
            "browser cache does not help."
        ),
        cause=(
            "The service worker answers navigations to /login and /dashboard cache-first from "
            "CacheStorage and never refreshes them; the HTTP cache and a release do not touch it."
        ),
    ),
    Defect(
        name="script-array-fromasync",
        title="Shared script starts with Array.fromAsync",
        portal="both",
        category="compat",
        symptom=(
            "In Chrome before 121 (desktop and Android) the shared script stops at its first "
            "statement ('Array.fromAsync is not a function'): no footer version, no dashboard "
            "cache, no booking date preview. Safari has it since 16.4."
        ),
        cause=(
            "The shared script's first statement calls Array.fromAsync (Chrome 121, Safari 16.4, "
            "Firefox 115, Samsung Internet 25) without checking that it exists."
        ),
        expected=(
            lacks(
                "Array.fromAsync()",
                {
                    "ios_saf": "16.4",
                    "safari": "16.4",
                    "chrome": "121",
                    "and_chr": "121",
                    "firefox": "115",
                    "samsung": "25",
                },
            ),
        ),
    ),
)

BY_NAME: dict[str, Defect] = {defect.name: defect for defect in CATALOG}


class UnknownDefectError(ValueError):
    """A defect name that is not in the catalog."""

    def __init__(self, unknown: Iterable[str]) -> None:
        self.unknown = tuple(sorted(unknown))
        super().__init__(
            f"unknown defect(s): {', '.join(self.unknown)}; "
            f"known defects: {', '.join(known_names())}"
        )


def known_names() -> tuple[str, ...]:
    """All defect names in catalog order."""
    return tuple(defect.name for defect in CATALOG)


def parse_defects(spec: str | Iterable[str] | None) -> frozenset[str]:
    """Comma-separated names (or an iterable of names) to a validated set."""
    if spec is None:
        return frozenset()
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names = frozenset(item.strip() for item in items if item and item.strip())
    unknown = names - BY_NAME.keys()
    if unknown:
        raise UnknownDefectError(unknown)
    return names


def describe_catalog() -> str:
    """A plain-text listing of the catalog (for `--list-defects`)."""
    blocks = []
    for defect in CATALOG:
        blocks.append(
            f"{defect.name}  [{defect.portal}, {defect.category}]\n"
            f"  {defect.title}\n"
            f"  Symptom: {defect.symptom}\n"
            f"  Cause: {defect.cause}"
        )
    return "\n\n".join(blocks)
