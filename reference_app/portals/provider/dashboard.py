"""The provider's dashboard (requests, upcoming sessions, paying clients) and its data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ... import domain
from ...clock import real_now
from ..common import json_response, signed_in
from .lookups import session_item, upcoming

router = APIRouter()


@router.get("/dashboard")
async def dashboard(request: Request) -> Response:
    visit = signed_in(request)
    return visit.page(
        "provider/dashboard.html", title=f"Welcome, Dr. {visit.user.last_name}", nav="Dashboard"
    )


@router.get("/api/dashboard")
async def dashboard_data(request: Request) -> Response:
    visit = signed_in(request)
    user = visit.user
    now = visit.now()
    pending = [
        session_item(visit, session)
        for session in visit.store.sessions_for_provider(user.id, ("pending",))
        if session.start > now
    ]
    paying = [
        {"id": client.id, "name": client.full_name} for client in visit.store.caseload(user.id)
    ]
    return json_response(
        {
            "portal": "provider",
            "user_id": user.id,
            "version": visit.store.version(),
            "generated_at": domain.utc_iso(real_now()),
            "pending": pending,
            "upcoming": [session_item(visit, session) for session in upcoming(visit, now)],
            "paying": paying,
        }
    )
