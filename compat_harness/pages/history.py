"""What an earlier visit leaves in a browser profile, for journeys run "with stored data"."""

from __future__ import annotations

import re

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.login import sign_in
from compat_harness.pages.shell import AppShell
from compat_harness.profiles import HISTORY_STEP
from compat_harness.session.base import Session
from compat_harness.target import Target

DRAFT = "Draft from an earlier visit"


def earlier_visit(
    session: Session,
    target: Target,
    portal: Portal,
    email: str,
    password: str,
    *,
    sign_out: bool = True,
) -> None:
    """Sign in, load the dashboard (the app caches it), scripts and styles (the HTTP cache), the
    service worker, a message draft in IndexedDB (client), then sign out as people are told to."""
    with session.step(f"{HISTORY_STEP} to the {portal} portal"):
        sign_in(session, target, portal, email, password)
        wait_for_dashboard(session)
        if portal is Portal.CLIENT:
            session.goto(target.url(portal, "/room"))
            session.label("Message", exact=True).fill(DRAFT)
        session.wait_until(
            lambda: session.evaluate(
                "async () => !navigator.serviceWorker || !!(await navigator.serviceWorker.getRegistration())"
            ),
            session.timeouts.expect,
            "the service worker to register",
        )
        if sign_out:
            AppShell(session, target, portal).sign_out()


def wait_for_dashboard(session: Session) -> None:
    """The dashboard's lists are drawn by its script (from the network or the app's cache)."""
    expect(session.role("heading", re.compile(r"^Welcome, "))).to_be_visible()
    expect(session.text("Loading…", exact=True)).to_be_hidden()


def footer_versions(session: Session) -> tuple[int, int]:
    """(App version, Script version) shown in the footer, once the script has written its own."""
    app = session.text(re.compile(r"^App version \d+$"))
    script = session.text(re.compile(r"^Script version \d+$"))
    expect(script).to_be_visible()
    return int(app.inner_text().split()[-1]), int(script.inner_text().split()[-1])
