"""Connectivity and target health (SPEC 4.2). The run's start checks the target over HTTP and stops
with one message when it is down; these journeys check each cell's browser reaches it."""

from __future__ import annotations

import json

import pytest

from compat_harness.matrix import Portal
from compat_harness.outcomes import not_applicable
from compat_harness.plugin.settings import settings_of
from compat_harness.session.base import Session
from compat_harness.target import Target

pytestmark = pytest.mark.journey("connectivity")


@pytest.mark.parametrize("portal", list(Portal), ids=lambda p: p.value)
def test_browser_reaches_the_portal(session: Session, target: Target, portal: Portal) -> None:
    """The cell's browser loads the portal and the page's own scripts run."""
    with session.step("Load the login page"):
        session.goto(target.url(portal, "/login"))
        ready = session.evaluate("() => document.readyState")
        assert ready == "complete", f"page still {ready!r} after load"
    with session.step("The page's script has run"):
        script = session.css("[data-script-version]")
        session.wait_until(
            lambda: script.inner_text().strip() != "",
            session.timeouts.expect,
            "the page's script to write its version",
        )


def test_browser_reaches_the_health_endpoint(session: Session, target: Target) -> None:
    """The health endpoint answers the browser (target up, right mode)."""
    if target.kind != "reference" and target.mode == "unknown":
        not_applicable("the target has no /healthz endpoint")
    with session.step("Read /healthz in the browser"):
        session.goto(target.url(Portal.CLIENT, "/healthz"))
        body = session.evaluate("() => document.body.innerText")
        assert json.loads(body)["status"] == "ok"


def test_control_url_reaches_the_browser(session: Session, request: pytest.FixtureRequest) -> None:
    """A URL outside the target loads too (tells 'target down' from 'network down')."""
    control = settings_of(request.config).control_url
    if not control:
        not_applicable("no --control-url given")
    with session.step(f"Load {control}"):
        session.goto(control)
