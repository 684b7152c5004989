"""The neutral session on a W3C WebDriver session (WebKitGTK locally, or any remote browser).

Locators are resolved in the page by locate.js; actions wait for one visible, enabled element and
retry while the page is still changing, so suites behave as they do on Playwright.
"""

from __future__ import annotations

import contextlib
import functools
import os
import uuid
from collections.abc import Callable
from importlib.resources import files
from typing import Any, cast

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.timeouts import Timeouts as SeleniumTimeouts
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select

from compat_harness.engines.base import EngineInfo
from compat_harness.matrix import Cell
from compat_harness.session.base import (
    Box,
    HarnessTimeout,
    Locator,
    Query,
    Reading,
    Session,
    StepLog,
    StrictModeError,
    Timeouts,
)

# Native date/time pickers differ per engine and ignore typed keys on WebKitGTK: these inputs get
# their value set the way a picker would, followed by the input and change events.
_PICKER_TYPES = {"date", "time", "datetime-local", "month", "week", "color", "range"}
_RETRYABLE = (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    StaleElementReferenceException,
    NoSuchElementException,  # an <option> the page's script has not loaded yet
)
_SET_VALUE_JS = """
const [el, value] = arguments;
const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype
  : el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
el.dispatchEvent(new Event('input', {bubbles: true}));
el.dispatchEvent(new Event('change', {bubbles: true}));
return el.value;
"""
_MASK_JS = """
const [rects, token] = arguments;
document.getElementById('__compat_mask')?.remove();
const layer = document.createElement('div');
layer.id = '__compat_mask';
layer.dataset.token = token;
layer.style.cssText = 'position:fixed;inset:0;pointer-events:none;z-index:2147483647';
for (const r of rects) {
  const d = document.createElement('div');
  d.style.cssText = `position:fixed;background:#000;left:${r.x}px;top:${r.y}px;width:${r.width}px;height:${r.height}px`;
  layer.appendChild(d);
}
document.documentElement.appendChild(layer);
"""
_AFTER_PAINT_JS = """
const done = arguments[arguments.length - 1];
requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => done(true), 0)));
"""
# WebKitGTK without accelerated compositing answers a screenshot only after the page's next
# repaint, which a still page never makes: a 1-pixel layer changing by 1/255 of opacity every frame
# keeps repaints coming until the picture is taken (measured with 2.50: a still page hangs, this
# one answers in about 0.1 s).
_REPAINT_ON_JS = """
const style = document.createElement('style');
style.id = '__compat_repaint_style';
style.textContent = '@keyframes __compat_repaint {to {opacity: 0.004}}';
const tick = document.createElement('div');
tick.id = '__compat_repaint';
tick.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0;'
  + 'background:#000;pointer-events:none;animation:__compat_repaint 32ms steps(2) infinite alternate';
document.documentElement.append(style, tick);
"""
_REPAINT_OFF_JS = """
for (const id of ['__compat_repaint', '__compat_repaint_style']) document.getElementById(id)?.remove();
"""
# Scrolls the element into view and says whether a finger at its centre would touch it (or a
# part of it, or its label): a tap, unlike WebDriver's click, lands on whatever is on top.
_TAP_TARGET_JS = """
const el = arguments[0];
el.scrollIntoView({block: 'center', inline: 'center'});
const r = el.getBoundingClientRect();
const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
return !!hit && (el.contains(hit) || (el.labels && [...el.labels].some((l) => l.contains(hit))));
"""
# True when the mask layer painted for ``token`` is still in the page (then removes it).
_MASK_CHECK_JS = """
const layer = document.getElementById('__compat_mask');
const same = !!layer && layer.dataset.token === arguments[0];
layer?.remove();
return same;
"""


# What read_now reads, as WebDriver's own commands read it (innerText, the value and checked
# properties, getAttribute); ``arguments[1]`` is the attribute's name.
_READINGS: dict[Reading, str] = {
    "text": "els[0].innerText",
    "value": "els[0].value",
    "checked": "els[0].checked",
    "attribute": "els[0].getAttribute(arguments[1])",
}


@functools.cache
def locate_js() -> str:
    return files("compat_harness.session").joinpath("locate.js").read_text(encoding="utf-8")


class WebDriverLocator(Locator):
    session: WebDriverSession

    def _call(self, body: str, *args: Any) -> Any:
        """Run ``body`` with ``els`` (the current matches) and ``args`` in the page."""
        return self.session.driver.execute_script(
            locate_js() + f"const els = window.__compat.find(arguments[0]);\n{body}",
            self.query.to_json(),
            *args,
        )

    def _one(self, *, actionable: bool) -> WebElement:
        return self._found(actionable=actionable)[0]

    def _found(self, *, actionable: bool) -> tuple[WebElement, dict[str, Any]]:
        """Wait for exactly one match (visible and enabled when acting); strict like Playwright.
        With its state as the lookup found it (tag, type, box): asked for separately, each
        would be another round trip."""
        desc = self.query.describe()

        def attempt() -> tuple[WebElement, dict[str, Any]] | None:
            found = self._call(
                "return [els.length, els.length === 1 ? els[0] : null,"
                " els.length === 1 ? window.__compat.state(els[0]) : null];"
            )
            count, element, state = found
            if count > 1:
                raise StrictModeError(f"strict mode violation: {desc} resolved to {count} elements")
            if not count:
                return None
            if actionable and not (state["visible"] and state["enabled"]):
                return None
            return cast(WebElement, element), state

        what = f"{desc} to be {'visible and enabled' if actionable else 'attached'}"
        return self.session.wait_until(attempt, self.session.timeouts.action, what)

    def _act(self, what: str, action: Any) -> Any:
        """Retry an action (given the element and its state as found) while the element is
        covered, moving or replaced, until the timeout."""
        last: list[str] = []

        def attempt() -> Any:
            try:
                return action(*self._found(actionable=True)) or True
            except _RETRYABLE as exc:
                last[:] = [(exc.msg or type(exc).__name__).splitlines()[0]]
                return None

        try:
            return self.session.wait_until(attempt, self.session.timeouts.action, what)
        except HarnessTimeout as exc:
            if last:
                raise HarnessTimeout(f"{exc} (last error: {last[0]})") from None
            raise

    def count(self) -> int:
        return int(self._call("return els.length;"))

    def read_now(self, what: Reading, name: str = "") -> Any:
        # One round trip per poll (count, then find, then read would be three: each one a hop
        # through hub and node on a grid).
        return self._call(f"return els.length === 1 ? {_READINGS[what]} : null;", name)

    def is_visible(self) -> bool:
        return bool(self._call("return els.length === 1 && window.__compat.visible(els[0]);"))

    def inner_text(self) -> str:
        el = self._one(actionable=False)
        return str(self.session.driver.execute_script("return arguments[0].innerText;", el))

    def input_value(self) -> str:
        return str(self._one(actionable=False).get_property("value"))

    def attribute(self, name: str) -> str | None:
        value = self._one(actionable=False).get_dom_attribute(name)
        return None if value is None else str(value)

    def box(self) -> Box | None:
        el = self._one(actionable=False)
        raw = self.session.driver.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            " return r.width || r.height ? [r.x, r.y, r.width, r.height] : null;",
            el,
        )
        return Box(*raw) if raw else None

    def is_checked(self) -> bool:
        return bool(self._one(actionable=False).get_property("checked"))

    def options(self) -> list[str]:
        return [str(o.text) for o in Select(self._one(actionable=False)).options]

    def _click(self) -> None:
        """A tap (W3C touch pointer actions) on sessions whose engine delivers touch events, a
        click elsewhere. WebDriver scrolls a target to the viewport's bottom edge, where a fixed
        footer may cover it; like Playwright, a covered element is retried with other scroll
        alignments."""
        alignments = iter(["center", "start", "end", "nearest"] * 100)
        driver = self.session.driver
        press = self.session.tap if self.session.info.touch_events else WebElement.click

        def click(el: WebElement, _state: dict[str, Any]) -> None:
            try:
                press(el)
            except ElementClickInterceptedException:
                block = next(alignments)
                driver.execute_script(f"arguments[0].scrollIntoView({{block: '{block}'}});", el)
                raise

        self._act(f"clicking {self.query.describe()}", click)

    def _fill(self, value: str) -> None:
        driver = self.session.driver

        def type_into(el: WebElement, state: dict[str, Any]) -> None:
            if state["tag"] == "input" and state["type"] in _PICKER_TYPES:
                driver.execute_script(_SET_VALUE_JS, el, value)
                return
            el.clear()
            el.send_keys(value)
            if el.get_property("value") != value:  # a key the engine dropped: set it as typed
                driver.execute_script(_SET_VALUE_JS, el, value)

        self._act(f"filling {self.query.describe()}", type_into)

    def _select(self, *, value: str | None, label: str | None) -> None:
        def choose(el: WebElement, _state: dict[str, Any]) -> None:
            select = Select(el)
            if value is not None:
                select.select_by_value(value)
            else:
                select.select_by_visible_text(label or "")

        self._act(f"selecting in {self.query.describe()}", choose)

    def _set_checked(self, checked: bool) -> None:
        press = self.session.tap if self.session.info.touch_events else WebElement.click

        def toggle(el: WebElement, _state: dict[str, Any]) -> None:
            if bool(el.get_property("checked")) != checked:
                press(el)

        self._act(f"checking {self.query.describe()}", toggle)


class WebDriverSession(Session):
    """A WebDriver session (one per test: WebDriver has no lighter fresh context)."""

    def __init__(
        self,
        driver: WebDriver,
        cell: Cell,
        info: EngineInfo,
        timeouts: Timeouts,
        steps: StepLog,
        on_close: Callable[[], None] | None = None,
        *,
        repaint_for_screenshots: bool = False,
    ) -> None:
        super().__init__(cell, info, timeouts, steps)
        self.driver = driver
        self._on_close = on_close or driver.quit
        self._repaint_for_screenshots = repaint_for_screenshots
        driver.timeouts = SeleniumTimeouts(
            page_load=timeouts.navigation, script=timeouts.navigation
        )

    def locator(self, query: Query) -> Locator:
        return WebDriverLocator(self, query)

    def tap(self, element: WebElement) -> None:
        """A finger's tap at the element's centre, as W3C touch pointer actions."""
        from selenium.webdriver.common.actions import interaction
        from selenium.webdriver.common.actions.action_builder import ActionBuilder
        from selenium.webdriver.common.actions.pointer_input import PointerInput

        if not self.driver.execute_script(_TAP_TARGET_JS, element):
            raise ElementClickInterceptedException("another element would receive the tap")
        finger = PointerInput(interaction.POINTER_TOUCH, "finger")  # type: ignore[no-untyped-call]
        # duration=0: a finger lands where it taps. Selenium's default glides the pointer there
        # for 250 ms first, which a touch screen has no notion of (no hover before contact) and
        # which cost every tap a quarter of a second.
        actions = ActionBuilder(self.driver, mouse=finger, duration=0)
        actions.pointer_action.move_to(element).pointer_down().pause(0.05).pointer_up()  # type: ignore[no-untyped-call]
        actions.perform()

    def _goto(self, url: str) -> None:
        try:
            self.driver.get(url)
        except WebDriverException as exc:
            raise HarnessTimeout(
                f"loading {url}: {(exc.msg or str(exc)).splitlines()[0]}"
            ) from None
        self._loaded(url)

    def _loaded(self, url: str) -> None:
        """Wait for the load event, as the neutral session promises: chromedriver behind a grid
        node has returned from a navigation with the page still 'interactive' (seen once in a
        full self-test run)."""
        self.wait_until(
            lambda: self.driver.execute_script("return document.readyState") == "complete",
            self.timeouts.navigation,
            f"the load event of {url}",
        )

    @property
    def url(self) -> str:
        return str(self.driver.current_url)

    def title(self) -> str:
        return str(self.driver.title)

    def _reload(self) -> None:
        self.driver.refresh()
        self._loaded(self.url)

    def evaluate(self, function: str, arg: Any = None) -> Any:
        # Async so a function returning a promise is awaited, as Playwright's evaluate does.
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"Promise.resolve().then(() => ({function})(arguments[0]))"
            ".then(value => done({value: value}), error => done({error: String(error)}));",
            arg,
        )
        if "error" in result:
            raise RuntimeError(f"page script failed: {result['error']}")
        return result.get("value")

    def _save_screenshot(self, path: str) -> None:
        if not self._repaint_for_screenshots:
            self.driver.save_screenshot(path)
            return
        self.driver.execute_script(_REPAINT_ON_JS)  # if this fails, so would the picture: no hang
        try:
            self.driver.save_screenshot(path)
        finally:
            with contextlib.suppress(WebDriverException):  # the page may have gone meanwhile
                self.driver.execute_script(_REPAINT_OFF_JS)

    def screenshot(self, path: str, *, mask: list[Locator] | None = None) -> None:
        if not mask:
            self._save_screenshot(path)
            return
        # The mask is painted into the page, so a page that changes meanwhile (a navigation that
        # was still going on, a list its script draws) could show unmasked data: the picture is
        # kept only if the same masked document, with the same masked boxes, was there after it.
        for _ in range(5):
            self.wait_until(
                lambda: self.driver.execute_script("return document.readyState") == "complete",
                self.timeouts.navigation,
                "the page to finish loading before a masked screenshot",
            )
            token = uuid.uuid4().hex
            try:
                before = self._mask_rects(mask)
                self.driver.execute_script(_MASK_JS, before, token)
                # WebKitGTK's screenshot is the last painted frame: wait until the mask is painted.
                self.driver.execute_async_script(_AFTER_PAINT_JS)
                self._save_screenshot(path)
                still = self.driver.execute_script(_MASK_CHECK_JS, token)
                after = self._mask_rects(mask)
            except WebDriverException:
                continue  # the document went away mid-way: try again
            if still and after == before:
                return
        if os.path.exists(path):
            os.remove(path)
        raise RuntimeError("the page kept changing: no masked screenshot could be taken")

    def _mask_rects(self, mask: list[Locator]) -> list[dict[str, float]]:
        rects: list[dict[str, float]] = []
        for locator in mask:
            assert isinstance(locator, WebDriverLocator)
            rects += locator._call(
                "return els.map(e => { const r = e.getBoundingClientRect();"
                " return {x: r.x, y: r.y, width: r.width, height: r.height}; });"
            )
        return rects

    def cookies(self) -> list[dict[str, Any]]:
        return [
            {
                "name": c["name"],
                "value": c["value"],
                "domain": c.get("domain", ""),
                "path": c.get("path", "/"),
                "httpOnly": c.get("httpOnly", False),
                "secure": c.get("secure", False),
                "sameSite": c.get("sameSite", "Lax"),
            }
            for c in self.driver.get_cookies()
        ]

    def clear_cookies(self) -> None:
        self.driver.delete_all_cookies()

    def close(self) -> None:
        self._on_close()

    def crashed(self) -> bool:
        try:
            self.driver.execute_script("return 1")
        except WebDriverException as exc:
            # An open alert refuses scripts without the browser being gone.
            return "alert" not in (exc.msg or "").lower()
        except Exception:  # the driver itself is gone
            return True
        return False
