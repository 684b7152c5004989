"""The client portal's JSON endpoints, read by the shared script: announcements, the
dashboard's data, a provider's open times."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ... import domain
from ...clock import real_now
from ..common import json_response, signed_in
from .lookups import as_int, member_room, owned_session
from .slots import open_slots, slot_options
from .views import session_view

router = APIRouter()

_UPCOMING_KEYS = ("id", "when", "summary", "provider", "status", "status_text")


@router.get("/api/announcements")
async def announcements(request: Request) -> Response:
    visit = signed_in(request)
    if visit.ctx.config.defect("announcements-500"):
        raise RuntimeError("announcements: the notices table was renamed in the last migration")
    return json_response({"announcements": []})


@router.get("/api/dashboard")
async def dashboard_data(request: Request) -> Response:
    visit = signed_in(request)
    user = visit.user
    now = visit.now()
    upcoming = []
    for session in visit.store.sessions_for_client(user.id):
        if not session.active or session.end <= now:
            continue
        view = session_view(visit, session, now)
        upcoming.append({key: view[key] for key in _UPCOMING_KEYS})
    return json_response(
        {
            "portal": "client",
            "user_id": user.id,
            "version": visit.store.version(),
            "generated_at": domain.utc_iso(real_now()),
            "credits": user.credits,
            "upcoming": upcoming,
        }
    )


@router.get("/api/availability")
async def availability(request: Request) -> Response:
    visit = signed_in(request)
    user = visit.user
    query = request.query_params
    room = member_room(visit, query.get("room"))
    provider = visit.account(room.provider_id)
    now = visit.now()
    exclude = None
    length = as_int(query.get("length")) or domain.allowed_lengths(room.type)[0]
    session_id = as_int(query.get("session"))
    if session_id is not None:
        session = owned_session(visit, session_id).session
        exclude, length = session.id, session.length
    if length not in domain.allowed_lengths(room.type):
        return json_response({"detail": "unsupported session length"}, status_code=422)
    try:
        day = date.fromisoformat(query.get("date", ""))
    except ValueError:
        return json_response({"detail": "date must be YYYY-MM-DD"}, status_code=422)
    slots = open_slots(visit.ctx, provider, user, day, length, now, exclude)
    return json_response(
        {
            "date": day.isoformat(),
            "timezone": user.timezone,
            "length": length,
            "slots": slot_options(slots, user.timezone),
        }
    )
