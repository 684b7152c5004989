"""A journey given as a short list of steps (``--steps FILE``): what a person reported doing, e.g.
for ``compat repro --steps``. Runs only when steps are given; see compat_harness/support/steps.py."""

from __future__ import annotations

import pytest

from compat_harness.matrix import Portal
from compat_harness.plugin.settings import settings_of
from compat_harness.session.base import Session
from compat_harness.support.steps import load_steps, run_steps
from compat_harness.target import Target

# The steps a person reports start from where they were: signed out, as they sign in themselves.
pytestmark = [
    pytest.mark.journey("steps"),
    pytest.mark.steps_journey,
    pytest.mark.starts_signed_out,
]


def test_reported_steps(
    session: Session, target: Target, portal: Portal, request: pytest.FixtureRequest
) -> None:
    """The reported steps, replayed on this cell."""
    path = settings_of(request.config).steps
    # Collection leaves this test out of runs without --steps.
    assert path is not None, "test_reported_steps ran without --steps"
    steps = load_steps(path)
    signs_in = any(step.action == "sign in" for step in steps.steps)
    account = request.getfixturevalue("account") if signs_in else None
    run_steps(steps, session, target, account)
