"""The WebDriver engines' in-page resolver (session/locate.js) finds the same elements as
Playwright's own locators, on the reference app's real pages: the same query means the same thing
on every engine. Both run in one Chromium page, so only the resolvers differ."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from compat_harness.engines.playwright import SYSTEM_CHROMIUM_ARGS, system_chromium
from compat_harness.session.base import Query
from compat_harness.session.webdriver import locate_js
from reference_app.launcher import start

R, L, T = "role", "label", "text"
# (path, portal, signed in, queries): every kind, names exact and not, regex, nesting, filters.
PAGES: list[tuple[str, str, bool, list[Query]]] = [
    (
        "/login",
        "client",
        False,
        [
            Query(R, "heading"),
            Query(R, "heading", "Sign in to Haven", exact=True),
            Query(R, "heading", "sign in"),
            Query(R, "button", "Sign in", exact=True),
            Query(R, "textbox"),
            Query(R, "link"),
            Query(R, "link", "Go to the provider login"),
            Query(R, "link", re.compile(r"^Forgot")),
            Query(L, "Email", exact=True),
            Query(L, "password"),
            Query(T, "Are you a provider?"),
            Query(T, re.compile(r"App version \d+")),
            Query(R, "contentinfo"),
        ],
    ),
    (
        "/schedule/new/details?room={room}",
        "client",
        True,
        [
            Query(R, "group", "Session type"),
            Query(R, "radio"),
            Query(R, "radio", "Video", exact=True, parent=Query(R, "group", "Session type")),
            Query(R, "combobox"),
            Query(L, "Session length", exact=True),
            Query(L, "Date", exact=True),
            Query(L, "Time", exact=True),
            Query(R, "status"),
            Query(R, "navigation"),
            Query(R, "link", "Schedule", exact=True, parent=Query(R, "navigation")),
            Query(R, "button", "Sign out"),
            Query(R, "link", "I can't find a time that works for me"),
        ],
    ),
    (
        "/schedule",
        "client",
        True,
        [
            Query(R, "listitem"),
            Query(R, "listitem", has_text="Confirmed"),
            Query(R, "link", "Reschedule", parent=Query(R, "listitem", has_text="Confirmed")),
            Query(R, "region", "Your live sessions"),
            Query(T, re.compile(r"Session credits: \d+")),
            Query(R, "link", "Book or start a session", exact=True),
        ],
    ),
    (
        "/room",
        "client",
        True,
        [
            Query(R, "log", "Conversation", exact=True),
            Query(L, "Message", exact=True),
            Query(R, "button", "Send message"),
            Query(R, "heading", re.compile(r"^Room with ")),
        ],
    ),
    (
        "/dashboard",
        "provider",
        True,
        [
            Query(R, "region", "Upcoming sessions"),
            Query(R, "listitem", parent=Query(R, "region", "Upcoming sessions")),
            Query(R, "heading", re.compile(r"^Welcome, Dr\.")),
            Query(R, "button", "Sign out", exact=True),
        ],
    ),
]

_MARK_PLAYWRIGHT = "(els) => els.forEach((el, i) => el.setAttribute('data-parity', String(i)))"
_READ_LOCATE = (
    "(q) => { %s; return window.__compat.find(q).map((el) => el.getAttribute('data-parity')); }"
)


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def pages() -> Iterator[tuple[Any, Page, Page]]:
    with start() as app, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=system_chromium(), args=list(SYSTEM_CHROMIUM_ARGS)
        )
        scenario = _post(app.info.client_url + "/__test__/provision", {"credits": 2})
        _post(
            app.info.client_url + "/__test__/sessions",
            {
                "scenario": scenario["scenario"],
                "start": "2030-01-07T16:00:00Z",
                "status": "confirmed",
            },
        )
        signed_in = {}
        for portal, base in (("client", app.info.client_url), ("provider", app.info.provider_url)):
            page = browser.new_context().new_page()
            page.goto(base + "/login")
            page.get_by_label("Email").fill(scenario[portal]["email"])
            page.get_by_label("Password").fill(scenario[portal]["password"])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(base + "/dashboard")
            signed_in[portal] = page
        anonymous = browser.new_context().new_page()
        yield (app.info, scenario, signed_in, anonymous)
        browser.close()


@pytest.mark.parametrize(
    ("path", "portal", "signed_in", "queries"), PAGES, ids=[p[0].split("?")[0] for p in PAGES]
)
def test_locate_js_matches_playwright(
    pages: Any, path: str, portal: str, signed_in: bool, queries: list[Query]
) -> None:
    from compat_harness.session.playwright import PlaywrightSession

    info, scenario, sessions, anonymous = pages
    page: Page = sessions[portal] if signed_in else anonymous
    base = info.client_url if portal == "client" else info.provider_url
    page.goto(base + path.format(room=scenario["room"]["id"]))
    page.wait_for_load_state("load")
    page.get_by_text(re.compile(r"Script version \d+")).wait_for()
    resolver = PlaywrightSession.__new__(PlaywrightSession)
    resolver.page = page
    for query in queries:
        page.evaluate(
            "() => document.querySelectorAll('[data-parity]').forEach((e) => e.removeAttribute('data-parity'))"
        )
        located = resolver._resolve(query)
        expected = located.count()
        located.evaluate_all(_MARK_PLAYWRIGHT)
        found = page.evaluate(_READ_LOCATE % locate_js(), query.to_json())
        assert found == [str(i) for i in range(expected)], (
            f"{query.describe()} on {path}: Playwright {expected}, locate.js {found}"
        )
        assert expected > 0, f"{query.describe()} found nothing on {path}: the query is stale"
