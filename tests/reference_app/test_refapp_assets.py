"""Cache headers, versioned assets, releases, service worker, health and error pages."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from refapp_support import RefApp, text_of

from reference_app.portals.common import SCRIPT_FLAGS

IMMUTABLE = "public, max-age=31536000, immutable"


def test_html_pages_are_no_cache_and_carry_versions(app: RefApp) -> None:
    page = app.client.get("/login")
    assert page.headers["cache-control"] == "no-cache"
    assert '<meta name="haven-version" content="1">' in page.text
    assert '<script src="/static/app.1.js" defer></script>' in page.text
    assert '<link rel="stylesheet" href="/static/style.1.css">' in page.text
    assert "App version 1" in text_of(page.text)
    assert "<span data-script-version>" in page.text


@pytest.mark.parametrize("portal", ["client", "provider"])
def test_versioned_assets_are_immutable(app: RefApp, portal: str) -> None:
    browser = app.client if portal == "client" else app.provider
    script = browser.get("/static/app.1.js")
    assert script.status_code == 200
    assert script.headers["cache-control"] == IMMUTABLE
    assert script.headers["content-type"].startswith("text/javascript")
    assert "const SCRIPT_VERSION = '1';" in script.text
    assert "__HAVEN_" not in script.text
    style = browser.get("/static/style.1.css")
    assert style.headers["cache-control"] == IMMUTABLE
    assert style.headers["content-type"].startswith("text/css")


def test_unknown_or_future_assets_are_404(app: RefApp) -> None:
    assert app.client.get("/static/app.js").status_code == 404  # clean build: versioned only
    assert app.client.get("/static/app.2.js").status_code == 404
    assert app.client.get("/static/app.0.js").status_code == 404
    assert app.client.get("/static/other.1.js").status_code == 404


def test_release_changes_urls_and_script(app: RefApp) -> None:
    released = app.client.post("/__test__/release", json={})
    assert released.json()["version"] == 2
    page = app.provider.get("/login")
    assert '<script src="/static/app.2.js" defer></script>' in page.text
    assert "App version 2" in text_of(page.text)
    assert "const SCRIPT_VERSION = '2';" in app.client.get("/static/app.2.js").text
    # Older builds stay downloadable with their own version.
    assert "const SCRIPT_VERSION = '1';" in app.client.get("/static/app.1.js").text
    assert app.client.get("/healthz").json()["version"] == 2


def test_script_flags_are_all_off_in_the_clean_build(app: RefApp) -> None:
    script = app.client.get("/static/app.1.js").text
    flags = json.loads(re.search(r"const FLAGS = (\{.*?\});", script).group(1))  # type: ignore[union-attr]
    assert set(flags) == set(SCRIPT_FLAGS)
    assert not any(flags.values())


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_served_script_is_valid_javascript(app: RefApp, tmp_path: object) -> None:
    for browser in (app.client, app.provider):
        script = browser.get("/static/app.1.js").text
        for source in (script, browser.get("/sw.js").text):
            result = subprocess.run(
                ["node", "--check", "--input-type=commonjs"],
                input=source,
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
            assert result.returncode == 0, result.stderr


def test_healthz_on_both_portals(app: RefApp) -> None:
    assert app.client.get("/healthz").json() == {
        "status": "ok",
        "portal": "client",
        "version": 1,
        "mode": "test",
    }
    assert app.provider.get("/healthz").json()["portal"] == "provider"


def test_service_worker_and_offline_page(app: RefApp) -> None:
    worker = app.client.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["cache-control"] == "no-cache"
    assert "'/offline'" in worker.text
    client = app.sign_in(app.provision()["client"])
    offline = client.get("/offline")
    assert offline.status_code == 200
    assert "You're offline" in text_of(offline.text)
    assert 'data-user-id=""' in offline.text  # cached by the worker: no one's data in it
    assert (
        "navigator.serviceWorker.register('/sw.js', { scope: '/' })"
        in client.get("/static/app.1.js").text
    )


def test_404_is_html_for_pages_and_json_for_apis(app: RefApp) -> None:
    page = app.client.get("/no-such-page")
    assert page.status_code == 404
    assert "Page not found" in text_of(page.text)
    assert page.headers["cache-control"] == "no-cache"
    api = app.client.get("/api/no-such-thing")
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}


def test_every_page_has_viewport_footer_and_version_meta(app: RefApp) -> None:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    provider = app.sign_in(scenario["provider"], "provider")
    pages = [
        (client, "/dashboard"),
        (client, "/schedule"),
        (client, "/schedule/new"),
        (client, "/room"),
        (client, f"/schedule/new/details?room={scenario['room']['id']}"),
        (provider, "/dashboard"),
        (provider, "/schedule"),
        (provider, "/caseload"),
        (app.client, "/forgot-password"),
    ]
    for browser, path in pages:
        response = browser.get(path)
        assert response.status_code == 200, path
        assert 'content="width=device-width, initial-scale=1"' in response.text, path
        assert '<meta name="haven-version" content="1">' in response.text, path
        assert "Script version" in response.text, path
        assert "App version 1" in response.text, path
        assert response.headers["cache-control"] == "no-cache", path
