"""Helpers for the reference-app tests: both portal apps over a temporary store (TestClient)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from reference_app.app import create_apps
from reference_app.config import AppConfig
from reference_app.domain import parse_instant, utc_iso
from reference_app.store import Store

CLIENT_URL = "http://127.0.0.1:18001"
PROVIDER_URL = "http://127.0.0.1:18002"

MONDAY_9AM_NEW_YORK = parse_instant("2026-11-30T14:00:00Z")
"""Monday 30 Nov 2026, 09:00 EST / 08:00 CST: the default frozen scenario clock."""


@dataclass
class RefApp:
    """Both portals of one app instance, with helpers for the common steps."""

    config: AppConfig
    store: Store
    client: TestClient
    provider: TestClient
    _extra: list[TestClient] = field(default_factory=list)

    def browser(self, portal: str = "client", **kwargs: Any) -> TestClient:
        """A fresh client (own cookie jar) for a portal."""
        apps = self.client.app if portal == "client" else self.provider.app
        base = self.config.client_url if portal == "client" else self.config.provider_url
        tc = TestClient(apps, base_url=base, follow_redirects=False, **kwargs)
        self._extra.append(tc)
        return tc

    def provision(self, **body: Any) -> dict[str, Any]:
        """`POST /__test__/provision`, with the scenario clock frozen at `now` if given."""
        now: datetime | None = body.pop("now", MONDAY_9AM_NEW_YORK)
        response = self.client.post("/__test__/provision", json=body)
        assert response.status_code == 201, response.text
        scenario: dict[str, Any] = response.json()
        if now is not None:
            self.set_clock(scenario["scenario"], now)
        return scenario

    def set_clock(self, scenario: str, now: datetime) -> None:
        """Freeze a scenario's clock."""
        response = self.client.post(
            "/__test__/clock", json={"scenario": scenario, "now": utc_iso(now)}
        )
        assert response.status_code == 200, response.text

    def add_session(self, scenario: str, start: datetime, **body: Any) -> dict[str, Any]:
        """`POST /__test__/sessions`."""
        response = self.client.post(
            "/__test__/sessions", json={"scenario": scenario, "start": utc_iso(start), **body}
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def sign_in(self, account: dict[str, Any], portal: str = "client") -> TestClient:
        """A new browser signed in to a portal."""
        tc = self.browser(portal)
        response = tc.post(
            "/login", data={"email": account["email"], "password": account["password"]}
        )
        assert response.status_code == 303, response.text
        return tc

    def outbox(self, to: str) -> list[dict[str, Any]]:
        """Emails sent to an address."""
        emails: list[dict[str, Any]] = self.client.get(
            "/__test__/outbox", params={"to": to}
        ).json()["emails"]
        return emails


def make_refapp(tmp_path: Path, defects: tuple[str, ...] = (), mode: str = "test") -> RefApp:
    """Build both apps over a store in `tmp_path`."""
    config = AppConfig(
        db_path=tmp_path / "haven.sqlite3",
        client_url=CLIENT_URL,
        provider_url=PROVIDER_URL,
        mode=mode,  # type: ignore[arg-type]
        defects=frozenset(defects),
    )
    store = Store(config.db_path)
    client_app, provider_app = create_apps(config, store)
    return RefApp(
        config=config,
        store=store,
        client=TestClient(client_app, base_url=CLIENT_URL, follow_redirects=False),
        provider=TestClient(provider_app, base_url=PROVIDER_URL, follow_redirects=False),
    )


def text_of(html: str) -> str:
    """Visible-ish text of an HTML page: tags dropped, whitespace collapsed."""
    without_scripts = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    inline = re.sub(r"</?(a|span|strong|em|b|i|abbr)\b[^>]*>", "", without_scripts)
    text = re.sub(r"<[^>]+>", " ", inline)
    text = (
        text.replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("&quot;", '"')
        .replace("&lt;", "<")
        .replace("&gt;", ">")
    )
    return re.sub(r"\s+", " ", text).strip()
