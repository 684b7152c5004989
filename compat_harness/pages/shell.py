"""What every signed-in page has: the navigation and the Sign out button."""

from __future__ import annotations

import re

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.profiles import SIGN_OUT_STEP
from compat_harness.session.base import Locator, Session
from compat_harness.target import Target


class AppShell:
    def __init__(self, session: Session, target: Target, portal: Portal | str) -> None:
        self.session = session
        self.target = target
        self.portal = Portal(portal)

    @property
    def sign_out_button(self) -> Locator:
        return self.session.role("button", "Sign out", exact=True)

    def heading(self, name: str | re.Pattern[str]) -> Locator:
        return self.session.role("heading", name)

    def sign_out(self) -> None:
        with self.session.step(SIGN_OUT_STEP):
            self.sign_out_button.click()
            expect(self.session).to_have_url(
                re.compile("^" + re.escape(self.target.url(self.portal, "/login")) + r"(\?|$)")
            )
