"""JSON test hooks under `/__test__/` (mounted in test mode only; 404 in production mode)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from . import domain, scenarios
from .clock import now_for, set_clock
from .portals.common import ctx_of, json_response
from .store import NewSession


class ProvisionRequest(BaseModel):
    """Body of `POST /__test__/provision`."""

    room_type: Literal["individual", "couples", "psychiatry"] = "individual"
    credits: int = Field(default=1, ge=0, le=100)
    plan: Literal["standard", "no_purchase"] = "standard"
    client_timezone: str = "America/New_York"
    provider_timezone: str = "America/Chicago"
    label: str = ""


class ClockRequest(BaseModel):
    """Body of `POST /__test__/clock`: `now` (null = real time) or `advance_minutes`."""

    scenario: str
    now: str | None = None
    advance_minutes: float | None = None


class SessionRequest(BaseModel):
    """Body of `POST /__test__/sessions`."""

    scenario: str
    start: str
    type: Literal["video", "audio", "chat"] = "video"
    length: int = 30
    status: Literal["pending", "confirmed", "declined", "canceled", "completed"] = "confirmed"
    room: int | None = None


class ReleaseRequest(BaseModel):
    """Body of `POST /__test__/release`."""

    scenario: str | None = None


CLEARABLE = frozenset({"cache", "cookies", "storage", "executionContexts", "*"})


def _scenario(request: Request, scenario_id: str) -> str:
    if not ctx_of(request).store.scenario_exists(scenario_id):
        raise HTTPException(404, f"no such scenario: {scenario_id}")
    return scenario_id


_scenario_hooks = APIRouter()
"""`POST /provision` (a fresh scenario), `DELETE /scenarios/{id}`."""


@_scenario_hooks.post("/provision")
async def provision(request: Request, body: ProvisionRequest | None = None) -> Response:
    body = body or ProvisionRequest()
    store = ctx_of(request).store
    try:
        scenario = scenarios.provision(
            store,
            room_type=body.room_type,
            credits=body.credits,
            plan=body.plan,
            client_timezone=body.client_timezone,
            provider_timezone=body.provider_timezone,
            label=body.label,
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return json_response(scenario.as_json(store), status_code=201)


@_scenario_hooks.delete("/scenarios/{scenario_id}")
async def delete_scenario(request: Request, scenario_id: str) -> Response:
    """Delete what a scenario created, so a test leaves no bookings or accounts behind."""
    store = ctx_of(request).store
    _scenario(request, scenario_id)
    deleted = store.delete_scenario(scenario_id)
    return json_response({"scenario": scenario_id, "deleted": deleted})


_clock_hooks = APIRouter()
"""`POST /clock`: freeze, move or release a scenario's clock."""


@_clock_hooks.post("/clock")
async def clock(request: Request, body: ClockRequest) -> Response:
    store = ctx_of(request).store
    scenario_id = _scenario(request, body.scenario)
    fields = body.model_fields_set
    try:
        if "now" in fields and body.now is None:
            now = set_clock(store, scenario_id, real_time=True)
        elif body.now is not None:
            now = set_clock(
                store,
                scenario_id,
                now=domain.parse_instant(body.now),
                advance_minutes=body.advance_minutes,
            )
        elif body.advance_minutes is not None:
            now = set_clock(store, scenario_id, advance_minutes=body.advance_minutes)
        else:
            raise HTTPException(422, "give `now` (ISO-8601 or null) or `advance_minutes`")
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return json_response(
        {
            "scenario": scenario_id,
            "now": domain.utc_iso(now),
            "frozen": store.scenario_clock(scenario_id) is not None,
        }
    )


_session_hooks = APIRouter()
"""`POST /sessions`: a session straight into any state."""


@_session_hooks.post("/sessions")
async def create_session(request: Request, body: SessionRequest) -> Response:
    store = ctx_of(request).store
    scenario_id = _scenario(request, body.scenario)
    rooms = store.scenario_rooms(scenario_id)
    room = next((r for r in rooms if body.room is None or r.id == body.room), None)
    if room is None:
        raise HTTPException(404, "no such room in that scenario")
    if body.type not in domain.allowed_session_types(room.type):
        raise HTTPException(422, f"a {room.type} room does not offer {body.type} sessions")
    if body.length not in domain.allowed_lengths(room.type):
        raise HTTPException(422, f"a {room.type} room does not offer {body.length} minutes")
    try:
        start = domain.parse_instant(body.start)
    except ValueError as exc:
        raise HTTPException(422, f"start: {exc}") from exc
    new = NewSession(room, room.creator_id, body.type, body.length, start)
    session = store.insert_session(new, body.status)
    return json_response(
        {
            "id": session.id,
            "scenario": scenario_id,
            "room_id": session.room_id,
            "client_id": session.client_id,
            "provider_id": session.provider_id,
            "type": session.type,
            "length": session.length,
            "start": domain.utc_iso(session.start),
            "end": domain.utc_iso(session.end),
            "status": session.status,
            "now": domain.utc_iso(now_for(store, scenario_id)),
        },
        status_code=201,
    )


_outbox_hooks = APIRouter()
"""`GET /outbox`: the emails the app sent."""


@_outbox_hooks.get("/outbox")
async def outbox(request: Request) -> Response:
    store = ctx_of(request).store
    to = request.query_params.get("to")
    emails: list[dict[str, Any]] = [
        {
            "id": email.id,
            "to": email.to,
            "subject": email.subject,
            "body": email.body,
            "sent_at": domain.utc_iso(email.created_at),
            "attachments": [
                {
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "content": a.content,
                }
                for a in email.attachments
            ],
        }
        for email in store.outbox(to)
    ]
    return json_response({"to": to, "emails": emails})


_release_hooks = APIRouter()
"""`POST /release`: a new release (and optionally a canceled subscription)."""


@_release_hooks.post("/release")
async def release(request: Request, body: ReleaseRequest | None = None) -> Response:
    store = ctx_of(request).store
    body = body or ReleaseRequest()
    canceled: dict[str, Any] | None = None
    if body.scenario is not None:
        scenario_id = _scenario(request, body.scenario)
        rooms = store.scenario_rooms(scenario_id)
        if rooms:
            creator = store.user(rooms[0].creator_id)
            assert creator is not None
            store.set_subscription_status(creator.id, "canceled")
            canceled = {"id": creator.id, "email": creator.email}
    version = store.bump_version()
    return json_response(
        {"version": version, "scenario": body.scenario, "canceled_client": canceled}
    )


_browser_hooks = APIRouter()
"""`GET /clear-site-data`: clear a browser's data for this origin."""


@_browser_hooks.get("/clear-site-data")
async def clear_site_data(types: str = "cache") -> Response:
    """Answer with `Clear-Site-Data` for this origin: how a test clears exactly the cache, the
    cookies or the storage in a browser that has no API for it (WebKitGTK via WebDriver)."""
    wanted = [t.strip() for t in types.split(",") if t.strip()]
    unknown = sorted(set(wanted) - CLEARABLE)
    if unknown or not wanted:
        raise HTTPException(422, f"types must be a comma list of {', '.join(sorted(CLEARABLE))}")
    header = ", ".join(f'"{t}"' for t in wanted)
    return Response(
        content=f"<!doctype html><title>Cleared</title><p>Cleared: {', '.join(wanted)}</p>",
        media_type="text/html",
        headers={"Clear-Site-Data": header, "Cache-Control": "no-store"},
    )


def build_test_router() -> APIRouter:
    """The `/__test__/` hooks, by group: scenarios, clock, sessions, outbox, release, browser."""
    router = APIRouter(prefix="/__test__")
    for group in (
        _scenario_hooks,
        _clock_hooks,
        _session_hooks,
        _outbox_hooks,
        _release_hooks,
        _browser_hooks,
    ):
        router.include_router(group)
    return router
