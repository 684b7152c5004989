"""What a browser profile holds for the target, and clearing exactly one kind of it.

Support advice distinguishes clearing the cache (keeps the login) from clearing cookies (signs out,
saved logins gone) and from clearing all site data. Each is done the way the engine allows:
Chromium through its DevTools protocol (as its own settings dialog does); other engines through
the web platform's ``Clear-Site-Data`` answer from the target's test hook; on a target without
that hook an engine with no native way reports the step as not applicable.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from compat_harness.session.base import Session
from compat_harness.target import Target


class Clear(StrEnum):
    CACHE = "cache"  # the HTTP cache only: the login survives
    COOKIES = "cookies"  # signs out; saved logins are gone
    SITE_DATA = "site data"  # cookies, local storage, IndexedDB, cache, service workers


CLEAR_SITE_DATA_TYPES = {Clear.CACHE: "cache", Clear.COOKIES: "cookies", Clear.SITE_DATA: "*"}


class ClearNotSupported(Exception):
    """The engine cannot clear this on this target; the message says why."""


def clear(session: Session, target: Target, what: Clear) -> str:
    """Clear ``what`` for both portals; returns how it was done (for the step log)."""
    origins = [target.client_url, target.provider_url]
    with session.step(f"Clear the browser's {what}"):
        if session.clear_natively(what.value, origins):
            return "the browser's own API"
        if not target.is_test_target:
            raise ClearNotSupported(
                f"{session.info.browser} has no API to clear only the {what}, and {target.client_url} "
                "has no Clear-Site-Data test hook"
            )
        for origin in dict.fromkeys(origins):
            session.goto(f"{origin}/__test__/clear-site-data?types={CLEAR_SITE_DATA_TYPES[what]}")
            if what is Clear.SITE_DATA:
                # Measured on WebKitGTK 2.50: Clear-Site-Data ("*" or "storage") leaves service
                # worker registrations in place, so they are unregistered through the page's API.
                session.evaluate(_UNREGISTER_WORKERS)
        return "Clear-Site-Data from the target"


_UNREGISTER_WORKERS = """async () => {
  if (!navigator.serviceWorker) return 0;
  const registrations = await navigator.serviceWorker.getRegistrations();
  await Promise.all(registrations.map((r) => r.unregister()));
  return registrations.length;
}"""


@dataclass(frozen=True)
class StoredData:
    """What the current page's origin has stored in this profile."""

    cookies: tuple[str, ...]
    local_storage: tuple[str, ...]
    indexed_db: tuple[str, ...] | None  # None: the engine cannot list databases
    service_workers: int | None
    cache_storage: tuple[str, ...] | None


_INSPECT = """async () => {
  const idb = indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : null;
  const sw = navigator.serviceWorker ? (await navigator.serviceWorker.getRegistrations()).length : null;
  const cs = self.caches ? await caches.keys() : null;
  return {local: Object.keys(localStorage), idb: idb, sw: sw, cs: cs};
}"""


def inspect(session: Session) -> StoredData:
    data: dict[str, Any] = session.evaluate(_INSPECT)
    return StoredData(
        cookies=tuple(sorted(c["name"] for c in session.cookies())),
        local_storage=tuple(sorted(data["local"])),
        indexed_db=None if data["idb"] is None else tuple(sorted(data["idb"])),
        service_workers=data["sw"],
        cache_storage=None if data["cs"] is None else tuple(sorted(data["cs"])),
    )
