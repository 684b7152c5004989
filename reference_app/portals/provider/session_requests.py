"""Answering a client's session request: confirm (room message, email) or decline."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from ... import notifications
from ...clock import real_now
from ...store import InvalidTransitionError, Session
from ..common import Visit, redirect, signed_in
from .lookups import own_session

router = APIRouter()


def _answer(visit: Visit, session_id: int, answer: Callable[[int], Session]) -> Session:
    """Confirm or decline a pending request (409 when it was already answered)."""
    session = own_session(visit, session_id)
    try:
        return answer(session.id)
    except InvalidTransitionError as exc:
        raise HTTPException(409, "This request was already answered.") from exc


@router.post("/sessions/{session_id}/confirm")
async def confirm(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    session = _answer(visit, session_id, visit.store.confirm_session)
    client = visit.account(session.client_id)
    visit.store.add_message(
        session.room_id,
        visit.user.id,
        notifications.confirmation_room_message(session, client),
    )
    notifications.send_confirmation(
        visit.store, visit.ctx.config, session, client, visit.user, stamp=real_now()
    )
    return redirect("/dashboard")


@router.post("/sessions/{session_id}/decline")
async def decline(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    _answer(visit, session_id, visit.store.decline_session)
    return redirect("/dashboard")
