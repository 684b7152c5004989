"""Booking journeys (SPEC 4.5): schedule → book → provider confirms → confirmation in the room and
by email; buying a credit; sharing availability; couples and psychiatry rules; calendar links."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from compat_harness import ical
from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.booking import (
    CONFIRMED_EMAIL_SUBJECT,
    BookingFlow,
    ProviderDashboard,
    RoomPage,
    SchedulePage,
)
from compat_harness.pages.login import sign_in
from compat_harness.session.base import Session
from compat_harness.target import Target, TestHooks
from fixtures.accounts import Account

pytestmark = [pytest.mark.journey("booking", portal="client"), pytest.mark.destructive]

# Every scenario's clock is frozen on Monday 1 Feb 2027, 9:00 AM in New York (the client) and
# 8:00 AM in Chicago (the provider), so the times offered are the same on every run.
NOW = "2027-02-01T14:00:00Z"
DAY, TIME = "2027-02-03", "11:00 AM EST"
WHEN = "Wed, Feb 3, 2027, 11:00 AM EST"
INDIVIDUAL = "Maya Chen · Individual therapy"


def _book(session: Session, target: Target, *, room: str = INDIVIDUAL, buy: bool = False) -> None:
    flow = BookingFlow(session, target).start()
    flow.choose_room(room)
    if buy:
        flow.buy_credit()
    expect(flow.details_heading).to_be_visible()
    flow.pick(kind="Video", length="45 minutes", day=DAY, time=TIME)
    flow.continue_to_review()
    flow.book()


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
    """A client books; the provider confirms in their own browser; the client sees the confirmation
    in the room and gets the email, with the time in their own time zone."""
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    _book(session, target)
    schedule = SchedulePage(session, target).open()
    with session.step("The session waits for the provider, one credit held"):
        expect(schedule.item(WHEN)).to_contain_text("Waiting for provider confirmation")
        assert schedule.credits() == 1
    provider = new_session()
    sign_in(provider, target, Portal.PROVIDER, provider_account.email, provider_account.password)
    ProviderDashboard(provider, target).open().answer(client_account.full_name, "Confirm")
    schedule.open()
    with session.step("The client sees it confirmed, in the schedule and in the room"):
        expect(schedule.item(WHEN)).to_contain_text("Confirmed")
        room = RoomPage(session, target).open()
        expect(room.conversation).to_contain_text(
            "Your session on Wednesday, February 3 at 11:00 AM EST is confirmed."
        )
    with session.step("The confirmation email arrives, with the client's time"):
        emails = [
            e
            for e in test_hooks.outbox(client_account.email)
            if e["subject"] == CONFIRMED_EMAIL_SUBJECT
        ]
        assert len(emails) == 1, f"expected one confirmation email, got {len(emails)}"
        assert "Wednesday, February 3, 2027 at 11:00 AM EST" in emails[0]["body"], emails[0]["body"]


@pytest.mark.scenario(now=NOW)
def test_add_to_calendar_links_and_ics(
    session: Session,
    target: Target,
    test_hooks: TestHooks,
    scenario: dict[str, Any],
    client_account: Account,
) -> None:
    """Google, Outlook and Apple (.ics) calendar entries carry the session's real start and end."""
    booked = test_hooks.create_session(
        scenario["scenario"],
        start="2027-02-03T16:00:00Z",
        type="video",
        length=45,
        status="pending",
    )
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    session.goto(target.url(Portal.CLIENT, f"/schedule/sessions/{booked['id']}/booked"))
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
        href = session.role("link", "Apple Calendar (.ics)").attribute("href")
        download = session.evaluate(
            """async (url) => {
                const r = await fetch(url, {credentials: 'same-origin'});
                return {status: r.status, type: r.headers.get('content-type'),
                        disposition: r.headers.get('content-disposition'), body: await r.text()};
            }""",
            href,
        )
    with session.step("A calendar would accept it, at the right time"):
        assert download["status"] == 200 and download["type"].startswith("text/calendar"), download
        assert "attachment" in (download["disposition"] or "")
        calendar = ical.parse(download["body"])
        assert calendar.value("X-WR-TIMEZONE") == client_account.timezone
        (event,) = [c for c in calendar.children if c.name == "VEVENT"]
        assert ical.utc_time(event.value("DTSTART")).isoformat() == "2027-02-03T16:00:00+00:00"
        assert ical.utc_time(event.value("DTEND")).isoformat() == "2027-02-03T16:45:00+00:00"
        assert "Maya Chen" in event.value("SUMMARY")


@pytest.mark.scenario(credits=0, now=NOW)
def test_buy_a_credit_when_none_is_left(
    session: Session, target: Target, client_account: Account
) -> None:
    """With no credit left and a plan that allows it, the client buys one and books with it."""
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    _book(session, target, buy=True)
    schedule = SchedulePage(session, target).open()
    with session.step("Booked with the bought credit"):
        expect(schedule.item(WHEN)).to_contain_text("Waiting for provider confirmation")
        assert schedule.credits() == 0


@pytest.mark.scenario(credits=0, plan="no_purchase", now=NOW)
def test_no_credit_and_no_purchase_plan_stops_with_a_reason(
    session: Session, target: Target, client_account: Account
) -> None:
    """A plan without single-session purchases says so instead of offering to buy."""
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    BookingFlow(session, target).start().choose_room(INDIVIDUAL)
    with session.step("Out of credits, nothing to buy"):
        expect(session.role("heading", "You're out of session credits", exact=True)).to_be_visible()
        expect(session.text("Your plan doesn't include single-session purchases.")).to_be_visible()
        expect(session.role("button", "Buy 1 session credit")).to_have_count(0)


@pytest.mark.scenario(now=NOW)
def test_cant_find_a_time_shares_availability(
    session: Session, target: Target, client_account: Account
) -> None:
    """'I can't find a time that works for me' shares the client's availability with the provider."""
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    BookingFlow(session, target).start().choose_room(INDIVIDUAL)
    with session.step("Share availability instead of picking a time"):
        session.role("link", "I can't find a time that works for me", exact=True).click()
        expect(session.role("heading", "Share your availability", exact=True)).to_be_visible()
        session.label("When are you available?").fill("Weekday evenings after 6 PM")
        session.role("button", "Share availability", exact=True).click()
        expect(session.role("status")).to_contain_text("We've shared your availability with Maya.")
    with session.step("The provider sees it in the room"):
        expect(RoomPage(session, target).open().conversation).to_contain_text(
            "My availability for a live session: Weekday evenings after 6 PM"
        )


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
    BookingFlow(session, target).start().choose_room("Samuel Okafor · Psychiatry")
    with session.step("Only video is offered"):
        types = session.role("group", "Session type")
        expect(types.role("radio", "Video", exact=True)).to_be_visible()
        expect(types.role("radio", "Audio")).to_have_count(0)
        expect(types.role("radio", "Chat")).to_have_count(0)
        expect(types).to_contain_text("Psychiatry sessions are live video only.")
        assert session.label("Session length", exact=True).options() == ["30 minutes"]
