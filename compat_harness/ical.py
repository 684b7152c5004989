"""A strict reader for the iCalendar files the product offers (RFC 5545 essentials), so a journey
can tell whether a calendar would accept the file and at what time the event lands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

REQUIRED_CALENDAR = ("VERSION", "PRODID")
REQUIRED_EVENT = ("UID", "DTSTAMP", "DTSTART")


class ICalError(ValueError):
    pass


@dataclass
class Component:
    name: str
    props: dict[str, list[tuple[dict[str, str], str]]] = field(default_factory=dict)
    children: list[Component] = field(default_factory=list)

    def value(self, name: str) -> str:
        values = self.props.get(name)
        if not values:
            raise ICalError(f"{self.name} has no {name}")
        return values[0][1]


def _unfold(text: str) -> list[str]:
    if "\r\n" not in text or text.replace("\r\n", "").count("\n"):
        raise ICalError("lines must end with CRLF (RFC 5545 3.1)")
    lines: list[str] = []
    for raw in text.split("\r\n"):
        if raw.startswith((" ", "\t")) and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def _split(line: str) -> tuple[str, dict[str, str], str]:
    head, sep, value = line.partition(":")
    if not sep:
        raise ICalError(f"not a content line: {line!r}")
    name, *params = head.split(";")
    parsed = {}
    for param in params:
        key, _, val = param.partition("=")
        parsed[key.upper()] = val
    return name.upper(), parsed, value


def parse(text: str) -> Component:
    """The VCALENDAR, with its components; ICalError names the first problem."""
    stack: list[Component] = []
    root: Component | None = None
    for line in _unfold(text):
        name, params, value = _split(line)
        if name == "BEGIN":
            component = Component(value.upper())
            if stack:
                stack[-1].children.append(component)
            elif root is None:
                root = component
            else:
                raise ICalError("more than one top-level component")
            stack.append(component)
        elif name == "END":
            if not stack or stack[-1].name != value.upper():
                raise ICalError(
                    f"END:{value} does not close {stack[-1].name if stack else 'anything'}"
                )
            stack.pop()
        elif not stack:
            raise ICalError(f"{name} outside any component")
        else:
            stack[-1].props.setdefault(name, []).append((params, value))
    if root is None or root.name != "VCALENDAR" or stack:
        raise ICalError("not a complete VCALENDAR")
    for prop in REQUIRED_CALENDAR:
        root.value(prop)
    if root.value("VERSION") != "2.0":
        raise ICalError("VERSION must be 2.0")
    events = [c for c in root.children if c.name == "VEVENT"]
    if not events:
        raise ICalError("no VEVENT")
    for event in events:
        for prop in REQUIRED_EVENT:
            event.value(prop)
    return root


def utc_time(value: str) -> datetime:
    """A DATE-TIME in UTC form (``20270203T160000Z``)."""
    if not value.endswith("Z"):
        raise ICalError(f"{value!r} is not a UTC time")
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
