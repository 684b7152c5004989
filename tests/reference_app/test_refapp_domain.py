"""Pure booking rules (reference_app.domain)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from reference_app import domain

NY, CHI = "America/New_York", "America/Chicago"
START = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # Mon 10:00 AM EST / 9:00 AM CST


# --- 24-hour rule ------------------------------------------------------------------------------


def test_change_exactly_24_hours_ahead_is_free() -> None:
    assert not domain.is_late_change(START, START - timedelta(hours=24))


def test_change_one_second_inside_24_hours_is_late() -> None:
    assert domain.is_late_change(START, START - timedelta(hours=24) + timedelta(seconds=1))


def test_change_after_start_is_late() -> None:
    assert domain.is_late_change(START, START + timedelta(minutes=5))


def test_cancellation_credit_follows_lateness() -> None:
    assert domain.cancellation_credit(late=False) == "returned"
    assert domain.cancellation_credit(late=True) == "forfeited"


def test_misconverted_start_shifts_by_offset_difference() -> None:
    assert domain.provider_offset_shift(START, NY, CHI) == timedelta(hours=1)
    assert domain.misconverted_start(START, NY, CHI) == START + timedelta(hours=1)
    assert domain.misconverted_start(START, NY, NY) == START


def test_misconverted_window_is_23_hours_for_one_hour_apart() -> None:
    now = START - timedelta(hours=23, minutes=30)
    assert domain.is_late_change(START, now)
    assert not domain.is_late_change(domain.misconverted_start(START, NY, CHI), now)


def test_offset_shift_uses_offsets_at_the_start_time() -> None:
    # The US switches to summer time on 8 March 2026, the UK on 29 March.
    between = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    after = datetime(2026, 4, 10, 15, 0, tzinfo=UTC)
    assert domain.provider_offset_shift(between, NY, "Europe/London") == timedelta(hours=-4)
    assert domain.provider_offset_shift(after, NY, "Europe/London") == timedelta(hours=-5)


# --- join window -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(minutes=-11), False),
        (timedelta(minutes=-10, seconds=-1), False),
        (timedelta(minutes=-10), True),
        (timedelta(0), True),
        (timedelta(minutes=44, seconds=59), True),
        (timedelta(minutes=45), False),
    ],
)
def test_join_window_opens_ten_minutes_early_and_closes_at_the_end(
    offset: timedelta, expected: bool
) -> None:
    assert domain.can_join(START, 45, START + offset) is expected


# --- rooms, plans ------------------------------------------------------------------------------


def test_psychiatry_is_video_only_and_30_minutes() -> None:
    assert domain.allowed_session_types("psychiatry") == ("video",)
    assert domain.allowed_lengths("psychiatry") == (30,)
    assert domain.allowed_session_types("individual") == ("video", "audio", "chat")
    assert domain.allowed_lengths("couples") == (30, 45, 60)


def test_only_the_couples_room_creator_can_schedule() -> None:
    assert domain.can_schedule("couples", creator_id=1, user_id=1)
    assert not domain.can_schedule("couples", creator_id=1, user_id=2)
    assert domain.can_schedule("individual", creator_id=1, user_id=2)


def test_single_credit_purchase_depends_on_plan() -> None:
    assert domain.can_buy_single_credit("standard")
    assert not domain.can_buy_single_credit("no_purchase")


# --- slots -------------------------------------------------------------------------------------


def _slots(
    day: date,
    now: datetime,
    *,
    length: int = 30,
    busy: list[tuple[datetime, datetime]] | None = None,
    viewer: str = NY,
    provider: str = CHI,
) -> list[datetime]:
    return domain.available_slots(
        day,
        viewer_tz=viewer,
        provider_tz=provider,
        windows=domain.DEFAULT_AVAILABILITY,
        length_minutes=length,
        busy=busy or [],
        now=now,
    )


def test_slots_cover_provider_hours_in_the_viewers_zone() -> None:
    slots = _slots(date(2026, 11, 30), now=START - timedelta(days=2))
    labels = [domain.format_time(slot, NY) for slot in slots]
    assert labels[0] == "10:00 AM EST"  # 09:00 in Chicago
    assert labels[-1] == "5:30 PM EST"  # 16:30 in Chicago, ends at 17:00
    assert len(slots) == 16
    assert all(b - a == timedelta(minutes=30) for a, b in itertools.pairwise(slots))


def test_longer_sessions_must_end_inside_the_window() -> None:
    slots = _slots(date(2026, 11, 30), now=START - timedelta(days=2), length=60)
    assert domain.format_time(slots[-1], NY) == "5:00 PM EST"


def test_no_slots_on_sunday() -> None:
    assert _slots(date(2026, 11, 29), now=START - timedelta(days=3)) == []


def test_slots_skip_busy_times_and_respect_the_booking_lead() -> None:
    busy = [(START + timedelta(hours=1), START + timedelta(hours=2))]
    slots = _slots(date(2026, 11, 30), now=START - timedelta(minutes=30), busy=busy)
    assert START not in slots  # starts in 30 minutes: inside the one-hour lead
    assert START + timedelta(minutes=30) in slots  # ends exactly when the busy hour begins
    assert START + timedelta(hours=1) not in slots
    assert START + timedelta(hours=1, minutes=30) not in slots
    assert START + timedelta(hours=2) in slots


def test_slots_follow_the_viewers_calendar_day() -> None:
    # Tokyo is 15 hours ahead of Chicago: a Chicago afternoon is the next Tokyo morning.
    slots = _slots(date(2026, 12, 1), now=START - timedelta(days=2), viewer="Asia/Tokyo")
    assert slots
    assert {domain.local_date(slot, "Asia/Tokyo") for slot in slots} == {date(2026, 12, 1)}


@pytest.mark.parametrize("days", range(0, 365, 17))
def test_there_are_always_slots_in_the_next_days(days: int) -> None:
    now = datetime(2026, 1, 1, 3, 7, tzinfo=UTC) + timedelta(days=days, hours=days % 24)
    today = domain.local_date(now, NY)
    open_days = [
        day for offset in range(4) if _slots(day := today + timedelta(days=offset), now=now)
    ]
    assert len(open_days) >= 2


# --- formatting --------------------------------------------------------------------------------


def test_format_when_carries_the_zone_abbreviation() -> None:
    assert domain.format_when(START, NY) == "Mon, Nov 30, 2026, 10:00 AM EST"
    assert domain.format_when(START, CHI) == "Mon, Nov 30, 2026, 9:00 AM CST"
    summer = datetime(2026, 7, 6, 16, 30, tzinfo=UTC)
    assert domain.format_when(summer, NY) == "Mon, Jul 6, 2026, 12:30 PM EDT"


def test_format_day_and_time() -> None:
    assert domain.format_day(START, NY) == "Monday, November 30"
    assert domain.format_time(START, NY) == "10:00 AM EST"
    assert domain.format_clock(START - timedelta(hours=15), NY) == "7:00 PM"


def test_email_time_and_its_utc_defect() -> None:
    assert domain.format_email_when(START, NY) == "Monday, November 30, 2026 at 10:00 AM EST"
    assert (
        domain.format_email_when(START, NY, utc_clock=True)
        == "Monday, November 30, 2026 at 3:00 PM EST"
    )


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-30T15:00:00Z",
        "2026-11-30T10:00:00-05:00",
        "2026-11-30T15:00:00",
        "2026-11-30 15:00",
    ],
)
def test_parse_instant_normalises_to_utc(text: str) -> None:
    assert domain.parse_instant(text) == START
    assert domain.utc_iso(domain.parse_instant(text)) == "2026-11-30T15:00:00Z"


def test_unknown_zone_is_rejected() -> None:
    assert not domain.is_valid_zone("Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="unknown time zone"):
        domain.zone("Mars/Olympus_Mons")


# --- calendar ----------------------------------------------------------------------------------


def _event(**changes: object) -> domain.CalendarEvent:
    values: dict[str, object] = {
        "uid": "haven-session-7@haven.example.test",
        "start": START,
        "end": START + timedelta(minutes=45),
        "summary": "Haven video session with Maya Chen",
        "description": "Bring questions; notes, too. Line two\nand a backslash \\ here. " * 3,
        "location": "http://127.0.0.1:8000/sessions/7/join",
        "timezone": NY,
    }
    values.update(changes)
    return domain.CalendarEvent(**values)  # type: ignore[arg-type]


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_ics_is_valid_with_crlf_and_utc_times() -> None:
    text = domain.build_ics(_event(), stamp=datetime(2026, 11, 23, 8, 0, 5, tzinfo=UTC))
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    raw_lines = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in raw_lines)
    lines = _unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-2] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert "X-WR-TIMEZONE:America/New_York" in lines
    assert "DTSTART:20261130T150000Z" in lines
    assert "DTEND:20261130T154500Z" in lines
    assert "DTSTAMP:20261123T080005Z" in lines
    assert "UID:haven-session-7@haven.example.test" in lines
    assert "SUMMARY:Haven video session with Maya Chen" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert "questions\\; notes\\, too. Line two\\nand a backslash \\\\ here." in description
    assert lines.index("BEGIN:VEVENT") < lines.index("END:VEVENT")


def test_ics_folding_keeps_multibyte_characters_whole() -> None:
    text = domain.build_ics(_event(summary="Séance " * 20), stamp=START)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "SUMMARY:" + "Séance " * 20 in _unfold(text)


def test_calendar_links_carry_the_same_utc_times() -> None:
    event = _event()
    google = parse_qs(urlsplit(domain.google_calendar_url(event)).query)
    assert google["action"] == ["TEMPLATE"]
    assert google["dates"] == ["20261130T150000Z/20261130T154500Z"]
    assert google["text"] == [event.summary]
    outlook = parse_qs(urlsplit(domain.outlook_calendar_url(event)).query)
    assert outlook["startdt"] == ["2026-11-30T15:00:00Z"]
    assert outlook["enddt"] == ["2026-11-30T15:45:00Z"]
    assert outlook["subject"] == [event.summary]
