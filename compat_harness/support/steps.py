"""A short list of steps, written the way a person reports what they did, replayed as a journey.

    portal: client            # optional: client (default) or provider
    steps:
      - open: /login          # a path on the portal (or a full URL on the target)
      - sign in               # with the portal's test account (provisioned, or from secrets)
      - click: link Schedule  # "<role> <accessible name>", or {role: ..., name: ...}
      - fill: {label: Message, value: Hello}
      - select: {label: Session length, option: 45 minutes}
      - check: I have reviewed the cancellation policy     # a checkbox by its label
      - see: Book or start a session                        # text that must be on the page
      - url: /schedule        # the page the person should be on (path prefix)

Every step runs through the neutral session (so on every engine) as a named step of the journey.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.login import sign_in
from compat_harness.session.base import Locator, Session
from compat_harness.target import Target

ACTIONS = ("open", "sign in", "click", "fill", "select", "check", "see", "url")


class StepsError(ValueError):
    """The steps file is not usable; the message names the step and the fix."""


@dataclass(frozen=True)
class Step:
    action: str
    arg: dict[str, str]

    def describe(self) -> str:
        if self.action == "sign in":
            return "Sign in"
        details = ", ".join(f"{k} {v!r}" for k, v in self.arg.items())
        return f"{self.action.capitalize()} {details}"


@dataclass(frozen=True)
class Steps:
    portal: Portal
    steps: tuple[Step, ...]

    @property
    def may_change_data(self) -> bool:
        """Filling forms or pressing buttons may book or cancel: treated as destructive."""
        return any(
            s.action in ("fill", "select", "check")
            or (s.action == "click" and s.arg.get("role") == "button")
            for s in self.steps
        )


def _target_of(action: str, value: Any, where: str) -> dict[str, str]:
    """A step's argument: a mapping, or the short text forms the module docstring shows."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    text = str(value).strip()
    if action == "click":
        role, _, name = text.partition(" ")
        if not name:
            raise StepsError(f"{where}: write click as '<role> <name>', e.g. 'button Sign in'")
        return {"role": role, "name": name}
    if action in ("check",):
        return {"label": text}
    if action == "open" or action == "url":
        return {"path": text}
    if action == "see":
        return {"text": text}
    raise StepsError(f"{where}: {action} needs a mapping, e.g. {{label: Email, value: ...}}")


def parse_steps(text: str, source: str = "<steps>") -> Steps:
    """Read a steps file; StepsError names the step that is wrong and how to write it."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StepsError(f"{source}: not valid YAML ({exc})") from None
    if isinstance(data, list):
        data = {"steps": data}
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or not data["steps"]:
        raise StepsError(f"{source}: expected a list of steps (or 'steps:' with a list)")
    try:
        portal = Portal(str(data.get("portal", "client")))
    except ValueError:
        raise StepsError(f"{source}: portal must be client or provider") from None
    steps = []
    for number, raw in enumerate(data["steps"], start=1):
        where = f"{source}: step {number}"
        if raw == "sign in":
            steps.append(Step("sign in", {}))
            continue
        if not isinstance(raw, dict) or len(raw) != 1:
            raise StepsError(f"{where}: write one action per step, one of: {', '.join(ACTIONS)}")
        action, value = next(iter(raw.items()))
        if action not in ACTIONS:
            raise StepsError(
                f"{where}: unknown action {action!r}; use one of: {', '.join(ACTIONS)}"
            )
        arg = _target_of(action, value, where)
        required = {
            "fill": ("label", "value"),
            "select": ("label", "option"),
            "click": ("role", "name"),
        }
        missing = [k for k in required.get(action, ()) if k not in arg]
        if missing:
            raise StepsError(f"{where}: {action} needs {', '.join(missing)}")
        steps.append(Step(action, arg))
    return Steps(portal, tuple(steps))


def load_steps(path: str | Path) -> Steps:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise StepsError(f"cannot read the steps file {path} ({exc.strerror})") from None
    return parse_steps(text, str(path))


def _locator(session: Session, arg: dict[str, str]) -> Locator:
    if "role" in arg:
        return session.role(arg["role"], arg.get("name"))
    if "label" in arg:
        return session.label(arg["label"])
    return session.text(arg["text"])


def run_steps(steps: Steps, session: Session, target: Target, account: Any) -> None:
    """Replay the steps in the session, each as a named step of the journey."""
    base = target.url(steps.portal, "/")
    for step in steps.steps:
        with session.step(step.describe()):
            arg = step.arg
            if step.action == "sign in":
                sign_in(session, target, steps.portal, account.email, account.password)
            elif step.action == "open":
                path = arg["path"]
                session.goto(path if path.startswith("http") else target.url(steps.portal, path))
            elif step.action == "click":
                _locator(session, arg).click()
            elif step.action == "fill":
                session.label(arg["label"]).fill(arg["value"])
            elif step.action == "select":
                session.label(arg["label"]).select(label=arg["option"])
            elif step.action == "check":
                session.label(arg["label"]).check()
            elif step.action == "see":
                expect(_locator(session, arg).first).to_be_visible()
            elif step.action == "url":
                wanted = (
                    arg["path"]
                    if arg["path"].startswith("http")
                    else base.rstrip("/") + arg["path"]
                )
                expect(session).to_have_url(re.compile("^" + re.escape(wanted)))
