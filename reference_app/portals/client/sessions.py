"""The client's sessions once booked: the schedule list, one session's details, reschedule,
cancel, and joining the live session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ... import domain
from ...store import NoCreditsError, Room, Session, SlotTakenError, User
from ..common import Visit, redirect, signed_in
from .lookups import (
    LATE_WARNING,
    as_int,
    ensure_changeable,
    late_change,
    member_session,
    owned_session,
    parse_start,
)
from .slots import is_open_slot, picker
from .views import calendar_links, session_text, session_view

_NAV = "Schedule"
_CONFIRM_FORFEIT = "Please confirm that you understand you will lose this session credit."
_SLOT_GONE = "That time is no longer available. Please choose another time."


@dataclass(frozen=True)
class _Change:
    """A session the client is about to reschedule or cancel, checked as still changeable."""

    session: Session
    provider: User
    now: datetime
    late: bool


def _change_of(visit: Visit, session: Session) -> _Change:
    provider = visit.account(session.provider_id)
    now = visit.now()
    ensure_changeable(session, now)
    return _Change(
        session, provider, now, late_change(visit.ctx, session, visit.user, provider, now)
    )


def _owned_change(visit: Visit, session_id: int) -> tuple[_Change, Room]:
    session, room = owned_session(visit, session_id)
    return _change_of(visit, session), room


def routes() -> APIRouter:
    """`/schedule`, `/schedule/sessions/{id}` (+ `/reschedule`, `/cancel`), `/sessions/{id}/join`."""
    router = APIRouter()

    @router.get("/schedule")
    async def schedule(request: Request) -> Response:
        visit = signed_in(request)
        user = visit.user
        now = visit.now()
        views = [
            session_view(visit, session, now)
            for session in visit.store.sessions_for_client(user.id)
        ]
        notice: list[str] = []
        canceled_id = as_int(request.query_params.get("canceled"))
        if canceled_id:
            canceled = visit.store.session(canceled_id)
            if canceled and canceled.client_id == user.id and canceled.status == "canceled":
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
            "client/schedule.html", title="Schedule", nav=_NAV, sessions=views, notice=notice
        )

    @router.get("/schedule/sessions/{session_id}")
    async def session_details(request: Request, session_id: int) -> Response:
        visit = signed_in(request)
        session, room = member_session(visit, session_id)
        provider = visit.account(session.provider_id)
        return visit.page(
            "client/session.html",
            title="Session details",
            nav=_NAV,
            session=session,
            room=room,
            provider=provider,
            view=session_view(visit, session, visit.now()),
            **calendar_links(visit, session, provider),
        )

    # reschedule

    @router.get("/schedule/sessions/{session_id}/reschedule")
    async def reschedule_form(request: Request, session_id: int) -> Response:
        visit = signed_in(request)
        session, room = owned_session(visit, session_id)
        return _reschedule_page(
            visit, session, room, day_text=request.query_params.get("date"), start=None
        )

    @router.post("/schedule/sessions/{session_id}/reschedule")
    async def reschedule(request: Request, session_id: int) -> Response:
        visit = signed_in(request)
        change, room = _owned_change(visit, session_id)
        session = change.session
        form = await request.form()
        start = parse_start(str(form.get("start", "")) or None)

        def again(error: str, status_code: int) -> Response:
            return _reschedule_page(
                visit,
                session,
                room,
                day_text=str(form.get("date", "")) or None,
                start=start,
                error=error,
                status_code=status_code,
            )

        if start is None:
            return again("Please choose a time.", 422)
        if not is_open_slot(
            visit.ctx, change.provider, visit.user, start, session.length, change.now, session.id
        ):
            return again(_SLOT_GONE, 409)
        if change.late and form.get("forfeit") != "yes":
            return again(_CONFIRM_FORFEIT, 422)
        try:
            visit.store.reschedule_session(session.id, start, late=change.late)
        except SlotTakenError:
            return again(_SLOT_GONE, 409)
        except NoCreditsError:
            return again(
                "You need another session credit to reschedule this close to the start.", 409
            )
        return redirect(f"/schedule?rescheduled={session.id}")

    # cancel

    @router.get("/schedule/sessions/{session_id}/cancel")
    async def cancel_form(request: Request, session_id: int) -> Response:
        visit = signed_in(request)
        session, _room = owned_session(visit, session_id)
        return _cancel_page(visit, session)

    @router.post("/schedule/sessions/{session_id}/cancel")
    async def cancel(request: Request, session_id: int) -> Response:
        visit = signed_in(request)
        change, _room = _owned_change(visit, session_id)
        session = change.session
        form = await request.form()
        reason = str(form.get("reason", ""))
        if reason not in domain.CANCEL_REASONS:
            return _cancel_page(visit, session, error="Please choose a reason.", status_code=422)
        if change.late and form.get("forfeit") != "yes":
            return _cancel_page(visit, session, error=_CONFIRM_FORFEIT, status_code=422)
        visit.store.cancel_session(
            session.id, reason=reason, canceled_by="client", late=change.late
        )
        return redirect(f"/schedule?canceled={session.id}")

    # join

    @router.get("/sessions/{session_id}/join")
    async def join(request: Request, session_id: int) -> Response:
        visit = signed_in(request)
        session, _room = member_session(visit, session_id)
        provider = visit.account(session.provider_id)
        now = visit.now()
        is_open = session.status == "confirmed" and domain.can_join(
            session.start, session.length, now
        )
        return visit.page(
            "client/join.html",
            title="Live session" if is_open else "This session isn't open",
            nav=_NAV,
            status_code=200 if is_open else 409,
            is_open=is_open,
            session=session,
            provider=provider,
            ended=now >= session.end,
            **session_text(session, visit.user),
        )

    return router


def _reschedule_page(
    visit: Visit,
    session: Session,
    room: Room,
    *,
    day_text: str | None,
    start: datetime | None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    change = _change_of(visit, session)
    user = visit.user
    return visit.page(
        "client/reschedule.html",
        title="Reschedule session",
        nav=_NAV,
        status_code=status_code,
        session=session,
        room=room,
        provider=change.provider,
        picker=picker(
            visit.ctx,
            change.provider,
            user,
            length=session.length,
            now=change.now,
            day_text=day_text,
            start=start,
            exclude_session=session.id,
        ),
        late=change.late,
        late_warning=LATE_WARNING,
        needs_credit=change.late and user.credits < 1,
        can_buy=domain.can_buy_single_credit(user.plan),
        error=error,
        **session_text(session, user),
    )


def _cancel_page(
    visit: Visit,
    session: Session,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    change = _change_of(visit, session)
    return visit.page(
        "client/cancel.html",
        title="Cancel session",
        nav=_NAV,
        status_code=status_code,
        session=session,
        provider=change.provider,
        reasons=domain.CANCEL_REASONS,
        late=change.late,
        late_warning=LATE_WARNING,
        error=error,
        **session_text(session, visit.user),
    )
