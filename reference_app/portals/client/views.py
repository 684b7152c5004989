"""How the client portal shows a session: the schedule row, its wording, its calendar links."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from fastapi.responses import Response

from ... import domain, notifications
from ...store import Session, User
from ..common import Refusal, Visit
from .lookups import SessionInRoom


class SessionText(TypedDict):
    """When a session is (in the viewer's zone) and what it is, as pages word it."""

    when: str
    summary: str


class CalendarLinks(TypedDict):
    """The Add-to-calendar links a page shows."""

    google_url: str
    outlook_url: str


def session_text(session: Session, viewer: User) -> SessionText:
    """`when` and `summary` of a session for the viewer."""
    return SessionText(
        when=domain.format_when(session.start, viewer.timezone),
        summary=domain.describe_session(session.type, session.length),
    )


def session_view(visit: Visit, session: Session, now: datetime) -> dict[str, Any]:
    """What the schedule list shows for one session."""
    viewer = visit.user
    room = visit.store.must_room(session.room_id)
    provider = visit.account(session.provider_id)
    text = session_text(session, viewer)
    when, summary = text["when"], text["summary"]
    status_text = domain.STATUS_TEXT.get(session.status, session.status)
    changeable = (
        session.active
        and session.start > now
        and session.client_id == viewer.id
        and domain.can_schedule(room.type, room.creator_id, viewer.id)
    )
    confirmed_open = session.status == "confirmed" and now < session.end
    return {
        "id": session.id,
        "when": when,
        "summary": summary,
        "provider": provider.full_name,
        "status": session.status,
        "status_text": status_text,
        "label": f"{when}, {summary} with {provider.full_name}, {status_text}",
        "changeable": changeable,
        "joinable": confirmed_open and domain.can_join(session.start, session.length, now),
        "join_later": confirmed_open and now < domain.join_opens_at(session.start),
    }


def session_page(
    visit: Visit,
    template: str,
    seen: SessionInRoom,
    *,
    title: str,
    status_code: int = 200,
    refusal: Refusal | None = None,
    with_calendar: bool = False,
    **context: Any,
) -> Response:
    """A page about one session: the session, its room and provider, how it is worded, and
    (`with_calendar`) its Add-to-calendar links."""
    if with_calendar:
        context.update(calendar_links(visit, seen.session, seen.provider))
    return visit.page(
        template,
        title=title,
        nav="Schedule",
        status_code=status_code,
        refusal=refusal,
        session=seen.session,
        room=seen.room,
        provider=seen.provider,
        **session_text(seen.session, visit.user),
        **context,
    )


def calendar_links(visit: Visit, session: Session, provider: User) -> CalendarLinks:
    """The Google Calendar and Outlook links of a session (the .ics has its own route)."""
    event = notifications.calendar_event(visit.ctx.config, session, visit.user, provider)
    return CalendarLinks(
        google_url=domain.google_calendar_url(event),
        outlook_url=domain.outlook_calendar_url(event),
    )
