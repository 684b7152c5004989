"""The neutral session on a Playwright page: locators map onto Playwright's own get_by_* locators."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator as PwLocator
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from compat_harness.engines.base import EngineInfo
from compat_harness.matrix import Cell
from compat_harness.session.base import (
    Box,
    HarnessTimeout,
    Locator,
    Query,
    Session,
    StepLog,
    StrictModeError,
    Timeouts,
)


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    """Playwright's errors as the harness's own, so suites see one vocabulary on every engine."""
    try:
        yield
    except PlaywrightTimeout as exc:
        raise HarnessTimeout(f"{what}: {str(exc).splitlines()[0]}") from None
    except PlaywrightError as exc:
        message = str(exc)
        if "strict mode violation" in message:
            raise StrictModeError(f"{what}: {message.splitlines()[0]}") from None
        raise


class PlaywrightLocator(Locator):
    session: PlaywrightSession

    def _pw(self) -> PwLocator:
        return self.session._resolve(self.query)

    @property
    def _ms(self) -> float:
        return self.session.timeouts.action * 1000

    def count(self) -> int:
        return self._pw().count()

    def is_visible(self) -> bool:
        return self._pw().is_visible()

    def inner_text(self) -> str:
        with _translated(f"reading {self.query.describe()}"):
            return self._pw().inner_text(timeout=self._ms)

    def input_value(self) -> str:
        with _translated(f"reading {self.query.describe()}"):
            return self._pw().input_value(timeout=self._ms)

    def attribute(self, name: str) -> str | None:
        with _translated(f"reading {self.query.describe()}"):
            return self._pw().get_attribute(name, timeout=self._ms)

    def box(self) -> Box | None:
        raw = self._pw().bounding_box(timeout=self._ms)
        return Box(**raw) if raw else None

    def is_checked(self) -> bool:
        return self._pw().is_checked(timeout=self._ms)

    def options(self) -> list[str]:
        return [t.strip() for t in self._pw().locator("option").all_inner_texts()]

    def _click(self) -> None:
        with _translated(f"clicking {self.query.describe()}"):
            if self.session.info.touch_events:
                self._pw().tap(timeout=self._ms)
            else:
                self._pw().click(timeout=self._ms)

    def _fill(self, value: str) -> None:
        with _translated(f"filling {self.query.describe()}"):
            self._pw().fill(value, timeout=self._ms)

    def _select(self, *, value: str | None, label: str | None) -> None:
        with _translated(f"selecting in {self.query.describe()}"):
            if value is not None:
                self._pw().select_option(value=value, timeout=self._ms)
            else:
                self._pw().select_option(label=label, timeout=self._ms)

    def _set_checked(self, checked: bool) -> None:
        with _translated(f"checking {self.query.describe()}"):
            if self.session.info.touch_events:
                if self._pw().is_checked(timeout=self._ms) != checked:
                    self._pw().tap(timeout=self._ms)
            else:
                self._pw().set_checked(checked, timeout=self._ms)


class PlaywrightSession(Session):
    """A Playwright page (one per fresh context) behind the neutral API."""

    def __init__(
        self, page: Page, cell: Cell, info: EngineInfo, timeouts: Timeouts, steps: StepLog
    ) -> None:
        super().__init__(cell, info, timeouts, steps)
        self.page = page
        page.set_default_timeout(timeouts.action * 1000)
        page.set_default_navigation_timeout(timeouts.navigation * 1000)

    def locator(self, query: Query) -> Locator:
        return PlaywrightLocator(self, query)

    def _resolve(self, query: Query) -> PwLocator:
        base: Page | PwLocator = self._resolve(query.parent) if query.parent else self.page
        if query.kind == "role":
            loc = base.get_by_role(str(query.value), name=query.name, exact=query.exact)  # type: ignore[arg-type]
        elif query.kind == "label":
            loc = base.get_by_label(query.value, exact=query.exact)
        elif query.kind == "text":
            loc = base.get_by_text(query.value, exact=query.exact)
        else:
            loc = base.locator(str(query.value))
        if query.has_text is not None:
            loc = loc.filter(has_text=query.has_text)
        return loc.nth(query.index) if query.index is not None else loc

    def pause(self, seconds: float) -> None:
        # The sync API only processes browser events (navigations that update page.url, for
        # one) while a Playwright call waits, so never time.sleep here.
        self.page.wait_for_timeout(seconds * 1000)

    def _goto(self, url: str) -> None:
        with _translated(f"loading {url}"):
            self.page.goto(url, wait_until="load")

    @property
    def url(self) -> str:
        return self.page.url

    def title(self) -> str:
        return self.page.title()

    def _reload(self) -> None:
        self.page.reload(wait_until="load")

    def evaluate(self, function: str, arg: Any = None) -> Any:
        return self.page.evaluate(function, arg)

    def screenshot(self, path: str, *, mask: list[Locator] | None = None) -> None:
        self.page.screenshot(
            path=path,
            mask=[self._resolve(m.query) for m in mask or []],
            mask_color="#000000",
            animations="disabled",
        )

    def cookies(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self.page.context.cookies(self.page.url)]

    def clear_cookies(self) -> None:
        self.page.context.clear_cookies()

    def clear_natively(self, what: str, origins: list[str]) -> bool:
        if what == "cookies":
            self.page.context.clear_cookies()
            return True
        if self.cell.browser != "chromium":
            return False  # WebKit and Firefox builds expose no cache or storage clearing
        cdp = self.page.context.new_cdp_session(self.page)
        try:
            cdp.send("Network.clearBrowserCache")
            if what == "site data":
                for origin in dict.fromkeys(origins):
                    cdp.send(
                        "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
                    )
                self.page.context.clear_cookies()
        finally:
            cdp.detach()
        return True

    def close(self) -> None:
        self.page.context.close()
