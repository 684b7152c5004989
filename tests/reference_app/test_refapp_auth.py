"""Sign-in, sign-out, next, wrong credentials, cross-portal messages, cookies."""

from __future__ import annotations

import re

import pytest
from refapp_support import CLIENT_URL, PROVIDER_URL, RefApp, text_of


def _cookie_header(response_headers: list[tuple[str, str]], name: str) -> str:
    return next(value for key, value in response_headers if key == "set-cookie" and name in value)


def test_client_login_page_wording(app: RefApp) -> None:
    page = app.client.get("/login")
    assert page.status_code == 200
    assert "<title>Sign in · Haven</title>" in page.text
    text = text_of(page.text)
    assert "Sign in to Haven" in text
    assert "Are you a provider? Go to the provider login" in text
    assert f'href="{PROVIDER_URL}/login">Go to the provider login</a>' in page.text
    assert 'href="/forgot-password">Forgot password?</a>' in page.text
    assert '<label for="email">Email</label>' in page.text
    assert 'type="email"' in page.text
    assert 'type="password"' in page.text
    assert re.search(r'<button type="submit"[^>]*>Sign in</button>', page.text)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page.text


def test_provider_login_page_wording(app: RefApp) -> None:
    page = app.provider.get("/login")
    assert "<title>Sign in · Haven for Providers</title>" in page.text
    text = text_of(page.text)
    assert "Provider sign in" in text
    assert "Looking for the client login? Go to the client login" in text
    assert f'href="{CLIENT_URL}/login">Go to the client login</a>' in page.text
    assert 'href="/forgot-password">Forgot password?</a>' in page.text
    assert 'class="brand" href="/"' in page.text


def test_clean_login_form_needs_no_script(app: RefApp) -> None:
    page = app.client.get("/login").text
    assert '<form method="post" action="/login"' in page
    assert 'name="device"' not in page


def test_wrong_password_is_401_with_alert_and_email_kept(app: RefApp) -> None:
    scenario = app.provision()
    email = scenario["client"]["email"]
    response = app.client.post("/login", data={"email": email, "password": "nope"})
    assert response.status_code == 401
    assert '<div class="alert" role="alert"><p>The email or password you entered is incorrect.' in (
        response.text
    )
    assert f'value="{email}"' in response.text
    assert "set-cookie" not in response.headers


def test_unknown_email_gets_the_same_message(app: RefApp) -> None:
    response = app.client.post("/login", data={"email": "x@example.test", "password": "y"})
    assert response.status_code == 401
    assert "The email or password you entered is incorrect." in text_of(response.text)


def test_provider_credentials_on_client_login(app: RefApp) -> None:
    provider = app.provision()["provider"]
    response = app.client.post(
        "/login", data={"email": provider["email"], "password": provider["password"]}
    )
    assert response.status_code == 403
    assert "This is the client login. Providers sign in at the provider login." in text_of(
        response.text
    )
    assert f'<a href="{PROVIDER_URL}/login">provider login</a>' in response.text
    assert "set-cookie" not in response.headers


def test_client_credentials_on_provider_login(app: RefApp) -> None:
    client = app.provision()["client"]
    response = app.provider.post(
        "/login", data={"email": client["email"], "password": client["password"]}
    )
    assert response.status_code == 403
    assert "This is the provider login. Clients sign in at the client login." in text_of(
        response.text
    )
    assert f'<a href="{CLIENT_URL}/login">client login</a>' in response.text


@pytest.mark.parametrize(
    ("next_value", "expected"),
    [
        ("/schedule?tab=1", "/schedule?tab=1"),
        ("", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/x", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("schedule", "/dashboard"),
    ],
)
def test_success_redirects_to_local_next_only(app: RefApp, next_value: str, expected: str) -> None:
    account = app.provision()["client"]
    response = app.browser().post(
        "/login",
        data={"email": account["email"], "password": account["password"], "next": next_value},
    )
    assert response.status_code == 303
    assert response.headers["location"] == expected


def test_session_cookie_attributes(app: RefApp) -> None:
    account = app.provision()["client"]
    response = app.browser().post(
        "/login", data={"email": account["email"], "password": account["password"]}
    )
    cookie = _cookie_header(response.headers.multi_items(), "haven_client_session")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in cookie.lower()
    assert "path=/" in cookie.lower()
    assert "secure" not in attributes


def test_provider_cookie_has_its_own_name(app: RefApp) -> None:
    account = app.provision()["provider"]
    response = app.browser("provider").post(
        "/login", data={"email": account["email"], "password": account["password"]}
    )
    assert "haven_provider_session=" in response.headers["set-cookie"]


def test_signed_in_redirects(app: RefApp) -> None:
    anonymous = app.browser()
    assert anonymous.get("/").headers["location"] == "/login"
    signed_in = app.sign_in(app.provision()["client"])
    assert signed_in.get("/").headers["location"] == "/dashboard"
    assert signed_in.get("/login").headers["location"] == "/dashboard"


def test_protected_pages_redirect_with_next(app: RefApp) -> None:
    anonymous = app.browser()
    response = anonymous.get("/schedule/new/details?room=3&type=video")
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/login?next=%2Fschedule%2Fnew%2Fdetails%3Froom%3D3%26type%3Dvideo"
    )
    login_page = anonymous.get(response.headers["location"])
    assert 'name="next" value="/schedule/new/details?room=3&amp;type=video"' in login_page.text
    api = anonymous.get("/api/dashboard")
    assert api.status_code == 401
    assert api.json() == {"detail": "Sign in required"}


def test_client_session_does_not_open_the_provider_portal(app: RefApp) -> None:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    token = client.cookies["haven_client_session"]
    provider = app.browser("provider")
    provider.cookies.set("haven_provider_session", token)
    assert provider.get("/dashboard").status_code == 303


def test_sign_out_deletes_the_session_server_side(app: RefApp) -> None:
    browser = app.sign_in(app.provision()["client"])
    token = browser.cookies["haven_client_session"]
    response = browser.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?signed_out=1"
    expired = response.headers["set-cookie"]
    assert "haven_client_session=" in expired
    assert "Max-Age=0" in expired or "expires=" in expired
    page = browser.get("/login?signed_out=1")
    assert '<p class="notice" role="status">You have signed out.</p>' in page.text
    replay = app.browser()
    replay.cookies.set("haven_client_session", token)
    assert replay.get("/dashboard").status_code == 303


def test_forgot_password_flow(app: RefApp) -> None:
    account = app.provision()["client"]
    page = app.client.get("/forgot-password")
    assert "Reset your password" in text_of(page.text)
    assert re.search(r"<button[^>]*>Send reset link</button>", page.text)
    for email in (account["email"], "nobody@example.test"):
        done = app.client.post("/forgot-password", data={"email": email})
        assert "If an account exists for that email, we've sent a reset link." in text_of(done.text)
    assert [mail["subject"] for mail in app.outbox(account["email"])] == [
        "Reset your Haven password"
    ]


def test_sign_out_button_and_nav_when_signed_in(app: RefApp) -> None:
    client = app.sign_in(app.provision()["client"])
    page = client.get("/dashboard").text
    assert '<form method="post" action="/logout"' in page
    assert re.search(r"<button[^>]*>Sign out</button>", page)
    for label, href in (("Dashboard", "/dashboard"), ("Schedule", "/schedule"), ("Room", "/room")):
        assert re.search(rf'<a href="{href}"[^>]*>{label}</a>', page)
    scenario = app.provision()
    provider = app.sign_in(scenario["provider"], "provider")
    provider_page = provider.get("/dashboard").text
    for label in ("Dashboard", "Schedule", "Caseload"):
        assert f">{label}</a>" in provider_page
    assert 'class="brand" href="/">Haven for Providers</a>' in provider_page
