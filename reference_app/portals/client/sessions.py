"""The client's sessions once booked: the schedule list, one session's details, reschedule,
cancel, and joining the live session."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ... import domain
from ...store import NoCreditsError, SlotTakenError
from ..common import CHOOSE_REASON, Refusal, Visit, chosen_cancel_reason, redirect, signed_in
from .lookups import (
    LATE_WARNING,
    SessionInRoom,
    as_int,
    ensure_changeable,
    late_change,
    member_session,
    owned_session,
    parse_start,
)
from .slots import is_open_slot, picker
from .views import session_page, session_view

router = APIRouter()

_CONFIRM_FORFEIT = Refusal("Please confirm that you understand you will lose this session credit.")
_SLOT_GONE = Refusal("That time is no longer available. Please choose another time.", 409)


def _changeable(visit: Visit, seen: SessionInRoom) -> tuple[datetime, bool]:
    """ "Now" and whether a change now is late, for a session still open to change (else 409)."""
    now = visit.now()
    ensure_changeable(seen.session, now)
    return now, late_change(visit.ctx, seen.session, visit.user, seen.provider, now)


@router.get("/schedule")
async def schedule(request: Request) -> Response:
    visit = signed_in(request)
    now = visit.now()
    sessions = visit.store.sessions_for_client(visit.user.id)
    views = [session_view(visit, session, now) for session in sessions]
    notice: list[str] = []
    canceled_id = as_int(request.query_params.get("canceled"))
    if canceled_id:
        canceled = visit.store.session(canceled_id)
        if canceled and canceled.client_id == visit.user.id and canceled.status == "canceled":
            notice = [
                "Session canceled.",
                "Your session credit was forfeited because you canceled less than 24 hours "
                "before the start."
                if canceled.credit_forfeited
                else "Your session credit has been returned.",
            ]
    if as_int(request.query_params.get("rescheduled")):
        notice = ["Session rescheduled. Your provider will confirm the new time soon."]
    return visit.page(
        "client/schedule.html", title="Schedule", nav="Schedule", sessions=views, notice=notice
    )


@router.get("/schedule/sessions/{session_id}")
async def session_details(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    seen = member_session(visit, session_id)
    return session_page(
        visit,
        "client/session.html",
        seen,
        title="Session details",
        view=session_view(visit, seen.session, visit.now()),
        with_calendar=True,
    )


# reschedule


@router.get("/schedule/sessions/{session_id}/reschedule")
async def reschedule_form(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    seen = owned_session(visit, session_id)
    return _reschedule_page(visit, seen, day_text=request.query_params.get("date"), start=None)


@router.post("/schedule/sessions/{session_id}/reschedule")
async def reschedule(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    seen = owned_session(visit, session_id)
    now, late = _changeable(visit, seen)
    session = seen.session
    form = await request.form()
    start = parse_start(str(form.get("start", "")) or None)

    def again(refusal: Refusal) -> Response:
        day_text = str(form.get("date", "")) or None
        return _reschedule_page(visit, seen, day_text=day_text, start=start, refusal=refusal)

    if start is None:
        return again(Refusal("Please choose a time."))
    if not is_open_slot(
        visit.ctx, seen.provider, visit.user, start, session.length, now, session.id
    ):
        return again(_SLOT_GONE)
    if late and form.get("forfeit") != "yes":
        return again(_CONFIRM_FORFEIT)
    try:
        visit.store.reschedule_session(session.id, start, late=late)
    except SlotTakenError:
        return again(_SLOT_GONE)
    except NoCreditsError:
        return again(
            Refusal("You need another session credit to reschedule this close to the start.", 409)
        )
    return redirect(f"/schedule?rescheduled={session.id}")


# cancel


@router.get("/schedule/sessions/{session_id}/cancel")
async def cancel_form(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    return _cancel_page(visit, owned_session(visit, session_id))


@router.post("/schedule/sessions/{session_id}/cancel")
async def cancel(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    seen = owned_session(visit, session_id)
    _now, late = _changeable(visit, seen)
    form = await request.form()
    reason = chosen_cancel_reason(form)
    if reason is None:
        return _cancel_page(visit, seen, refusal=CHOOSE_REASON)
    if late and form.get("forfeit") != "yes":
        return _cancel_page(visit, seen, refusal=_CONFIRM_FORFEIT)
    session_id = seen.session.id
    visit.store.cancel_session(session_id, reason=reason, canceled_by="client", late=late)
    return redirect(f"/schedule?canceled={session_id}")


# join


@router.get("/sessions/{session_id}/join")
async def join(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    seen = member_session(visit, session_id)
    session = seen.session
    now = visit.now()
    is_open = session.status == "confirmed" and domain.can_join(session.start, session.length, now)
    return session_page(
        visit,
        "client/join.html",
        seen,
        title="Live session" if is_open else "This session isn't open",
        status_code=200 if is_open else 409,
        is_open=is_open,
        ended=now >= session.end,
    )


def _reschedule_page(
    visit: Visit,
    seen: SessionInRoom,
    *,
    day_text: str | None,
    start: datetime | None,
    refusal: Refusal | None = None,
) -> Response:
    now, late = _changeable(visit, seen)
    user = visit.user
    return session_page(
        visit,
        "client/reschedule.html",
        seen,
        title="Reschedule session",
        refusal=refusal,
        picker=picker(
            visit.ctx,
            seen.provider,
            user,
            length=seen.session.length,
            now=now,
            day_text=day_text,
            start=start,
            exclude_session=seen.session.id,
        ),
        late=late,
        late_warning=LATE_WARNING,
        needs_credit=late and user.credits < 1,
        can_buy=domain.can_buy_single_credit(user.plan),
    )


def _cancel_page(visit: Visit, seen: SessionInRoom, *, refusal: Refusal | None = None) -> Response:
    return session_page(
        visit,
        "client/cancel.html",
        seen,
        title="Cancel session",
        refusal=refusal,
        reasons=domain.CANCEL_REASONS,
        late=_changeable(visit, seen)[1],
        late_warning=LATE_WARNING,
    )
