"""Builds the two ASGI apps (client portal, provider portal) over one shared store."""

from __future__ import annotations

from fastapi import FastAPI

from .config import AppConfig
from .defects import PortalName
from .portals.client import build_client_router
from .portals.common import PORTALS, AppContext, install_error_handlers, make_context
from .portals.provider import build_provider_router
from .portals.shared import build_common_router
from .store import Store
from .testhooks import build_test_router


def create_portal_app(ctx: AppContext, portal: PortalName) -> FastAPI:
    """One portal's ASGI app."""
    app = FastAPI(
        title=PORTALS[portal].product,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.ctx = ctx
    app.state.portal = PORTALS[portal]
    app.include_router(build_common_router())
    app.include_router(build_client_router() if portal == "client" else build_provider_router())
    if ctx.config.test_mode:
        app.include_router(build_test_router())
    install_error_handlers(app)
    return app


def create_apps(config: AppConfig, store: Store) -> tuple[FastAPI, FastAPI]:
    """The client portal app and the provider portal app."""
    ctx = make_context(config, store)
    return create_portal_app(ctx, "client"), create_portal_app(ctx, "provider")
