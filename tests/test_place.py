"""Absence checks know where they are: an error page or a blank page lacks the button too, so
``to_be_absent`` / ``to_be_hidden`` hold only on the page they name, and ``to_have_count(0)``
(which would pass anywhere) is refused."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from compat_harness.expect import ExpectUsageError, expect
from compat_harness.place import Place, page_url
from compat_harness.session.base import Locator, Query, Session, StepLog, Timeouts

BASE = "http://127.0.0.1:5000"
SCHEDULE = Place("the Schedule page", page_url(BASE, "/schedule"), "Schedule")


@dataclass
class _Page:
    url: str
    heading: str | None
    buttons: int = 0
    shown: bool = True
    calls: list[str] = field(default_factory=list)


class _Locator(Locator):
    def count(self) -> int:
        return self.session.page.buttons  # type: ignore[attr-defined,no-any-return]

    def is_visible(self) -> bool:
        return self.count() > 0

    def inner_text(self) -> str:
        return ""

    def input_value(self) -> str:
        return ""

    def attribute(self, name: str) -> str | None:
        return None

    def box(self) -> None:
        return None

    def is_checked(self) -> bool:
        return False

    def options(self) -> list[str]:
        return []

    def _click(self) -> None: ...

    def _fill(self, value: str) -> None: ...

    def _select(self, *, value: str | None, label: str | None) -> None: ...

    def _set_checked(self, checked: bool) -> None: ...


class _Session(Session):
    """Just enough of a session: a page with an address, a heading and some buttons."""

    def __init__(self, page: _Page) -> None:
        super().__init__(None, None, Timeouts(expect=0.2), StepLog())  # type: ignore[arg-type]
        self.page = page

    def locator(self, query: Query) -> Locator:
        return _Locator(self, query)

    def _goto(self, url: str) -> None: ...

    @property
    def url(self) -> str:
        return self.page.url

    def title(self) -> str:
        return ""

    def _reload(self) -> None: ...

    def evaluate(self, function: str, arg: Any = None) -> Any:
        return {"url": self.page.url, "heading": self.page.heading, "shown": self.page.shown}

    def screenshot(self, path: str, *, mask: list[Locator] | None = None) -> None: ...

    def close(self) -> None: ...

    def crashed(self) -> bool:
        return False

    def cookies(self) -> list[dict[str, Any]]:
        return []

    def clear_cookies(self) -> None: ...


def _button(page: _Page) -> Locator:
    return _Session(page).role("button", "Cancel session")


def test_absence_holds_on_the_page_it_names() -> None:
    expect(_button(_Page(BASE + "/schedule?canceled=3", "Schedule"))).to_be_absent(on=SCHEDULE)
    expect(_button(_Page(BASE + "/schedule", "Schedule"))).to_be_hidden(on=SCHEDULE)


@pytest.mark.parametrize(
    ("page", "says"),
    [
        (
            _Page(BASE + "/schedule/sessions/3/cancel", "Page not found"),
            "on the Schedule page, but the browser is at",
        ),
        (_Page(BASE + "/schedule", "This session can no longer be changed."), "is headed"),
        (_Page(BASE + "/schedule", None, shown=False), "shows no main heading"),
        (_Page("about:blank", None), "a page with no heading"),
    ],
)
def test_an_error_or_blank_page_cannot_pass_an_absence_check(page: _Page, says: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(says)):
        expect(_button(page)).to_be_absent(on=SCHEDULE)


def test_on_the_page_but_still_there_fails_with_what_was_seen() -> None:
    with pytest.raises(AssertionError, match=r"to be absent on the Schedule page; last seen: 1"):
        expect(_button(_Page(BASE + "/schedule", "Schedule", buttons=1))).to_be_absent(on=SCHEDULE)


def test_absence_anywhere_is_refused() -> None:
    with pytest.raises(ExpectUsageError, match=r"to_be_absent\(on="):
        expect(_button(_Page(BASE + "/schedule", "Schedule"))).to_have_count(0)


def test_a_place_matches_its_own_urls_only() -> None:
    url = page_url(BASE, r"/schedule/sessions/\d+/cancel")
    assert url.search(BASE + "/schedule/sessions/12/cancel?x=1")
    assert not url.search(BASE + "/schedule/sessions/12/cancel/more")
    assert not url.search("http://127.0.0.1:5001/schedule/sessions/12/cancel")
    expect(_Session(_Page(BASE + "/login?next=%2F", "Sign in to Haven"))).to_be_at(
        Place("the login page", page_url(BASE, "/login"), "Sign in to Haven")
    )
