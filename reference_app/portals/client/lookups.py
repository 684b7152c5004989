"""What the client portal's routes look up and check before they act: the rooms and sessions a
client may see or change, the 24-hour rule, and the values typed into forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from starlette.exceptions import HTTPException

from ... import domain
from ...store import Room, Session, User
from ..common import AppContext, Visit

LATE_WARNING = (
    "This session starts in less than 24 hours. If you continue, your session credit will be "
    "forfeited."
)


def as_int(value: object) -> int | None:
    """A whole number from a query or form value; None when it is not one."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def parse_day(text: str | None, fallback: date) -> date:
    """A `YYYY-MM-DD` date, or `fallback`."""
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return fallback


def parse_start(text: str | None) -> datetime | None:
    """An ISO-8601 instant, or None."""
    try:
        return domain.parse_instant(text) if text else None
    except ValueError:
        return None


def member_room(visit: Visit, room_id: object) -> Room:
    """A room the client belongs to (404 otherwise)."""
    room = visit.store.room(as_int(room_id) or 0)
    if room is None or visit.user.id not in room.member_ids:
        raise HTTPException(404)
    return room


@dataclass(frozen=True)
class SessionInRoom:
    """A session the client may see, with its room and provider."""

    session: Session
    room: Room
    provider: User


def member_session(visit: Visit, session_id: int) -> SessionInRoom:
    """A session in one of the client's rooms (404 otherwise)."""
    session = visit.store.session(session_id)
    room = visit.store.room(session.room_id) if session else None
    if session is None or room is None or visit.user.id not in room.member_ids:
        raise HTTPException(404)
    return SessionInRoom(session, room, visit.account(session.provider_id))


def owned_session(visit: Visit, session_id: int) -> SessionInRoom:
    """A session the client may change: booked by them in a room where they may schedule."""
    seen = member_session(visit, session_id)
    room, user = seen.room, visit.user
    if seen.session.client_id != user.id or not domain.can_schedule(
        room.type, room.creator_id, user.id
    ):
        raise HTTPException(403, "Only the person who booked this session can change it.")
    return seen


def ensure_changeable(session: Session, now: datetime) -> None:
    """409 unless the session is still pending or confirmed and has not started."""
    if not session.active or session.start <= now:
        raise HTTPException(409, "This session can no longer be changed.")


def late_change(
    ctx: AppContext, session: Session, client: User, provider: User, now: datetime
) -> bool:
    """The 24-hour rule for this session (the one place `late-window-tz-hour` is checked)."""
    start = session.start
    if ctx.config.defect("late-window-tz-hour"):
        start = domain.misconverted_start(start, client.timezone, provider.timezone)
    return domain.is_late_change(start, now)
