"""What both portals' routes use: context, defect flags, the signed-in visit, rendering, errors."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import domain
from ..clock import now_for
from ..config import AppConfig
from ..defects import PortalName
from ..store import Room, Store, User

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

HTML_CACHE = "no-cache"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class PortalInfo:
    """Names and wording that differ between the two portals."""

    name: PortalName
    role: str
    product: str
    cookie: str
    login_h1: str
    nav: tuple[tuple[str, str], ...]
    other: PortalName

    @property
    def login_title(self) -> str:
        """`Sign in · <product>`."""
        return f"Sign in · {self.product}"


PORTALS: dict[PortalName, PortalInfo] = {
    "client": PortalInfo(
        name="client",
        role="client",
        product="Haven",
        cookie="haven_client_session",
        login_h1="Sign in to Haven",
        nav=(("Dashboard", "/dashboard"), ("Schedule", "/schedule"), ("Room", "/room")),
        other="provider",
    ),
    "provider": PortalInfo(
        name="provider",
        role="provider",
        product="Haven for Providers",
        cookie="haven_provider_session",
        login_h1="Provider sign in",
        nav=(("Dashboard", "/dashboard"), ("Schedule", "/schedule"), ("Caseload", "/caseload")),
        other="client",
    ),
}


@dataclass(frozen=True)
class AppContext:
    """Everything a request handler needs, shared by both portal apps of one process."""

    config: AppConfig
    store: Store
    env: jinja2.Environment
    script_source: str
    style_source: str
    sw_source: str


@functools.cache
def template_env() -> jinja2.Environment:
    """The Jinja environment (autoescaping HTML); shared, templates do not depend on config."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def make_context(config: AppConfig, store: Store) -> AppContext:
    """Load templates and static sources once."""
    return AppContext(
        config=config,
        store=store,
        env=template_env(),
        script_source=(STATIC_DIR / "app.js").read_text(encoding="utf-8"),
        style_source=(STATIC_DIR / "style.css").read_text(encoding="utf-8"),
        sw_source=(STATIC_DIR / "sw.js").read_text(encoding="utf-8"),
    )


def ctx_of(request: Request) -> AppContext:
    """The app context of the portal serving this request."""
    ctx: AppContext = request.app.state.ctx
    return ctx


def portal_of(request: Request) -> PortalInfo:
    """The portal serving this request."""
    portal: PortalInfo = request.app.state.portal
    return portal


# --- defects that change pages and the shared script ---------------------------------------------


def page_flags(config: AppConfig, portal: PortalName) -> dict[str, bool]:
    """Defect switches read by templates and the shared script (the one place each is checked)."""
    return {
        "loginUaData": config.defect("login-ua-data"),
        "touchSubmit": config.defect("touch-submit"),
        "loginFixedWidth": config.defect("login-narrow-overflow"),
        "loginLinksToClient": portal == "provider" and config.defect("provider-links-client-login"),
        "dateParseMdy": portal == "client" and config.defect("date-parse-mdy"),
        "bookButtonLast": portal == "client" and config.defect("book-button-under-footer"),
        "dashboardCacheKept": config.defect("dashboard-cache-kept-on-signout"),
        "loginNewerFeatures": config.defect("login-groupby-nesting"),
        "dashboardIdleDraw": portal == "client" and config.defect("dashboard-idle-draw"),
        "dashboardIdleWait": portal == "provider" and config.defect("provider-dashboard-idle-wait"),
        "roomTimeParse": portal == "client" and config.defect("room-time-parse"),
        "messageFieldSizing": config.defect("message-box-field-sizing"),
        "helpWidget": portal == "provider" and config.defect("help-widget-error"),
        "resumeUndefined": config.defect("signout-resume-undefined"),
    }


SCRIPT_FLAGS = (
    "loginUaData",
    "touchSubmit",
    "dateParseMdy",
    "dashboardCacheKept",
    "dashboardIdleDraw",
    "dashboardIdleWait",
    "roomTimeParse",
    "helpWidget",
    "resumeUndefined",
)


def script_url(ctx: AppContext) -> str:
    """Where pages load the shared script from."""
    if ctx.config.defect("script-immutable-unversioned"):
        return "/static/app.js"
    return f"/static/app.{ctx.store.version()}.js"


def style_url(ctx: AppContext) -> str:
    """Where pages load the stylesheet from."""
    return f"/static/style.{ctx.store.version()}.css"


def render_script(ctx: AppContext, portal: PortalName, version: int) -> str:
    """The shared script as built for a release: version constant and flags substituted."""
    flags = page_flags(ctx.config, portal)
    script_flags = {name: flags[name] for name in SCRIPT_FLAGS}
    source = ctx.script_source
    if ctx.config.defect("script-array-fromasync"):
        source = _FROM_ASYNC + source
    return source.replace("__HAVEN_VERSION__", str(version)).replace(
        "__HAVEN_FLAGS__", json.dumps(script_flags, sort_keys=True)
    )


# The defect script-array-fromasync: a first statement that Chrome before 121 cannot run, so the
# whole shared script stops there (only served with the defect on: the check reads what is served).
_FROM_ASYNC = """/* release check */
Array.fromAsync([Promise.resolve('__HAVEN_VERSION__')]).then(function (versions) {
  document.documentElement.dataset.release = versions[0];
});
"""


# --- users and sessions ---------------------------------------------------------------------------


_UNSET = object()


class LoginRequired(Exception):
    """Raised by `require_user`; answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def current_user(request: Request) -> User | None:
    """The signed-in account of this portal, if any."""
    cached = getattr(request.state, "user", _UNSET)
    if cached is not _UNSET:
        assert cached is None or isinstance(cached, User)
        return cached
    portal = portal_of(request)
    token = request.cookies.get(portal.cookie)
    user = ctx_of(request).store.user_for_token(token, portal.name) if token else None
    if user is not None and user.role != portal.role:
        user = None
    request.state.user = user
    return user


def require_user(request: Request) -> User:
    """The signed-in account, or `LoginRequired` carrying the current path and query."""
    user = current_user(request)
    if user is None:
        path = request.url.path
        if request.url.query:
            path += f"?{request.url.query}"
        raise LoginRequired(path)
    return user


@dataclass(frozen=True)
class Refusal:
    """Why a form is shown again: the message in its alert and the HTTP status."""

    message: str
    status_code: int = 422


@dataclass(frozen=True)
class Visit:
    """A signed-in request as every portal route opens it: the app context and the account."""

    request: Request
    ctx: AppContext
    user: User

    @property
    def store(self) -> Store:
        """The shared store."""
        return self.ctx.store

    def now(self) -> datetime:
        """ "Now" for this account (its scenario's clock), read afresh."""
        return viewer_now(self.request, self.user)

    def account(self, user_id: int) -> User:
        """Another account the page names (a provider, a client, a room's creator)."""
        return self.ctx.store.must_user(user_id)

    def page(
        self,
        template: str,
        *,
        title: str,
        nav: str,
        status_code: int = 200,
        refusal: Refusal | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """The page in the shared layout with this portal's `nav` entry current; with a
        `refusal`, its message as the page's `error` and its status."""
        if refusal is not None:
            context["error"] = refusal.message
            status_code = refusal.status_code
        return render(
            self.request, template, title=title, nav=nav, status_code=status_code, **context
        )


def signed_in(request: Request) -> Visit:
    """The opening of every signed-in route (`LoginRequired` when nobody is signed in)."""
    return Visit(request, ctx_of(request), require_user(request))


def viewer_now(request: Request, user: User) -> datetime:
    """ "Now" for the signed-in user: their scenario's clock."""
    return now_for(ctx_of(request).store, user.scenario_id)


def safe_next(value: str | None) -> str:
    """`value` when it is a local path (`/...`, not `//` or `/\\`), else `/dashboard`."""
    if (
        value
        and value.startswith("/")
        and not value.startswith(("//", "/\\"))
        and not re.search(r"[\x00-\x1f\\]", value)
    ):
        return value
    return "/dashboard"


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """Set the portal's session cookie (HttpOnly, SameSite=Lax, Path=/, not Secure)."""
    config = ctx_of(request).config
    samesite: Any = "lax"
    secure = False
    if config.defect("session-cookie-samesite-none"):
        samesite = "none"
    if config.defect("session-cookie-secure"):
        secure = True
    response.set_cookie(
        portal_of(request).cookie, token, httponly=True, samesite=samesite, secure=secure, path="/"
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    """Expire the portal's session cookie."""
    response.delete_cookie(portal_of(request).cookie, path="/", httponly=True, samesite="lax")


# --- rendering ------------------------------------------------------------------------------------


def redirect(url: str) -> RedirectResponse:
    """A 303 See Other redirect."""
    return RedirectResponse(url, status_code=303)


async def post_room_message(
    request: Request, room_for: Callable[[Visit, object], Room]
) -> Response:
    """Post the form's message in the room `room_for` allows (trimmed, at most 4000 characters;
    an empty one is dropped) and show the room again, as both portals' message boxes do."""
    visit = signed_in(request)
    form = await request.form()
    room = room_for(visit, form.get("room"))
    text = str(form.get("body") or "").strip()
    if text:
        visit.store.add_message(room.id, visit.user.id, text[:4000])
    return redirect(f"/room?id={room.id}&sent=1")


CHOOSE_REASON = Refusal("Please choose a reason.")


def chosen_cancel_reason(form: FormData) -> str | None:
    """The cancel form's reason when it is one of the offered ones."""
    reason = str(form.get("reason", ""))
    return reason if reason in domain.CANCEL_REASONS else None


def is_android_blocked(request: Request) -> bool:
    """The `android-ua-block` defect: the client portal turns Android browsers away."""
    return (
        portal_of(request).name == "client"
        and ctx_of(request).config.defect("android-ua-block")
        and "Android" in request.headers.get("user-agent", "")
    )


def render(
    request: Request,
    template: str,
    *,
    title: str,
    status_code: int = 200,
    nav: str | None = None,
    body_class: str = "",
    **context: Any,
) -> HTMLResponse:
    """Render a page in the shared layout (`Cache-Control: no-cache`).

    `title` is the page's own title; the product name is appended unless it is already there.
    """
    ctx = ctx_of(request)
    portal = portal_of(request)
    if is_android_blocked(request):
        template, title, status_code, context = (
            "unsupported.html",
            "Browser not supported",
            200,
            {},
        )
    user = current_user(request)
    flags = page_flags(ctx.config, portal.name)
    classes = ["signed-in" if user else "signed-out"]
    context.setdefault("brand_href", "/")
    context.setdefault("error", None)
    if body_class:
        classes.append(body_class)
    html = ctx.env.get_template(template).render(
        request=request,
        portal=portal,
        user=user,
        version=ctx.store.version(),
        script_url=script_url(ctx),
        style_url=style_url(ctx),
        flags=flags,
        title=title if title.endswith(f" · {portal.product}") else f"{title} · {portal.product}",
        nav=nav,
        body_class=" ".join(classes),
        client_url=ctx.config.client_url,
        provider_url=ctx.config.provider_url,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": HTML_CACHE})


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    """JSON that no cache keeps (`Cache-Control: no-store`)."""
    return JSONResponse(data, status_code=status_code, headers={"Cache-Control": "no-store"})


# --- errors ---------------------------------------------------------------------------------------

_ERROR_TITLES = {
    403: "You can't open this page",
    404: "Page not found",
    405: "Page not found",
    409: "This can't be done right now",
}


def install_error_handlers(app: FastAPI) -> None:
    """HTML error pages for people, JSON for `/api/` and `/__test__/`; login redirects."""

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        if request.url.path.startswith("/api/"):
            return json_response({"detail": "Sign in required"}, status_code=401)
        return redirect("/login?" + urlencode({"next": exc.next_path}, quote_via=quote))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith(("/api/", "/__test__/")):
            return json_response({"detail": exc.detail}, status_code=exc.status_code)
        title = _ERROR_TITLES.get(exc.status_code, "Something went wrong")
        if exc.status_code in (404, 405):
            message = "We couldn't find that page."
        else:
            message = exc.detail if isinstance(exc.detail, str) else ""
        return render(
            request,
            "error.html",
            title=title,
            status_code=exc.status_code,
            heading=title,
            message=message,
        )

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(StarletteHTTPException, http_error)
