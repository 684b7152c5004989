"""Web-first assertions that work on every engine: they poll the neutral session until the
condition holds or the expect timeout runs out, then fail naming what was expected and seen.

    expect(session).to_have_url(re.compile(r"/dashboard$"))
    expect(page.role("alert")).to_contain_text("incorrect")

Checks that something is gone or hidden take the page they are about and hold only there
(``expect(button).to_be_absent(on=dashboard.place)``): an error page or a blank page lacks the
button too, and must not pass them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, overload

from compat_harness.place import Place
from compat_harness.session.base import HarnessTimeout, Locator, Session

Pattern = str | re.Pattern[str]


def _matches(
    actual: str, expected: Pattern, *, contain: bool = False, ignore_case: bool = False
) -> bool:
    if isinstance(expected, re.Pattern):
        return expected.search(actual) is not None
    a, e = " ".join(actual.split()), " ".join(expected.split())
    if ignore_case:
        a, e = a.lower(), e.lower()
    return e in a if contain else a == e


def _show(expected: Pattern) -> str:
    return f"/{expected.pattern}/" if isinstance(expected, re.Pattern) else repr(expected)


class ExpectUsageError(TypeError):
    """An assertion asked for in a way that cannot fail when it should (e.g. absence anywhere)."""


class _Poller:
    def __init__(self, session: Session, timeout: float | None) -> None:
        self._session = session
        self._timeout = session.timeouts.expect if timeout is None else timeout

    def _poll(self, read: Callable[[], Any], ok: Callable[[Any], bool], expectation: str) -> Any:
        seen: list[Any] = []

        def attempt() -> bool:
            value = read()
            seen[:] = [value]
            return ok(value)

        try:
            self._session.wait_until(attempt, self._timeout, expectation)
        except HarnessTimeout as exc:
            last = f"; last seen: {seen[0]!r}" if seen else ""
            raise AssertionError(f"expected {expectation}{last} ({exc})") from None
        return seen[0] if seen else None

    def _poll_on(
        self, place: Place, read: Callable[[], Any], ok: Callable[[Any], bool], expectation: str
    ) -> None:
        """Poll until the browser is on ``place`` and ``ok(read())`` holds there, together."""
        seen: list[Any] = []

        def attempt() -> bool:
            problem = place.problem(self._session)
            seen[:] = [problem]
            if problem is not None:
                return False
            seen.append(read())
            return ok(seen[1])

        try:
            self._session.wait_until(attempt, self._timeout, f"{expectation} on {place.name}")
        except HarnessTimeout as exc:
            if seen and seen[0] is not None:
                raise AssertionError(
                    f"expected {expectation} on {place.name}, but {seen[0]} ({exc})"
                ) from None
            last = f"; last seen: {seen[1]!r}" if len(seen) > 1 else ""
            raise AssertionError(f"expected {expectation} on {place.name}{last} ({exc})") from None


class SessionAssertions(_Poller):
    def __init__(self, session: Session, timeout: float | None) -> None:
        super().__init__(session, timeout)
        self.session = session

    def to_have_url(self, expected: Pattern) -> str:
        return str(
            self._poll(
                lambda: self.session.url, lambda v: _matches(v, expected), f"URL {_show(expected)}"
            )
        )

    def to_be_at(self, place: Place) -> None:
        """The browser shows ``place``: its URL and its main heading."""
        self._poll_on(place, lambda: True, bool, "the browser to be")

    def to_have_title(self, expected: Pattern) -> str:
        return str(
            self._poll(
                self.session.title, lambda v: _matches(v, expected), f"title {_show(expected)}"
            )
        )


class LocatorAssertions(_Poller):
    def __init__(self, locator: Locator, timeout: float | None) -> None:
        super().__init__(locator.session, timeout)
        self.locator = locator
        self._what = locator.query.describe()

    def to_be_visible(self) -> None:
        self._poll(self.locator.is_visible, bool, f"{self._what} to be visible")

    def to_be_hidden(self, *, on: Place) -> None:
        """Not shown, on the page ``on`` (which must be the page shown meanwhile)."""
        self._poll_on(on, self.locator.is_visible, lambda v: not v, f"{self._what} to be hidden")

    def to_be_absent(self, *, on: Place) -> None:
        """No element matches, on the page ``on`` (which must be the page shown meanwhile)."""
        self._poll_on(on, self.locator.count, lambda v: v == 0, f"{self._what} to be absent")

    def to_have_count(self, count: int) -> None:
        if count == 0:
            raise ExpectUsageError(
                f"to_have_count(0) for {self._what} would pass on any page that lacks it (an "
                "error page too): use to_be_absent(on=<the page object's place>)"
            )
        self._poll(
            self.locator.count, lambda v: v == count, f"{self._what} to match {count} element(s)"
        )

    def to_have_text(self, expected: Pattern) -> str:
        return str(
            self._poll(
                self._text,
                lambda v: v is not None and _matches(v, expected),
                f"{self._what} to have text {_show(expected)}",
            )
        )

    def to_contain_text(self, expected: Pattern, *, ignore_case: bool = False) -> str:
        return str(
            self._poll(
                self._text,
                lambda v: (
                    v is not None and _matches(v, expected, contain=True, ignore_case=ignore_case)
                ),
                f"{self._what} to contain {_show(expected)}",
            )
        )

    def to_have_value(self, expected: Pattern) -> str:
        return str(
            self._poll(
                self._value,
                lambda v: v is not None and _matches(v, expected),
                f"{self._what} to have value {_show(expected)}",
            )
        )

    def to_have_attribute(self, name: str, expected: Pattern) -> str:
        return str(
            self._poll(
                lambda: self.locator.read_now("attribute", name),
                lambda v: v is not None and _matches(v, expected),
                f"{self._what} to have {name}={_show(expected)}",
            )
        )

    def to_be_checked(self, checked: bool = True) -> None:
        self._poll(
            lambda: self.locator.read_now("checked"),
            lambda v: v is checked,
            f"{self._what} to be {'checked' if checked else 'unchecked'}",
        )

    def _text(self) -> str | None:
        return self.locator.read_now("text")  # type: ignore[no-any-return]

    def _value(self) -> str | None:
        return self.locator.read_now("value")  # type: ignore[no-any-return]


@overload
def expect(target: Session, timeout: float | None = None) -> SessionAssertions: ...
@overload
def expect(target: Locator, timeout: float | None = None) -> LocatorAssertions: ...
def expect(
    target: Session | Locator, timeout: float | None = None
) -> SessionAssertions | LocatorAssertions:
    if isinstance(target, Session):
        return SessionAssertions(target, timeout)
    return LocatorAssertions(target, timeout)
