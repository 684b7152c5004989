"""Routes both portals serve, by page group: sign-in (`signin`), health, assets and offline
(`assets`)."""

from __future__ import annotations

from fastapi import APIRouter

from . import assets, signin


def build_common_router() -> APIRouter:
    """Every route both portals serve."""
    router = APIRouter()
    for group in (signin, assets):
        router.include_router(group.router)
    return router
