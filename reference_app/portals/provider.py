"""The provider portal: dashboard (requests, upcoming, paying clients), schedule, caseload."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from .. import domain, notifications
from ..clock import real_now
from ..store import InvalidTransitionError, Room, Session, User
from .common import (
    AppContext,
    ctx_of,
    json_response,
    post_room_message,
    redirect,
    render,
    require_user,
    viewer_now,
)


def _own_session(ctx: AppContext, provider: User, session_id: int) -> Session:
    session = ctx.store.session(session_id)
    if session is None or session.provider_id != provider.id:
        raise HTTPException(404)
    return session


def _client(ctx: AppContext, client_id: int) -> User:
    client = ctx.store.user(client_id)
    assert client is not None
    return client


def _session_item(ctx: AppContext, session: Session, provider: User) -> dict[str, Any]:
    client = _client(ctx, session.client_id)
    when = domain.format_when(session.start, provider.timezone)
    summary = domain.describe_session(session.type, session.length)
    return {
        "id": session.id,
        "client": client.full_name,
        "when": when,
        "summary": summary,
        "status_text": domain.STATUS_TEXT.get(session.status, session.status),
        "label": f"{when}, {summary} with {client.full_name}",
    }


def _own_room(ctx: AppContext, provider: User, room_id: object) -> Room:
    room_text = str(room_id or "")
    room = ctx.store.room(int(room_text)) if room_text.isdigit() else None
    if room is None or room.provider_id != provider.id:
        raise HTTPException(404)
    return room


def _room_of(ctx: AppContext, provider: User, client_id: int) -> int | None:
    """The provider's first room with the client."""
    return next(
        (
            room.id
            for room in ctx.store.rooms_for_provider(provider.id)
            if client_id in room.member_ids
        ),
        None,
    )


def _upcoming(ctx: AppContext, provider: User, now: datetime) -> list[Session]:
    return [
        session
        for session in ctx.store.sessions_for_provider(provider.id, ("confirmed",))
        if session.end > now
    ]


def build_provider_router() -> APIRouter:
    """Pages and APIs of the provider portal."""
    router = APIRouter()

    @router.get("/dashboard")
    async def dashboard(request: Request) -> Response:
        user = require_user(request)
        return render(
            request,
            "provider/dashboard.html",
            title=f"Welcome, Dr. {user.last_name}",
            nav="Dashboard",
        )

    @router.get("/api/dashboard")
    async def dashboard_data(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        now = viewer_now(request, user)
        pending = [
            _session_item(ctx, session, user)
            for session in ctx.store.sessions_for_provider(user.id, ("pending",))
            if session.start > now
        ]
        upcoming = [_session_item(ctx, session, user) for session in _upcoming(ctx, user, now)]
        paying = [
            {"id": client.id, "name": client.full_name} for client in ctx.store.caseload(user.id)
        ]
        return json_response(
            {
                "portal": "provider",
                "user_id": user.id,
                "version": ctx.store.version(),
                "generated_at": domain.utc_iso(real_now()),
                "pending": pending,
                "upcoming": upcoming,
                "paying": paying,
            }
        )

    @router.post("/sessions/{session_id}/confirm")
    async def confirm(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session = _own_session(ctx, user, session_id)
        try:
            session = ctx.store.confirm_session(session.id)
        except InvalidTransitionError as exc:
            raise HTTPException(409, "This request was already answered.") from exc
        client = _client(ctx, session.client_id)
        ctx.store.add_message(
            session.room_id, user.id, notifications.confirmation_room_message(session, client)
        )
        notifications.send_confirmation(
            ctx.store, ctx.config, session, client, user, stamp=real_now()
        )
        return redirect("/dashboard")

    @router.post("/sessions/{session_id}/decline")
    async def decline(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session = _own_session(ctx, user, session_id)
        try:
            ctx.store.decline_session(session.id)
        except InvalidTransitionError as exc:
            raise HTTPException(409, "This request was already answered.") from exc
        return redirect("/dashboard")

    @router.get("/schedule")
    async def schedule(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        now = viewer_now(request, user)
        notice = None
        canceled_id = request.query_params.get("canceled", "")
        if canceled_id.isdigit():
            canceled = ctx.store.session(int(canceled_id))
            if canceled and canceled.provider_id == user.id and canceled.status == "canceled":
                client = _client(ctx, canceled.client_id)
                notice = (
                    f"Session canceled. {client.first_name}'s session credit has been returned."
                )
        return render(
            request,
            "provider/schedule.html",
            title="Schedule",
            nav="Schedule",
            sessions=[_session_item(ctx, s, user) for s in _upcoming(ctx, user, now)],
            notice=notice,
        )

    @router.get("/schedule/sessions/{session_id}/cancel")
    async def cancel_form(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session = _own_session(ctx, user, session_id)
        return _cancel_page(request, ctx, user, session)

    @router.post("/schedule/sessions/{session_id}/cancel")
    async def cancel(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session = _own_session(ctx, user, session_id)
        form = await request.form()
        reason = str(form.get("reason", ""))
        if reason not in domain.CANCEL_REASONS:
            return _cancel_page(
                request, ctx, user, session, error="Please choose a reason.", status_code=422
            )
        if not session.active or session.end <= viewer_now(request, user):
            raise HTTPException(409, "This session can no longer be canceled.")
        session = ctx.store.cancel_session(
            session.id, reason=reason, canceled_by="provider", late=False
        )
        notifications.send_provider_cancellation(
            ctx.store, ctx.config, session, _client(ctx, session.client_id), user
        )
        return redirect(f"/schedule?canceled={session.id}")

    @router.get("/caseload")
    async def caseload(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        return render(
            request,
            "provider/caseload.html",
            title="Caseload",
            nav="Caseload",
            clients=[(c, _room_of(ctx, user, c.id)) for c in ctx.store.caseload(user.id)],
        )

    # room

    @router.get("/room")
    async def room_page(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        room = _own_room(ctx, user, request.query_params.get("id"))
        members = [_client(ctx, member) for member in room.member_ids]
        heading = "Room with " + " and ".join(m.full_name for m in members)
        return render(
            request,
            "provider/room.html",
            title=heading,
            heading=heading,
            nav="Caseload",
            room=room,
            messages=ctx.store.messages(room.id),
        )

    @router.post("/room/messages")
    async def send_message(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        form = await request.form()
        room = _own_room(ctx, user, form.get("room"))
        return post_room_message(ctx, room.id, user.id, form.get("body"))

    return router


def _cancel_page(
    request: Request,
    ctx: AppContext,
    user: User,
    session: Session,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    if not session.active or session.end <= viewer_now(request, user):
        raise HTTPException(409, "This session can no longer be canceled.")
    return render(
        request,
        "provider/cancel.html",
        title="Cancel session",
        nav="Schedule",
        status_code=status_code,
        item=_session_item(ctx, session, user),
        reasons=domain.CANCEL_REASONS,
        error=error,
    )
