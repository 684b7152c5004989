"""Sign-in pages of both portals: `/`, `/login`, `/logout`, `/forgot-password`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from ..common import (
    AppContext,
    PortalInfo,
    clear_session_cookie,
    ctx_of,
    current_user,
    page_flags,
    portal_of,
    redirect,
    render,
    safe_next,
    set_session_cookie,
)

router = APIRouter()


def _login_page(
    request: Request,
    *,
    next_path: str = "",
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ctx = ctx_of(request)
    portal = portal_of(request)
    flags = page_flags(ctx.config, portal.name)
    other_login = f"{ctx.config.url(portal.other)}/login"
    links_base = ctx.config.client_url if flags["loginLinksToClient"] else ""
    return render(
        request,
        "login.html",
        title=portal.login_title,
        status_code=status_code,
        next_path=next_path,
        email=email,
        error=error,
        signed_out=request.query_params.get("signed_out") == "1",
        other_login=other_login,
        forgot_href=f"{links_base}/forgot-password",
        brand_href=f"{links_base}/login" if links_base else "/",
    )


async def _posted(request: Request) -> tuple[AppContext, PortalInfo, FormData, str]:
    """What the sign-in and reset forms start from: the portal, the form and its email."""
    form = await request.form()
    return ctx_of(request), portal_of(request), form, str(form.get("email", "")).strip()


def _forgot_page(request: Request, *, sent: bool) -> HTMLResponse:
    return render(request, "forgot_password.html", title="Reset your password", sent=sent)


@router.get("/")
async def home(request: Request) -> Response:
    return redirect("/dashboard" if current_user(request) else "/login")


@router.get("/login")
async def login_form(request: Request) -> Response:
    if current_user(request):
        return redirect("/dashboard")
    return _login_page(request, next_path=request.query_params.get("next", ""))


@router.post("/login")
async def login(request: Request) -> Response:
    ctx, portal, form, email = await _posted(request)
    password = str(form.get("password", ""))
    next_path = str(form.get("next", ""))
    user = ctx.store.authenticate(email, password) if email and password else None
    if user is None:
        return _login_page(
            request, next_path=next_path, email=email, error="credentials", status_code=401
        )
    if user.role != portal.role:
        return _login_page(
            request, next_path=next_path, email=email, error="wrong-portal", status_code=403
        )
    token = ctx.store.create_auth_session(user.id, portal.name)
    response = redirect(safe_next(next_path))
    set_session_cookie(response, request, token)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    token = request.cookies.get(portal_of(request).cookie)
    if token:
        ctx_of(request).store.delete_auth_session(token)
    response = redirect("/login?signed_out=1")
    clear_session_cookie(response, request)
    return response


@router.get("/forgot-password")
async def forgot_form(request: Request) -> Response:
    return _forgot_page(request, sent=False)


@router.post("/forgot-password")
async def forgot(request: Request) -> Response:
    ctx, portal, _form, email = await _posted(request)
    user = ctx.store.user_by_email(email) if email else None
    if user is not None and user.role == portal.role:
        ctx.store.send_email(
            to=user.email,
            subject=f"Reset your {portal.product} password",
            body=(
                f"Hi {user.first_name},\n\nSomeone asked to reset the password of your "
                f"{portal.product} account. This reference app does not change passwords; "
                "this email only shows that a reset link would be sent.\n"
            ),
        )
    return _forgot_page(request, sent=True)
