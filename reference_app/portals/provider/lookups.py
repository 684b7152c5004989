"""What the provider portal's routes look up: the provider's own sessions and rooms, and how a
session is listed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.exceptions import HTTPException

from ... import domain
from ...store import Room, Session
from ..common import Visit


def own_session(visit: Visit, session_id: int) -> Session:
    """A session with this provider (404 otherwise)."""
    session = visit.store.session(session_id)
    if session is None or session.provider_id != visit.user.id:
        raise HTTPException(404)
    return session


def own_room(visit: Visit, room_id: object) -> Room:
    """A room this provider holds (404 otherwise)."""
    room_text = str(room_id or "")
    room = visit.store.room(int(room_text)) if room_text.isdigit() else None
    if room is None or room.provider_id != visit.user.id:
        raise HTTPException(404)
    return room


def session_item(visit: Visit, session: Session) -> dict[str, Any]:
    """How the dashboard and the schedule list a session."""
    client = visit.account(session.client_id)
    when = domain.format_when(session.start, visit.user.timezone)
    summary = domain.describe_session(session.type, session.length)
    return {
        "id": session.id,
        "client": client.full_name,
        "when": when,
        "summary": summary,
        "status_text": domain.STATUS_TEXT.get(session.status, session.status),
        "label": f"{when}, {summary} with {client.full_name}",
    }


def upcoming(visit: Visit, now: datetime) -> list[Session]:
    """The provider's confirmed sessions that have not ended."""
    return [
        session
        for session in visit.store.sessions_for_provider(visit.user.id, ("confirmed",))
        if session.end > now
    ]
