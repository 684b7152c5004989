"""The client portal, one module per page group:

- `dashboard`: the dashboard page;
- `booking`: choose a room (or share availability), out of credits, details, review, book, booked;
- `sessions`: the schedule list, a session's details, reschedule, cancel, join;
- `rooms`: the room page and its messages;
- `calendar_files`: a session as an `.ics` file;
- `api`: the JSON the shared script reads (announcements, dashboard data, open times).

`lookups`, `slots` and `views` hold what several groups use.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import api, booking, calendar_files, dashboard, rooms, sessions


def build_client_router() -> APIRouter:
    """Pages and APIs of the client portal."""
    router = APIRouter()
    for group in (dashboard, booking, sessions, rooms, calendar_files, api):
        router.include_router(group.router)
    return router
