"""Support's 'short list of steps': parsing with plain errors, and a repro that replays the steps a
person reported on their device and on the recommended desktop."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compat_harness.exitcodes import ExitCode
from compat_harness.matrix import Portal
from compat_harness.support.steps import StepsError, parse_steps
from tests.support.commands import repro


def test_steps_in_short_and_long_forms() -> None:
    steps = parse_steps(
        """
portal: provider
steps:
  - open: /login
  - sign in
  - click: link Caseload
  - fill: {label: Message, value: Hello there}
  - select: {label: Session length, option: 45 minutes}
  - check: I have reviewed the cancellation policy
  - see: Paying clients
  - url: /caseload
"""
    )
    assert steps.portal is Portal.PROVIDER
    assert [s.action for s in steps.steps] == [
        "open",
        "sign in",
        "click",
        "fill",
        "select",
        "check",
        "see",
        "url",
    ]
    assert steps.steps[2].arg == {"role": "link", "name": "Caseload"}
    assert steps.may_change_data
    assert not parse_steps("- open: /login\n- sign in\n- click: link Schedule\n").may_change_data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- jump: /login\n", "step 1: unknown action 'jump'; use one of: open, sign in"),
        ("- open: /login\n- click: Schedule\n", "step 2: write click as '<role> <name>'"),
        ("- fill: {label: Email}\n", "step 1: fill needs value"),
        ("portal: admin\nsteps: [sign in]\n", "portal must be client or provider"),
        ("steps: []\n", "expected a list of steps"),
        ("- {open: /a, see: b}\n", "step 1: write one action per step"),
        ("- open: [\n", "not valid YAML"),
    ],
)
def test_a_bad_steps_file_says_which_step_and_how(text: str, message: str) -> None:
    with pytest.raises(StepsError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_steps(text, "steps.yaml")


def test_repro_replays_the_reported_steps_and_names_the_device(tmp_path: Path) -> None:
    steps = tmp_path / "what-they-did.yaml"
    steps.write_text("- open: /login\n- sign in\n- see: Upcoming sessions\n")
    proc = repro(
        "--device",
        "Android phone, Chrome",
        "--steps",
        str(steps),
        "--defects",
        "touch-submit",
        f"--out={tmp_path / 'b'}",
        f"--report-dir={tmp_path / 'r'}",
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == ExitCode.TESTS_FAILED, out
    assert "VERDICT: fails only on this device → compatibility issue" in out
    assert re.search(r"chrome-desktop +fresh \(incognito\) profile +passed", out), out
    assert 'FAILED at "Sign in › Land signed in"' in out
    assert f"--steps {steps}" in out  # the re-run command
    assert list((tmp_path / "b").glob("repro-*.zip"))
