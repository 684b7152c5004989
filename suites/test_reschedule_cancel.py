"""Reschedule and cancel journeys (SPEC 4.5): free at least 24 h ahead, a warning and a lost credit
inside 24 h, a reason for every cancellation, the provider's side, and the join button's window."""

from __future__ import annotations

from typing import Any

import pytest

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.booking import LATE_WARNING, ChangeSessionPage, SchedulePage
from compat_harness.pages.dashboard import Dashboard
from compat_harness.pages.login import sign_in
from compat_harness.pages.sessions import LiveSession, expect_calendar_file
from compat_harness.session.base import Session
from compat_harness.target import Target, TestHooks
from fixtures.accounts import Account

pytestmark = [pytest.mark.journey("reschedule_cancel", portal="client"), pytest.mark.destructive]

# A confirmed 45-minute video session on Thursday 4 Feb 2027, 11:00 AM New York time (the
# client; the provider is in Chicago, one hour behind).
START = "2027-02-04T16:00:00Z"
BOOKED = LiveSession.at(START, 45)
WHEN = "Thu, Feb 4, 2027, 11:00 AM EST"
PROVIDER = "Maya Chen"
THREE_DAYS_BEFORE = "2027-02-01T16:00:00Z"
EXACTLY_24H_BEFORE = "2027-02-03T16:00:00Z"
HOURS_23_5_BEFORE = "2027-02-03T16:30:00Z"


@pytest.fixture
def booked(test_hooks: TestHooks, scenario: dict[str, Any]) -> dict[str, Any]:
    """The confirmed session every journey here starts from."""
    return test_hooks.create_session(
        scenario["scenario"], start=START, type="video", length=45, status="confirmed"
    )


def _schedule(session: Session, target: Target, account: Account) -> SchedulePage:
    sign_in(session, target, Portal.CLIENT, account.email, account.password)
    return SchedulePage(session, target).open()


def _late_change(
    session: Session, target: Target, account: Account, action: str
) -> tuple[SchedulePage, int, ChangeSessionPage]:
    """Open ``action`` on the booked session inside 24 hours and see the warning; returns the
    schedule, the credits before the change, and the change page."""
    schedule = _schedule(session, target, account)
    credits = schedule.credits()
    change = schedule.open_change(WHEN, action)
    with session.step("The 24-hour warning"):
        change.expect_here()
        expect(change.late_warning).to_have_text(LATE_WARNING)
    return schedule, credits, change


@pytest.mark.scenario(now=THREE_DAYS_BEFORE)
def test_reschedule_ahead_of_time_is_free(
    session: Session,
    new_session: Any,
    target: Target,
    booked: dict[str, Any],
    client_account: Account,
    provider_account: Account,
) -> None:
    """Rescheduling 3 days ahead: no warning, no credit lost, the new time awaits confirmation;
    the old time is gone from the client's schedule and dashboard and from the provider's side."""
    schedule = _schedule(session, target, client_account)
    credits = schedule.credits()
    change = schedule.open_change(WHEN, "Reschedule")
    change.expect_no_late_warning()
    change.reschedule("2027-02-05", "2:00 PM EST")
    moved = BOOKED.moved(LiveSession.at("2027-02-05T19:00:00Z").start)
    with session.step("Rescheduled, awaiting the provider, credit kept, the old time gone"):
        expect(schedule.notice).to_contain_text("Session rescheduled.")
        schedule.expect_lists(moved, client_account.timezone, PROVIDER)
        schedule.expect_not_lists(WHEN)
        assert schedule.credits() == credits
    details = schedule.open_details(moved.when(client_account.timezone))
    with session.step("Its details and its calendar entry have the new time"):
        details.expect_shows(moved, client_account.timezone, f"{PROVIDER} · Individual therapy")
        expect_calendar_file(details.calendar_file(), moved, client_account.timezone, PROVIDER)
    with session.step("The dashboard has the new time, not the old one"):
        dashboard = Dashboard(session, target, Portal.CLIENT).open()
        dashboard.expect_lists(
            "Upcoming sessions", moved, client_account.timezone, PROVIDER, status=True
        )
        dashboard.expect_not_lists("Upcoming sessions", WHEN)
    provider = new_session()
    sign_in(provider, target, Portal.PROVIDER, provider_account.email, provider_account.password)
    with provider.step("The provider is asked about the new time; the old one is gone"):
        theirs = Dashboard(provider, target, Portal.PROVIDER)
        tz, client = provider_account.timezone, client_account.full_name
        theirs.expect_lists("Pending requests", moved, tz, client)
        theirs.expect_not_lists("Upcoming sessions", BOOKED.when(tz))


@pytest.mark.parametrize(
    ("reason", "credits_back"),
    [
        pytest.param(
            "Feeling better",
            1,
            marks=pytest.mark.scenario(now=THREE_DAYS_BEFORE),
            id="3-days-ahead",
        ),
        pytest.param(
            "Schedule conflict",
            1,
            marks=pytest.mark.scenario(now=EXACTLY_24H_BEFORE),
            id="exactly-24h-ahead",
        ),
    ],
)
def test_cancel_with_a_reason_returns_the_credit(
    session: Session,
    target: Target,
    booked: dict[str, Any],
    client_account: Account,
    reason: str,
    credits_back: int,
) -> None:
    """Canceling at least 24 hours ahead (exactly 24 h included) asks for a reason, shows no
    warning and gives the credit back; the dashboard no longer lists the session."""
    schedule = _schedule(session, target, client_account)
    credits = schedule.credits()
    change = schedule.open_change(WHEN, "Cancel session")
    change.expect_no_late_warning()
    change.cancel(reason)
    with session.step("Canceled, credit returned"):
        expect(schedule.notice).to_contain_text("Session canceled.")
        expect(schedule.notice).to_contain_text("Your session credit has been returned.")
        schedule.expect_lists(BOOKED.with_status("canceled"), client_account.timezone, PROVIDER)
        assert schedule.credits() == credits + credits_back
    with session.step("The dashboard no longer lists it as upcoming"):
        Dashboard(session, target, Portal.CLIENT).open().expect_not_lists("Upcoming sessions", WHEN)


@pytest.mark.scenario(now=HOURS_23_5_BEFORE)
def test_late_cancel_warns_then_forfeits_the_credit(
    session: Session, target: Target, booked: dict[str, Any], client_account: Account
) -> None:
    """23.5 hours ahead: the page warns that the credit will be lost, and going ahead loses it."""
    schedule, credits, change = _late_change(session, target, client_account, "Cancel session")
    change.cancel("Schedule conflict", accept_forfeit=True)
    with session.step("Canceled, credit forfeited"):
        schedule.expect_lists(BOOKED.with_status("canceled"), client_account.timezone, PROVIDER)
        expect(schedule.notice).to_contain_text(
            "Your session credit was forfeited because you canceled less than 24 hours before the start."
        )
        assert schedule.credits() == credits


@pytest.mark.scenario(now=HOURS_23_5_BEFORE)
def test_late_reschedule_warns_and_costs_a_credit(
    session: Session, target: Target, booked: dict[str, Any], client_account: Account
) -> None:
    """Rescheduling inside 24 hours warns, then loses the held credit and holds a new one."""
    schedule, credits, change = _late_change(session, target, client_account, "Reschedule")
    change.reschedule("2027-02-05", "2:00 PM EST", accept_forfeit=True)
    with session.step("Rescheduled, one credit spent, the old time gone"):
        expect(schedule.notice).to_contain_text("Session rescheduled.")
        schedule.expect_lists(
            BOOKED.moved(LiveSession.at("2027-02-05T19:00:00Z").start),
            client_account.timezone,
            PROVIDER,
        )
        schedule.expect_not_lists(WHEN)
        assert schedule.credits() == credits - 1


@pytest.mark.scenario(now=THREE_DAYS_BEFORE)
@pytest.mark.journey("reschedule_cancel", portal="provider")
def test_the_provider_cancels_and_the_client_is_told(
    session: Session,
    target: Target,
    test_hooks: TestHooks,
    booked: dict[str, Any],
    client_account: Account,
    provider_account: Account,
) -> None:
    """A provider cancels with a reason; the client's credit comes back and they get an email."""
    sign_in(session, target, Portal.PROVIDER, provider_account.email, provider_account.password)
    schedule = SchedulePage(session, target, Portal.PROVIDER).open()
    theirs = BOOKED.when(provider_account.timezone)
    schedule.expect_lists(BOOKED, provider_account.timezone, client_account.full_name)
    schedule.open_change(theirs, "Cancel session").cancel("Technical issues")
    with session.step("Canceled and gone from the schedule; the client's credit returned"):
        expect(session.role("status")).to_contain_text(
            f"Session canceled. {client_account.first_name}'s session credit has been returned."
        )
        schedule.expect_not_lists(theirs)
    with session.step("The client is emailed, with the time in their own zone"):
        emails = [
            e
            for e in test_hooks.outbox(client_account.email)
            if e["subject"] == "Your session was canceled"
        ]
        assert len(emails) == 1, [e["subject"] for e in test_hooks.outbox(client_account.email)]
        assert BOOKED.long_when(client_account.timezone) in emails[0]["body"], emails[0]["body"]


@pytest.mark.scenario(now="2027-02-04T15:49:00Z")
def test_join_opens_ten_minutes_before_the_start(
    session: Session,
    target: Target,
    test_hooks: TestHooks,
    scenario: dict[str, Any],
    booked: dict[str, Any],
    client_account: Account,
) -> None:
    """Eleven minutes before the start there is no Join button; from ten minutes before there is."""
    schedule = _schedule(session, target, client_account)
    with session.step("11 minutes before: not yet"):
        item = schedule.item(WHEN)
        expect(item).to_contain_text("You can join 10 minutes before the start time.")
        expect(item.role("link", "Join session")).to_be_absent(on=schedule.place)
    test_hooks.set_clock(scenario["scenario"], "2027-02-04T15:50:00Z")
    schedule.open()
    live = schedule.open_change(WHEN, "Join session")
    with session.step("10 minutes before: the session opens, with the provider, at its time"):
        live.expect_here()
        expect(session.role("main")).to_contain_text(f"{BOOKED.summary} with {PROVIDER}")
