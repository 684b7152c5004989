"""What both portals serve besides pages: health, the service worker, versioned assets, the
offline page."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..common import IMMUTABLE_CACHE, ctx_of, json_response, portal_of, render, render_script

router = APIRouter()

_ASSET = re.compile(r"^(app|style)(?:\.(\d+))?\.(js|css)$")

# The defect sw-shell-cache-first: the login page and the dashboard (the "app shell") are served
# from the service worker's cache once seen, for speed and offline use; nothing ever refreshes them.
_SW_SHELL_CACHE_FIRST = """
const SHELL = 'haven-shell-v1';
self.addEventListener('fetch', function (event) {
  const request = event.request;
  const path = new URL(request.url).pathname;
  if (request.mode !== 'navigate' || request.method !== 'GET') return;
  if (path !== '/login' && path !== '/dashboard') return;
  event.stopImmediatePropagation();
  event.respondWith(caches.open(SHELL).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok && !response.redirected) cache.put(request, response.clone());
        return response;
      });
    });
  }));
});
"""


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    ctx = ctx_of(request)
    return json_response(
        {
            "status": "ok",
            "portal": portal_of(request).name,
            "version": ctx.store.version(),
            "mode": ctx.config.mode,
        }
    )


@router.get("/offline")
async def offline(request: Request) -> Response:
    request.state.user = None  # cached by the service worker: nobody's data in it
    return render(request, "offline.html", title="You're offline")


@router.get("/sw.js")
async def service_worker(request: Request) -> Response:
    ctx = ctx_of(request)
    source = ctx.sw_source
    if ctx.config.defect("sw-shell-cache-first"):
        source = _SW_SHELL_CACHE_FIRST + source  # first: it answers before the usual handler
    return Response(
        source,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/static/{filename}")
async def static_asset(request: Request, filename: str) -> Response:
    ctx = ctx_of(request)
    match = _ASSET.match(filename)
    current = ctx.store.version()
    if match is None:
        raise StarletteHTTPException(404)
    name, version_text, ext = match.groups()
    if (name, ext) not in (("app", "js"), ("style", "css")):
        raise StarletteHTTPException(404)
    if version_text is None:
        # Only the defective build references the shared script without a version.
        if name != "app" or not ctx.config.defect("script-immutable-unversioned"):
            raise StarletteHTTPException(404)
        version = current
    else:
        version = int(version_text)
        if not 1 <= version <= current:
            raise StarletteHTTPException(404)
    if name == "app":
        body = render_script(ctx, portal_of(request).name, version)
        media_type = "text/javascript"
    else:
        body = ctx.style_source
        media_type = "text/css"
    return Response(body, media_type=media_type, headers={"Cache-Control": IMMUTABLE_CACHE})
