"""The benchmark's journey through the harness: the same navigations as bench/bare.py."""

from __future__ import annotations

import re

import pytest

from bench.workload import REPEATS
from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.login import sign_in
from compat_harness.pages.shell import AppShell
from compat_harness.session.base import Session
from compat_harness.target import Target
from fixtures.accounts import Account

pytestmark = pytest.mark.journey("bench")


@pytest.mark.parametrize("repeat", range(REPEATS))
@pytest.mark.parametrize("portal", list(Portal), ids=lambda p: p.value)
def test_sign_in_schedule_sign_out(
    session: Session, target: Target, portal: Portal, account: Account, repeat: int
) -> None:
    sign_in(session, target, portal, account.email, account.password)
    session.goto(target.url(portal, "/schedule"))
    expect(session.role("heading", "Schedule", exact=True)).to_be_visible()
    AppShell(session, target, portal).sign_out()
    expect(session).to_have_url(re.compile(r"/login\?signed_out=1$"))
