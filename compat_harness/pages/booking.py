"""The client's Schedule and booking flow, the pages that change a session, the room, and the
provider's Schedule. Each page knows its place (URL and heading) and what a person reads there."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.sessions import (
    LiveSession,
    expect_listed,
    expect_not_listed,
    offered_times_problem,
)
from compat_harness.place import Place, page_url
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
BOOK_HEADING = "Book a live session"
OUT_OF_CREDITS = "You're out of session credits"


def _place(target: Target, portal: Portal, name: str, path: str, heading: str) -> Place:
    return Place(name, page_url(target.base(portal), path), heading)


class SchedulePage:
    """Schedule: the live sessions a person has (client: every one, with its status; provider:
    the confirmed ones coming up), and the client's way to book one."""

    def __init__(self, session: Session, target: Target, portal: Portal = Portal.CLIENT) -> None:
        self.session = session
        self.target = target
        self.portal = portal

    @property
    def place(self) -> Place:
        return _place(
            self.target, self.portal, f"the {self.portal} Schedule page", "/schedule", "Schedule"
        )

    def open(self) -> SchedulePage:
        with self.session.step("Open Schedule"):
            self.session.goto(self.target.url(self.portal, "/schedule"))
            expect(self.session).to_be_at(self.place)
        return self

    @property
    def notice(self) -> Locator:
        return self.session.role("status")

    def credits(self) -> int:
        text = self.session.text(re.compile(r"Session credits: \d+")).inner_text()
        return int(text.rsplit(":", 1)[1])

    @property
    def items(self) -> Locator:
        return self.session.role("main").role("listitem")

    def item(self, when: str) -> Locator:
        """The listed session whose date/time reads ``when`` (e.g. 'Wed, Feb 3, 2027, 11:00 AM EST')."""
        return self.items.filter(has_text=when)

    def expect_lists(self, live: LiveSession, tz: str, with_name: str) -> None:
        """The session is listed once: its time in ``tz``, type, length, the other person and (on
        the client's Schedule, which lists every status) its status."""
        expect_listed(self.items, live, tz, with_name, status=self.portal is Portal.CLIENT)

    def expect_not_lists(self, when: str) -> None:
        expect_not_listed(self.items, when, on=self.place)

    def open_details(self, when: str) -> SessionDetailsPage:
        """Follow the listed session's time to its details."""
        with self.session.step(f"Open the session on {when}"):
            self.item(when).role("link", when, exact=True).click()
            page = SessionDetailsPage(self.session, self.target)
            expect(self.session).to_be_at(page.place)
        return page

    def open_change(self, when: str, action: str) -> ChangeSessionPage:
        """Follow a session's Reschedule / Cancel session / Join session link."""
        with self.session.step(f"{action} the session on {when}"):
            self.item(when).role("link", action, exact=True).click()
        return ChangeSessionPage(self.session, self.target, self.portal, action, when)


class BookingFlow:
    """Schedule → Book or start a session → room → details → review → booked, for a client in
    time zone ``timezone`` (the account's): each page shows back what was chosen."""

    def __init__(self, session: Session, target: Target, timezone: str = "") -> None:
        self.session = session
        self.target = target
        self.timezone = timezone
        self.room = ""
        self.chosen: LiveSession | None = None

    def place(self, step: str) -> Place:
        """The booking pages: 'room', 'credits', 'details', 'review', 'booked'."""
        path, heading = _BOOKING_PAGES[step]
        return _place(self.target, Portal.CLIENT, f"the booking's {step} page", path, heading)

    def start(self) -> BookingFlow:
        SchedulePage(self.session, self.target).open()
        with self.session.step("Book or start a session"):
            self.session.role("link", "Book or start a session", exact=True).click()
            expect(self.session).to_be_at(self.place("room"))
        return self

    def choose_room(self, label: str) -> None:
        with self.session.step(f"Choose {label} and continue"):
            self.room = label
            self.session.role("radio", label).check()
            self.session.role("button", "Continue", exact=True).click()

    def buy_credit(self) -> None:
        with self.session.step("Buy one session credit"):
            expect(self.session).to_be_at(self.place("credits"))
            expect(self.session.text("Session credits: 0", exact=True)).to_be_visible()
            self.session.role("button", "Buy 1 session credit", exact=True).click()

    @property
    def details_heading(self) -> Locator:
        return self.session.role("heading", BOOK_HEADING, exact=True)

    def pick(self, *, kind: str, length: str, day: str, time: str) -> None:
        """Type, length, date (YYYY-MM-DD, typed the way the engine allows) and a time by label."""
        with self.session.step(f"Pick a {length} {kind.lower()} session on {day} at {time}"):
            expect(self.session).to_be_at(self.place("details"))
            expect(self.session.role("group", "Session type")).to_be_visible()
            self.session.role("radio", kind, exact=True).check()
            self.session.label("Session length", exact=True).select(label=length)
            pick_slot(self.session, day, time)
            if self.timezone:
                self.chosen = LiveSession.picked(
                    day, time, self.timezone, int(length.split()[0]), kind
                )

    def continue_to_review(self) -> None:
        with self.session.step("Continue to the review"):
            self.session.role("button", "Continue", exact=True).click()
            expect(self.session).to_be_at(self.place("review"))
            if self.chosen is not None:
                # The review shows back the room and the session picked, at the time picked.
                main = self.session.role("main")
                expect(main).to_contain_text(f"Provider {self.room}")
                expect(main).to_contain_text(f"Session {self.chosen.summary}")
                expect(main).to_contain_text(f"Date and time {self.chosen.when(self.timezone)}")

    def book(self) -> None:
        with self.session.step("Review the cancellation policy and book"):
            expect(self.session.role("region", "Cancellation policy")).to_contain_text(
                CANCELLATION_POLICY
            )
            self.session.label("I have reviewed the cancellation policy", exact=True).check()
            self.session.role("button", "Book session", exact=True).click()
            expect(self.session).to_be_at(self.place("booked"))
            if self.chosen is not None:
                provider = self.room.split(" · ")[0]
                expect(self.session.role("status")).to_have_text(
                    f"{provider} will confirm your session soon."
                )
                main = self.session.role("main")
                expect(main).to_contain_text(f"Session {self.chosen.summary}")
                expect(main).to_contain_text(f"Date and time {self.chosen.when(self.timezone)}")


class SessionDetailsPage:
    """A session's details (client): who, what, when, its status, the ways to change or join it,
    and its calendar entries."""

    def __init__(self, session: Session, target: Target) -> None:
        self.session = session
        self.target = target

    @property
    def place(self) -> Place:
        return _place(
            self.target,
            Portal.CLIENT,
            "the session's details page",
            r"/schedule/sessions/\d+",
            "Session details",
        )

    def expect_shows(self, live: LiveSession, tz: str, room: str) -> None:
        """The page names the room, the session, its time in ``tz`` and its status."""
        main = self.session.role("main")
        expect(main).to_contain_text(f"Provider {room}")
        expect(main).to_contain_text(f"Session {live.summary}")
        expect(main).to_contain_text(f"Date and time {live.when(tz)}")
        expect(main).to_contain_text(f"Status {live.status_text}")

    def calendar_file(self) -> str:
        """The Apple Calendar (.ics) entry, as the browser would download it."""
        got = download(self.session, "Apple Calendar (.ics)")
        assert got.status == 200 and got.type.startswith("text/calendar"), got
        return got.body


@dataclass(frozen=True)
class Download:
    status: int
    type: str
    disposition: str
    body: str = field(repr=False)


def download(session: Session, link: str) -> Download:
    """What following the link ``link`` downloads: fetched from the page, with its cookies."""
    href = session.role("link", link, exact=True).attribute("href")
    got = session.evaluate(
        """async (url) => {
            const r = await fetch(url, {credentials: 'same-origin'});
            return {status: r.status, type: r.headers.get('content-type') || '',
                    disposition: r.headers.get('content-disposition') || '', body: await r.text()};
        }""",
        href,
    )
    return Download(int(got["status"]), str(got["type"]), str(got["disposition"]), str(got["body"]))


_BOOKING_PAGES = {
    "room": ("/schedule/new", BOOK_HEADING),
    "credits": ("/schedule/new/credits", OUT_OF_CREDITS),
    "details": ("/schedule/new/details", BOOK_HEADING),
    "review": ("/schedule/new/review", "Review and book"),
    "booked": (r"/schedule/sessions/\d+/booked", "Session requested"),
}


def pick_slot(session: Session, day: str, time: str) -> None:
    """Set the Date field and choose a Time once the page has loaded that day's times; the times
    offered must read as a person's list: times of day, one zone, earliest first."""
    session.label("Date", exact=True).fill(day)
    expect(session.label("Date", exact=True)).to_have_value(day)
    field = session.label("Time", exact=True)
    field.select(label=time)
    problem = offered_times_problem(field.options())
    assert problem is None, f"the Time field on {day}: {problem}"
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
    """Reschedule session / Cancel session (with the 24-hour warning when it applies) for the
    session listed at ``when``, which the page names."""

    def __init__(
        self,
        session: Session,
        target: Target,
        portal: Portal = Portal.CLIENT,
        action: str = "Cancel session",
        when: str = "",
    ) -> None:
        self.session = session
        self.target = target
        self.portal = portal
        self.action = action
        self.when = when

    @property
    def place(self) -> Place:
        path, heading = _CHANGE_PAGES[self.action]
        return _place(self.target, self.portal, f"the {heading} page", path, heading)

    def expect_here(self) -> None:
        """On the page, and it is about the session that was chosen."""
        expect(self.session).to_be_at(self.place)
        if self.when:
            expect(self.session.role("main")).to_contain_text(self.when)

    @property
    def late_warning(self) -> Locator:
        return self.session.role("alert").filter(has_text="less than 24 hours")

    def expect_no_late_warning(self) -> None:
        self.expect_here()
        expect(self.late_warning).to_be_absent(on=self.place)

    @property
    def forfeit_checkbox(self) -> Locator:
        return self.session.label("I understand I will lose this session credit", exact=True)

    def reschedule(self, day: str, time: str, *, accept_forfeit: bool = False) -> None:
        with self.session.step(f"Reschedule to {day} at {time}"):
            self.expect_here()
            pick_slot(self.session, day, time)
            if accept_forfeit:
                self.forfeit_checkbox.check()
            self.session.role("button", "Confirm rescheduling", exact=True).click()

    def cancel(self, reason: str, *, accept_forfeit: bool = False) -> None:
        with self.session.step(f"Cancel with reason '{reason}'"):
            self.expect_here()
            self.session.label("Reason for canceling", exact=True).select(label=reason)
            if accept_forfeit:
                self.forfeit_checkbox.check()
            self.session.role("button", "Cancel session", exact=True).click()


_CHANGE_PAGES = {
    "Reschedule": (r"/schedule/sessions/\d+/reschedule", "Reschedule session"),
    "Cancel session": (r"/schedule/sessions/\d+/cancel", "Cancel session"),
    "Join session": (r"/sessions/\d+/join", "Live session"),
}


class RoomPage:
    """A room: the conversation between a client and their provider, and the message box. The
    client opens their room from the navigation; the provider from the Caseload, by client."""

    def __init__(self, session: Session, target: Target, portal: Portal = Portal.CLIENT) -> None:
        self.session = session
        self.target = target
        self.portal = portal

    @property
    def place(self) -> Place:
        return Place(
            f"the {self.portal}'s room",
            page_url(self.target.base(self.portal), "/room"),
            re.compile(r"^Room with "),
        )

    def open(self) -> RoomPage:
        """The client's room."""
        with self.session.step("Open the room"):
            self.session.goto(self.target.url(self.portal, "/room"))
            expect(self.session).to_be_at(self.place)
        return self

    def open_from_caseload(self, client_full_name: str) -> RoomPage:
        """The provider's room with a client: Caseload, then the client's name."""
        with self.session.step(f"Open the room with {client_full_name} from the Caseload"):
            self.session.goto(self.target.url(self.portal, "/caseload"))
            caseload = _place(self.target, self.portal, "the Caseload", "/caseload", "Caseload")
            expect(self.session).to_be_at(caseload)
            paying = self.session.role("region", "Paying clients", exact=True)
            paying.role("link", client_full_name, exact=True).click()
            expect(self.session).to_be_at(self.place)
            expect(self.session.role("heading", re.compile(client_full_name))).to_be_visible()
        return self

    @property
    def conversation(self) -> Locator:
        return self.session.role("log", "Conversation", exact=True)

    def expect_message(self, sender_first_name: str, text: str) -> None:
        """The conversation shows ``text``, from the sender."""
        expect(self.conversation.role("listitem").filter(has_text=text)).to_have_text(
            f"{sender_first_name}: {text}"
        )

    def send(self, sender_first_name: str, text: str) -> None:
        """Send a message; the room shows it in the conversation, from the sender."""
        with self.session.step("Send a message in the room"):
            self.session.label("Message", exact=True).fill(text)
            self.session.role("button", "Send message", exact=True).click()
            self.expect_message(sender_first_name, text)
            expect(self.session).to_be_at(self.place)
            expect(self.session.label("Message", exact=True)).to_have_value("")
