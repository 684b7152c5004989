"""The two portals' login pages."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from urllib.parse import quote

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.dashboard import Dashboard
from compat_harness.place import Place, page_url
from compat_harness.session.base import HarnessTimeout, Locator, Session
from compat_harness.target import Target


@dataclass(frozen=True)
class PortalText:
    """The wording that tells the portals apart."""

    title: str
    heading: str
    product: str
    other_portal_link: str
    wrong_portal_alert: str
    wrong_portal_link: str
    cookie: str


PORTAL_TEXT = {
    Portal.CLIENT: PortalText(
        title="Sign in · Haven",
        heading="Sign in to Haven",
        product="Haven",
        other_portal_link="Go to the provider login",
        wrong_portal_alert="This is the client login. Providers sign in at the provider login.",
        wrong_portal_link="provider login",
        cookie="haven_client_session",
    ),
    Portal.PROVIDER: PortalText(
        title="Sign in · Haven for Providers",
        heading="Provider sign in",
        product="Haven for Providers",
        other_portal_link="Go to the client login",
        wrong_portal_alert="This is the provider login. Clients sign in at the client login.",
        wrong_portal_link="client login",
        cookie="haven_provider_session",
    ),
}
WRONG_CREDENTIALS = "The email or password you entered is incorrect."
SIGNED_OUT = "You have signed out."


class LoginPage:
    path = "/login"

    def __init__(self, session: Session, target: Target, portal: Portal | str) -> None:
        self.session = session
        self.target = target
        self.portal = Portal(portal)
        self.text = PORTAL_TEXT[self.portal]

    @property
    def other(self) -> Portal:
        return Portal.PROVIDER if self.portal is Portal.CLIENT else Portal.CLIENT

    def url(self, next_path: str | None = None) -> str:
        suffix = f"?next={quote(next_path, safe='')}" if next_path else ""
        return self.target.url(self.portal, self.path) + suffix

    @property
    def place(self) -> Place:
        return Place(
            f"the {self.portal} login page",
            page_url(self.target.base(self.portal), re.escape(self.path)),
            self.text.heading,
        )

    def open(self) -> LoginPage:
        with self.session.step(f"Open the {self.portal} login page"):
            self.session.goto(self.url())
            expect(self.session).to_be_at(self.place)
        return self

    # --- what is on the page ---
    @property
    def heading(self) -> Locator:
        return self.session.role("heading", self.text.heading, exact=True)

    @property
    def email(self) -> Locator:
        return self.session.label("Email", exact=True)

    @property
    def password(self) -> Locator:
        return self.session.label("Password", exact=True)

    @property
    def submit(self) -> Locator:
        return self.session.role("button", "Sign in", exact=True)

    @property
    def alert(self) -> Locator:
        return self.session.role("alert")

    @property
    def status(self) -> Locator:
        return self.session.role("status")

    @property
    def other_portal_link(self) -> Locator:
        return self.session.role("link", self.text.other_portal_link, exact=True)

    @property
    def forgot_password_link(self) -> Locator:
        return self.session.role("link", "Forgot password?", exact=True)

    @property
    def product_link(self) -> Locator:
        return self.session.role("link", self.text.product, exact=True)

    # --- what a person does ---
    def sign_in(self, email: str, password: str) -> None:
        with self.session.step(f"Sign in on the {self.portal} portal"):
            self.email.fill(email)
            self.password.fill(password)
            # Marks this document, so a login page seen afterwards is known to be a new one.
            self.session.evaluate("() => { window.__compatSubmitted = true; }")
            self.submit.click()

    def expect_signed_in(self, path: str = "/dashboard") -> None:
        """Wait to land on ``path`` (the dashboard: drawn, see Dashboard.expect_drawn); fail at once,
        saying so, if the portal sends the browser back to its login page instead (it accepted the
        password but the session cookie did not stick)."""
        wanted = re.compile("^" + re.escape(self.target.url(self.portal, path)) + r"(\?|$)")
        login = re.compile("^" + re.escape(self.target.url(self.portal, "/login")) + r"\?next=")

        def landed() -> str | None:
            url = self.session.url
            if wanted.search(url):
                return "signed in"
            if login.search(url) and not self.session.evaluate("() => !!window.__compatSubmitted"):
                return "bounced"
            return None

        with self.session.step("Land signed in"):
            try:
                outcome = self.session.wait_until(
                    landed, self.session.timeouts.expect, f"URL {wanted.pattern}"
                )
            except HarnessTimeout as exc:
                raise AssertionError(
                    f"not signed in: still at {self.session.url} ({exc})"
                ) from None
            if outcome == "bounced":
                names = sorted(c["name"] for c in self.session.cookies())
                raise AssertionError(
                    f"signed in, but {self.portal} portal sent the browser back to its login page "
                    f"({self.session.url}): the session cookie {self.text.cookie} was not kept "
                    f"(cookies this browser holds: {', '.join(names) or 'none'})"
                )
            if path == "/dashboard":
                Dashboard(self.session, self.target, self.portal).expect_drawn()


# Browsers an earlier visit left signed in (the person closed the tab instead of signing out),
# by the portal and account: the person's next sign-in finds the portal still signed in.
_KEPT: weakref.WeakKeyDictionary[Session, set[tuple[Portal, str]]] = weakref.WeakKeyDictionary()


def keep_signed_in(session: Session, portal: Portal | str, email: str) -> None:
    """Note that ``session`` stays signed in to ``portal`` as ``email`` (see ``sign_in``)."""
    _KEPT.setdefault(session, set()).add((Portal(portal), email.lower()))


def sign_in(
    session: Session, target: Target, portal: Portal | str, email: str, password: str
) -> None:
    """Open the portal's login page, sign in, and land on the dashboard. A browser an earlier
    visit left signed in as this account (``keep_signed_in``) is sent on to the dashboard by the
    login page, as it is for a person who comes back after closing the tab; it must be."""
    page = LoginPage(session, target, portal)
    kept = _KEPT.get(session, set())
    if (page.portal, email.lower()) in kept:
        kept.discard((page.portal, email.lower()))
        _come_back_signed_in(page)
        return
    page.open()
    page.sign_in(email, password)
    page.expect_signed_in()


def _come_back_signed_in(page: LoginPage) -> None:
    dashboard = Dashboard(page.session, page.target, page.portal)
    with page.session.step(f"Come back to the {page.portal} portal, still signed in"):
        page.session.goto(page.url())
        try:
            expect(page.session).to_be_at(dashboard.place)
        except AssertionError as exc:
            raise AssertionError(
                f"the earlier visit left the browser signed in, but the {page.portal} login page "
                f"did not take it to the dashboard: the session was lost ({exc})"
            ) from None
        dashboard.expect_drawn()
