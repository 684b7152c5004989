"""What a browser profile holds for the target, and clearing exactly one kind of it.

Support advice distinguishes clearing the cache (keeps the login) from clearing cookies (signs out,
saved logins gone) and from clearing all site data. Each is done the way the engine allows:
Chromium through its DevTools protocol (as its own settings dialog does); other engines through
the web platform's ``Clear-Site-Data`` answer from the target's test hook; on a target without
that hook an engine with no native way reports the step as not applicable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from compat_harness.session.base import HarnessTimeout, Session
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
    cache_entries: tuple[str, ...] | None  # "cache url" per stored response
    indexed_db_records: tuple[str, ...] | None  # "database store=count" per object store


# Each database is opened without a version (no upgrade) and closed at once; one the app holds
# locked is read as "busy" after 1 s rather than waited for.
_INSPECT = """async () => {
  function records(name) {
    return new Promise(function (done) {
      const timer = setTimeout(function () { done([name + ' busy']); }, 1000);
      const request = indexedDB.open(name);
      request.onupgradeneeded = function () { request.transaction.abort(); };
      request.onerror = function () { clearTimeout(timer); done([name + ' -']); };
      request.onsuccess = function () {
        const db = request.result;
        const stores = Array.from(db.objectStoreNames);
        if (!stores.length) { db.close(); clearTimeout(timer); done([]); return; }
        const tx = db.transaction(stores, 'readonly');
        const counts = stores.map(function (store) { return tx.objectStore(store).count(); });
        tx.oncomplete = tx.onabort = function () {
          db.close();
          clearTimeout(timer);
          done(stores.map(function (store, i) { return name + ' ' + store + '=' + counts[i].result; }));
        };
      };
    });
  }
  const idb = indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : null;
  const sw = navigator.serviceWorker ? (await navigator.serviceWorker.getRegistrations()).length : null;
  const cs = self.caches ? await caches.keys() : null;
  let entries = null;
  if (cs) {
    entries = [];
    for (const name of cs) {
      for (const r of await (await caches.open(name)).keys()) entries.push(name + ' ' + r.url);
    }
  }
  let rows = null;
  if (idb) {
    rows = [];
    for (const name of idb) rows.push(...(await records(name)));
  }
  return {local: Object.keys(localStorage), idb: idb, sw: sw, cs: cs, entries: entries, rows: rows};
}"""


def _sorted(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(sorted(values))


def inspect(session: Session) -> StoredData:
    data: dict[str, Any] = session.evaluate(_INSPECT)
    return StoredData(
        cookies=tuple(sorted(c["name"] for c in session.cookies())),
        local_storage=tuple(sorted(data["local"])),
        indexed_db=_sorted(data["idb"]),
        service_workers=data["sw"],
        cache_storage=_sorted(data["cs"]),
        cache_entries=_sorted(data["entries"]),
        indexed_db_records=_sorted(data["rows"]),
    )


# Writes a page started land after it: a service worker's cache put after the page it answered
# (without this wait the next navigation came 30-50 ms after a sign-out here, and on a loaded CI
# runner before the put). The profile must read the same for this long: four times that margin.
SETTLED_FOR = 0.2


def settle(session: Session) -> StoredData:
    """Wait until what the page's origin stores stops changing, as it has by the time a person
    comes back to it; returns what it holds. Gives up quietly after the expect timeout once the
    stores could be read (a page that never stops writing is the journey's to judge)."""
    seen: list[tuple[StoredData, float]] = []  # the last reading and when it was first read

    def quiet() -> bool:
        now = inspect(session)
        if not seen or seen[0][0] != now:
            seen[:] = [(now, time.monotonic())]
        return time.monotonic() - seen[0][1] >= SETTLED_FOR

    try:
        session.wait_until(quiet, session.timeouts.expect, "the stored data to settle")
    except HarnessTimeout:
        if not seen:
            raise
    return seen[0][0]
