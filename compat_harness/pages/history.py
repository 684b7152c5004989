"""What an earlier visit leaves in a browser profile, for journeys run "with stored data"."""

from __future__ import annotations

import re
from enum import Enum

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.login import keep_signed_in, sign_in
from compat_harness.pages.shell import AppShell
from compat_harness.profiles import HISTORY_STEP, Profile
from compat_harness.session.base import Session
from compat_harness.storage import settle
from compat_harness.target import Target

DRAFT = "Draft from an earlier visit"


class Leave(Enum):
    """How the earlier visit ends."""

    SIGN_OUT = "signs out"  # as people are told to
    CLOSE_TAB = "closes the tab, still signed in"  # what most people do
    STAY = "stays on the page"  # journeys that go on in the same visit (clearing data)


LEAVES = {Profile.STORED: Leave.SIGN_OUT, Profile.TAB_CLOSED: Leave.CLOSE_TAB}


_WORKER_ACTIVE = """async () => {
  if (!navigator.serviceWorker) return true;
  const registration = await navigator.serviceWorker.getRegistration();
  return !!(registration && registration.active && registration.active.state === "activated");
}"""


def visit_before(
    session: Session, target: Target, portal: Portal, email: str, password: str, profile: Profile
) -> None:
    """For a stored-data profile, the earlier visit that fills it, ended the profile's way
    (nothing for a fresh profile)."""
    if profile.stored:
        earlier_visit(session, target, portal, email, password, leave=LEAVES[profile])


def earlier_visit(
    session: Session,
    target: Target,
    portal: Portal,
    email: str,
    password: str,
    *,
    leave: Leave = Leave.SIGN_OUT,
) -> None:
    """Sign in, load the dashboard (the app caches it), scripts and styles (the HTTP cache), the
    service worker, a message draft in IndexedDB (client), then leave: sign out, close the tab
    (the session cookie stays, so the next sign-in finds the portal signed in), or stay."""
    with session.step(f"{HISTORY_STEP} to the {portal} portal, which {leave.value}"):
        sign_in(session, target, portal, email, password)
        # A returning person's service worker has long been active: the pages that follow are
        # its to answer (and to cache). Registered is not enough: a worker still installing
        # lets them through to the network, and the visit would store less than a person's.
        session.wait_until(
            lambda: session.evaluate(_WORKER_ACTIVE),
            session.timeouts.expect,
            "the service worker to be active",
        )
        if portal is Portal.CLIENT:
            session.goto(target.url(portal, "/room"))
            session.label("Message", exact=True).fill(DRAFT)
        if leave is Leave.SIGN_OUT:
            AppShell(session, target, portal).sign_out()
            settle(session)
        elif leave is Leave.CLOSE_TAB:
            settle(session)
            # The page goes away as a closed tab's does (its unload handlers run); the browser
            # keeps the cookies, storage and caches.
            session.goto("about:blank")
            keep_signed_in(session, portal, email)
        else:
            settle(session)


def footer_versions(session: Session) -> tuple[int, int]:
    """(App version, Script version) shown in the footer, once the script has written its own."""
    app = session.text(re.compile(r"^App version \d+$"))
    script = session.text(re.compile(r"^Script version \d+$"))
    expect(script).to_be_visible()
    return int(app.inner_text().split()[-1]), int(script.inner_text().split()[-1])
