"""Pure booking rules of the reference app: no I/O, no clock, no database.

Every datetime passed in or returned here is timezone-aware; instants are compared in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

RoomType = Literal["individual", "couples", "psychiatry"]
SessionType = Literal["video", "audio", "chat"]
Plan = Literal["standard", "no_purchase"]

ROOM_TYPES: tuple[RoomType, ...] = ("individual", "couples", "psychiatry")
ROOM_KIND_LABELS: dict[str, str] = {
    "individual": "Individual therapy",
    "couples": "Couples therapy",
    "psychiatry": "Psychiatry",
}
SESSION_TYPES: tuple[SessionType, ...] = ("video", "audio", "chat")
SESSION_TYPE_LABELS: dict[str, str] = {"video": "Video", "audio": "Audio", "chat": "Chat"}
SESSION_LENGTHS: tuple[int, ...] = (30, 45, 60)
PLANS: tuple[Plan, ...] = ("standard", "no_purchase")
STATUS_TEXT: dict[str, str] = {
    "pending": "Waiting for provider confirmation",
    "confirmed": "Confirmed",
    "declined": "Declined by provider",
    "canceled": "Canceled",
    "completed": "Completed",
}
CANCEL_REASONS: tuple[str, ...] = (
    "Schedule conflict",
    "Feeling better",
    "Technical issues",
    "Other",
)

LATE_CHANGE_WINDOW = timedelta(hours=24)
JOIN_EARLY = timedelta(minutes=10)
SLOT_STEP = timedelta(minutes=30)
BOOKING_LEAD = timedelta(hours=1)
"""A slot must start at least this long after "now" to be offered."""


# --- rooms, plans, session options --------------------------------------------------------------


def allowed_session_types(room_type: str) -> tuple[SessionType, ...]:
    """Session types a room offers: psychiatry is live video only."""
    return ("video",) if room_type == "psychiatry" else SESSION_TYPES


def allowed_lengths(room_type: str) -> tuple[int, ...]:
    """Session lengths (minutes) a room offers: psychiatry is 30 minutes only."""
    return (30,) if room_type == "psychiatry" else SESSION_LENGTHS


def can_schedule(room_type: str, creator_id: int, user_id: int) -> bool:
    """Whether a room member may book or change live sessions (couples: only the creator)."""
    return room_type != "couples" or creator_id == user_id


def can_buy_single_credit(plan: str) -> bool:
    """Whether the plan allows buying one session credit on its own."""
    return plan == "standard"


# --- time rules ---------------------------------------------------------------------------------


def session_end(start: datetime, length_minutes: int) -> datetime:
    """The end instant of a session."""
    return start + timedelta(minutes=length_minutes)


def is_late_change(start: datetime, now: datetime) -> bool:
    """True when a change happens less than 24 hours before the start (exactly 24 h is free)."""
    return start - now < LATE_CHANGE_WINDOW


def provider_offset_shift(start: datetime, client_tz: str, provider_tz: str) -> timedelta:
    """Client's UTC offset minus the provider's, both at the session start."""
    client_offset = start.astimezone(zone(client_tz)).utcoffset() or timedelta(0)
    provider_offset = start.astimezone(zone(provider_tz)).utcoffset() or timedelta(0)
    return client_offset - provider_offset


def misconverted_start(start: datetime, client_tz: str, provider_tz: str) -> datetime:
    """The start as a buggy rule sees it: the client's wall-clock time read as provider time.

    The client's local wall time is converted back to UTC with the provider's offset instead of
    the client's, which shifts the instant by the difference of the two offsets (one hour for
    New York vs Chicago), so the 24-hour window shrinks or grows by that much.
    """
    return start + provider_offset_shift(start, client_tz, provider_tz)


def join_opens_at(start: datetime) -> datetime:
    """When the Join link appears: 10 minutes before the start."""
    return start - JOIN_EARLY


def can_join(start: datetime, length_minutes: int, now: datetime) -> bool:
    """A confirmed session can be joined from 10 minutes before its start until its end."""
    return join_opens_at(start) <= now < session_end(start, length_minutes)


def cancellation_credit(late: bool) -> Literal["returned", "forfeited"]:
    """What happens to the held credit when a session is canceled."""
    return "forfeited" if late else "returned"


# --- availability -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyWindow:
    """A recurring provider-local availability window (weekday 0 = Monday)."""

    weekday: int
    start: time
    end: time


DEFAULT_AVAILABILITY: tuple[WeeklyWindow, ...] = tuple(
    WeeklyWindow(weekday, time(9, 0), time(17, 0)) for weekday in range(6)
)
"""Monday to Saturday, 09:00 to 17:00 in the provider's time zone."""


def overlaps(start: datetime, end: datetime, busy: Iterable[tuple[datetime, datetime]]) -> bool:
    """Whether [start, end) overlaps any of the busy intervals."""
    return any(start < busy_end and busy_start < end for busy_start, busy_end in busy)


def available_slots(
    day: date,
    *,
    viewer_tz: str,
    provider_tz: str,
    windows: Sequence[WeeklyWindow],
    length_minutes: int,
    busy: Sequence[tuple[datetime, datetime]],
    now: datetime,
) -> list[datetime]:
    """Bookable start instants (UTC) on a calendar day of the viewer's zone.

    Slots are every 30 minutes inside the provider's weekly windows, long enough for the
    session, at least `BOOKING_LEAD` after `now`, and not overlapping busy intervals.
    """
    viewer, provider = zone(viewer_tz), zone(provider_tz)
    length = timedelta(minutes=length_minutes)
    earliest = now + BOOKING_LEAD
    slots: set[datetime] = set()
    for offset in (-1, 0, 1):
        provider_day = day + timedelta(days=offset)
        for window in windows:
            if window.weekday != provider_day.weekday():
                continue
            cursor = datetime.combine(provider_day, window.start, tzinfo=provider)
            window_end = datetime.combine(provider_day, window.end, tzinfo=provider)
            while cursor + length <= window_end:
                start = cursor.astimezone(UTC)
                if (
                    start.astimezone(viewer).date() == day
                    and start >= earliest
                    and not overlaps(start, start + length, busy)
                ):
                    slots.add(start)
                cursor += SLOT_STEP
    return sorted(slots)


# --- time zones and formatting ------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    """The IANA zone of that name (ValueError when unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {name!r}") from exc


def is_valid_zone(name: str) -> bool:
    """Whether the name is a known IANA zone."""
    try:
        zone(name)
    except ValueError:
        return False
    return True


def parse_instant(text: str) -> datetime:
    """Parse ISO-8601 into an aware UTC datetime; a trailing Z is accepted, naive means UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utc_iso(value: datetime) -> str:
    """`2026-11-30T15:00:00Z` (seconds precision)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tz_abbrev(value: datetime, tz: str) -> str:
    """The zone's abbreviation at that instant, e.g. `EST` or `EDT`."""
    return value.astimezone(zone(tz)).tzname() or tz


def _clock(local: datetime) -> str:
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def format_clock(value: datetime, tz: str) -> str:
    """`10:00 AM` in the zone, without the abbreviation."""
    return _clock(value.astimezone(zone(tz)))


def format_time(value: datetime, tz: str) -> str:
    """`10:00 AM EST`."""
    return f"{format_clock(value, tz)} {tz_abbrev(value, tz)}"


def format_when(value: datetime, tz: str) -> str:
    """`Mon, Nov 30, 2026, 10:00 AM EST`: how every session time is shown on pages."""
    local = value.astimezone(zone(tz))
    return f"{local:%a, %b} {local.day}, {local.year}, {format_time(value, tz)}"


def format_day(value: datetime, tz: str) -> str:
    """`Monday, November 30` in the zone."""
    local = value.astimezone(zone(tz))
    return f"{local:%A, %B} {local.day}"


def format_email_when(value: datetime, tz: str, *, utc_clock: bool = False) -> str:
    """`Monday, November 30, 2026 at 10:00 AM EST` for emails.

    `utc_clock=True` is the `email-utc-time` defect: the UTC clock time, still labelled with the
    client's zone abbreviation.
    """
    local = value.astimezone(zone(tz))
    clock_source = value.astimezone(UTC) if utc_clock else local
    return (
        f"{local:%A, %B} {local.day}, {local.year} at {_clock(clock_source)} {tz_abbrev(value, tz)}"
    )


def local_date(value: datetime, tz: str) -> date:
    """The calendar day of the instant in the zone."""
    return value.astimezone(zone(tz)).date()


def describe_session(session_type: str, length_minutes: int) -> str:
    """`Video session, 45 minutes`."""
    return (
        f"{SESSION_TYPE_LABELS.get(session_type, session_type)} session, {length_minutes} minutes"
    )


def describe_session_inline(session_type: str, length_minutes: int) -> str:
    """`45-minute video session` (for running text)."""
    kind = SESSION_TYPE_LABELS.get(session_type, session_type).lower()
    return f"{length_minutes}-minute {kind} session"


# --- calendar files and links -------------------------------------------------------------------


def _ics_stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_escape(text: str) -> str:
    """Escape a TEXT value (RFC 5545 section 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def ics_fold(line: str) -> list[str]:
    """Split a content line into lines of at most 75 octets (continuations start with a space)."""
    parts: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            parts.append(current)
            current = " "
            limit = 75
        current += char
    parts.append(current)
    return parts


@dataclass(frozen=True)
class CalendarEvent:
    """What a calendar entry for a session says."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str
    timezone: str
    status: Literal["TENTATIVE", "CONFIRMED", "CANCELLED"] = "TENTATIVE"


def build_ics(event: CalendarEvent, *, stamp: datetime) -> str:
    """A one-event iCalendar file with UTC times and CRLF line endings."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Haven//Reference App//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-TIMEZONE:{event.timezone}",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{_ics_stamp(stamp)}",
        f"DTSTART:{_ics_stamp(event.start)}",
        f"DTEND:{_ics_stamp(event.end)}",
        f"SUMMARY:{ics_escape(event.summary)}",
        f"DESCRIPTION:{ics_escape(event.description)}",
        f"LOCATION:{ics_escape(event.location)}",
        f"STATUS:{event.status}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    folded = [part for line in lines for part in ics_fold(line)]
    return "\r\n".join(folded) + "\r\n"


def google_calendar_url(event: CalendarEvent) -> str:
    """A Google Calendar "add event" link with the event's UTC start and end."""
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": event.summary,
            "dates": f"{_ics_stamp(event.start)}/{_ics_stamp(event.end)}",
            "details": event.description,
            "location": event.location,
            "ctz": event.timezone,
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"


def outlook_calendar_url(event: CalendarEvent) -> str:
    """An Outlook.com "compose event" link with the event's UTC start and end."""
    query = urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": event.summary,
            "startdt": utc_iso(event.start),
            "enddt": utc_iso(event.end),
            "body": event.description,
            "location": event.location,
        }
    )
    return f"https://outlook.live.com/calendar/0/deeplink/compose?{query}"
