"""The provider portal, one module per page group:

- `dashboard`: the dashboard page and its data;
- `session_requests`: confirm or decline a client's session request;
- `schedule`: upcoming sessions and canceling one;
- `caseload`: paying clients, the rooms with them and their messages.

`lookups` holds what several groups use.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import caseload, dashboard, schedule, session_requests


def build_provider_router() -> APIRouter:
    """Pages and APIs of the provider portal."""
    router = APIRouter()
    for group in (dashboard, session_requests, schedule, caseload):
        router.include_router(group.router)
    return router
