"""The client portal: dashboard, schedule, booking, reschedule/cancel, room, join."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from .. import domain, notifications
from ..clock import real_now
from ..store import NoCreditsError, Room, Session, SlotTakenError, User
from .common import (
    AppContext,
    ctx_of,
    json_response,
    post_room_message,
    redirect,
    render,
    require_user,
    safe_next,
    viewer_now,
)

OPEN_DAYS_AHEAD = 21
MAX_BOOKING_DAYS = 90

LATE_WARNING = (
    "This session starts in less than 24 hours. If you continue, your session credit will be "
    "forfeited."
)


# --- lookups --------------------------------------------------------------------------------------


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _member_room(ctx: AppContext, user: User, room_id: object) -> Room:
    room = ctx.store.room(_int(room_id) or 0)
    if room is None or user.id not in room.member_ids:
        raise HTTPException(404)
    return room


def _provider(ctx: AppContext, provider_id: int) -> User:
    provider = ctx.store.user(provider_id)
    assert provider is not None
    return provider


def _member_session(ctx: AppContext, user: User, session_id: int) -> tuple[Session, Room]:
    session = ctx.store.session(session_id)
    room = ctx.store.room(session.room_id) if session else None
    if session is None or room is None or user.id not in room.member_ids:
        raise HTTPException(404)
    return session, room


def _owned_session(ctx: AppContext, user: User, session_id: int) -> tuple[Session, Room]:
    """A session the user may change: booked by them in a room where they may schedule."""
    session, room = _member_session(ctx, user, session_id)
    if session.client_id != user.id or not domain.can_schedule(room.type, room.creator_id, user.id):
        raise HTTPException(403, "Only the person who booked this session can change it.")
    return session, room


def late_change(
    ctx: AppContext, session: Session, client: User, provider: User, now: datetime
) -> bool:
    """The 24-hour rule for this session (the one place `late-window-tz-hour` is checked)."""
    start = session.start
    if ctx.config.defect("late-window-tz-hour"):
        start = domain.misconverted_start(start, client.timezone, provider.timezone)
    return domain.is_late_change(start, now)


# --- slots ----------------------------------------------------------------------------------------


def _slots(
    ctx: AppContext,
    provider: User,
    viewer: User,
    day: date,
    length: int,
    now: datetime,
    exclude_session: int | None = None,
) -> list[datetime]:
    tz = domain.zone(viewer.timezone)
    day_start = datetime.combine(day, time.min, tzinfo=tz)
    busy = ctx.store.busy_intervals(
        provider.id,
        day_start - timedelta(days=1),
        day_start + timedelta(days=2),
        exclude_session=exclude_session,
    )
    return domain.available_slots(
        day,
        viewer_tz=viewer.timezone,
        provider_tz=provider.timezone,
        windows=ctx.store.availability(provider.id),
        length_minutes=length,
        busy=busy,
        now=now,
    )


def _first_open_day(
    ctx: AppContext,
    provider: User,
    viewer: User,
    length: int,
    now: datetime,
    exclude_session: int | None = None,
) -> date:
    today = domain.local_date(now, viewer.timezone)
    for offset in range(OPEN_DAYS_AHEAD):
        day = today + timedelta(days=offset)
        if _slots(ctx, provider, viewer, day, length, now, exclude_session):
            return day
    return today


def _slot_options(slots: list[datetime], tz: str) -> list[dict[str, str]]:
    return [
        {
            "value": domain.utc_iso(slot),
            "label": domain.format_time(slot, tz),
            "local": slot.astimezone(domain.zone(tz)).strftime("%H:%M"),
        }
        for slot in slots
    ]


def _parse_day(text: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return fallback


def _parse_start(text: str | None) -> datetime | None:
    try:
        return domain.parse_instant(text) if text else None
    except ValueError:
        return None


def _picker(
    ctx: AppContext,
    provider: User,
    viewer: User,
    *,
    length: int,
    now: datetime,
    day_text: str | None,
    start: datetime | None,
    exclude_session: int | None = None,
) -> dict[str, Any]:
    """Template values for the Date / Time / preview fields."""
    tz = viewer.timezone
    today = domain.local_date(now, tz)
    if start is not None:
        default_day = domain.local_date(start, tz)
    else:
        default_day = _first_open_day(ctx, provider, viewer, length, now, exclude_session)
    day = _parse_day(day_text, default_day)
    slots = _slots(ctx, provider, viewer, day, length, now, exclude_session)
    selected = start if start in slots else (slots[0] if slots else None)
    preview = (
        f"You picked {domain.format_day(selected, tz)} at {domain.format_time(selected, tz)}"
        if selected
        else "Choose a date and time."
    )
    return {
        "day": day.isoformat(),
        "min_day": today.isoformat(),
        "max_day": (today + timedelta(days=MAX_BOOKING_DAYS)).isoformat(),
        "options": _slot_options(slots, tz),
        "selected": domain.utc_iso(selected) if selected else "",
        "selected_local": (
            f"{domain.local_date(selected, tz).isoformat()}T"
            f"{selected.astimezone(domain.zone(tz)):%H:%M}"
            if selected
            else ""
        ),
        "preview": preview,
    }


def _is_open_slot(
    ctx: AppContext,
    provider: User,
    viewer: User,
    start: datetime,
    length: int,
    now: datetime,
    exclude_session: int | None = None,
) -> bool:
    day = domain.local_date(start, viewer.timezone)
    return start in _slots(ctx, provider, viewer, day, length, now, exclude_session)


# --- view models ----------------------------------------------------------------------------------


def session_view(
    ctx: AppContext, session: Session, viewer: User, provider: User, room: Room, now: datetime
) -> dict[str, Any]:
    """What the schedule list shows for one session."""
    when = domain.format_when(session.start, viewer.timezone)
    summary = domain.describe_session(session.type, session.length)
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


class CalendarLinks(TypedDict):
    """The Add-to-calendar links a page shows."""

    google_url: str
    outlook_url: str


def _calendar_links(ctx: AppContext, session: Session, user: User, provider: User) -> CalendarLinks:
    """The Google Calendar and Outlook links of a session (the .ics has its own route)."""
    event = notifications.calendar_event(ctx.config, session, user, provider)
    return CalendarLinks(
        google_url=domain.google_calendar_url(event),
        outlook_url=domain.outlook_calendar_url(event),
    )


def _review_values(form: Any) -> tuple[str, str, int | None, datetime | None]:
    return (
        str(form.get("room", "")),
        str(form.get("type", "")),
        _int(form.get("length")),
        _parse_start(str(form.get("start", "")) or None),
    )


# --- routes ---------------------------------------------------------------------------------------


def build_client_router() -> APIRouter:
    """Pages and APIs of the client portal."""
    router = APIRouter()

    # dashboard

    @router.get("/dashboard")
    async def dashboard(request: Request) -> Response:
        user = require_user(request)
        return render(
            request,
            "client/dashboard.html",
            title=f"Welcome, {user.first_name}",
            nav="Dashboard",
        )

    @router.get("/api/announcements")
    async def announcements(request: Request) -> Response:
        ctx = ctx_of(request)
        require_user(request)
        if ctx.config.defect("announcements-500"):
            raise RuntimeError("announcements: the notices table was renamed in the last migration")
        return json_response({"announcements": []})

    @router.get("/api/dashboard")
    async def dashboard_data(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        now = viewer_now(request, user)
        upcoming = []
        for session in ctx.store.sessions_for_client(user.id):
            if not session.active or session.end <= now:
                continue
            room = ctx.store.room(session.room_id)
            assert room is not None
            view = session_view(ctx, session, user, _provider(ctx, session.provider_id), room, now)
            upcoming.append(
                {
                    key: view[key]
                    for key in ("id", "when", "summary", "provider", "status", "status_text")
                }
            )
        return json_response(
            {
                "portal": "client",
                "user_id": user.id,
                "version": ctx.store.version(),
                "generated_at": domain.utc_iso(real_now()),
                "credits": user.credits,
                "upcoming": upcoming,
            }
        )

    # schedule

    @router.get("/schedule")
    async def schedule(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        now = viewer_now(request, user)
        views = []
        for session in ctx.store.sessions_for_client(user.id):
            room = ctx.store.room(session.room_id)
            assert room is not None
            views.append(
                session_view(ctx, session, user, _provider(ctx, session.provider_id), room, now)
            )
        notice: list[str] = []
        canceled_id = _int(request.query_params.get("canceled"))
        if canceled_id:
            canceled = ctx.store.session(canceled_id)
            if canceled and canceled.client_id == user.id and canceled.status == "canceled":
                notice = [
                    "Session canceled.",
                    "Your session credit was forfeited because you canceled less than 24 hours "
                    "before the start."
                    if canceled.credit_forfeited
                    else "Your session credit has been returned.",
                ]
        if _int(request.query_params.get("rescheduled")):
            notice = ["Session rescheduled. Your provider will confirm the new time soon."]
        return render(
            request,
            "client/schedule.html",
            title="Schedule",
            nav="Schedule",
            sessions=views,
            notice=notice,
        )

    # booking: choose a room

    @router.get("/schedule/new")
    async def choose_room(request: Request) -> Response:
        return _choose_room_page(request, require_user(request))

    @router.post("/schedule/new")
    async def chose_room(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        form = await request.form()
        if not form.get("room"):
            return _choose_room_page(
                request, user, error="Please choose a provider or room.", status_code=422
            )
        room = _member_room(ctx, user, form.get("room"))
        if not domain.can_schedule(room.type, room.creator_id, user.id):
            creator = ctx.store.user(room.creator_id)
            assert creator is not None
            return _choose_room_page(
                request,
                user,
                selected=room.id,
                error=(
                    f"Only {creator.first_name}, who created this room, can schedule live sessions."
                ),
                status_code=403,
            )
        if user.credits < 1:
            return redirect(f"/schedule/new/credits?room={room.id}")
        return redirect(f"/schedule/new/details?room={room.id}")

    # booking: out of credits

    @router.get("/schedule/new/credits")
    async def out_of_credits(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        room = _member_room(ctx, user, request.query_params.get("room"))
        if user.credits > 0:
            return redirect(f"/schedule/new/details?room={room.id}")
        return render(
            request,
            "client/credits.html",
            title="You're out of session credits",
            nav="Schedule",
            can_buy=domain.can_buy_single_credit(user.plan),
            next_path=f"/schedule/new/details?room={room.id}",
        )

    @router.post("/credits/buy")
    async def buy_credit(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        form = await request.form()
        if not domain.can_buy_single_credit(user.plan):
            raise HTTPException(403, "Your plan doesn't include single-session purchases.")
        ctx.store.add_credits(user.id, 1, "purchase: single session credit")
        return redirect(safe_next(str(form.get("next", "")) or "/schedule"))

    # booking: details

    @router.get("/schedule/new/details")
    async def details(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        query = request.query_params
        room = _member_room(ctx, user, query.get("room"))
        guard = _booking_guard(request, user, room)
        if guard is not None:
            return guard
        return _details_page(
            request,
            user,
            room,
            session_type=query.get("type", ""),
            length=_int(query.get("length")),
            day_text=query.get("date"),
            start=_parse_start(query.get("start")),
        )

    @router.post("/schedule/new/details")
    async def details_submit(request: Request) -> Response:
        user = require_user(request)
        form = await request.form()
        # The details page shows back what was typed when the date cannot be read.
        checked = _checked_booking(request, user, form, day_text=str(form.get("date", "")) or None)
        if isinstance(checked, Response):
            return checked
        room, session_type, length, start = checked
        query = urlencode(
            {
                "room": room.id,
                "type": session_type,
                "length": length,
                "start": domain.utc_iso(start),
            }
        )
        return redirect(f"/schedule/new/review?{query}")

    # booking: share availability

    @router.get("/schedule/new/availability")
    async def availability_form(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        room = _member_room(ctx, user, request.query_params.get("room"))
        return render(
            request,
            "client/share_availability.html",
            title="Share your availability",
            nav="Schedule",
            room=room,
            shared_with=None,
        )

    @router.post("/schedule/new/availability")
    async def share_availability(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        form = await request.form()
        room = _member_room(ctx, user, form.get("room"))
        text = str(form.get("availability", "")).strip()
        if not text:
            return render(
                request,
                "client/share_availability.html",
                title="Share your availability",
                nav="Schedule",
                room=room,
                shared_with=None,
                error="Please tell your provider when you're available.",
                status_code=422,
            )
        provider = _provider(ctx, room.provider_id)
        ctx.store.add_availability_note(room.id, user.id, text)
        ctx.store.add_message(room.id, user.id, f"My availability for a live session: {text}")
        return render(
            request,
            "client/share_availability.html",
            title="Share your availability",
            nav="Schedule",
            room=room,
            shared_with=provider.first_name,
        )

    # booking: review and book

    @router.get("/schedule/new/review")
    async def review(request: Request) -> Response:
        user = require_user(request)
        checked = _checked_booking(request, user, request.query_params)
        if isinstance(checked, Response):
            return checked
        return _review_page(request, user, *checked)

    @router.post("/schedule/new/book")
    async def book(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        form = await request.form()
        checked = _checked_booking(request, user, form)
        if isinstance(checked, Response):
            return checked
        room, session_type, length, start = checked
        if form.get("policy") != "yes":
            return _review_page(
                request,
                user,
                room,
                session_type,
                length,
                start,
                error="Please confirm that you have reviewed the cancellation policy.",
                status_code=422,
            )
        try:
            session = ctx.store.book_session(
                room=room, client_id=user.id, session_type=session_type, length=length, start=start
            )
        except NoCreditsError:
            return redirect(f"/schedule/new/credits?room={room.id}")
        except SlotTakenError:
            return _details_page(
                request,
                user,
                room,
                session_type=session_type,
                length=length,
                day_text=None,
                start=None,
                error="That time is no longer available. Please choose another time.",
                status_code=409,
            )
        return redirect(f"/schedule/sessions/{session.id}/booked")

    @router.get("/schedule/sessions/{session_id}/booked")
    async def booked(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session, _room = _member_session(ctx, user, session_id)
        provider = _provider(ctx, session.provider_id)
        return render(
            request,
            "client/booked.html",
            title="Session requested",
            nav="Schedule",
            session=session,
            provider=provider,
            when=domain.format_when(session.start, user.timezone),
            summary=domain.describe_session(session.type, session.length),
            **_calendar_links(ctx, session, user, provider),
        )

    @router.get("/schedule/sessions/{session_id}")
    async def session_details(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session, room = _member_session(ctx, user, session_id)
        provider = _provider(ctx, session.provider_id)
        now = viewer_now(request, user)
        return render(
            request,
            "client/session.html",
            title="Session details",
            nav="Schedule",
            session=session,
            room=room,
            provider=provider,
            view=session_view(ctx, session, user, provider, room, now),
            **_calendar_links(ctx, session, user, provider),
        )

    @router.get("/schedule/sessions/{session_id}/calendar.ics")
    async def calendar_file(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session, _room = _member_session(ctx, user, session_id)
        provider = _provider(ctx, session.provider_id)
        event = notifications.calendar_event(ctx.config, session, user, provider)
        return Response(
            domain.build_ics(event, stamp=real_now()),
            media_type="text/calendar; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="haven-session-{session.id}.ics"',
                "Cache-Control": "no-cache",
            },
        )

    # reschedule

    @router.get("/schedule/sessions/{session_id}/reschedule")
    async def reschedule_form(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session, room = _owned_session(ctx, user, session_id)
        return _reschedule_page(
            request, user, session, room, day_text=request.query_params.get("date"), start=None
        )

    @router.post("/schedule/sessions/{session_id}/reschedule")
    async def reschedule(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session, room = _owned_session(ctx, user, session_id)
        form = await request.form()
        provider = _provider(ctx, session.provider_id)
        now = viewer_now(request, user)
        _ensure_changeable(session, now)
        start = _parse_start(str(form.get("start", "")) or None)
        late = late_change(ctx, session, user, provider, now)

        def again(error: str, status_code: int) -> Response:
            return _reschedule_page(
                request,
                user,
                session,
                room,
                day_text=str(form.get("date", "")) or None,
                start=start,
                error=error,
                status_code=status_code,
            )

        if start is None:
            return again("Please choose a time.", 422)
        if not _is_open_slot(ctx, provider, user, start, session.length, now, session.id):
            return again("That time is no longer available. Please choose another time.", 409)
        if late and form.get("forfeit") != "yes":
            return again(
                "Please confirm that you understand you will lose this session credit.", 422
            )
        try:
            ctx.store.reschedule_session(session.id, start, late=late)
        except SlotTakenError:
            return again("That time is no longer available. Please choose another time.", 409)
        except NoCreditsError:
            return again(
                "You need another session credit to reschedule this close to the start.", 409
            )
        return redirect(f"/schedule?rescheduled={session.id}")

    # cancel

    @router.get("/schedule/sessions/{session_id}/cancel")
    async def cancel_form(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session, _room = _owned_session(ctx, user, session_id)
        return _cancel_page(request, user, session)

    @router.post("/schedule/sessions/{session_id}/cancel")
    async def cancel(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session, _room = _owned_session(ctx, user, session_id)
        form = await request.form()
        provider = _provider(ctx, session.provider_id)
        now = viewer_now(request, user)
        _ensure_changeable(session, now)
        reason = str(form.get("reason", ""))
        if reason not in domain.CANCEL_REASONS:
            return _cancel_page(
                request, user, session, error="Please choose a reason.", status_code=422
            )
        late = late_change(ctx, session, user, provider, now)
        if late and form.get("forfeit") != "yes":
            return _cancel_page(
                request,
                user,
                session,
                error="Please confirm that you understand you will lose this session credit.",
                status_code=422,
            )
        ctx.store.cancel_session(session.id, reason=reason, canceled_by="client", late=late)
        return redirect(f"/schedule?canceled={session.id}")

    # join

    @router.get("/sessions/{session_id}/join")
    async def join(request: Request, session_id: int) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        session, _room = _member_session(ctx, user, session_id)
        provider = _provider(ctx, session.provider_id)
        now = viewer_now(request, user)
        is_open = session.status == "confirmed" and domain.can_join(
            session.start, session.length, now
        )
        return render(
            request,
            "client/join.html",
            title="Live session" if is_open else "This session isn't open",
            nav="Schedule",
            status_code=200 if is_open else 409,
            is_open=is_open,
            session=session,
            provider=provider,
            when=domain.format_when(session.start, user.timezone),
            summary=domain.describe_session(session.type, session.length),
            ended=now >= session.end,
        )

    # room

    @router.get("/room")
    async def room_page(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        rooms = ctx.store.rooms_for_client(user.id)
        room_id = _int(request.query_params.get("id"))
        if room_id is not None:
            room: Room | None = _member_room(ctx, user, room_id)
        else:
            room = rooms[0] if rooms else None
        if room is None:
            return render(request, "client/room.html", title="Room", nav="Room", room=None)
        provider = _provider(ctx, room.provider_id)
        return render(
            request,
            "client/room.html",
            title=f"Room with {provider.full_name}",
            nav="Room",
            room=room,
            provider=provider,
            messages=ctx.store.messages(room.id),
            other_rooms=[
                (other, _provider(ctx, other.provider_id)) for other in rooms if other.id != room.id
            ],
            sent=request.query_params.get("sent") == "1",
        )

    @router.post("/room/messages")
    async def send_message(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        form = await request.form()
        room = _member_room(ctx, user, form.get("room"))
        return post_room_message(ctx, room.id, user.id, form.get("body"))

    # availability API

    @router.get("/api/availability")
    async def availability(request: Request) -> Response:
        ctx = ctx_of(request)
        user = require_user(request)
        query = request.query_params
        room = _member_room(ctx, user, query.get("room"))
        provider = _provider(ctx, room.provider_id)
        now = viewer_now(request, user)
        exclude = None
        length = _int(query.get("length")) or domain.allowed_lengths(room.type)[0]
        session_id = _int(query.get("session"))
        if session_id is not None:
            session, _ = _owned_session(ctx, user, session_id)
            exclude, length = session.id, session.length
        if length not in domain.allowed_lengths(room.type):
            return json_response({"detail": "unsupported session length"}, status_code=422)
        try:
            day = date.fromisoformat(query.get("date", ""))
        except ValueError:
            return json_response({"detail": "date must be YYYY-MM-DD"}, status_code=422)
        slots = _slots(ctx, provider, user, day, length, now, exclude)
        return json_response(
            {
                "date": day.isoformat(),
                "timezone": user.timezone,
                "length": length,
                "slots": _slot_options(slots, user.timezone),
            }
        )

    return router


# --- page builders --------------------------------------------------------------------------------


def _ensure_changeable(session: Session, now: datetime) -> None:
    if not session.active or session.start <= now:
        raise HTTPException(409, "This session can no longer be changed.")


def _choose_room_page(
    request: Request,
    user: User,
    *,
    selected: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = ctx_of(request)
    rooms = ctx.store.rooms_for_client(user.id)
    choices = [
        {
            "id": room.id,
            "label": f"{_provider(ctx, room.provider_id).full_name} · {room.kind_label}",
            "checked": room.id == selected or (selected is None and len(rooms) == 1),
        }
        for room in rooms
    ]
    return render(
        request,
        "client/choose_room.html",
        title="Book a live session",
        nav="Schedule",
        choices=choices,
        error=error,
        status_code=status_code,
    )


def _checked_booking(
    request: Request, user: User, values: Any, *, day_text: str | None = None
) -> Response | tuple[Room, str, int, datetime]:
    """The details, review and book steps' shared checks: the room's guard, then the chosen type,
    length and time; a page to show instead when something is wrong."""
    room_id, session_type, length, start = _review_values(values)
    room = _member_room(ctx_of(request), user, room_id)
    guard = _booking_guard(request, user, room)
    if guard is not None:
        return guard
    error = _booking_error(request, user, room, session_type, length, start)
    if error:
        return _details_page(
            request,
            user,
            room,
            session_type=session_type,
            length=length,
            day_text=day_text,
            start=start,
            error=error,
            status_code=422,
        )
    assert start is not None and length is not None
    return room, session_type, length, start


def _booking_guard(request: Request, user: User, room: Room) -> Response | None:
    """The couples-creator rule and the out-of-credits detour, before any booking step."""
    if not domain.can_schedule(room.type, room.creator_id, user.id):
        return _choose_room_page(
            request,
            user,
            selected=room.id,
            error=_creator_message(request, room),
            status_code=403,
        )
    if user.credits < 1:
        return redirect(f"/schedule/new/credits?room={room.id}")
    return None


def _creator_message(request: Request, room: Room) -> str:
    creator = ctx_of(request).store.user(room.creator_id)
    assert creator is not None
    return f"Only {creator.first_name}, who created this room, can schedule live sessions."


def _booking_error(
    request: Request,
    user: User,
    room: Room,
    session_type: str,
    length: int | None,
    start: datetime | None,
) -> str | None:
    ctx = ctx_of(request)
    if session_type not in domain.allowed_session_types(room.type):
        if room.type == "psychiatry":
            return "Psychiatry sessions are live video only."
        return "Please choose a session type."
    if length not in domain.allowed_lengths(room.type):
        return "Please choose a session length."
    if start is None:
        return "Please choose a time."
    provider = _provider(ctx, room.provider_id)
    if not _is_open_slot(ctx, provider, user, start, length, viewer_now(request, user)):
        return "That time is no longer available. Please choose another time."
    return None


def _details_page(
    request: Request,
    user: User,
    room: Room,
    *,
    session_type: str,
    length: int | None,
    day_text: str | None,
    start: datetime | None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = ctx_of(request)
    provider = _provider(ctx, room.provider_id)
    types = domain.allowed_session_types(room.type)
    lengths = domain.allowed_lengths(room.type)
    chosen_length = length if length in lengths else lengths[0]
    chosen_type = session_type if session_type in types else types[0]
    picker = _picker(
        ctx,
        provider,
        user,
        length=chosen_length,
        now=viewer_now(request, user),
        day_text=day_text,
        start=start,
    )
    return render(
        request,
        "client/details.html",
        title="Book a live session",
        nav="Schedule",
        status_code=status_code,
        room=room,
        provider=provider,
        types=[(value, domain.SESSION_TYPE_LABELS[value]) for value in types],
        chosen_type=chosen_type,
        lengths=lengths,
        chosen_length=chosen_length,
        picker=picker,
        error=error,
    )


def _review_page(
    request: Request,
    user: User,
    room: Room,
    session_type: str,
    length: int,
    start: datetime,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = ctx_of(request)
    provider = _provider(ctx, room.provider_id)
    return render(
        request,
        "client/review.html",
        title="Review and book",
        nav="Schedule",
        status_code=status_code,
        room=room,
        provider=provider,
        session_type=session_type,
        type_label=domain.SESSION_TYPE_LABELS[session_type],
        length=length,
        start_value=domain.utc_iso(start),
        when=domain.format_when(start, user.timezone),
        error=error,
    )


def _reschedule_page(
    request: Request,
    user: User,
    session: Session,
    room: Room,
    *,
    day_text: str | None,
    start: datetime | None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = ctx_of(request)
    provider = _provider(ctx, session.provider_id)
    now = viewer_now(request, user)
    _ensure_changeable(session, now)
    late = late_change(ctx, session, user, provider, now)
    picker = _picker(
        ctx,
        provider,
        user,
        length=session.length,
        now=now,
        day_text=day_text,
        start=start,
        exclude_session=session.id,
    )
    return render(
        request,
        "client/reschedule.html",
        title="Reschedule session",
        nav="Schedule",
        status_code=status_code,
        session=session,
        room=room,
        provider=provider,
        when=domain.format_when(session.start, user.timezone),
        summary=domain.describe_session(session.type, session.length),
        picker=picker,
        late=late,
        late_warning=LATE_WARNING,
        needs_credit=late and user.credits < 1,
        can_buy=domain.can_buy_single_credit(user.plan),
        error=error,
    )


def _cancel_page(
    request: Request,
    user: User,
    session: Session,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = ctx_of(request)
    provider = _provider(ctx, session.provider_id)
    now = viewer_now(request, user)
    _ensure_changeable(session, now)
    return render(
        request,
        "client/cancel.html",
        title="Cancel session",
        nav="Schedule",
        status_code=status_code,
        session=session,
        provider=provider,
        when=domain.format_when(session.start, user.timezone),
        summary=domain.describe_session(session.type, session.length),
        reasons=domain.CANCEL_REASONS,
        late=late_change(ctx, session, user, provider, now),
        late_warning=LATE_WARNING,
        error=error,
    )
