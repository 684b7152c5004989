"""The client's Schedule and booking flow, and the provider's side of a booking."""

from __future__ import annotations

import re

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.session.base import Locator, Session
from compat_harness.target import Target

CANCELLATION_POLICY = (
    "You can reschedule or cancel for free up to 24 hours before your session. Changes made less "
    "than 24 hours before the start forfeit the session credit."
)
LATE_WARNING = (
    "This session starts in less than 24 hours. If you continue, your session credit will be "
    "forfeited."
)
CONFIRMED_EMAIL_SUBJECT = "Your session is confirmed! Mark your calendar."


class SchedulePage:
    """Schedule: the client's live sessions and the way to book one."""

    def __init__(self, session: Session, target: Target, portal: Portal = Portal.CLIENT) -> None:
        self.session = session
        self.target = target
        self.portal = portal

    def open(self) -> SchedulePage:
        with self.session.step("Open Schedule"):
            self.session.goto(self.target.url(self.portal, "/schedule"))
            expect(self.session.role("heading", "Schedule", exact=True)).to_be_visible()
        return self

    @property
    def notice(self) -> Locator:
        return self.session.role("status")

    def credits(self) -> int:
        text = self.session.text(re.compile(r"Session credits: \d+")).inner_text()
        return int(text.rsplit(":", 1)[1])

    def item(self, when: str) -> Locator:
        """The listed session whose date/time reads ``when`` (e.g. 'Wed, Feb 3, 2027, 11:00 AM EST')."""
        return self.session.role("listitem").filter(has_text=when)

    def open_change(self, when: str, action: str) -> None:
        """Follow a session's Reschedule / Cancel session / Join session link."""
        with self.session.step(f"{action} the session on {when}"):
            self.item(when).role("link", action, exact=True).click()


class BookingFlow:
    """Schedule → Book or start a session → room → details → review → booked."""

    def __init__(self, session: Session, target: Target) -> None:
        self.session = session
        self.target = target

    def start(self) -> BookingFlow:
        SchedulePage(self.session, self.target).open()
        with self.session.step("Book or start a session"):
            self.session.role("link", "Book or start a session", exact=True).click()
            expect(self.session.role("heading", "Book a live session", exact=True)).to_be_visible()
        return self

    def choose_room(self, label: str) -> None:
        with self.session.step(f"Choose {label} and continue"):
            self.session.role("radio", label).check()
            self.session.role("button", "Continue", exact=True).click()

    def buy_credit(self) -> None:
        with self.session.step("Buy one session credit"):
            expect(
                self.session.role("heading", "You're out of session credits", exact=True)
            ).to_be_visible()
            self.session.role("button", "Buy 1 session credit", exact=True).click()

    @property
    def details_heading(self) -> Locator:
        return self.session.role("heading", "Book a live session", exact=True)

    def pick(self, *, kind: str, length: str, day: str, time: str) -> None:
        """Type, length, date (YYYY-MM-DD, typed the way the engine allows) and a time by label."""
        with self.session.step(f"Pick a {length} {kind.lower()} session on {day} at {time}"):
            expect(self.session.role("group", "Session type")).to_be_visible()
            self.session.role("radio", kind, exact=True).check()
            self.session.label("Session length", exact=True).select(label=length)
            pick_slot(self.session, day, time)

    def continue_to_review(self) -> None:
        with self.session.step("Continue to the review"):
            self.session.role("button", "Continue", exact=True).click()
            expect(self.session.role("heading", "Review and book", exact=True)).to_be_visible()

    def book(self) -> None:
        with self.session.step("Review the cancellation policy and book"):
            expect(self.session.role("region", "Cancellation policy")).to_contain_text(
                CANCELLATION_POLICY
            )
            self.session.label("I have reviewed the cancellation policy", exact=True).check()
            self.session.role("button", "Book session", exact=True).click()
            expect(self.session.role("heading", "Session requested", exact=True)).to_be_visible()


def pick_slot(session: Session, day: str, time: str) -> None:
    """Set the Date field and choose a Time once the page has loaded that day's times."""
    session.label("Date", exact=True).fill(day)
    expect(session.label("Date", exact=True)).to_have_value(day)
    session.label("Time", exact=True).select(label=time)
    weekday = _weekday(day)
    expect(session.role("status").filter(has_text="You picked")).to_contain_text(
        f"You picked {weekday} at {time}"
    )


def _weekday(day: str) -> str:
    """'2027-02-03' -> 'Wednesday, February 3' (how the preview names a day)."""
    from datetime import date

    d = date.fromisoformat(day)
    return f"{d:%A, %B} {d.day}"


class ChangeSessionPage:
    """Reschedule session / Cancel session, with the 24-hour warning when it applies."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def late_warning(self) -> Locator:
        return self.session.role("alert").filter(has_text="less than 24 hours")

    @property
    def forfeit_checkbox(self) -> Locator:
        return self.session.label("I understand I will lose this session credit", exact=True)

    def reschedule(self, day: str, time: str, *, accept_forfeit: bool = False) -> None:
        with self.session.step(f"Reschedule to {day} at {time}"):
            expect(self.session.role("heading", "Reschedule session", exact=True)).to_be_visible()
            pick_slot(self.session, day, time)
            if accept_forfeit:
                self.forfeit_checkbox.check()
            self.session.role("button", "Confirm rescheduling", exact=True).click()

    def cancel(self, reason: str, *, accept_forfeit: bool = False) -> None:
        with self.session.step(f"Cancel with reason '{reason}'"):
            expect(self.session.role("heading", "Cancel session", exact=True)).to_be_visible()
            self.session.label("Reason for canceling", exact=True).select(label=reason)
            if accept_forfeit:
                self.forfeit_checkbox.check()
            self.session.role("button", "Cancel session", exact=True).click()


class RoomPage:
    def __init__(self, session: Session, target: Target) -> None:
        self.session = session
        self.target = target

    def open(self) -> RoomPage:
        with self.session.step("Open the room"):
            self.session.goto(self.target.url(Portal.CLIENT, "/room"))
            expect(self.session.role("heading", re.compile(r"^Room with "))).to_be_visible()
        return self

    @property
    def conversation(self) -> Locator:
        return self.session.role("log", "Conversation", exact=True)


class ProviderDashboard:
    def __init__(self, session: Session, target: Target) -> None:
        self.session = session
        self.target = target

    def open(self) -> ProviderDashboard:
        with self.session.step("Open the provider dashboard"):
            self.session.goto(self.target.url(Portal.PROVIDER, "/dashboard"))
            expect(self.session.role("heading", "Pending requests", exact=True)).to_be_visible()
        return self

    def answer(self, client_full_name: str, answer: str = "Confirm") -> None:
        with self.session.step(f"{answer} the session with {client_full_name}"):
            button = self.session.role(
                "button", f"{answer} session with {client_full_name}", exact=True
            )
            button.click()
            expect(button).to_have_count(0)
