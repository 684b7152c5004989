"""Where the harness must see each catalogued defect of the reference app: the (test, cell)
pairs that fail with it on, by cell trait, and how (a journey's assertion or a page sentinel's
kind of finding). Kept with the self-tests (tests/test_detection.py checks exactly these), so the
app knows nothing of the journeys and a new journey needs no edit to the app."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from compat_harness.versions.check import TEST_ID


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


VERSIONS_ROW = TEST_ID  # the version row's test id


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


# Journeys that open the provider's dashboard, in the files that are cheap to run for it.
_PROVIDER_DASHBOARD = (
    "test_incognito.py::test_sign_in_reaches_the_dashboard[*-provider]",
    "test_incognito.py::test_the_dashboard_shows_changes_made_elsewhere[*]",
    "test_login_url.py::test_sign_in_and_out[provider]",
)


# Journeys that open the client's dashboard, in the same files.
_CLIENT_DASHBOARD = (
    "test_incognito.py::test_sign_in_reaches_the_dashboard[*-client]",
    "test_incognito.py::test_pages_run_the_current_release[stored]",
    "test_incognito.py::test_pages_run_the_current_release[tab_closed]",
    "test_login_url.py::test_sign_in_and_out[client]",
)


EXPECTED: dict[str, tuple[Expectation, ...]] = {
    "login-ua-data": (fails(_SIGN_IN, "webkit", "the submit handler throws before submitting"),),
    "login-narrow-overflow": (
        fails(
            ["test_login_url.py::test_login_fits_the_screen[*]"],
            "phone",
            "the journey's own check: sideways scroll",
        ),
        seen(
            [
                f"test_login_url.py::{test}[*]"
                for test in (
                    "test_login_page_loads",
                    "test_login_names_the_other_portal",
                    "test_portal_links_stay_on_the_portal",
                    "test_wrong_portal_account_is_told_where_to_go",
                    "test_deep_link_returns_after_sign_in",
                    "test_wrong_password_gives_a_clear_message",
                    "test_sign_in_and_out",
                )
            ],
            "phone",
            "layout",
            "every journey through the login page sees it scroll sideways on a phone, though "
            "only one journey checks the page's width",
        ),
    ),
    "provider-links-client-login": (
        fails(
            ["test_login_url.py::test_portal_links_stay_on_the_portal[provider]"],
            "all",
            "the links lead to the client portal",
        ),
    ),
    "android-ua-block": (
        # A sample of the client portal's login journeys (all of them fail the same way).
        fails(
            [
                "test_login_url.py::test_login_page_loads[client]",
                "test_login_url.py::test_sign_in_and_out[client]",
                "test_login_url.py::test_deep_link_returns_after_sign_in[client]",
                "test_login_url.py::test_login_names_the_other_portal[client]",
                "test_login_url.py::test_wrong_portal_account_is_told_where_to_go[client]",
            ],
            "android-ua",
            "no login form on the client portal",
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
    "touch-submit": (fails(_SIGN_IN, "touch-events", "a tap never submits the form"),),
    "date-parse-mdy": (
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
    "book-button-under-footer": (
        fails(_BOOKS, "phone", "the bottom navigation covers Book session"),
    ),
    "late-window-tz-hour": (
        fails(_LATE, "all", "23.5 hours ahead is treated as outside the 24-hour window"),
    ),
    "email-utc-time": (
        fails(
            ["test_booking.py::test_book_then_the_provider_confirms"],
            "all",
            "the email's time is the UTC clock time",
        ),
    ),
    "script-immutable-unversioned": (
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
    "dashboard-cache-kept-on-signout": (
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
    "session-cookie-samesite-none": _no_session_cookie("chromium"),
    "session-cookie-secure": _no_session_cookie("webkit"),
    "login-groupby-nesting": (
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
    "dashboard-idle-draw": (
        fails(
            [
                "test_booking.py::test_book_then_the_provider_confirms",
                "test_incognito.py::test_sign_in_reaches_the_dashboard[incognito-client]",
                "test_reschedule_cancel.py::test_reschedule_ahead_of_time_is_free",
            ],
            "chromium",
            "the upcoming sessions are missing from a freshly loaded dashboard",
        ),
        fails(
            ["test_incognito.py::test_sign_in_reaches_the_dashboard[stored-client]"],
            "chromium",
            "signed out, the dashboard loads its data afresh: the same fault",
            "product-bug",
        ),
    ),
    "room-time-parse": (
        seen(
            ["test_booking.py::test_book_then_the_provider_confirms"],
            "chromium",
            "page-error",
            "the room's script throws once the confirmation is in the conversation; no "
            "assertion of the journey looks there",
        ),
    ),
    "message-box-field-sizing": (
        seen(
            [
                "test_booking.py::test_book_then_the_provider_confirms",
                "test_booking.py::test_cant_find_a_time_shares_availability",
            ],
            "touch-phone",
            "layout",
            "the journeys that open a room see its message box under the smallest tap size "
            "(the check is for cells that deliver touch; WebKitGTK keeps the box's height)",
        ),
    ),
    "announcements-500": (
        seen(
            _CLIENT_DASHBOARD,
            "all",
            "failed-request",
            "every client dashboard load asks for the announcements and gets a 500",
        ),
    ),
    "help-widget-error": (
        seen(
            _PROVIDER_DASHBOARD,
            "all",
            "page-error",
            "the widget's script throws after every provider dashboard load",
        ),
    ),
    "provider-dashboard-idle-wait": (
        fails(
            _PROVIDER_DASHBOARD,
            "webkit",
            "the provider dashboard never leaves Loading… (the journey, or the sentinel's "
            "stuck-loading, whichever waits less)",
        ),
    ),
    "signout-resume-undefined": (
        seen(
            ["test_login_url.py::test_sign_in_and_out[*]"],
            "all",
            "page-error",
            "the login page after signing out throws",
        ),
        seen(
            [
                "test_incognito.py::test_sign_in_reaches_the_dashboard[stored-*]",
                "test_incognito.py::test_the_dashboard_shows_changes_made_elsewhere[stored]",
                "test_incognito.py::test_pages_run_the_current_release[stored]",
            ],
            "all",
            "page-error",
            "only the profile of someone who signed out earlier holds the bad value",
            "stored-data",
        ),
    ),
    "sw-shell-cache-first": (
        fails(
            ["test_login_url.py::test_sign_in_and_out[*]"],
            "all",
            "after signing out, the cached dashboard still shows (its data requests get 401)",
        ),
        fails(
            [
                "test_incognito.py::test_pages_run_the_current_release[stored]",
                "test_incognito.py::test_pages_run_the_current_release[tab_closed]",
            ],
            "all",
            "a returning visitor's pages stay on the release they first saw",
            "stored-data",
        ),
    ),
    "script-array-fromasync": (
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
}
