"""The provider's caseload (paying clients) and the rooms with them, with their messages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..common import Visit, post_room_message, signed_in
from .lookups import own_room

router = APIRouter()

_NAV = "Caseload"


def _room_of(visit: Visit, client_id: int) -> int | None:
    """The provider's first room with the client."""
    return next(
        (
            room.id
            for room in visit.store.rooms_for_provider(visit.user.id)
            if client_id in room.member_ids
        ),
        None,
    )


@router.get("/caseload")
async def caseload(request: Request) -> Response:
    visit = signed_in(request)
    return visit.page(
        "provider/caseload.html",
        title="Caseload",
        nav=_NAV,
        clients=[(c, _room_of(visit, c.id)) for c in visit.store.caseload(visit.user.id)],
    )


@router.get("/room")
async def room_page(request: Request) -> Response:
    visit = signed_in(request)
    room = own_room(visit, request.query_params.get("id"))
    members = [visit.account(member) for member in room.member_ids]
    heading = "Room with " + " and ".join(m.full_name for m in members)
    return visit.page(
        "provider/room.html",
        title=heading,
        heading=heading,
        nav=_NAV,
        room=room,
        messages=visit.store.messages(room.id),
    )


@router.post("/room/messages")
async def send_message(request: Request) -> Response:
    return await post_room_message(request, own_room)
