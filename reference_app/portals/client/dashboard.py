"""The client's dashboard page (its data comes from `/api/dashboard`, see `api`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..common import signed_in

router = APIRouter()


@router.get("/dashboard")
async def dashboard(request: Request) -> Response:
    visit = signed_in(request)
    return visit.page(
        "client/dashboard.html", title=f"Welcome, {visit.user.first_name}", nav="Dashboard"
    )
