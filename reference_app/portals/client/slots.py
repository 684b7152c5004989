"""Open times of a provider as a client sees them, and the Date / Time / preview picker."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from ... import domain
from ...store import User
from ..common import AppContext
from .lookups import parse_day

OPEN_DAYS_AHEAD = 21
MAX_BOOKING_DAYS = 90


def open_slots(
    ctx: AppContext,
    provider: User,
    viewer: User,
    day: date,
    length: int,
    now: datetime,
    exclude_session: int | None = None,
) -> list[datetime]:
    """The provider's free starts on the viewer's local `day`."""
    tz = domain.zone(viewer.timezone)
    day_start = datetime.combine(day, time.min, tzinfo=tz)
    busy = ctx.store.busy_intervals(
        provider.id,
        day_start - timedelta(days=1),
        day_start + timedelta(days=2),
        exclude_session=exclude_session,
    )
    return domain.available_slots(
        day,
        viewer_tz=viewer.timezone,
        provider_tz=provider.timezone,
        windows=ctx.store.availability(provider.id),
        length_minutes=length,
        busy=busy,
        now=now,
    )


def _first_open_day(
    ctx: AppContext,
    provider: User,
    viewer: User,
    length: int,
    now: datetime,
    exclude_session: int | None = None,
) -> date:
    today = domain.local_date(now, viewer.timezone)
    for offset in range(OPEN_DAYS_AHEAD):
        day = today + timedelta(days=offset)
        if open_slots(ctx, provider, viewer, day, length, now, exclude_session):
            return day
    return today


def slot_options(slots: list[datetime], tz: str) -> list[dict[str, str]]:
    """The slots as the time field's options (UTC value, local label and HH:MM)."""
    return [
        {
            "value": domain.utc_iso(slot),
            "label": domain.format_time(slot, tz),
            "local": slot.astimezone(domain.zone(tz)).strftime("%H:%M"),
        }
        for slot in slots
    ]


def picker(
    ctx: AppContext,
    provider: User,
    viewer: User,
    *,
    length: int,
    now: datetime,
    day_text: str | None,
    start: datetime | None,
    exclude_session: int | None = None,
) -> dict[str, Any]:
    """Template values for the Date / Time / preview fields."""
    tz = viewer.timezone
    today = domain.local_date(now, tz)
    if start is not None:
        default_day = domain.local_date(start, tz)
    else:
        default_day = _first_open_day(ctx, provider, viewer, length, now, exclude_session)
    day = parse_day(day_text, default_day)
    slots = open_slots(ctx, provider, viewer, day, length, now, exclude_session)
    selected = start if start in slots else (slots[0] if slots else None)
    preview = (
        f"You picked {domain.format_day(selected, tz)} at {domain.format_time(selected, tz)}"
        if selected
        else "Choose a date and time."
    )
    return {
        "day": day.isoformat(),
        "min_day": today.isoformat(),
        "max_day": (today + timedelta(days=MAX_BOOKING_DAYS)).isoformat(),
        "options": slot_options(slots, tz),
        "selected": domain.utc_iso(selected) if selected else "",
        "selected_local": (
            f"{domain.local_date(selected, tz).isoformat()}T"
            f"{selected.astimezone(domain.zone(tz)):%H:%M}"
            if selected
            else ""
        ),
        "preview": preview,
    }


def is_open_slot(
    ctx: AppContext,
    provider: User,
    viewer: User,
    start: datetime,
    length: int,
    now: datetime,
    exclude_session: int | None = None,
) -> bool:
    """Whether `start` is one of the provider's free starts for that length."""
    day = domain.local_date(start, viewer.timezone)
    return start in open_slots(ctx, provider, viewer, day, length, now, exclude_session)
