"""Incognito journeys (SPEC 4.3): each runs in a fresh profile and in one carrying an earlier
visit's stored data; the pair's verdict tells a stored-data problem from a product bug."""

from __future__ import annotations

from typing import Any

import pytest

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.history import earlier_visit, footer_versions, wait_for_dashboard
from compat_harness.pages.login import LoginPage, sign_in
from compat_harness.profiles import Profile
from compat_harness.session.base import Session
from compat_harness.target import Target, TestHooks
from fixtures.accounts import Account

pytestmark = [pytest.mark.journey("incognito"), pytest.mark.paired]
portals = pytest.mark.parametrize("portal", list(Portal), ids=lambda p: p.value)


@portals
def test_sign_in_reaches_the_dashboard(
    session: Session, target: Target, portal: Portal, profile: Profile, account: Account
) -> None:
    """Signing in lands on the dashboard, whether or not the browser remembers an earlier visit."""
    if profile.stored:
        earlier_visit(session, target, portal, account.email, account.password)
    sign_in(session, target, portal, account.email, account.password)
    with session.step("The dashboard is drawn"):
        wait_for_dashboard(session)


@pytest.mark.scenario(now="2027-02-01T14:00:00Z")
@pytest.mark.journey("incognito", portal="provider")
@pytest.mark.destructive
def test_the_dashboard_shows_changes_made_elsewhere(
    session: Session,
    target: Target,
    profile: Profile,
    test_hooks: TestHooks,
    scenario: dict[str, Any],
    provider_account: Account,
) -> None:
    """A session booked and confirmed while the provider was away shows on their dashboard."""
    if profile.stored:
        earlier_visit(
            session, target, Portal.PROVIDER, provider_account.email, provider_account.password
        )
    test_hooks.create_session(
        scenario["scenario"], start="2027-02-04T16:00:00Z", length=45, status="confirmed"
    )
    sign_in(session, target, Portal.PROVIDER, provider_account.email, provider_account.password)
    with session.step("Upcoming sessions lists it"):
        wait_for_dashboard(session)
        upcoming = session.role("region", "Upcoming sessions")
        expect(
            upcoming.role("listitem").filter(has_text="Thu, Feb 4, 2027, 10:00 AM CST")
        ).to_have_count(1)


@pytest.mark.destructive
def test_pages_run_the_current_release(
    session: Session,
    target: Target,
    profile: Profile,
    test_hooks: TestHooks,
    client_account: Account,
) -> None:
    """After a release the page runs the released script, not one the browser kept."""
    if profile.stored:
        earlier_visit(session, target, Portal.CLIENT, client_account.email, client_account.password)
    released = test_hooks.release()["version"]
    LoginPage(session, target, Portal.CLIENT).open()
    with session.step("Footer: App version and Script version agree"):
        app, script = footer_versions(session)
        assert app == released, f"the page says App version {app}, the release is {released}"
        assert script == app, f"the page runs Script version {script} with App version {app}"
