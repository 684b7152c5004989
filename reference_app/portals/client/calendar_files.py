"""A session as a calendar file (`.ics`); the Google and Outlook links are in `views`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ... import domain, notifications
from ...clock import real_now
from ..common import signed_in
from .lookups import member_session

router = APIRouter()


@router.get("/schedule/sessions/{session_id}/calendar.ics")
async def calendar_file(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    seen = member_session(visit, session_id)
    session = seen.session
    event = notifications.calendar_event(visit.ctx.config, session, visit.user, seen.provider)
    return Response(
        domain.build_ics(event, stamp=real_now()),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="haven-session-{session.id}.ics"',
            "Cache-Control": "no-cache",
        },
    )
