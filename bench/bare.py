"""The benchmark's baseline: the same navigations as the harness suite with raw Playwright (the
Chromium cells) and raw Selenium (the WebKitGTK cell), no pytest, no harness. One browser per cell,
a fresh context (WebDriver session) per test, accounts provisioned per test like the harness does.
Browsers and WebDriver sessions come from the cell's engine, so a matrix given as the argument (the
bench's grid matrix) measures the same baseline through a Selenium Grid."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from typing import Any

from playwright.sync_api import expect, sync_playwright
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from bench.workload import PORTAL_TEXT, REPEATS
from compat_harness.config import read
from compat_harness.engines import RuntimeOptions, resolve
from compat_harness.engines.playwright import PlaywrightEngine, context_args
from compat_harness.engines.webdriver import WebDriverRuntime
from compat_harness.matrix import Cell, load_matrix
from reference_app.launcher import start

# Dashboard lists the page's script has drawn (it marks where the data came from) and not.
_DRAWN = "[data-dashboard-list][data-source]"
_UNDRAWN = "[data-dashboard-list]:not([data-source])"


def _provision(client_url: str, portal: str) -> dict[str, Any]:
    request = urllib.request.Request(
        client_url + "/__test__/provision",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return dict(json.loads(response.read())[portal])


def _playwright_cell(p: Any, cell: Cell, urls: dict[str, str], times: list[float]) -> None:
    resolution = resolve(cell, settings=read())
    engine, chosen = resolution.engine, resolution.chosen
    assert isinstance(engine, PlaywrightEngine) and chosen is not None
    browser = engine.open_browser(
        p,
        lambda: p.chromium.launch(**engine.launch_args(chosen, {}, headless=True)),
        cell,
        chosen,
    )
    for portal in ("client", "provider"):
        heading, _ = PORTAL_TEXT[portal]
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            account = _provision(urls["client"], portal)
            context = browser.new_context(**context_args(cell))
            page = context.new_page()
            page.goto(urls[portal] + "/login")
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            page.get_by_label("Email", exact=True).fill(account["email"])
            page.get_by_label("Password", exact=True).fill(account["password"])
            button = page.get_by_role("button", name="Sign in", exact=True)
            button.tap() if cell.device.touch else button.click()
            page.wait_for_url(urls[portal] + "/dashboard")
            # The harness counts a dashboard as reached once its script drew its lists.
            expect(page.locator(_DRAWN).first).to_be_attached()
            expect(page.locator(_UNDRAWN)).to_have_count(0)
            page.goto(urls[portal] + "/schedule")
            expect(page.get_by_role("heading", name="Schedule", exact=True)).to_be_visible()
            sign_out = page.get_by_role("button", name="Sign out", exact=True)
            sign_out.tap() if cell.device.touch else sign_out.click()
            page.wait_for_url(urls[portal] + "/login?signed_out=1")
            context.close()
            times.append(time.perf_counter() - t0)
    browser.close()


def _webdriver_cell(cell: Cell, urls: dict[str, str], times: list[float]) -> None:
    resolution = resolve(cell, settings=read())
    assert resolution.engine is not None and resolution.chosen is not None
    # The harness's own process handling, spare included: the next session starts while a test
    # runs, as the harness does, so the ratio shows the harness's own cost.
    runtime = resolution.engine.start(cell, resolution.chosen, RuntimeOptions(spare=True))
    assert isinstance(runtime, WebDriverRuntime)
    for portal in ("client", "provider"):
        heading, _ = PORTAL_TEXT[portal]
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            account = _provision(urls["client"], portal)
            driver, _ = runtime.new_driver()
            wait = WebDriverWait(driver, 10, poll_frequency=0.05)
            driver.get(urls[portal] + "/login")
            wait.until(
                ec.visibility_of_element_located((By.XPATH, f"//h1[normalize-space()='{heading}']"))
            )
            driver.find_element(By.ID, "email").send_keys(account["email"])
            driver.find_element(By.ID, "password").send_keys(account["password"])
            driver.find_element(By.XPATH, "//button[normalize-space()='Sign in']").click()
            wait.until(ec.url_to_be(urls[portal] + "/dashboard"))
            wait.until(
                lambda d: (
                    d.find_elements(By.CSS_SELECTOR, _DRAWN)
                    and not d.find_elements(By.CSS_SELECTOR, _UNDRAWN)
                )
            )
            driver.get(urls[portal] + "/schedule")
            wait.until(
                ec.visibility_of_element_located((By.XPATH, "//h1[normalize-space()='Schedule']"))
            )
            driver.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
            wait.until(ec.url_to_be(urls[portal] + "/login?signed_out=1"))
            runtime.quit(driver)
            times.append(time.perf_counter() - t0)
    runtime.stop()


def main() -> None:
    default = os.path.join(os.path.dirname(__file__), "..", "matrix", "default.yaml")
    matrix = load_matrix(sys.argv[1] if len(sys.argv) > 1 else default)
    cells = matrix.select("default")
    per_cell: dict[str, list[float]] = {}
    with start() as app, sync_playwright() as p:
        urls = {"client": app.info.client_url, "provider": app.info.provider_url}
        for cell in cells:
            times = per_cell.setdefault(cell.id, [])
            # The baseline is raw Playwright or raw Selenium by the engine family that runs the cell.
            if isinstance(resolve(cell, settings=read()).engine, PlaywrightEngine):
                _playwright_cell(p, cell, urls, times)
            else:
                _webdriver_cell(cell, urls, times)
    json.dump({cell: times for cell, times in per_cell.items()}, sys.stdout)


if __name__ == "__main__":
    main()
