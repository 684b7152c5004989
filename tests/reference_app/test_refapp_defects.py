"""The defect catalog and each defect's server-visible effect (clean behaviour for contrast)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import get_args

import pytest
from refapp_support import CLIENT_URL, MONDAY_9AM_NEW_YORK, RefApp, text_of

from reference_app.config import AppConfig
from reference_app.defects import (
    BY_NAME,
    CATALOG,
    Category,
    UnknownDefectError,
    describe_catalog,
    known_names,
    parse_defects,
)

MakeApp = Callable[..., RefApp]
ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _flags(app: RefApp, portal: str = "client") -> dict[str, bool]:
    browser = app.client if portal == "client" else app.provider
    script = browser.get("/static/app.1.js").text
    match = re.search(r"const FLAGS = (\{.*?\});", script)
    assert match is not None
    flags: dict[str, bool] = json.loads(match.group(1))
    return flags


def _login_cookie(app: RefApp) -> str:
    account = app.provision()["client"]
    response = app.browser().post(
        "/login", data={"email": account["email"], "password": account["password"]}
    )
    assert response.status_code == 303
    return response.headers["set-cookie"]


# --- catalog -----------------------------------------------------------------------------------


def test_catalog_entries_are_complete() -> None:
    assert len(BY_NAME) == len(CATALOG) >= 23, "names are unique"
    for defect in CATALOG:
        assert defect.portal in ("client", "provider", "both")
        assert defect.category in get_args(Category)
        assert defect.title
        assert defect.symptom
        assert defect.cause
    assert BY_NAME["session-cookie-samesite-none"].category == "compat"
    assert BY_NAME["late-window-tz-hour"].applies_to("client")
    assert not BY_NAME["late-window-tz-hour"].applies_to("provider")


def test_unknown_defects_are_refused_with_the_known_names(tmp_path: object) -> None:
    with pytest.raises(UnknownDefectError) as caught:
        parse_defects("touch-submit, no-such-defect")
    assert "no-such-defect" in str(caught.value)
    for name in known_names():
        assert name in str(caught.value)
    assert parse_defects(" touch-submit ,, login-ua-data") == {"touch-submit", "login-ua-data"}
    with pytest.raises(UnknownDefectError):
        AppConfig(
            db_path="x", client_url="http://a", provider_url="http://b", defects=frozenset({"x"})
        )  # type: ignore[arg-type]
    config = AppConfig(db_path="x", client_url="http://a/", provider_url="http://b")  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        config.defect("typo")
    assert "login-ua-data  [both, compat]" in describe_catalog()


# --- login -------------------------------------------------------------------------------------


def test_login_ua_data(make_app: MakeApp) -> None:
    clean, broken = make_app(), make_app(defects=("login-ua-data",))
    assert 'name="device"' not in clean.client.get("/login").text
    for browser in (broken.client, broken.provider):
        assert '<input type="hidden" name="device" value="">' in browser.get("/login").text
    assert _flags(broken)["loginUaData"]
    assert _flags(broken, "provider")["loginUaData"]
    assert not _flags(clean)["loginUaData"]
    script = broken.client.get("/static/app.1.js").text
    assert (
        "event.preventDefault();\n        const mobile = navigator.userAgentData.mobile;" in script
    )
    assert "form.submit();" in script


def test_login_narrow_overflow(make_app: MakeApp) -> None:
    clean, broken = make_app(), make_app(defects=("login-narrow-overflow",))
    assert "login-card-fixed" not in clean.client.get("/login").text
    for browser in (broken.client, broken.provider):
        assert 'class="card login-card login-card-fixed"' in browser.get("/login").text
    css = broken.client.get("/static/style.1.css").text
    assert re.search(r"\.login-card-fixed \{\s*min-width: 560px;", css)


def test_provider_links_client_login(make_app: MakeApp) -> None:
    clean, broken = make_app(), make_app(defects=("provider-links-client-login",))
    assert 'href="/forgot-password">Forgot password?' in clean.provider.get("/login").text
    page = broken.provider.get("/login").text
    assert f'href="{CLIENT_URL}/forgot-password">Forgot password?</a>' in page
    assert f'class="brand" href="{CLIENT_URL}/login">Haven for Providers</a>' in page
    assert 'href="/forgot-password">Forgot password?' in broken.client.get("/login").text


def test_android_ua_block(make_app: MakeApp) -> None:
    clean, broken = make_app(), make_app(defects=("android-ua-block",))
    assert "Sign in to Haven" in clean.client.get("/login", headers={"User-Agent": ANDROID_UA}).text
    blocked = broken.client.get("/login", headers={"User-Agent": ANDROID_UA})
    assert blocked.status_code == 200
    text = text_of(blocked.text)
    assert "Your browser isn't supported" in text
    assert "Please use Chrome on a computer or Safari on an iPhone." in text
    assert "<form" not in blocked.text
    other_page = broken.client.get("/forgot-password", headers={"User-Agent": ANDROID_UA})
    assert "Your browser isn't supported" in text_of(other_page.text)
    assert "Sign in to Haven" in broken.client.get("/login", headers={"User-Agent": IPHONE_UA}).text
    assert (
        "Provider sign in" in broken.provider.get("/login", headers={"User-Agent": ANDROID_UA}).text
    )


def test_touch_submit(make_app: MakeApp) -> None:
    clean, broken = make_app(), make_app(defects=("touch-submit",))
    assert not _flags(clean)["touchSubmit"]
    assert _flags(broken)["touchSubmit"]
    assert _flags(broken, "provider")["touchSubmit"]
    assert "button.addEventListener('touchend'" in broken.client.get("/static/app.1.js").text


# --- booking -----------------------------------------------------------------------------------


def test_date_parse_mdy(make_app: MakeApp) -> None:
    clean, broken = make_app(), make_app(defects=("date-parse-mdy",))
    assert not _flags(clean)["dateParseMdy"]
    assert _flags(broken)["dateParseMdy"]
    assert not _flags(broken, "provider")["dateParseMdy"]  # client portal only
    script = broken.client.get("/static/app.1.js").text
    assert "new Date(mm + '-' + dd + '-' + yyyy)" in script
    assert "'Please choose a valid date.'" in script
    scenario = broken.provision()
    page = (
        broken.sign_in(scenario["client"])
        .get(f"/schedule/new/details?room={scenario['room']['id']}")
        .text
    )
    assert 'name="start_local"' in page
    assert 'role="alert" data-date-alert hidden' in page


def _review_page(app: RefApp) -> str:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    return client.get(
        f"/schedule/new/review?room={scenario['room']['id']}&type=video&length=30"
        "&start=2026-12-01T16:00:00Z"
    ).text


def test_book_button_under_footer(make_app: MakeApp) -> None:
    clean = _review_page(make_app())
    assert 'class="signed-in"' in clean
    assert clean.index(">Book session</button>") < clean.index("<footer")
    broken_app = make_app(defects=("book-button-under-footer",))
    broken = _review_page(broken_app)
    assert 'class="signed-in flush-bottom"' in broken
    assert broken.index("</footer>") < broken.index(
        '<button type="submit" form="book-form" class="button button-primary">Book session</button>'
    )
    css = broken_app.client.get("/static/style.1.css").text
    assert re.search(
        r"@media \(max-width: 767\.98px\) \{\s*body\.flush-bottom \{\s*padding-bottom: 0;", css
    )


@pytest.mark.parametrize("defects", [(), ("late-window-tz-hour",)])
def test_late_window_tz_hour(make_app: MakeApp, defects: tuple[str, ...]) -> None:
    app = make_app(defects=defects)
    scenario = app.provision()  # New York client, Chicago provider: one hour apart
    session = app.add_session(
        scenario["scenario"], MONDAY_9AM_NEW_YORK + timedelta(hours=23, minutes=30)
    )
    client = app.sign_in(scenario["client"])
    page = client.get(f"/schedule/sessions/{session['id']}/cancel").text
    warned = "This session starts in less than 24 hours." in page
    assert warned is (not defects)
    done = client.post(
        f"/schedule/sessions/{session['id']}/cancel", data={"reason": "Other", "forfeit": "yes"}
    )
    text = text_of(client.get(done.headers["location"]).text)
    if defects:
        assert "Your session credit has been returned." in text
        assert client.get("/api/dashboard").json()["credits"] == 2
    else:
        assert "Your session credit was forfeited" in text
        assert client.get("/api/dashboard").json()["credits"] == 1


def test_late_window_tz_hour_needs_different_zones(make_app: MakeApp) -> None:
    app = make_app(defects=("late-window-tz-hour",))
    scenario = app.provision(provider_timezone="America/New_York")
    session = app.add_session(
        scenario["scenario"], MONDAY_9AM_NEW_YORK + timedelta(hours=23, minutes=30)
    )
    client = app.sign_in(scenario["client"])
    assert "less than 24 hours" in client.get(f"/schedule/sessions/{session['id']}/cancel").text


@pytest.mark.parametrize(
    ("defects", "clock"), [((), "11:00 AM EST"), (("email-utc-time",), "4:00 PM EST")]
)
def test_email_utc_time(make_app: MakeApp, defects: tuple[str, ...], clock: str) -> None:
    app = make_app(defects=defects)
    scenario = app.provision()
    session = app.add_session(
        scenario["scenario"], MONDAY_9AM_NEW_YORK + timedelta(days=1, hours=2), status="pending"
    )
    provider = app.sign_in(scenario["provider"], "provider")
    provider.post(f"/sessions/{session['id']}/confirm")
    (email,) = app.outbox(scenario["client"]["email"])
    assert f"Tuesday, December 1, 2026 at {clock}" in email["body"]
    # The room message and the calendar file are not affected.
    client = app.sign_in(scenario["client"])
    assert "Tuesday, December 1 at 11:00 AM EST is confirmed." in text_of(client.get("/room").text)
    assert "DTSTART:20261201T160000Z" in email["attachments"][0]["content"]


# --- stored data -------------------------------------------------------------------------------


def test_script_immutable_unversioned(make_app: MakeApp) -> None:
    app = make_app(defects=("script-immutable-unversioned",))
    page = app.client.get("/login").text
    assert '<script src="/static/app.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/static/style.1.css">' in page
    first = app.client.get("/static/app.js")
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "const SCRIPT_VERSION = '1';" in first.text
    app.client.post("/__test__/release")
    assert '<script src="/static/app.js" defer></script>' in app.provider.get("/login").text
    second = app.client.get("/static/app.js")
    assert "const SCRIPT_VERSION = '2';" in second.text  # new content under the same URL
    assert second.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_dashboard_cache_kept_on_signout(make_app: MakeApp) -> None:
    clean, broken = make_app(), make_app(defects=("dashboard-cache-kept-on-signout",))
    assert not _flags(clean)["dashboardCacheKept"]
    assert _flags(broken)["dashboardCacheKept"]
    assert _flags(broken, "provider")["dashboardCacheKept"]
    script = broken.client.get("/static/app.1.js").text
    assert "if (FLAGS.dashboardCacheKept) return PREFIX + 'dashboard.' + portal;" in script
    assert "if (!FLAGS.dashboardCacheKept) clearHavenKeys();" in script


def test_session_cookie_samesite_none(make_app: MakeApp) -> None:
    cookie = _login_cookie(make_app(defects=("session-cookie-samesite-none",)))
    parts = [part.strip().lower() for part in cookie.split(";")]
    assert "samesite=none" in parts
    assert "secure" not in parts
    assert "httponly" in parts


def test_session_cookie_secure(make_app: MakeApp) -> None:
    cookie = _login_cookie(make_app(defects=("session-cookie-secure",)))
    parts = [part.strip().lower() for part in cookie.split(";")]
    assert "secure" in parts
    assert "samesite=lax" in parts


def test_all_defects_together_still_serve_every_page(make_app: MakeApp) -> None:
    app = make_app(defects=tuple(known_names()))
    scenario = app.provision()
    account = scenario["client"]
    browser = app.browser()
    browser.cookies.clear()
    response = browser.post(
        "/login", data={"email": account["email"], "password": account["password"]}
    )
    assert response.status_code == 303
    token = re.search(r"haven_client_session=([^;]+)", response.headers["set-cookie"])[1]  # type: ignore[index]
    browser.cookies.set("haven_client_session", token)
    for path in ("/dashboard", "/schedule", "/schedule/new", "/room"):
        assert browser.get(path).status_code == 200, path


# --- defects in the shared script, the page head, an API and the service worker ----------------


@pytest.mark.parametrize(
    ("defect", "portal", "flag"),
    [
        ("dashboard-idle-draw", "client", "dashboardIdleDraw"),
        ("provider-dashboard-idle-wait", "provider", "dashboardIdleWait"),
        ("room-time-parse", "client", "roomTimeParse"),
        ("help-widget-error", "provider", "helpWidget"),
        ("signout-resume-undefined", "client", "resumeUndefined"),
    ],
)
def test_script_defects_switch_on_their_code_on_their_portal(
    make_app: MakeApp, defect: str, portal: str, flag: str
) -> None:
    clean, broken = make_app(), make_app(defects=(defect,))
    assert _flags(broken, portal)[flag]
    assert not _flags(clean, portal)[flag]
    if BY_NAME[defect].portal != "both":
        other = "provider" if portal == "client" else "client"
        assert not _flags(broken, other)[flag]
    assert f"FLAGS.{flag}" in broken.client.get("/static/app.1.js").text


def test_message_box_field_sizing(make_app: MakeApp) -> None:
    clean, broken = make_app(), make_app(defects=("message-box-field-sizing",))
    assert "field-sizing: content" in broken.client.get("/login").text
    assert "field-sizing" not in clean.client.get("/login").text


def test_announcements_500(make_app: MakeApp) -> None:
    clean, broken = make_app(), make_app(defects=("announcements-500",))
    assert clean.sign_in(clean.provision()["client"]).get("/api/announcements").status_code == 200
    browser = broken.sign_in(broken.provision()["client"])
    with pytest.raises(RuntimeError, match="notices table"):
        browser.get("/api/announcements")


def test_sw_shell_cache_first(make_app: MakeApp) -> None:
    clean, broken = make_app(), make_app(defects=("sw-shell-cache-first",))
    usual = clean.client.get("/sw.js").text
    served = broken.client.get("/sw.js").text
    assert served.endswith(usual) and len(served) > len(usual)
    assert "cache.match(request" in served[: len(served) - len(usual)]
