"""Booking a live session, step by step: choose a room (or share availability instead), the
out-of-credits detour, details (type, length, date and time), review and book, booked."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from ... import domain
from ...store import NewSession, NoCreditsError, Room, SlotTakenError
from ..common import Refusal, Visit, redirect, safe_next, signed_in
from .lookups import as_int, member_room, member_session, parse_start
from .slots import is_open_slot, picker
from .views import session_page

router = APIRouter()

_NAV = "Schedule"
_SLOT_GONE = "That time is no longer available. Please choose another time."


# choose a room


@router.get("/schedule/new")
async def choose_room(request: Request) -> Response:
    return _choose_room_page(signed_in(request))


@router.post("/schedule/new")
async def chose_room(request: Request) -> Response:
    visit = signed_in(request)
    form = await request.form()
    if not form.get("room"):
        return _choose_room_page(visit, refusal=Refusal("Please choose a provider or room."))
    room = member_room(visit, form.get("room"))
    guard = _booking_guard(visit, room)
    return guard or redirect(f"/schedule/new/details?room={room.id}")


# out of credits


@router.get("/schedule/new/credits")
async def out_of_credits(request: Request) -> Response:
    visit = signed_in(request)
    room = member_room(visit, request.query_params.get("room"))
    if visit.user.credits > 0:
        return redirect(f"/schedule/new/details?room={room.id}")
    return visit.page(
        "client/credits.html",
        title="You're out of session credits",
        nav=_NAV,
        can_buy=domain.can_buy_single_credit(visit.user.plan),
        next_path=f"/schedule/new/details?room={room.id}",
    )


@router.post("/credits/buy")
async def buy_credit(request: Request) -> Response:
    visit = signed_in(request)
    form = await request.form()
    if not domain.can_buy_single_credit(visit.user.plan):
        raise HTTPException(403, "Your plan doesn't include single-session purchases.")
    visit.store.add_credits(visit.user.id, 1, "purchase: single session credit")
    return redirect(safe_next(str(form.get("next", "")) or "/schedule"))


# details


@router.get("/schedule/new/details")
async def details(request: Request) -> Response:
    visit = signed_in(request)
    query = request.query_params
    room = member_room(visit, query.get("room"))
    guard = _booking_guard(visit, room)
    if guard is not None:
        return guard
    return _details_page(
        visit,
        room,
        session_type=query.get("type", ""),
        length=as_int(query.get("length")),
        day_text=query.get("date"),
        start=parse_start(query.get("start")),
    )


@router.post("/schedule/new/details")
async def details_submit(request: Request) -> Response:
    visit = signed_in(request)
    form = await request.form()
    # The details page shows back what was typed when the date cannot be read.
    checked = _checked_booking(visit, form, day_text=str(form.get("date", "")) or None)
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


# share availability (instead of picking a time)


@router.get("/schedule/new/availability")
async def availability_form(request: Request) -> Response:
    visit = signed_in(request)
    return _share_page(visit, member_room(visit, request.query_params.get("room")))


@router.post("/schedule/new/availability")
async def share_availability(request: Request) -> Response:
    visit = signed_in(request)
    form = await request.form()
    room = member_room(visit, form.get("room"))
    text = str(form.get("availability", "")).strip()
    if not text:
        return _share_page(
            visit,
            room,
            refusal=Refusal("Please tell your provider when you're available."),
        )
    provider = visit.account(room.provider_id)
    visit.store.add_availability_note(room.id, visit.user.id, text)
    visit.store.add_message(room.id, visit.user.id, f"My availability for a live session: {text}")
    return _share_page(visit, room, shared_with=provider.first_name)


# review and book


@router.get("/schedule/new/review")
async def review(request: Request) -> Response:
    visit = signed_in(request)
    checked = _checked_booking(visit, request.query_params)
    if isinstance(checked, Response):
        return checked
    return _review_page(visit, *checked)


@router.post("/schedule/new/book")
async def book(request: Request) -> Response:
    visit = signed_in(request)
    form = await request.form()
    checked = _checked_booking(visit, form)
    if isinstance(checked, Response):
        return checked
    room, session_type, length, start = checked
    if form.get("policy") != "yes":
        return _review_page(
            visit,
            room,
            session_type,
            length,
            start,
            refusal=Refusal("Please confirm that you have reviewed the cancellation policy."),
        )
    try:
        session = visit.store.book_session(
            NewSession(room, visit.user.id, session_type, length, start)
        )
    except NoCreditsError:
        return redirect(f"/schedule/new/credits?room={room.id}")
    except SlotTakenError:
        return _details_page(
            visit,
            room,
            session_type=session_type,
            length=length,
            day_text=None,
            start=None,
            refusal=Refusal(_SLOT_GONE, 409),
        )
    return redirect(f"/schedule/sessions/{session.id}/booked")


# booked


@router.get("/schedule/sessions/{session_id}/booked")
async def booked(request: Request, session_id: int) -> Response:
    visit = signed_in(request)
    seen = member_session(visit, session_id)
    return session_page(
        visit,
        "client/booked.html",
        seen,
        title="Session requested",
        with_calendar=True,
    )


# --- the steps' checks and pages ------------------------------------------------------------------


def _booking_guard(visit: Visit, room: Room) -> Response | None:
    """The couples-creator rule and the out-of-credits detour, before any booking step."""
    if not domain.can_schedule(room.type, room.creator_id, visit.user.id):
        creator = visit.account(room.creator_id)
        return _choose_room_page(
            visit,
            selected=room.id,
            refusal=Refusal(
                f"Only {creator.first_name}, who created this room, can schedule live sessions.",
                403,
            ),
        )
    if visit.user.credits < 1:
        return redirect(f"/schedule/new/credits?room={room.id}")
    return None


def _checked_booking(
    visit: Visit, values: Any, *, day_text: str | None = None
) -> Response | tuple[Room, str, int, datetime]:
    """The details, review and book steps' shared checks: the room's guard, then the chosen type,
    length and time; a page to show instead when something is wrong."""
    session_type = str(values.get("type", ""))
    length = as_int(values.get("length"))
    start = parse_start(str(values.get("start", "")) or None)
    room = member_room(visit, str(values.get("room", "")))
    guard = _booking_guard(visit, room)
    if guard is not None:
        return guard
    error = _booking_error(visit, room, session_type, length, start)
    if error:
        return _details_page(
            visit,
            room,
            session_type=session_type,
            length=length,
            day_text=day_text,
            start=start,
            refusal=Refusal(error),
        )
    assert start is not None and length is not None
    return room, session_type, length, start


def _booking_error(
    visit: Visit, room: Room, session_type: str, length: int | None, start: datetime | None
) -> str | None:
    if session_type not in domain.allowed_session_types(room.type):
        if room.type == "psychiatry":
            return "Psychiatry sessions are live video only."
        return "Please choose a session type."
    if length not in domain.allowed_lengths(room.type):
        return "Please choose a session length."
    if start is None:
        return "Please choose a time."
    provider = visit.account(room.provider_id)
    if not is_open_slot(visit.ctx, provider, visit.user, start, length, visit.now()):
        return _SLOT_GONE
    return None


def _choose_room_page(
    visit: Visit,
    *,
    selected: int | None = None,
    refusal: Refusal | None = None,
) -> Response:
    rooms = visit.store.rooms_for_client(visit.user.id)
    choices = [
        {
            "id": room.id,
            "label": f"{visit.account(room.provider_id).full_name} · {room.kind_label}",
            "checked": room.id == selected or (selected is None and len(rooms) == 1),
        }
        for room in rooms
    ]
    return visit.page(
        "client/choose_room.html",
        title="Book a live session",
        nav=_NAV,
        choices=choices,
        refusal=refusal,
    )


def _share_page(
    visit: Visit,
    room: Room,
    *,
    shared_with: str | None = None,
    refusal: Refusal | None = None,
) -> Response:
    return visit.page(
        "client/share_availability.html",
        title="Share your availability",
        nav=_NAV,
        room=room,
        shared_with=shared_with,
        refusal=refusal,
    )


def _details_page(
    visit: Visit,
    room: Room,
    *,
    session_type: str,
    length: int | None,
    day_text: str | None,
    start: datetime | None,
    refusal: Refusal | None = None,
) -> Response:
    provider = visit.account(room.provider_id)
    types = domain.allowed_session_types(room.type)
    lengths = domain.allowed_lengths(room.type)
    chosen_length = length if length in lengths else lengths[0]
    chosen_type = session_type if session_type in types else types[0]
    return visit.page(
        "client/details.html",
        title="Book a live session",
        nav=_NAV,
        refusal=refusal,
        room=room,
        provider=provider,
        types=[(value, domain.SESSION_TYPE_LABELS[value]) for value in types],
        chosen_type=chosen_type,
        lengths=lengths,
        chosen_length=chosen_length,
        picker=picker(
            visit.ctx,
            provider,
            visit.user,
            length=chosen_length,
            now=visit.now(),
            day_text=day_text,
            start=start,
        ),
    )


def _review_page(
    visit: Visit,
    room: Room,
    session_type: str,
    length: int,
    start: datetime,
    *,
    refusal: Refusal | None = None,
) -> Response:
    return visit.page(
        "client/review.html",
        title="Review and book",
        nav=_NAV,
        refusal=refusal,
        room=room,
        provider=visit.account(room.provider_id),
        session_type=session_type,
        type_label=domain.SESSION_TYPE_LABELS[session_type],
        length=length,
        start_value=domain.utc_iso(start),
        when=domain.format_when(start, visit.user.timezone),
    )
