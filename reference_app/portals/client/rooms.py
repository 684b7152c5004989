"""The client's rooms: the room page with its messages, and sending a message."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...store import Room
from ..common import post_room_message, signed_in
from .lookups import as_int, member_room

router = APIRouter()


@router.get("/room")
async def room_page(request: Request) -> Response:
    visit = signed_in(request)
    rooms = visit.store.rooms_for_client(visit.user.id)
    room_id = as_int(request.query_params.get("id"))
    if room_id is not None:
        room: Room | None = member_room(visit, room_id)
    else:
        room = rooms[0] if rooms else None
    if room is None:
        return visit.page("client/room.html", title="Room", nav="Room", room=None)
    provider = visit.account(room.provider_id)
    return visit.page(
        "client/room.html",
        title=f"Room with {provider.full_name}",
        nav="Room",
        room=room,
        provider=provider,
        messages=visit.store.messages(room.id),
        other_rooms=[
            (other, visit.account(other.provider_id)) for other in rooms if other.id != room.id
        ],
        sent=request.query_params.get("sent") == "1",
    )


@router.post("/room/messages")
async def send_message(request: Request) -> Response:
    return await post_room_message(request, member_room)
