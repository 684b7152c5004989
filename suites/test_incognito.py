"""Incognito journeys (SPEC 4.3): each runs in a fresh profile and in profiles carrying an earlier
visit's stored data (one that signed out, one that closed the tab still signed in); each pair's
verdict tells a stored-data problem from a product bug."""

from __future__ import annotations

from typing import Any

import pytest

from compat_harness.matrix import Portal
from compat_harness.pages.dashboard import Dashboard, greeting
from compat_harness.pages.history import footer_versions, visit_before
from compat_harness.pages.login import LoginPage, sign_in
from compat_harness.pages.sessions import LiveSession
from compat_harness.profiles import Profile
from compat_harness.session.base import Session
from compat_harness.target import Target, TestHooks
from fixtures.accounts import Account

pytestmark = [pytest.mark.journey("incognito"), pytest.mark.paired]
portals = pytest.mark.parametrize("portal", list(Portal), ids=lambda p: p.value)

NOW = "2027-02-01T14:00:00Z"
UPCOMING = LiveSession.at("2027-02-04T16:00:00Z", 45)  # confirmed, Thu 4 Feb


@pytest.mark.scenario(now=NOW)
@portals
def test_sign_in_reaches_the_dashboard(
    session: Session,
    target: Target,
    portal: Portal,
    profile: Profile,
    account: Account,
    request: pytest.FixtureRequest,
) -> None:
    """Signing in lands on the person's dashboard, which lists what they rely on, whether or not
    the browser remembers an earlier visit (and whether that visit signed out or not)."""
    upcoming = _booked_session(request, target)
    visit_before(session, target, portal, account.email, account.password, profile)
    sign_in(session, target, portal, account.email, account.password)
    dashboard = Dashboard(session, target, portal)
    with session.step("The dashboard greets the person and lists their sessions"):
        if account.first_name:
            dashboard.expect_greets(greeting(portal, account.first_name, account.last_name))
        if upcoming is not None:
            client, provider = upcoming
            if portal is Portal.CLIENT:
                dashboard.expect_lists(
                    "Upcoming sessions", UPCOMING, account.timezone, provider, status=True
                )
            else:
                dashboard.expect_lists("Upcoming sessions", UPCOMING, account.timezone, client)
                dashboard.expect_names("Paying clients", client)


def _booked_session(request: pytest.FixtureRequest, target: Target) -> tuple[str, str] | None:
    """On a test target, a confirmed session in the scenario before anything is visited (so an
    earlier visit's cached dashboard has it too); (client, provider) full names. Elsewhere the
    account's own data is unknown: the dashboard is only checked to be drawn."""
    if not target.is_test_target:
        return None
    scenario: dict[str, Any] = request.getfixturevalue("scenario")
    TestHooks(target).create_session(
        scenario["scenario"], start="2027-02-04T16:00:00Z", length=45, status="confirmed"
    )
    client, provider = scenario["client"], scenario["provider"]
    return (
        f"{client['first_name']} {client['last_name']}",
        f"{provider['first_name']} {provider['last_name']}",
    )


# A provider who closed the tab keeps the dashboard the app cached in that signed-in session, by
# design (CONTRACT: "stale after a change elsewhere"); the cache journeys cover that person.
@pytest.mark.paired(profiles=[Profile.STORED])
@pytest.mark.scenario(now=NOW)
@pytest.mark.journey("incognito", portal="provider")
@pytest.mark.destructive
def test_the_dashboard_shows_changes_made_elsewhere(
    session: Session,
    target: Target,
    profile: Profile,
    test_hooks: TestHooks,
    scenario: dict[str, Any],
    provider_account: Account,
    client_account: Account,
) -> None:
    """A session booked and confirmed while the provider was away shows on their dashboard."""
    visit_before(
        session, target, Portal.PROVIDER, provider_account.email, provider_account.password, profile
    )
    test_hooks.create_session(
        scenario["scenario"], start="2027-02-04T16:00:00Z", length=45, status="confirmed"
    )
    sign_in(session, target, Portal.PROVIDER, provider_account.email, provider_account.password)
    with session.step("Upcoming sessions lists it"):
        Dashboard(session, target, Portal.PROVIDER).expect_lists(
            "Upcoming sessions", UPCOMING, provider_account.timezone, client_account.full_name
        )


@pytest.mark.destructive
def test_pages_run_the_current_release(
    session: Session,
    target: Target,
    profile: Profile,
    test_hooks: TestHooks,
    client_account: Account,
) -> None:
    """After a release the page a returning person opens (the login page, or their dashboard if
    still signed in) runs the released script, not one the browser kept."""
    visit_before(
        session, target, Portal.CLIENT, client_account.email, client_account.password, profile
    )
    released = test_hooks.release()["version"]
    if profile is Profile.TAB_CLOSED:
        # Still signed in: the login page takes them to the dashboard, drawn with the new release.
        sign_in(session, target, Portal.CLIENT, client_account.email, client_account.password)
    else:
        LoginPage(session, target, Portal.CLIENT).open()
    with session.step("Footer: App version and Script version agree"):
        app, script = footer_versions(session)
        assert app == released, f"the page says App version {app}, the release is {released}"
        assert script == app, f"the page runs Script version {script} with App version {app}"
