"""The catalog of defects the reference app can switch on at start-up.

The clean behaviour is the contract (CONTRACT.md). Each defect changes exactly one place in the
app, which asks `AppConfig.defect(name)`. Where the harness must see each one is the harness's
business: its self-tests keep that (tests/support/expectations.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

PortalName = Literal["client", "provider"]
DefectPortal = Literal["client", "provider", "both"]
Category = Literal["compat", "layout", "rule", "stored-data", "script", "server"]


@dataclass(frozen=True)
class Defect:
    """One switchable defect: where it is, what a user sees and why."""

    name: str
    title: str
    portal: DefectPortal
    category: Category
    symptom: str
    cause: str

    def applies_to(self, portal: PortalName) -> bool:
        """Whether the defect lives in that portal."""
        return self.portal in ("both", portal)


CATALOG: tuple[Defect, ...] = (
    # --- login ----------------------------------------------------------------------------------
    Defect(
        name="login-ua-data",
        title="Sign in relies on navigator.userAgentData",
        portal="both",
        category="compat",
        symptom="Pressing Sign in does nothing in Safari/WebKit; the page stays on the form.",
        cause=(
            "The shared script intercepts the login form's submit, calls preventDefault() and "
            "reads navigator.userAgentData.mobile to fill a hidden `device` field. WebKit has "
            "no navigator.userAgentData, so a TypeError stops the handler before form.submit()."
        ),
    ),
    Defect(
        name="login-narrow-overflow",
        title="Login card has a fixed minimum width",
        portal="both",
        category="layout",
        symptom=(
            "On phones the login page scrolls sideways and the Sign in button is cut off at "
            "the right edge."
        ),
        cause="The login card is styled with `min-width: 560px` instead of a fluid width.",
    ),
    Defect(
        name="provider-links-client-login",
        title="Provider login links to the client portal",
        portal="provider",
        category="compat",
        symptom=(
            "On the provider login, Forgot password? opens the client portal's reset page and "
            "the header's product link goes to the client login."
        ),
        cause=("The provider login template builds those links from the client portal's base URL."),
    ),
    Defect(
        name="android-ua-block",
        title="Android browsers are turned away",
        portal="client",
        category="compat",
        symptom=(
            'On Android every client page says "Your browser isn\'t supported"; there is no '
            "login form."
        ),
        cause=(
            'Server-side User-Agent sniffing answers any User-Agent containing "Android" '
            "with an unsupported-browser page."
        ),
    ),
    Defect(
        name="touch-submit",
        title="Tapping Sign in does nothing",
        portal="both",
        category="compat",
        symptom=(
            "On touch devices tapping Sign in does not submit the form; mouse clicks still work."
        ),
        cause=(
            "A `touchend` listener on the Sign in button calls preventDefault() (meant to stop "
            "double submits), which cancels the click that a tap would synthesise."
        ),
    ),
    # --- booking --------------------------------------------------------------------------------
    Defect(
        name="date-parse-mdy",
        title="Booking date parsed from an MM-DD-YYYY string",
        portal="client",
        category="compat",
        symptom=(
            'In Safari/WebKit the booking and reschedule pages preview "Invalid Date" and '
            'Continue / Confirm rescheduling shows "Please choose a valid date."'
        ),
        cause=(
            "The page script builds the date with new Date(mm + '-' + dd + '-' + yyyy); "
            "Chromium's lenient parser accepts it, WebKit returns an Invalid Date."
        ),
    ),
    Defect(
        name="book-button-under-footer",
        title="Book session hidden under the bottom nav on phones",
        portal="client",
        category="layout",
        symptom=(
            "On phones the Book session button sits under the fixed bottom navigation bar; "
            "a tap lands on the navigation instead."
        ),
        cause=(
            "The review page drops the body's bottom padding and renders the button as the very "
            "last element, behind the 64 px fixed nav."
        ),
    ),
    Defect(
        name="late-window-tz-hour",
        title="24-hour rule off by the time-zone difference",
        portal="client",
        category="rule",
        symptom=(
            "With client and provider one hour apart, a change 23.5 hours ahead shows no "
            "warning and the credit comes back, although it is inside the 24-hour window."
        ),
        cause=(
            "The 24-hour check converts the client's local start time to UTC through the "
            "provider's UTC offset instead of using the stored UTC instant."
        ),
    ),
    Defect(
        name="email-utc-time",
        title="Confirmation email shows UTC time with the local zone name",
        portal="client",
        category="rule",
        symptom=(
            "The confirmation email's time is off by the client's UTC offset "
            "(e.g. 3:00 PM EST for a 10:00 AM EST session)."
        ),
        cause=("The email formats the UTC clock time but appends the client's zone abbreviation."),
    ),
    # --- stored data ----------------------------------------------------------------------------
    Defect(
        name="script-immutable-unversioned",
        title="Shared script cached forever at an unversioned URL",
        portal="both",
        category="stored-data",
        symptom=(
            "After a release, a browser with a warm cache keeps running the old script: the "
            "footer shows a Script version different from the App version."
        ),
        cause=(
            "The script is served at /static/app.js with `Cache-Control: public, "
            "max-age=31536000, immutable`, so a new release under the same URL is never fetched."
        ),
    ),
    Defect(
        name="dashboard-cache-kept-on-signout",
        title="Dashboard cache survives sign-out",
        portal="both",
        category="stored-data",
        symptom=(
            "After signing out and back in, the dashboard still shows old data (e.g. a client "
            "who canceled is still under Paying clients)."
        ),
        cause=(
            "Sign-out does not clear the `haven.` localStorage keys and the cache key has no "
            "user id or release-version check."
        ),
    ),
    Defect(
        name="session-cookie-samesite-none",
        title="Session cookie SameSite=None without Secure",
        portal="both",
        category="compat",
        symptom=(
            "In Chrome/Chromium signing in silently fails: you land back on the login page. "
            "Safari/WebKit signs in."
        ),
        cause=(
            "The session cookie is set with SameSite=None but without Secure; Chromium rejects "
            "such cookies, WebKit stores them."
        ),
    ),
    Defect(
        name="session-cookie-secure",
        title="Secure session cookie on plain HTTP",
        portal="both",
        category="compat",
        symptom=(
            "In Safari/WebKit signing in silently fails on the http test origin; Chromium signs in."
        ),
        cause=(
            "The session cookie is marked Secure; WebKit drops Secure cookies set over plain "
            "http, Chromium treats loopback hosts as secure and keeps them."
        ),
    ),
    # --- real browser versions (what no engine here is old enough to show) ------------------------
    Defect(
        name="login-groupby-nesting",
        title="Login page uses Object.groupBy and CSS nesting",
        portal="both",
        category="compat",
        symptom=(
            "On an iPhone before iOS 17.4 the login page's inline script stops with 'Object.groupBy "
            "is not a function'; before iOS 16.5 the login card's nested CSS rule is dropped. "
            "Every browser on this machine is newer, so every journey passes here."
        ),
        cause=(
            "The login template adds an inline <script> calling Object.groupBy (Safari 17.4, "
            "Chrome 117, Firefox 119, Samsung Internet 24) and an inline <style> with a nested "
            "rule (CSS nesting: Safari 17.2 in full, Chrome 120, Firefox 117)."
        ),
    ),
    # --- what only a look at the whole page shows (page sentinels) and more engine differences ----
    Defect(
        name="dashboard-idle-draw",
        title="Dashboard lists drawn in an idle callback with the wrong argument",
        portal="client",
        category="compat",
        symptom=(
            'In Chrome the client dashboard says "You have no upcoming sessions." right after '
            "signing in, although sessions are booked; Safari shows them."
        ),
        cause=(
            "The dashboard draws its lists in requestIdleCallback(renderDashboard.bind(null, "
            "root)) where the browser has it: the callback gets an IdleDeadline, not the data. "
            "WebKit has no requestIdleCallback (measured: WebKitGTK 2.50), so it draws at once."
        ),
    ),
    Defect(
        name="room-time-parse",
        title="Room marks session times with a date Chromium cannot parse",
        portal="client",
        category="compat",
        symptom=(
            "In Chrome the client's room throws 'RangeError: Invalid time value' once a session "
            "confirmation is in the conversation; Safari does not. Nothing visible changes."
        ),
        cause=(
            "The room turns 'Your session on Wednesday, February 3 at 11:00 AM EST' into a <time> "
            "with new Date('Wednesday, February 3, 2027 at 11:00 AM EST').toISOString(): "
            "WebKit's parser reads the word 'at', Chromium's returns an Invalid Date (measured)."
        ),
    ),
    Defect(
        name="message-box-field-sizing",
        title="Message box sized to its content (one line when empty)",
        portal="both",
        category="layout",
        symptom=(
            "On Android Chrome the empty message box in a room is one line high (about 34 px), "
            "hard to tap; in Safari it keeps its height."
        ),
        cause=(
            "The room's textarea gets 'field-sizing: content; min-height: 1lh', which only "
            "Chromium implements (measured: Chromium 150 yes, WebKitGTK 2.50 no)."
        ),
    ),
    Defect(
        name="announcements-500",
        title="Dashboard announcements endpoint answers 500; the page hides it",
        portal="client",
        category="server",
        symptom=(
            "Nothing a person notices at first: the client dashboard's announcements stay empty "
            "because /api/announcements fails with 500 on every visit."
        ),
        cause=(
            "The announcements query names a table a migration renamed; the dashboard script "
            "swallows the error."
        ),
    ),
    Defect(
        name="help-widget-error",
        title="Provider dashboard's help widget throws after load",
        portal="provider",
        category="script",
        symptom=(
            "On every provider dashboard load the console shows 'TypeError: null is not an object' "
            "(or 'Cannot read properties of null'); the page looks fine."
        ),
        cause=(
            "The help widget wires its toggle on the load event, but the header no longer has a "
            "[data-help-toggle] element."
        ),
    ),
    Defect(
        name="provider-dashboard-idle-wait",
        title="Provider dashboard waits for an idle callback Safari never makes",
        portal="provider",
        category="compat",
        symptom=('In Safari the provider dashboard stays on "Loading…" for ever; Chrome loads it.'),
        cause=(
            "The dashboard loads its data from requestIdleCallback, falling back to a queue of an "
            "analytics shim that is no longer loaded: WebKit has no requestIdleCallback (measured: "
            "WebKitGTK 2.50), so nothing ever runs the queue."
        ),
    ),
    Defect(
        name="signout-resume-undefined",
        title="Sign-out stores a value the next visit cannot read",
        portal="both",
        category="stored-data",
        symptom=(
            "Someone who signed out earlier finds the login page broken on their next visit "
            "(a SyntaxError in the console; the sign-in still posts); a private window or a "
            "person who only closed the tab is fine."
        ),
        cause=(
            "Sign-out saves localStorage 'haven.resume' = JSON.stringify(undefined), which "
            "localStorage stores as the text 'undefined'; the login page later runs JSON.parse on "
            "it and throws."
        ),
    ),
    Defect(
        name="sw-shell-cache-first",
        title="Service worker serves the login page and dashboard from its cache for ever",
        portal="both",
        category="stored-data",
        symptom=(
            "After a release, a returning visitor keeps seeing the old login page or dashboard "
            "(the footer's App version stays old) until the site's data is cleared; clearing the "
            "browser cache does not help."
        ),
        cause=(
            "The service worker answers navigations to /login and /dashboard cache-first from "
            "CacheStorage and never refreshes them; the HTTP cache and a release do not touch it."
        ),
    ),
    Defect(
        name="script-array-fromasync",
        title="Shared script starts with Array.fromAsync",
        portal="both",
        category="compat",
        symptom=(
            "In Chrome before 121 (desktop and Android) the shared script stops at its first "
            "statement ('Array.fromAsync is not a function'): no footer version, no dashboard "
            "cache, no booking date preview. Safari has it since 16.4."
        ),
        cause=(
            "The shared script's first statement calls Array.fromAsync (Chrome 121, Safari 16.4, "
            "Firefox 115, Samsung Internet 25) without checking that it exists."
        ),
    ),
)

BY_NAME: dict[str, Defect] = {defect.name: defect for defect in CATALOG}


class UnknownDefectError(ValueError):
    """A defect name that is not in the catalog."""

    def __init__(self, unknown: Iterable[str]) -> None:
        self.unknown = tuple(sorted(unknown))
        super().__init__(
            f"unknown defect(s): {', '.join(self.unknown)}; "
            f"known defects: {', '.join(known_names())}"
        )


def known_names() -> tuple[str, ...]:
    """All defect names in catalog order."""
    return tuple(defect.name for defect in CATALOG)


def parse_defects(spec: str | Iterable[str] | None) -> frozenset[str]:
    """Comma-separated names (or an iterable of names) to a validated set."""
    if spec is None:
        return frozenset()
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names = frozenset(item.strip() for item in items if item and item.strip())
    unknown = names - BY_NAME.keys()
    if unknown:
        raise UnknownDefectError(unknown)
    return names


def describe_catalog() -> str:
    """A plain-text listing of the catalog (for `--list-defects`)."""
    blocks = []
    for defect in CATALOG:
        blocks.append(
            f"{defect.name}  [{defect.portal}, {defect.category}]\n"
            f"  {defect.title}\n"
            f"  Symptom: {defect.symptom}\n"
            f"  Cause: {defect.cause}"
        )
    return "\n\n".join(blocks)
