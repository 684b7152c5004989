"""The journeys support can replay, by the names people use, mapped to the suites' tests."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Journey:
    name: str
    title: str  # what the person was doing, in plain words
    tests: tuple[str, ...]  # suite test functions (node ids without parameters)
    both_portals: bool = False  # the tests run once per portal; --portal picks one
    destructive: bool = False  # creates or changes data (bookings): test targets only by default


_LOGIN = "suites/test_login_url.py::"
_BOOK = "suites/test_booking.py::"
_CHANGE = "suites/test_reschedule_cancel.py::"
_INCOGNITO = "suites/test_incognito.py::"

JOURNEYS: tuple[Journey, ...] = (
    Journey(
        "sign-in",
        "sign in and reach the dashboard",
        (f"{_INCOGNITO}test_sign_in_reaches_the_dashboard",),
        both_portals=True,
    ),
    Journey(
        "login-page",
        "open the login page",
        (f"{_LOGIN}test_login_page_loads",),
        both_portals=True,
    ),
    Journey(
        "sign-out",
        "sign in, then sign out",
        (f"{_LOGIN}test_sign_in_and_out",),
        both_portals=True,
    ),
    Journey(
        "deep-link",
        "open a link to a page while signed out, sign in, land on it",
        (f"{_LOGIN}test_deep_link_returns_after_sign_in",),
        both_portals=True,
    ),
    Journey(
        "wrong-password",
        "sign in with a wrong password and read the message",
        (f"{_LOGIN}test_wrong_password_gives_a_clear_message",),
        both_portals=True,
    ),
    Journey(
        "wrong-portal",
        "sign in on the other portal's login page",
        (f"{_LOGIN}test_wrong_portal_account_is_told_where_to_go",),
        both_portals=True,
    ),
    Journey(
        "layout",
        "the login page fits the screen (no sideways scrolling, buttons big enough)",
        (f"{_LOGIN}test_login_fits_the_screen",),
        both_portals=True,
    ),
    Journey(
        "connectivity",
        "the browser reaches the portal",
        ("suites/test_connectivity.py::test_browser_reaches_the_portal",),
        both_portals=True,
    ),
    Journey(
        "booking",
        "book a live session; the provider confirms it",
        (f"{_BOOK}test_book_then_the_provider_confirms",),
        destructive=True,
    ),
    Journey(
        "buy-credit",
        "book with no session credit left: buy one",
        (f"{_BOOK}test_buy_a_credit_when_none_is_left",),
        destructive=True,
    ),
    Journey(
        "share-availability",
        "no time fits: share availability with the provider",
        (f"{_BOOK}test_cant_find_a_time_shares_availability",),
        destructive=True,
    ),
    Journey(
        "calendar",
        "add a booked session to a calendar (Google, Outlook, Apple)",
        (f"{_BOOK}test_add_to_calendar_links_and_ics",),
        destructive=True,
    ),
    Journey(
        "reschedule",
        "reschedule a session",
        (f"{_CHANGE}test_reschedule_ahead_of_time_is_free",),
        destructive=True,
    ),
    Journey(
        "cancel",
        "cancel a session with a reason",
        (f"{_CHANGE}test_cancel_with_a_reason_returns_the_credit",),
        destructive=True,
    ),
    Journey(
        "late-cancel",
        "cancel less than 24 hours ahead (warning, credit forfeited)",
        (f"{_CHANGE}test_late_cancel_warns_then_forfeits_the_credit",),
        destructive=True,
    ),
    Journey(
        "join",
        "join a live session (opens 10 minutes before the start)",
        (f"{_CHANGE}test_join_opens_ten_minutes_before_the_start",),
        destructive=True,
    ),
    Journey(
        "dashboard",
        "the provider dashboard shows a session booked elsewhere",
        (f"{_INCOGNITO}test_the_dashboard_shows_changes_made_elsewhere",),
        destructive=True,
    ),
    Journey(
        "release",
        "after a site update the pages run the new version",
        (f"{_INCOGNITO}test_pages_run_the_current_release",),
        destructive=True,
    ),
)
ALIASES = {"cache": "release", "login": "sign-in", "book": "booking", "schedule": "booking"}


class JourneyError(ValueError):
    """An unknown journey name; the message lists the known ones."""


def find_journeys(names: str) -> list[Journey]:
    """Journeys from a comma list of names (or aliases)."""
    by_name = {j.name: j for j in JOURNEYS}
    found: list[Journey] = []
    for raw in (n.strip().lower() for n in names.split(",")):
        if not raw:
            continue
        name = ALIASES.get(raw, raw).replace("_", "-").replace(" ", "-")
        if name not in by_name:
            close = difflib.get_close_matches(name, [*by_name, *ALIASES], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise JourneyError(
                f"unknown journey {raw!r}{hint}; known: {', '.join(by_name)} "
                "(`compat repro --list` explains each)"
            )
        if by_name[name] not in found:
            found.append(by_name[name])
    if not found:
        raise JourneyError("name a journey, e.g. --journey sign-in (`compat repro --list`)")
    return found
