"""Cache journeys (SPEC 4.4): what a warm cache shows after changes and releases; that clearing
the cache only keeps the login, clearing cookies signs out, clearing site data empties the
profile; and that signing out and back in refreshes the app's own cached data."""

from __future__ import annotations

from typing import Any

import pytest

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.outcomes import not_applicable
from compat_harness.pages.booking import RoomPage, SchedulePage
from compat_harness.pages.dashboard import Dashboard
from compat_harness.pages.history import Leave, earlier_visit, footer_versions
from compat_harness.pages.login import LoginPage, sign_in
from compat_harness.pages.sessions import LiveSession
from compat_harness.pages.shell import AppShell
from compat_harness.session.base import Session
from compat_harness.storage import Clear, ClearNotSupported, clear, inspect
from compat_harness.target import Target, TestHooks
from fixtures.accounts import Account

pytestmark = [pytest.mark.journey("cache", portal="client")]


def _clear(session: Session, target: Target, what: Clear) -> None:
    try:
        clear(session, target, what)
    except ClearNotSupported as exc:
        not_applicable(str(exc))


@pytest.mark.scenario(now="2027-02-01T14:00:00Z")
@pytest.mark.journey("cache", portal="provider")
@pytest.mark.destructive
def test_a_warm_cache_shows_a_stale_dashboard_until_sign_out(
    session: Session,
    target: Target,
    test_hooks: TestHooks,
    scenario: dict[str, Any],
    provider_account: Account,
    client_account: Account,
) -> None:
    """The app's cached dashboard misses a change made elsewhere until the provider signs out and
    back in; then the dashboard and the (never cached) Schedule page agree."""
    sign_in(session, target, Portal.PROVIDER, provider_account.email, provider_account.password)
    test_hooks.create_session(
        scenario["scenario"], start="2027-02-04T16:00:00Z", length=45, status="confirmed"
    )
    live = LiveSession.at("2027-02-04T16:00:00Z", 45)
    tz, client = provider_account.timezone, client_account.full_name
    dashboard = Dashboard(session, target, Portal.PROVIDER)
    with session.step("Reload: the cached dashboard does not have it yet"):
        session.reload()
        dashboard.expect_drawn()
        dashboard.expect_not_lists("Upcoming sessions", live.when(tz))
    with session.step("The Schedule page, drawn by the server, already has it"):
        SchedulePage(session, target, Portal.PROVIDER).open().expect_lists(live, tz, client)
    AppShell(session, target, Portal.PROVIDER).sign_out()
    sign_in(session, target, Portal.PROVIDER, provider_account.email, provider_account.password)
    with session.step("After signing back in the dashboard agrees with the Schedule page"):
        dashboard.expect_lists("Upcoming sessions", live, tz, client)


def test_clearing_only_the_cache_keeps_the_login(
    session: Session, target: Target, client_account: Account
) -> None:
    """Clearing the cache (not cookies) leaves the person signed in with their stored data."""
    earlier_visit(
        session,
        target,
        Portal.CLIENT,
        client_account.email,
        client_account.password,
        leave=Leave.STAY,
    )
    dashboard = Dashboard(session, target, Portal.CLIENT)
    session.goto(target.url(Portal.CLIENT, "/dashboard"))
    before = inspect(session)
    _clear(session, target, Clear.CACHE)
    session.goto(target.url(Portal.CLIENT, "/dashboard"))
    with session.step("Still signed in; cookies and storage kept"):
        dashboard.expect_drawn()
        after = inspect(session)
        assert "haven_client_session" in after.cookies, after
        assert set(before.local_storage) <= set(after.local_storage), (before, after)


def test_clearing_cookies_signs_out(
    session: Session, target: Target, client_account: Account
) -> None:
    """Clearing cookies signs the person out: the saved login is gone."""
    # sign_in waits for the dashboard's data: cleared while it still fetched, the old page would
    # send itself to the login page and race the navigation below (seen on Chromium).
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    _clear(session, target, Clear.COOKIES)
    with session.step("The dashboard asks to sign in again"):
        session.goto(target.url(Portal.CLIENT, "/dashboard"))
        expect(session).to_be_at(LoginPage(session, target, Portal.CLIENT).place)
        assert "haven_client_session" not in inspect(session).cookies


def test_clearing_site_data_empties_the_profile(
    session: Session, target: Target, client_account: Account
) -> None:
    """Clearing all site data signs out and removes the app's storage, drafts and service worker."""
    earlier_visit(
        session,
        target,
        Portal.CLIENT,
        client_account.email,
        client_account.password,
        leave=Leave.STAY,
    )
    with session.step("The profile holds the earlier visit's data"):
        before = inspect(session)
        assert any(k.startswith("haven.") for k in before.local_storage), before
        assert before.indexed_db is None or "haven" in before.indexed_db, before
    _clear(session, target, Clear.SITE_DATA)
    # A page of the origin that runs none of the app's script (which would register its worker again).
    session.goto(target.url(Portal.CLIENT, "/healthz"))
    with session.step("Signed out; storage, databases and service worker gone"):
        after = inspect(session)
        assert "haven_client_session" not in after.cookies, after
        assert not any(k.startswith("haven.") for k in after.local_storage), after
        assert after.indexed_db is None or "haven" not in after.indexed_db, after
        assert not after.service_workers, after
    sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    with session.step("The earlier message draft is gone"):
        RoomPage(session, target).open()
        expect(session.label("Message", exact=True)).to_have_value("")


@pytest.mark.destructive
def test_clearing_the_cache_brings_the_released_script(
    session: Session, target: Target, test_hooks: TestHooks, client_account: Account
) -> None:
    """After a release, clearing the cache leaves the page on the released script and signed in."""
    earlier_visit(
        session,
        target,
        Portal.CLIENT,
        client_account.email,
        client_account.password,
        leave=Leave.STAY,
    )
    released = test_hooks.release()["version"]
    _clear(session, target, Clear.CACHE)
    session.goto(target.url(Portal.CLIENT, "/dashboard"))
    with session.step("Released script, still signed in"):
        Dashboard(session, target, Portal.CLIENT).expect_drawn()
        assert footer_versions(session) == (released, released)
