"""Booking journeys (SPEC 4.5): schedule → book → provider confirms → confirmation in the room and
by email; buying a credit; sharing availability; couples and psychiatry rules; calendar links."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.booking import (
    CONFIRMED_EMAIL_SUBJECT,
    BookingFlow,
    RoomPage,
    SchedulePage,
    download,
)
from compat_harness.pages.dashboard import Dashboard
from compat_harness.pages.login import sign_in
from compat_harness.pages.sessions import LiveSession, expect_calendar_file
from compat_harness.session.base import Session
from compat_harness.target import Target, TestHooks
from fixtures.accounts import Account

pytestmark = [pytest.mark.journey("booking", portal="client"), pytest.mark.destructive]

# Every scenario's clock is frozen on Monday 1 Feb 2027, 9:00 AM in New York (the client) and
# 8:00 AM in Chicago (the provider), so the times offered are the same on every run.
NOW = "2027-02-01T14:00:00Z"
DAY, TIME = "2027-02-03", "11:00 AM EST"
INDIVIDUAL = "Maya Chen · Individual therapy"
PROVIDER = "Maya Chen"


def _book(
    session: Session, target: Target, client: Account, *, room: str = INDIVIDUAL, buy: bool = False
) -> LiveSession:
    """Book a 45-minute video session at DAY, TIME; every page on the way shows back the choice.
    Returns the session as booked."""
    flow = BookingFlow(session, target, client.timezone).start()
    flow.choose_room(room)
    if buy:
        flow.buy_credit()
    flow.pick(kind="Video", length="45 minutes", day=DAY, time=TIME)
    flow.continue_to_review()
    flow.book()
    assert flow.chosen is not None
    return flow.chosen


@pytest.mark.scenario(now=NOW)
@pytest.mark.journey("booking", portal=None)
def test_book_then_the_provider_confirms(
    session: Session,
    new_session: Any,
    target: Target,
    test_hooks: TestHooks,
    client_account: Account,
    provider_account: Account,
) -> None:
    """A client books; the provider confirms in their own browser; both portals, the room, the
    email and its calendar file show the same time, each in the person's own time zone."""
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    booked = _book(session, target, client_account)
    schedule = SchedulePage(session, target).open()
    with session.step("The session waits for the provider, one credit held"):
        schedule.expect_lists(booked, client_account.timezone, PROVIDER)
        assert schedule.credits() == 1
    provider = new_session()
    sign_in(provider, target, Portal.PROVIDER, provider_account.email, provider_account.password)
    dashboard = Dashboard(provider, target, Portal.PROVIDER)
    with provider.step("The provider's request shows the client and the time in their own zone"):
        dashboard.expect_lists(
            "Pending requests", booked, provider_account.timezone, client_account.full_name
        )
    dashboard.answer(client_account.full_name, "Confirm")
    confirmed = booked.with_status("confirmed")
    with provider.step("Confirmed: no longer a request, an upcoming session"):
        dashboard.expect_not_lists("Pending requests", booked.when(provider_account.timezone))
        dashboard.expect_lists(
            "Upcoming sessions", confirmed, provider_account.timezone, client_account.full_name
        )
    schedule.open()
    with session.step("The client sees it confirmed, in the schedule, the dashboard and the room"):
        schedule.expect_lists(confirmed, client_account.timezone, PROVIDER)
        client_dashboard = Dashboard(session, target, Portal.CLIENT).open()
        client_dashboard.expect_lists(
            "Upcoming sessions", confirmed, client_account.timezone, PROVIDER, status=True
        )
        room = RoomPage(session, target).open()
        expect(room.conversation).to_contain_text(
            f"Your session on {booked.day(client_account.timezone)} at "
            f"{booked.time(client_account.timezone)} is confirmed."
        )
    with session.step("The confirmation email arrives, with the client's time and calendar file"):
        emails = [
            e
            for e in test_hooks.outbox(client_account.email)
            if e["subject"] == CONFIRMED_EMAIL_SUBJECT
        ]
        assert len(emails) == 1, f"expected one confirmation email, got {len(emails)}"
        body = emails[0]["body"]
        assert booked.long_when(client_account.timezone) in body, body
        (ics,) = [a for a in emails[0]["attachments"] if a["filename"].endswith(".ics")]
        expect_calendar_file(ics["content"], booked, client_account.timezone, PROVIDER)


@pytest.mark.scenario(now=NOW)
def test_add_to_calendar_links_and_ics(
    session: Session,
    target: Target,
    test_hooks: TestHooks,
    scenario: dict[str, Any],
    client_account: Account,
) -> None:
    """The booked page shows the session's time, and its Google, Outlook and Apple (.ics)
    calendar entries carry the same start and end."""
    live = LiveSession.at("2027-02-03T16:00:00Z", 45)
    booked = test_hooks.create_session(
        scenario["scenario"],
        start="2027-02-03T16:00:00Z",
        type="video",
        length=45,
        status="pending",
    )
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    flow = BookingFlow(session, target, client_account.timezone)
    session.goto(target.url(Portal.CLIENT, f"/schedule/sessions/{booked['id']}/booked"))
    with session.step("The booked page names the session and its time"):
        expect(session).to_be_at(flow.place("booked"))
        expect(session.role("main")).to_contain_text(
            f"Date and time {live.when(client_account.timezone)}"
        )
        expect(session.role("heading", "Add to calendar", exact=True)).to_be_visible()
    with session.step("Google Calendar and Outlook links"):
        google = parse_qs(
            urlparse(session.role("link", "Google Calendar").attribute("href") or "").query
        )
        assert google["dates"] == ["20270203T160000Z/20270203T164500Z"], google
        outlook = parse_qs(urlparse(session.role("link", "Outlook").attribute("href") or "").query)
        assert outlook["startdt"][0].startswith("2027-02-03T16:00:00") and outlook["enddt"][
            0
        ].startswith("2027-02-03T16:45:00"), outlook
    with session.step("Download the .ics the way the browser would"):
        got = download(session, "Apple Calendar (.ics)")
    with session.step("A calendar would accept it, at the right time"):
        assert got.status == 200 and got.type.startswith("text/calendar"), got
        assert "attachment" in got.disposition, got
        expect_calendar_file(got.body, live, client_account.timezone, PROVIDER)


@pytest.mark.scenario(credits=0, now=NOW)
def test_buy_a_credit_when_none_is_left(
    session: Session, target: Target, client_account: Account
) -> None:
    """With no credit left and a plan that allows it, the client buys one and books with it."""
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    booked = _book(session, target, client_account, buy=True)
    schedule = SchedulePage(session, target).open()
    with session.step("Booked with the bought credit"):
        schedule.expect_lists(booked, client_account.timezone, PROVIDER)
        assert schedule.credits() == 0


@pytest.mark.scenario(credits=0, plan="no_purchase", now=NOW)
def test_no_credit_and_no_purchase_plan_stops_with_a_reason(
    session: Session, target: Target, client_account: Account
) -> None:
    """A plan without single-session purchases says so instead of offering to buy."""
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    flow = BookingFlow(session, target).start()
    flow.choose_room(INDIVIDUAL)
    with session.step("Out of credits, nothing to buy"):
        expect(session).to_be_at(flow.place("credits"))
        expect(session.text("Your plan doesn't include single-session purchases.")).to_be_visible()
        expect(session.role("button", "Buy 1 session credit")).to_be_absent(
            on=flow.place("credits")
        )


@pytest.mark.scenario(now=NOW)
def test_cant_find_a_time_shares_availability(
    session: Session,
    new_session: Any,
    target: Target,
    client_account: Account,
    provider_account: Account,
) -> None:
    """'I can't find a time that works for me' shares the client's availability with the provider,
    who reads it in their room with the client and answers there; each side's message is shown
    in the room, to both."""
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    BookingFlow(session, target).start().choose_room(INDIVIDUAL)
    with session.step("Share availability instead of picking a time"):
        session.role("link", "I can't find a time that works for me", exact=True).click()
        expect(session.role("heading", "Share your availability", exact=True)).to_be_visible()
        session.label("When are you available?").fill("Weekday evenings after 6 PM")
        session.role("button", "Share availability", exact=True).click()
        expect(session.role("status")).to_contain_text("We've shared your availability with Maya.")
    shared = "My availability for a live session: Weekday evenings after 6 PM"
    room = RoomPage(session, target).open()
    with session.step("The client's room shows it, from the client"):
        room.expect_message(client_account.first_name, shared)
    provider = new_session()
    sign_in(provider, target, Portal.PROVIDER, provider_account.email, provider_account.password)
    theirs = RoomPage(provider, target, Portal.PROVIDER).open_from_caseload(
        client_account.full_name
    )
    with provider.step("The provider sees it in their room with the client"):
        theirs.expect_message(client_account.first_name, shared)
    theirs.send(provider_account.first_name, "Tuesday at 7 PM works. I'll open a time.")
    room.open()
    with session.step("The client's room shows the provider's answer"):
        room.expect_message(provider_account.first_name, "Tuesday at 7 PM works. I'll open a time.")


@pytest.mark.scenario(room_type="couples", now=NOW)
def test_couples_room_only_its_creator_schedules(
    session: Session,
    new_session: Any,
    target: Target,
    scenario: dict[str, Any],
    client_account: Account,
) -> None:
    """In a couples room the partner is told only the room's creator can schedule; the creator can."""
    partner = scenario["partner"]
    sign_in(session, target, Portal.CLIENT, partner["email"], partner["password"])
    session.expect_answer(403, "/schedule/new")  # the partner may not schedule
    BookingFlow(session, target).start().choose_room("Maya Chen · Couples therapy")
    with session.step("The partner is told why not"):
        expect(session.role("alert")).to_have_text(
            "Only Alex, who created this room, can schedule live sessions."
        )
    creator = new_session()
    sign_in(creator, target, Portal.CLIENT, client_account.email, client_account.password)
    flow = BookingFlow(creator, target).start()
    flow.choose_room("Maya Chen · Couples therapy")
    with creator.step("The creator goes on to pick a time"):
        expect(flow.details_heading).to_be_visible()
        expect(creator.role("group", "Session type")).to_be_visible()


@pytest.mark.scenario(room_type="psychiatry", now=NOW)
def test_psychiatry_is_video_only(
    session: Session, target: Target, client_account: Account
) -> None:
    """Psychiatry offers live video only, 30 minutes."""
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    flow = BookingFlow(session, target).start()
    flow.choose_room("Samuel Okafor · Psychiatry")
    with session.step("Only video is offered"):
        types = session.role("group", "Session type")
        expect(types.role("radio", "Video", exact=True)).to_be_visible()
        expect(types.role("radio", "Audio")).to_be_absent(on=flow.place("details"))
        expect(types.role("radio", "Chat")).to_be_absent(on=flow.place("details"))
        expect(types).to_contain_text("Psychiatry sessions are live video only.")
        assert session.label("Session length", exact=True).options() == ["30 minutes"]
