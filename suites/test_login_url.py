"""Login URL journeys, both portals: the right login page, the right portal, and a layout that
fits the device (SPEC 4.1)."""

from __future__ import annotations

import re

import pytest

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages import PORTAL_TEXT, AppShell, LoginPage, measure_layout
from compat_harness.pages.booking import SchedulePage
from compat_harness.pages.dashboard import Dashboard, greeting
from compat_harness.pages.login import SIGNED_OUT, WRONG_CREDENTIALS
from compat_harness.session.base import Session
from compat_harness.target import Target
from fixtures.accounts import Account

# A person on a login page is signed out: a stored profile for them is one that signed out.
pytestmark = [pytest.mark.journey("login_url"), pytest.mark.starts_signed_out]
portals = pytest.mark.parametrize("portal", list(Portal), ids=lambda p: p.value)


def _at(target: Target, portal: Portal, path: str) -> re.Pattern[str]:
    """The URL of a page on one portal, with or without a query string."""
    return re.compile("^" + re.escape(target.url(portal, path)) + r"(\?.*)?$")


@portals
def test_login_page_loads(session: Session, target: Target, portal: Portal) -> None:
    """The login page loads with the portal's title, heading and sign-in form."""
    page = LoginPage(session, target, portal).open()
    with session.step("Check title, heading and form"):
        expect(session).to_have_title(page.text.title)
        expect(page.heading).to_be_visible()
        expect(page.email).to_have_attribute("type", "email")
        expect(page.password).to_have_attribute("type", "password")
        expect(page.submit).to_be_visible()
        expect(session).to_have_url(_at(target, portal, "/login"))


@portals
def test_login_names_the_other_portal(session: Session, target: Target, portal: Portal) -> None:
    """Each login page links to the other portal's login, and the link leads there."""
    page = LoginPage(session, target, portal).open()
    with session.step("Follow the link to the other portal's login"):
        expect(page.other_portal_link).to_have_attribute("href", target.url(page.other, "/login"))
        page.other_portal_link.click()
        expect(session).to_have_url(_at(target, page.other, "/login"))
        expect(session.role("heading", PORTAL_TEXT[page.other].heading, exact=True)).to_be_visible()


@portals
def test_wrong_portal_account_is_told_where_to_go(
    session: Session, target: Target, portal: Portal, other_account: Account
) -> None:
    """Signing in with the other portal's account says where that person signs in instead."""
    page = LoginPage(session, target, portal).open()
    session.expect_answer(403, "/login")  # the portal refuses the other portal's account
    page.sign_in(other_account.email, other_account.password)
    with session.step("Read the message and follow it"):
        expect(page.alert).to_contain_text(page.text.wrong_portal_alert)
        page.alert.role("link", page.text.wrong_portal_link, exact=True).click()
        expect(session).to_have_url(_at(target, page.other, "/login"))
        expect(session.role("heading", PORTAL_TEXT[page.other].heading, exact=True)).to_be_visible()


@portals
def test_portal_links_stay_on_the_portal(session: Session, target: Target, portal: Portal) -> None:
    """'Forgot password?' and the product link keep the person on the same portal."""
    page = LoginPage(session, target, portal).open()
    with session.step("Forgot password? stays on this portal"):
        expect(page.forgot_password_link).to_have_attribute("href", re.compile(r"forgot-password"))
        page.forgot_password_link.click()
        expect(session).to_have_url(_at(target, portal, "/forgot-password"))
        expect(session.role("heading", "Reset your password", exact=True)).to_be_visible()
    with session.step("The product link stays on this portal"):
        page.product_link.click()
        expect(session).to_have_url(_at(target, portal, "/login"))
        expect(page.heading).to_be_visible()


@portals
def test_deep_link_returns_after_sign_in(
    session: Session, target: Target, portal: Portal, account: Account
) -> None:
    """A deep link while signed out goes to the login and, after signing in, back to the link."""
    page = LoginPage(session, target, portal)
    with session.step("Open a deep link while signed out"):
        session.goto(target.url(portal, "/schedule"))
        expect(session).to_have_url(
            re.compile(re.escape(target.url(portal, "/login")) + r"\?next=%2Fschedule$")
        )
    page.sign_in(account.email, account.password)
    with session.step("Land on the deep link"):
        expect(session).to_have_url(_at(target, portal, "/schedule"))
        expect(session).to_be_at(SchedulePage(session, target, portal).place)


@portals
def test_wrong_password_gives_a_clear_message(
    session: Session, target: Target, portal: Portal, account: Account
) -> None:
    """Wrong credentials keep the person on the login page with a clear message."""
    page = LoginPage(session, target, portal).open()
    session.expect_answer(401, "/login")  # the refusal of a wrong password
    page.sign_in(account.email, account.password + "-wrong")
    with session.step("Read the message"):
        expect(page.alert).to_have_text(WRONG_CREDENTIALS)
        expect(session).to_have_url(_at(target, portal, "/login"))
        expect(page.email).to_have_value(account.email)


@portals
def test_sign_in_and_out(
    session: Session, target: Target, portal: Portal, account: Account
) -> None:
    """Signing in lands on the portal's own dashboard with its session cookie; signing out ends it."""
    page = LoginPage(session, target, portal).open()
    page.sign_in(account.email, account.password)
    page.expect_signed_in()
    if account.first_name:
        with session.step("The dashboard greets the person by name"):
            Dashboard(session, target, portal).expect_greets(
                greeting(portal, account.first_name, account.last_name)
            )
    with session.step("Check the portal's session cookie"):
        cookie = next((c for c in session.cookies() if c["name"] == page.text.cookie), None)
        assert cookie is not None, f"no {page.text.cookie} cookie after signing in"
        assert cookie["httpOnly"], "the session cookie must be HttpOnly"
    AppShell(session, target, portal).sign_out()
    with session.step("Signed out for real"):
        expect(page.status).to_have_text(SIGNED_OUT)
        session.goto(target.url(portal, "/dashboard"))
        expect(session).to_have_url(_at(target, portal, "/login"))


@portals
def test_login_fits_the_screen(session: Session, target: Target, portal: Portal) -> None:
    """The login page fits the device: no sideways scrolling; the form fully on screen and, on
    touch devices, big enough to tap (44 px)."""
    page = LoginPage(session, target, portal).open()
    with session.step("Measure the layout"):
        report = measure_layout(
            session,
            {
                "Sign in button": page.submit,
                "Email field": page.email,
                "Password field": page.password,
            },
            touch=session.cell.touch,
        )
        assert report.fits, "; ".join(report.problems)
