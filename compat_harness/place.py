"""Where a person is: a page of the product, known by its URL and its main heading.

A check that something is gone (a button after it was pressed, a warning that does not apply)
passes on any page that lacks it, an error page or a blank one included. So absence checks take
the page they are about (``expect(locator).to_be_absent(on=place)``) and hold only there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compat_harness.session.base import Session

# One round trip: the page's address and its first level-one heading, if shown.
_READ = """() => {
  const h = document.querySelector('h1, [role=heading][aria-level="1"]');
  const shown = !!h && h.getClientRects().length > 0 && getComputedStyle(h).visibility !== 'hidden';
  return {url: location.href, heading: h ? h.textContent : null, shown: shown};
}"""


@dataclass(frozen=True)
class Place:
    """A page: its name for messages, its URL pattern and its main (h1) heading."""

    name: str
    url: re.Pattern[str]
    heading: str | re.Pattern[str]

    def problem(self, session: Session) -> str | None:
        """Why the session's current page is not this one; None when it is."""
        seen = session.evaluate(_READ)
        url = str(seen["url"])
        heading = " ".join(str(seen["heading"] or "").split())
        if not self.url.search(url):
            return f"the browser is at {url}" + _showing(heading, seen)
        if not seen["shown"]:
            return f"{url} shows no main heading"
        if isinstance(self.heading, re.Pattern):
            if self.heading.search(heading):
                return None
        elif heading == " ".join(self.heading.split()):
            return None
        return f"{url} is headed {heading!r}, not {_show(self.heading)}"


def _showing(heading: str, seen: dict[str, object]) -> str:
    return (
        f", a page headed {heading!r}" if heading and seen["shown"] else ", a page with no heading"
    )


def _show(heading: str | re.Pattern[str]) -> str:
    return f"/{heading.pattern}/" if isinstance(heading, re.Pattern) else repr(heading)


def page_url(base: str, path: str) -> re.Pattern[str]:
    """The URL of a page under ``base``; ``path`` is a regular expression (e.g. ``/schedule``,
    ``/schedule/sessions/\\d+/cancel``), any query string or fragment allowed."""
    return re.compile("^" + re.escape(base.rstrip("/")) + path + r"(?:[?#].*)?$")
