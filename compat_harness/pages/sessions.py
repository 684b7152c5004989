"""A live session as the product writes it: its time in the viewer's own time zone (every time
shown carries the zone's abbreviation), its type and length, and how lists name it.

Journeys compute what a page must show from the scenario's frozen instants and each account's
time zone, never from the machine's clock, so both portals, emails and calendar files are held
to the same instant.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from compat_harness.expect import expect
from compat_harness.place import Place
from compat_harness.session.base import Locator

STATUS = {
    "pending": "Waiting for provider confirmation",
    "confirmed": "Confirmed",
    "canceled": "Canceled",
    "declined": "Declined by provider",
}


@dataclass(frozen=True)
class LiveSession:
    """A booked session: its start (UTC), length, type and status."""

    start: datetime
    minutes: int = 45
    kind: str = "Video"
    status: str = "confirmed"

    @classmethod
    def at(cls, iso: str, minutes: int = 45, kind: str = "Video") -> LiveSession:
        """``at("2027-02-04T16:00:00Z")``: ISO instants without an offset are UTC."""
        start = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        return cls(start if start.tzinfo else start.replace(tzinfo=UTC), minutes, kind)

    @classmethod
    def picked(cls, day: str, time: str, tz: str, minutes: int, kind: str) -> LiveSession:
        """The session a person picks on the booking page: a day (YYYY-MM-DD) and a time label
        ('11:00 AM EST') in their zone."""
        clock = datetime.strptime(time.rsplit(" ", 1)[0], "%I:%M %p").time()
        local = datetime.combine(datetime.fromisoformat(day).date(), clock, ZoneInfo(tz))
        return cls(local.astimezone(UTC), minutes, kind, "pending")

    def moved(self, start: datetime) -> LiveSession:
        """The same session at another time, waiting for the provider again."""
        return dataclasses.replace(self, start=start, status="pending")

    def with_status(self, status: str) -> LiveSession:
        return dataclasses.replace(self, status=status)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    # --- how the product writes it, in the viewer's zone ---
    def when(self, tz: str) -> str:
        """'Thu, Feb 4, 2027, 11:00 AM EST': lists, summaries and change pages."""
        local = self._local(tz)
        return f"{local:%a, %b} {local.day}, {local.year}, {self.time(tz)}"

    def time(self, tz: str) -> str:
        """'11:00 AM EST': the booking page's Time options."""
        local = self._local(tz)
        return f"{_clock(local)} {local.tzname()}"

    def day(self, tz: str) -> str:
        """'Thursday, February 4': the booking preview and the room's confirmation message."""
        local = self._local(tz)
        return f"{local:%A, %B} {local.day}"

    def long_when(self, tz: str) -> str:
        """'Thursday, February 4, 2027 at 11:00 AM EST': emails."""
        local = self._local(tz)
        return f"{self.day(tz)}, {local.year} at {self.time(tz)}"

    def date_field(self, tz: str) -> str:
        """'2027-02-04': the Date field's value."""
        return self._local(tz).date().isoformat()

    @property
    def summary(self) -> str:
        """'Video session, 45 minutes'."""
        return f"{self.kind} session, {self.minutes} minutes"

    @property
    def status_text(self) -> str:
        return STATUS[self.status]

    def _local(self, tz: str) -> datetime:
        return self.start.astimezone(ZoneInfo(tz))


def _clock(local: datetime) -> str:
    return f"{local:%I:%M %p}".lstrip("0")


def listed(items: Locator, when: str) -> Locator:
    """The list items (of ``items``, a listitem locator) that show the time ``when``."""
    return items.filter(has_text=when)


def expect_listed(
    items: Locator, live: LiveSession, tz: str, with_name: str, *, status: bool = True
) -> None:
    """One item of the list shows the session: its time in ``tz``, type and length, the other
    person's name and (unless ``status`` is False) its status."""
    item = listed(items, live.when(tz))
    expect(item).to_have_count(1)
    expect(item).to_contain_text(live.summary)
    expect(item).to_contain_text(with_name)
    if status:
        expect(item).to_contain_text(live.status_text)


def expect_not_listed(items: Locator, when: str, *, on: Place) -> None:
    """No item of the list shows the time ``when`` (on the page ``on``)."""
    expect(listed(items, when)).to_be_absent(on=on)


_TIME_LABEL = re.compile(r"^(\d{1,2}):(\d{2}) ([AP]M) ([A-Z]{2,5}|[+-]\d{2})$")


def offered_times_problem(labels: list[str]) -> str | None:
    """Why a Time field's options are not a person's list of times in order: each a clock time
    with its zone, one zone, earliest first, none twice; None when they are."""
    minutes: list[int] = []
    zones = set()
    for label in labels:
        match = _TIME_LABEL.match(label)
        if not match:
            return f"the offered time {label!r} is not a time of day with its zone"
        hour, minute, half, zone = match.groups()
        minutes.append((int(hour) % 12 + (12 if half == "PM" else 0)) * 60 + int(minute))
        zones.add(zone)
    if len(zones) > 1:
        return f"the offered times mix time zones: {', '.join(sorted(zones))}"
    if minutes != sorted(minutes) or len(set(minutes)) != len(minutes):
        return f"the offered times are not in order, earliest first: {', '.join(labels)}"
    return None


def expect_calendar_file(text: str, live: LiveSession, tz: str, with_name: str) -> None:
    """A calendar would accept the .ics text, and it holds the session: its start and end, the
    person's time zone, and the other person's name."""
    from compat_harness import ical

    calendar = ical.parse(text)
    assert calendar.value("X-WR-TIMEZONE") == tz, calendar.value("X-WR-TIMEZONE")
    events = [c for c in calendar.children if c.name == "VEVENT"]
    assert len(events) == 1, f"expected one event in the calendar file, found {len(events)}"
    (event,) = events
    start, end = ical.utc_time(event.value("DTSTART")), ical.utc_time(event.value("DTEND"))
    assert (start, end) == (live.start, live.end), (
        f"the calendar file says {start.isoformat()} to {end.isoformat()}, the session is "
        f"{live.start.isoformat()} to {live.end.isoformat()}"
    )
    assert with_name in event.value("SUMMARY"), event.value("SUMMARY")
