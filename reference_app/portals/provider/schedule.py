"""The provider's schedule: upcoming sessions, and canceling one (the client is told by email)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from ... import domain, notifications
from ...store import Session
from ..common import CHOOSE_REASON, Refusal, Visit, chosen_cancel_reason, redirect, signed_in
from .lookups import own_session, session_item, upcoming

router = APIRouter()

_NAV = "Schedule"


def _ensure_cancelable(visit: Visit, session: Session) -> None:
    if not session.active or session.end <= visit.now():
        raise HTTPException(409, "This session can no longer be canceled.")


@router.get("/schedule")
async def schedule(request: Request) -> Response:
    visit = signed_in(request)
    now = visit.now()
    notice = None
    canceled_id = request.query_params.get("canceled", "")
    if canceled_id.isdigit():
        canceled = visit.store.session(int(canceled_id))
        if canceled and canceled.provider_id == visit.user.id and canceled.status == "canceled":
            client = visit.account(canceled.client_id)
            notice = f"Session canceled. {client.first_name}'s session credit has been returned."
    return visit.page(
        "provider/schedule.html",
        title="Schedule",
        nav=_NAV,
        sessions=[session_item(visit, s) for s in upcoming(visit, now)],
        notice=notice,
    )


@router.get("/schedule/sessions/{session_id}/cancel")
async def cancel_form(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    return _cancel_page(visit, own_session(visit, session_id))


@router.post("/schedule/sessions/{session_id}/cancel")
async def cancel(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    session = own_session(visit, session_id)
    reason = chosen_cancel_reason(await request.form())
    if reason is None:
        return _cancel_page(visit, session, refusal=CHOOSE_REASON)
    _ensure_cancelable(visit, session)
    session = visit.store.cancel_session(
        session.id, reason=reason, canceled_by="provider", late=False
    )
    notifications.send_provider_cancellation(
        visit.store, visit.ctx.config, session, visit.account(session.client_id), visit.user
    )
    return redirect(f"/schedule?canceled={session.id}")


def _cancel_page(visit: Visit, session: Session, *, refusal: Refusal | None = None) -> Response:
    _ensure_cancelable(visit, session)
    return visit.page(
        "provider/cancel.html",
        title="Cancel session",
        nav=_NAV,
        refusal=refusal,
        item=session_item(visit, session),
        reasons=domain.CANCEL_REASONS,
    )
