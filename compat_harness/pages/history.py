"""What an earlier visit leaves in a browser profile, for journeys run "with stored data"."""

from __future__ import annotations

import re
import time
from enum import Enum

from compat_harness.expect import expect
from compat_harness.matrix import Portal
from compat_harness.pages.login import keep_signed_in, sign_in
from compat_harness.pages.shell import AppShell
from compat_harness.profiles import HISTORY_STEP, Profile
from compat_harness.session.base import Session
from compat_harness.target import Target

DRAFT = "Draft from an earlier visit"


class Leave(Enum):
    """How the earlier visit ends."""

    SIGN_OUT = "signs out"  # as people are told to
    CLOSE_TAB = "closes the tab, still signed in"  # what most people do
    STAY = "stays on the page"  # journeys that go on in the same visit (clearing data)


LEAVES = {Profile.STORED: Leave.SIGN_OUT, Profile.TAB_CLOSED: Leave.CLOSE_TAB}


_WORKER_ACTIVE = """async () => {
  if (!navigator.serviceWorker) return true;
  const registration = await navigator.serviceWorker.getRegistration();
  return !!(registration && registration.active && registration.active.state === "activated");
}"""


# What the origin keeps: CacheStorage entries, localStorage keys, IndexedDB records per store.
# A database is opened without a version (no upgrade) and closed at once; one the app holds
# locked for an upgrade is read as "busy" rather than waited for.
_STORED = """async () => {
  const parts = [];
  try {
    for (const name of (await caches.keys()).sort()) {
      const keys = await (await caches.open(name)).keys();
      parts.push(name + '=' + keys.map(function (r) { return r.url; }).sort().join(' '));
    }
  } catch (err) { parts.push('caches: ' + err); }
  try { parts.push(Object.keys(localStorage).sort().join(' ')); } catch (err) { parts.push('ls'); }
  function counts(name) {
    return new Promise(function (done) {
      const timer = setTimeout(function () { done(name + ': busy'); }, 1000);
      const request = indexedDB.open(name);
      request.onupgradeneeded = function () { request.transaction.abort(); };
      request.onerror = request.onblocked = function () { clearTimeout(timer); done(name + ': -'); };
      request.onsuccess = function () {
        const db = request.result;
        const stores = Array.from(db.objectStoreNames);
        if (!stores.length) { db.close(); clearTimeout(timer); done(name); return; }
        const tx = db.transaction(stores, 'readonly');
        const sizes = stores.map(function (store) { return tx.objectStore(store).count(); });
        tx.oncomplete = tx.onabort = function () {
          db.close();
          clearTimeout(timer);
          done(name + ': ' + stores.map(function (store, i) {
            return store + '=' + sizes[i].result;
          }).join(' '));
        };
      };
    });
  }
  try {
    if (indexedDB.databases) {
      const dbs = (await indexedDB.databases()).map(function (d) { return d.name; }).sort();
      for (const name of dbs) parts.push(await counts(name));
    }
  } catch (err) { parts.push('idb'); }
  return parts.join('\\n');
}"""
# A put the service worker started lands after the page that caused it. Without this wait the
# next navigation came 30-50 ms after the sign-out here, and on a loaded CI runner before the put:
# the profile must read the same for this long (four times that margin).
SETTLED_FOR = 0.2


def visit_before(
    session: Session, target: Target, portal: Portal, email: str, password: str, profile: Profile
) -> None:
    """For a stored-data profile, the earlier visit that fills it, ended the profile's way
    (nothing for a fresh profile)."""
    if profile.stored:
        earlier_visit(session, target, portal, email, password, leave=LEAVES[profile])


def earlier_visit(
    session: Session,
    target: Target,
    portal: Portal,
    email: str,
    password: str,
    *,
    leave: Leave = Leave.SIGN_OUT,
) -> None:
    """Sign in, load the dashboard (the app caches it), scripts and styles (the HTTP cache), the
    service worker, a message draft in IndexedDB (client), then leave: sign out, close the tab
    (the session cookie stays, so the next sign-in finds the portal signed in), or stay."""
    with session.step(f"{HISTORY_STEP} to the {portal} portal, which {leave.value}"):
        sign_in(session, target, portal, email, password)
        # A returning person's service worker has long been active: the pages that follow are
        # its to answer (and to cache). Registered is not enough: a worker still installing
        # lets them through to the network, and the visit would store less than a person's.
        session.wait_until(
            lambda: session.evaluate(_WORKER_ACTIVE),
            session.timeouts.expect,
            "the service worker to be active",
        )
        if portal is Portal.CLIENT:
            session.goto(target.url(portal, "/room"))
            session.label("Message", exact=True).fill(DRAFT)
        if leave is Leave.SIGN_OUT:
            AppShell(session, target, portal).sign_out()
            let_the_visit_settle(session)
        elif leave is Leave.CLOSE_TAB:
            let_the_visit_settle(session)
            # The page goes away as a closed tab's does (its unload handlers run); the browser
            # keeps the cookies, storage and caches.
            session.goto("about:blank")
            keep_signed_in(session, portal, email)
        else:
            let_the_visit_settle(session)


def let_the_visit_settle(session: Session) -> None:
    """Wait until what the visit stored stops changing, as it has by the time a person comes
    back: a service worker's cache writes land after the page that caused them, so a journey
    that went on at once would find a profile that no person has (seen in CI: a cache-first
    worker's login page not yet cached, so the 'returning visitor' got a fresh one). Gives up
    quietly after the expect timeout: a page that never stops writing is the journey's to judge."""
    deadline = time.monotonic() + session.timeouts.expect
    last = session.evaluate(_STORED)
    since = time.monotonic()
    while (now := time.monotonic()) < deadline and now - since < SETTLED_FOR:
        session.pause(0.05)
        seen = session.evaluate(_STORED)
        if seen != last:
            last, since = seen, time.monotonic()


def footer_versions(session: Session) -> tuple[int, int]:
    """(App version, Script version) shown in the footer, once the script has written its own."""
    app = session.text(re.compile(r"^App version \d+$"))
    script = session.text(re.compile(r"^Script version \d+$"))
    expect(script).to_be_visible()
    return int(app.inner_text().split()[-1]), int(script.inner_text().split()[-1])
