"""The portals' dashboards: a greeting, and lists the page's script draws from the network (or
from the app's own cache). A script failure leaves a heading and no lists; a person notices, so
every journey that lands here checks the lists were drawn."""

from __future__ import annotations

import re

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.sessions import LiveSession, expect_listed, expect_not_listed
from compat_harness.place import Place, page_url
from compat_harness.session.base import HarnessTimeout, Locator, Session
from compat_harness.target import Target

LOADING = "Loading…"
LOAD_FAILED = "We couldn't load your dashboard."
# Each list's section heading and the text it shows when it has nothing to list.
LISTS = {
    Portal.CLIENT: {"Upcoming sessions": "You have no upcoming sessions."},
    Portal.PROVIDER: {
        "Pending requests": "No pending requests.",
        "Upcoming sessions": "No upcoming sessions.",
        "Paying clients": "No paying clients.",
    },
}


def greeting(portal: Portal, first_name: str, last_name: str) -> str:
    """'Welcome, Alex' (clients) or 'Welcome, Dr. Chen' (providers)."""
    return f"Welcome, {first_name}" if portal is Portal.CLIENT else f"Welcome, Dr. {last_name}"


class Dashboard:
    """A portal's dashboard."""

    def __init__(self, session: Session, target: Target, portal: Portal | str) -> None:
        self.session = session
        self.target = target
        self.portal = Portal(portal)

    @property
    def place(self) -> Place:
        return Place(
            f"the {self.portal} dashboard",
            page_url(self.target.base(self.portal), "/dashboard"),
            re.compile(r"^Welcome, "),
        )

    def open(self) -> Dashboard:
        with self.session.step(f"Open the {self.portal} dashboard"):
            self.session.goto(self.target.url(self.portal, "/dashboard"))
            self.expect_drawn()
        return self

    def section(self, name: str) -> Locator:
        return self.session.role("region", name, exact=True)

    def items(self, name: str) -> Locator:
        return self.section(name).role("listitem")

    def expect_greets(self, text: str) -> None:
        expect(self.session.role("heading", text, exact=True)).to_be_visible()

    def expect_drawn(self) -> None:
        """On the dashboard, done loading, and every list shows its items or says it is empty."""
        expect(self.session).to_be_at(self.place)
        expect(self.session.text(LOADING, exact=True)).to_be_hidden(on=self.place)
        lists = LISTS[self.portal]
        missing: list[str] = []

        def drawn() -> bool:
            missing[:] = [
                name
                for name, empty in lists.items()
                if not self.items(name).count()
                and not self.section(name).text(empty, exact=True).is_visible()
            ]
            return not missing

        try:
            self.session.wait_until(drawn, self.session.timeouts.expect, "the dashboard's lists")
        except HarnessTimeout:
            alert = self.session.role("alert").filter(has_text=LOAD_FAILED)
            said = f"; it says {LOAD_FAILED!r}" if alert.count() else ""
            raise AssertionError(
                f"the {self.portal} dashboard drew no list for {', '.join(missing)}: neither "
                f"items nor the empty-list text{said}"
            ) from None

    def expect_lists(
        self, name: str, live: LiveSession, tz: str, with_name: str, *, status: bool = False
    ) -> None:
        """The list ``name`` shows the session, at its time in ``tz``, with ``with_name``."""
        expect_listed(self.items(name), live, tz, with_name, status=status)

    def expect_not_lists(self, name: str, when: str) -> None:
        """The list ``name`` shows no session at ``when``, once the lists are drawn (before that
        every list is empty)."""
        self.expect_drawn()
        expect_not_listed(self.items(name), when, on=self.place)

    def expect_names(self, name: str, person: str) -> None:
        """The list ``name`` (e.g. Paying clients) names ``person``."""
        expect(self.items(name).filter(has_text=person)).to_have_count(1)

    # --- provider: answering requests ---
    def answer(self, client_full_name: str, answer: str = "Confirm") -> None:
        """Confirm or Decline a pending request; it leaves Pending requests."""
        with self.session.step(f"{answer} the session with {client_full_name}"):
            button = self.session.role(
                "button", f"{answer} session with {client_full_name}", exact=True
            )
            button.click()
            # Gone from the page once the answer's new dashboard replaced this one, and still gone
            # once that dashboard has drawn its lists (before that its lists are empty).
            expect(button).to_be_absent(on=self.place)
            self.expect_drawn()
            expect(button).to_be_absent(on=self.place)
