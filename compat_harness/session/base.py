"""The driver-neutral browser session the suites use: navigate, locate by role/label/text, act,
read, cookies and storage, screenshots. One implementation per engine family, same semantics.

Locators are lazy descriptions (``Query``); each engine resolves them when acting, waiting up to the
action timeout for a single visible match, like Playwright's strict locators.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from compat_harness.devices import Viewport
from compat_harness.engines.base import EngineInfo
from compat_harness.matrix import Cell
from compat_harness.sentinels.core import ExpectedAnswer, Sentinel, SentinelFailure

QueryKind = Literal["role", "label", "text", "css"]
NameMatcher = str | re.Pattern[str] | None
T = TypeVar("T")


class HarnessTimeout(AssertionError):
    """A wait ran out. An AssertionError so pytest reports it as the test's failure."""


class StrictModeError(AssertionError):
    """A locator matched more than one element where one was required."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds. Actions wait for their element; expectations poll; navigations load."""

    action: float = 10.0
    expect: float = 5.0
    navigation: float = 20.0


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Query:
    """What a locator looks for: by ARIA role and accessible name, label, text, or CSS."""

    kind: QueryKind
    value: str | re.Pattern[str]
    name: NameMatcher = None
    exact: bool = False
    parent: Query | None = None
    index: int | None = None
    has_text: NameMatcher = None

    def describe(self) -> str:
        if self.kind == "role":
            own = f"role={self.value}" + (
                f" name={_show(self.name)}" if self.name is not None else ""
            )
        else:
            own = f"{self.kind}={_show(self.value)}"
        if self.has_text is not None:
            own += f" >> has_text={_show(self.has_text)}"
        if self.index is not None:
            own += f" >> nth={self.index}"
        return f"{self.parent.describe()} >> {own}" if self.parent else own

    def to_json(self) -> dict[str, Any]:
        """The form the in-page resolver (locate.js) understands."""
        return {
            "kind": self.kind,
            "value": _matcher_json(self.value),
            "name": _matcher_json(self.name),
            "exact": self.exact,
            "index": self.index,
            "has_text": _matcher_json(self.has_text),
            "parent": self.parent.to_json() if self.parent else None,
        }


def _show(value: NameMatcher) -> str:
    return f"/{value.pattern}/" if isinstance(value, re.Pattern) else repr(value)


def _matcher_json(value: NameMatcher) -> Any:
    if isinstance(value, re.Pattern):
        flags = "i" if value.flags & re.IGNORECASE else ""
        return {"regex": value.pattern, "flags": flags}
    return value


@dataclass
class Step:
    """A named step of a journey, as shown in reports and support bundles."""

    title: str
    started: float
    ended: float | None = None
    status: Literal["passed", "failed", "running"] = "running"
    error: str | None = None
    screenshot: str | None = None  # relative to the run folder, when step screenshots are on

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "title": self.title,
            "started": self.started,
            "duration_s": round((self.ended or self.started) - self.started, 3),
            "status": self.status,
            "error": self.error,
        }
        if self.screenshot:
            data["screenshot"] = self.screenshot
        return data


StepEnd = Callable[[Step, "Session | None"], None]


@dataclass
class StepLog:
    """Steps of one test, across every session it opened."""

    steps: list[Step] = field(default_factory=list)
    listeners: list[Callable[[str], contextlib.AbstractContextManager[Any]]] = field(
        default_factory=list
    )
    # Called when a step ends (passed or failed), with the session it ran in if known: e.g. a
    # screenshot of what the step left on screen.
    on_end: list[StepEnd] = field(default_factory=list)

    @contextlib.contextmanager
    def step(self, title: str, session: Session | None = None) -> Iterator[Step]:
        step = Step(title=title, started=time.time())
        self.steps.append(step)
        with contextlib.ExitStack() as stack:
            for listener in self.listeners:
                stack.enter_context(listener(title))
            try:
                yield step
                if session is not None and session.sentinel is not None:
                    session.sentinel.settle()  # a page still loading is waited for, up to a limit
            except BaseException as exc:
                step.status, step.error = "failed", f"{type(exc).__name__}: {exc}".splitlines()[0]
                raise
            else:
                step.status = "passed"
            finally:
                step.ended = time.time()
                for callback in self.on_end:
                    callback(step, session)


Reading = Literal["text", "value", "checked", "attribute"]


class Locator(ABC):
    """A lazy reference to element(s) in a session's current page."""

    def __init__(self, session: Session, query: Query) -> None:
        self.session = session
        self.query = query

    def __repr__(self) -> str:
        return f"<Locator {self.query.describe()}>"

    # --- composition (shared) ---
    def role(self, role: str, name: NameMatcher = None, *, exact: bool = False) -> Locator:
        return self.session.locator(Query("role", role, name, exact, parent=self.query))

    def label(self, text: str, *, exact: bool = False) -> Locator:
        return self.session.locator(Query("label", text, exact=exact, parent=self.query))

    def text(self, text: str | re.Pattern[str], *, exact: bool = False) -> Locator:
        return self.session.locator(Query("text", text, exact=exact, parent=self.query))

    def css(self, selector: str) -> Locator:
        return self.session.locator(Query("css", selector, parent=self.query))

    def nth(self, index: int) -> Locator:
        return self.session.locator(dataclasses.replace(self.query, index=index))

    def filter(self, *, has_text: str | re.Pattern[str]) -> Locator:
        """Only the matches whose text contains ``has_text`` (case-insensitive) or matches it."""
        return self.session.locator(dataclasses.replace(self.query, has_text=has_text))

    @property
    def first(self) -> Locator:
        return self.nth(0)

    # --- reading (engine) ---
    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def is_visible(self) -> bool:
        """True if one matching element is visible now (no waiting)."""

    @abstractmethod
    def inner_text(self) -> str: ...

    @abstractmethod
    def input_value(self) -> str: ...

    @abstractmethod
    def attribute(self, name: str) -> str | None: ...

    @abstractmethod
    def box(self) -> Box | None:
        """Bounding box in CSS px relative to the viewport, None if not rendered."""

    @abstractmethod
    def is_checked(self) -> bool: ...

    @abstractmethod
    def options(self) -> list[str]:
        """The option texts of a <select>."""

    def read_now(self, what: Reading, name: str = "") -> Any:
        """The text, value, checked state or attribute ``name`` of the one element that matches
        now; None while none or several match. Expectations poll this (they do the waiting)."""
        if self.count() != 1:
            return None
        if what == "attribute":
            return self.attribute(name)
        return {"text": self.inner_text, "value": self.input_value, "checked": self.is_checked}[
            what
        ]()

    # --- acting: wait for one visible, enabled element, act; the page sentinel looks after (and
    # before a click, which may leave the page) ---
    def click(self) -> None:
        """A tap on cells whose engine delivers touch events, a mouse click elsewhere."""
        self.session.before_action()
        self._click()
        self.session.after_action()

    def fill(self, value: str) -> None:
        """Type into a field. Date/time inputs get their value the way the engine allows."""
        self._fill(value)
        self.session.after_action()

    def select(self, *, value: str | None = None, label: str | None = None) -> None:
        self._select(value=value, label=label)
        self.session.after_action()

    def set_checked(self, checked: bool = True) -> None:
        self._set_checked(checked)
        self.session.after_action()

    def check(self) -> None:
        self.set_checked(True)

    # --- acting (engine) ---
    @abstractmethod
    def _click(self) -> None: ...

    @abstractmethod
    def _fill(self, value: str) -> None: ...

    @abstractmethod
    def _select(self, *, value: str | None, label: str | None) -> None: ...

    @abstractmethod
    def _set_checked(self, checked: bool) -> None: ...


class Session(ABC):
    """One fresh browser context (or WebDriver session) on one cell."""

    def __init__(self, cell: Cell, info: EngineInfo, timeouts: Timeouts, steps: StepLog) -> None:
        self.cell = cell
        self.info = info
        self.timeouts = timeouts
        self.steps = steps
        # Set by the harness when the page sentinels are on (compat_harness.sentinels).
        self.sentinel: Sentinel | None = None

    def before_action(self) -> None:
        """Before an action that may leave the page (a click): the page sentinel looks at the
        page as the person sees it then."""
        if self.sentinel is not None:
            self.sentinel.look()

    def after_action(self) -> None:
        """After a navigation or an action: the page sentinel looks at what arrived."""
        if self.sentinel is not None:
            self.sentinel.check()

    def expect_answer(self, status: int, path: str | re.Pattern[str], method: str = "POST") -> None:
        """Declare a 4xx/5xx answer this test provokes on purpose (e.g. a wrong password's 401
        on POST /login): the page sentinel does not count it as a failed request."""
        if self.sentinel is not None:
            self.sentinel.expect_answer(ExpectedAnswer(status, path, method))

    # --- locating (shared) ---
    @abstractmethod
    def locator(self, query: Query) -> Locator: ...

    def role(self, role: str, name: NameMatcher = None, *, exact: bool = False) -> Locator:
        return self.locator(Query("role", role, name, exact))

    def label(self, text: str, *, exact: bool = False) -> Locator:
        return self.locator(Query("label", text, exact=exact))

    def text(self, text: str | re.Pattern[str], *, exact: bool = False) -> Locator:
        return self.locator(Query("text", text, exact=exact))

    def css(self, selector: str) -> Locator:
        return self.locator(Query("css", selector))

    def step(self, title: str) -> contextlib.AbstractContextManager[Step]:
        return self.steps.step(title, self)

    # --- navigation (the page sentinel looks after each) and reading (engine) ---
    def goto(self, url: str) -> None:
        """Load a URL and wait for the load event."""
        self._goto(url)
        self.after_action()

    def reload(self) -> None:
        self._reload()
        self.after_action()

    @abstractmethod
    def _goto(self, url: str) -> None: ...

    @abstractmethod
    def _reload(self) -> None: ...

    @property
    @abstractmethod
    def url(self) -> str: ...

    @abstractmethod
    def title(self) -> str: ...

    @abstractmethod
    def evaluate(self, function: str, arg: Any = None) -> Any:
        """Run a JavaScript function source like ``(arg) => ...`` in the page; JSON result."""

    @abstractmethod
    def screenshot(self, path: str, *, mask: list[Locator] | None = None) -> None:
        """Viewport screenshot (PNG) with masked elements painted over."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def crashed(self) -> bool:
        """Whether the browser behind this session is gone (killed, crashed)."""

    # --- stored data (engine) ---
    @abstractmethod
    def cookies(self) -> list[dict[str, Any]]:
        """Cookies visible to the current page's URL: name, value, domain, path, httpOnly,
        secure, sameSite."""

    @abstractmethod
    def clear_cookies(self) -> None: ...

    def clear_natively(self, what: str, origins: list[str]) -> bool:
        """Clear 'cache', 'cookies' or 'site data' for the origins with the engine's own API;
        False when the engine has none (see compat_harness.storage)."""
        return False

    # --- shared helpers built on the primitives ---
    def local_storage(self) -> dict[str, str]:
        result = self.evaluate(
            "() => Object.fromEntries(Object.keys(localStorage).map(k => [k, localStorage.getItem(k)]))"
        )
        return dict(result or {})

    def viewport(self) -> Viewport:
        w, h = self.evaluate("() => [window.innerWidth, window.innerHeight]")
        return Viewport(int(w), int(h))

    def wait_until(self, predicate: Callable[[], T | None], timeout: float, what: str) -> T:
        """Poll until predicate() is truthy; HarnessTimeout names what was awaited."""
        deadline = time.monotonic() + timeout
        delay = 0.02
        last_error: Exception | None = None
        while True:
            try:
                value = predicate()
                if value:
                    return value
            except (StrictModeError, HarnessTimeout, SentinelFailure):
                raise
            except Exception as exc:  # the page changed under us; try again until the deadline
                last_error = exc
            if time.monotonic() >= deadline:
                detail = f" (last error: {last_error})" if last_error else ""
                raise HarnessTimeout(f"Timed out after {timeout:g}s waiting for {what}{detail}")
            self.pause(delay)
            delay = min(delay * 1.5, 0.1)

    def pause(self, seconds: float) -> None:
        """Wait between polls; engines with an event loop keep it running meanwhile."""
        time.sleep(seconds)
